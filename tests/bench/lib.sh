# Shared by the end-to-end benchmark scripts (sourced, from the repository's top): a work
# directory removed on exit, and the local stack, started if it is not running and then
# stopped again on exit. Sets FK_KAFKA_BOOTSTRAP and FK_MONGO_URI.
work=$(mktemp -d)
started=0
cleanup() {
    rm -rf "$work"
    if ((started)); then compose/local/stack down >/dev/null; fi
}
trap cleanup EXIT

stack_up() {
    if ! compose/local/stack status >/dev/null 2>&1; then
        compose/local/stack up >/dev/null
        started=1
    fi
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
