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
