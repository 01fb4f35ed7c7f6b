#!/usr/bin/env bash
# The real binary speaks sd_notify to a socket as systemd would see it (READY=1, STATUS=,
# STOPPING=1), and under a journal stream its log lines carry <N> priority prefixes.
source "$(dirname "$0")/lib.sh"
sock=$T_WORK/notify.sock
topic=$(unique fk-notify)
conf=$(write_conf notify "$topic" "generator: {rate: 50, seed: 5}
# Its own group and transactional id: other tests run beside this one.
dq: {group: $topic, transactional_id: $topic-tx}")

# A datagram listener standing in for systemd: it prints each message on one line.
python3 -u - "$sock" >"$T_WORK/notify.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
try:
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace("\n", "|"))
        if "STOPPING=1" in msg:
            break
except socket.timeout:
    pass
PY
listener=$!
wait_for 10 test -S "$sock"

# JOURNAL_STREAM names the daemon's stderr (dev:ino of the log file), as systemd sets it.
log=$T_WORK/journal.log
: >"$log"
export_js=$(stat -c '%d:%i' "$log")
NOTIFY_SOCKET=$sock JOURNAL_STREAM=$export_js "$FK_BIN" -f -c "$conf" -r rules/custdq.yaml 2>>"$log" &
DAEMON_PID=$!
DAEMON_LOG=$log
check "READY=1 is sent" wait_for 30 grep -q "^READY=1" "$T_WORK/notify.txt"
check "STATUS= reports what was produced" wait_for 30 grep -q "^STATUS=produced [1-9]" "$T_WORK/notify.txt"
stop_daemon TERM
check_eq "exit 0" "$DAEMON_RC" 0
wait "$listener"
check "STOPPING=1 is sent on shutdown" grep -q "^STOPPING=1" "$T_WORK/notify.txt"
check "journal lines carry a priority prefix" grep -q "^<5>main: faker-kafkad .* starting" "$log"
check "no journal line lacks its prefix" test "$(grep -cv '^<[0-7]>' "$log")" -eq 0
finish
