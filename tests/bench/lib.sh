# Shared by the end-to-end benchmark scripts (sourced, from the repository's top): a work
# directory removed on exit (kept with KEEP_WORK=1, for the daemons' logs), and the local stack: each server (Kafka, FerretDB) is started only
# when it is not already answering, and on exit only what was started here is stopped again.
# Sets FK_KAFKA_BOOTSTRAP and FK_MONGO_URI.
work=$(mktemp -d)
# libmongoc's shared-memory counters would leave a /dev/shm segment per daemon run (as in
# systemd/faker-kafkad.service and tests/run.sh).
export MONGOC_DISABLE_SHM=1
started=() # the stack's servers this script started, in order
cleanup() {
    if [ -n "${KEEP_WORK:-}" ]; then
        echo "work dir kept: $work" >&2
    else
        rm -rf "$work"
    fi
    local i
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do
        compose/local/stack down "${started[i]}" >/dev/null
    done
}
trap cleanup EXIT

stack_up() {
    local s
    for s in kafka mongo; do
        if ! compose/local/stack status "$s" >/dev/null 2>&1; then
            # Counted before it is up: a start that fails half-way is still stopped on exit.
            started+=("$s")
            compose/local/stack up "$s" >/dev/null
        fi
    done
    eval "$(compose/local/stack env)"
}

# generate CONF RULES: runs the daemon's generator until it reports every record delivered
# (at most 5 minutes), then stops it.
generate() {
    : >"$work/gen.log" # there before the daemon opens it, so the first grep finds a file
    "$BUILD/faker-kafkad" -f -c "$1" -r "$2" 2>"$work/gen.log" &
    local pid=$!
    for _ in $(seq 1 600); do
        grep -q "generator: done" "$work/gen.log" && break
        sleep 0.5
    done
    kill -TERM "$pid"
    wait "$pid" || true
}
