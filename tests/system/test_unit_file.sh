#!/usr/bin/env bash
# fk-test: static (needs no server)
# Checks systemd/faker-kafka.service: systemd-analyze verify finds nothing to say about it, the
# keys the daemon's behaviour depends on (Type=notify, the reload path, the exit status that must
# not restart) and the hardening are all there, and prints the offline security exposure score.
# Needs no running systemd: verify loads the unit in a private manager; the daemon's path is
# pointed at a stub so the Exec lines name an executable that exists.
# Prints "ok   NAME" or "FAIL NAME" per check, then "N passed, N failed"; exits 1 on a failure.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
unit="$root/systemd/faker-kafka.service"
man="$root/docs/faker-kafkad.8"

passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { printf 'ok   %s\n' "$1"; passed=$((passed + 1)); }
fail() {
    printf 'FAIL %s\n' "$1"
    shift
    if [ $# -gt 0 ]; then printf '  %s\n' "$@"; fi
    failed=$((failed + 1))
}

# Lines of the unit without comments, blank lines or surrounding spaces.
keys=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^[#;]/d' -e '/^$/d' "$unit")

# has NAME LINE: the unit holds exactly LINE.
has() {
    if grep -qxF -- "$2" <<<"$keys"; then pass "$1"; else fail "$1" "missing line: $2"; fi
}

# verify_unit FILE: systemd-analyze verify prints nothing about FILE and succeeds. Unknown keys and
# unparsable values are only warnings (exit status 0), so the output is what counts. Only the unit
# itself is judged (--recursive-errors=no): the host's own units are not this project's business.
# Documentation=man: is checked against docs/faker-kafkad.8 through a private MANPATH.
verify_unit() {
    local file=$1 out rc
    out=$(cd "$(dirname "$file")" &&
        MANPATH="$tmp/man" SYSTEMD_LOG_LEVEL=notice \
            systemd-analyze verify --man="$use_man" --generators=no --recursive-errors=no \
            "./$(basename "$file")" 2>&1)
    rc=$?
    printf '%s' "$out" >"$tmp/verify.out"
    [ $rc -eq 0 ] && ! grep -q "$(basename "$file")" <<<"$out"
}

if [ ! -r "$unit" ]; then
    fail "unit file exists" "$unit not readable"
    printf '%d passed, %d failed\n' "$passed" "$failed"
    exit 1
fi

if command -v systemd-analyze >/dev/null 2>&1; then
    # The unit as installed, but with the daemon replaced by a stub that exists.
    printf '#!/bin/sh\nexit 0\n' >"$tmp/faker-kafkad"
    chmod 0755 "$tmp/faker-kafkad"
    mkdir -p "$tmp/unit" "$tmp/man/man8"
    sed "s|/usr/bin/faker-kafkad|$tmp/faker-kafkad|g" "$unit" >"$tmp/unit/faker-kafka.service"

    use_man=no
    if [ -r "$man" ] && command -v man >/dev/null 2>&1; then
        cp "$man" "$tmp/man/man8/faker-kafkad.8"
        use_man=yes
    fi

    if verify_unit "$tmp/unit/faker-kafka.service"; then
        pass "systemd-analyze verify (man pages checked: $use_man)"
    else
        mapfile -t lines <"$tmp/verify.out"
        fail "systemd-analyze verify (man pages checked: $use_man)" "${lines[@]}"
    fi

    # The check above must be able to fail: a misspelt key and a bad value have to be reported.
    sed -e 's/^UMask=/UMsk=/' -e 's/^ProtectSystem=strict/ProtectSystem=bogus/' \
        "$tmp/unit/faker-kafka.service" >"$tmp/unit/faker-kafka-broken.service"
    if verify_unit "$tmp/unit/faker-kafka-broken.service"; then
        fail "systemd-analyze verify reports a misspelt key" "no warning for UMsk= or ProtectSystem=bogus"
    else
        pass "systemd-analyze verify reports a misspelt key"
    fi

    # Informational: the score depends on the systemd version, so it is printed, never judged.
    if score=$(cd "$tmp/unit" && systemd-analyze security --offline=yes --no-pager \
        ./faker-kafka.service 2>/dev/null | grep 'Overall exposure level'); then
        printf '     Overall%s\n' "${score#*Overall}"
    else
        printf '     systemd-analyze security --offline=yes not supported here\n'
    fi
else
    printf 'skip systemd-analyze verify (systemd-analyze not installed)\n'
fi

has "Type=notify" "Type=notify"
has "Documentation=man:faker-kafkad(8)" "Documentation=man:faker-kafkad(8)"

# The daemon's command lines: literally /usr/bin/faker-kafkad (make install rewrites that), the
# same -c and -r everywhere, -t before start and before reload, -f for the main process.
conf="-c /etc/faker-kafka/faker-kafka.yaml -r /etc/faker-kafka/rules.yaml"
has "ExecStartPre checks the configuration" "ExecStartPre=/usr/bin/faker-kafkad -t $conf"
has "ExecStart runs in the foreground" "ExecStart=/usr/bin/faker-kafkad -f $conf"
reload=$(grep '^ExecReload=' <<<"$keys")
want_reload="ExecReload=/usr/bin/faker-kafkad -t $conf
ExecReload=/bin/kill -HUP \$MAINPID"
if [ "$reload" = "$want_reload" ]; then
    pass "ExecReload checks, then sends SIGHUP"
else
    fail "ExecReload checks, then sends SIGHUP" "got:" "$reload"
fi

has "Restart=on-failure" "Restart=on-failure"
has "RestartPreventExitStatus=78" "RestartPreventExitStatus=78"

# TimeoutStopSec must leave room above the daemon's 10 s shutdown grace.
stop=$(sed -n 's/^TimeoutStopSec=//p' <<<"$keys" | tail -n 1)
case "$stop" in
*min) stop_s=$((${stop%min} * 60)) ;;
*s) stop_s=${stop%s} ;;
*) stop_s=$stop ;;
esac
if [[ "$stop_s" =~ ^[0-9]+$ ]] && [ "$stop_s" -gt 10 ]; then
    pass "TimeoutStopSec above the 10 s shutdown grace ($stop)"
else
    fail "TimeoutStopSec above the 10 s shutdown grace" "got '${stop:-unset}'"
fi

for line in \
    "DynamicUser=yes" \
    "StateDirectory=faker-kafka" \
    "ConfigurationDirectory=faker-kafka" \
    "ProtectSystem=strict" \
    "ProtectHome=yes" \
    "NoNewPrivileges=yes" \
    "PrivateTmp=yes" \
    "PrivateDevices=yes" \
    "ProtectKernelTunables=yes" \
    "ProtectKernelModules=yes" \
    "ProtectKernelLogs=yes" \
    "ProtectControlGroups=yes" \
    "ProtectClock=yes" \
    "ProtectHostname=yes" \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
    "RestrictNamespaces=yes" \
    "RestrictRealtime=yes" \
    "RestrictSUIDSGID=yes" \
    "LockPersonality=yes" \
    "MemoryDenyWriteExecute=yes" \
    "SystemCallFilter=@system-service" \
    "SystemCallArchitectures=native" \
    "CapabilityBoundingSet=" \
    "UMask=0077" \
    "LimitNOFILE=65536"; do
    has "$line" "$line"
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
