#!/bin/bash
# SIGTERM: a reader sees end of file, exec: children are stopped (one that
# ignores SIGTERM is killed after the grace period), the mount is gone and
# the daemon exits 0.
. "$(dirname "$0")/../lib.sh"
cat > "$CONF" <<EOF
[domain a]
console0 = exec:/bin/sh -c 'exec sleep 1001'
[domain b]
console0 = exec:/bin/sh -c 'trap "" TERM HUP; while :; do sleep 0.1; done'
EOF
mount_fs
# The daemon's own children (other tests may run the same commands).
wait_for 5 pgrep -P "$DAEMON_PID" -f "sleep 1001" >/dev/null || fail "child a not running"
wait_for 5 pgrep -P "$DAEMON_PID" -f 'trap "" TERM HUP' >/dev/null || fail "child b not running"
child_a=$(pgrep -P "$DAEMON_PID" -f "sleep 1001")
child_b=$(pgrep -P "$DAEMON_PID" -f 'trap "" TERM HUP')
cat "$MNT/a/console0" >/dev/null &
catpid=$!
sleep 0.2
start=$(date +%s%N)
stop_fs || fail "daemon exited with status $?"
ms=$((($(date +%s%N) - start) / 1000000))
note "daemon exited ${ms} ms after SIGTERM"
wait $catpid || fail "reader did not end with status 0 (end of file), status $?"
mountpoint -q "$MNT" && fail "still mounted"
wait_for 2 proc_ended "$child_a" || fail "child a still running"
wait_for 2 proc_ended "$child_b" || fail "child b still running"
[ "$ms" -ge 4500 ] || fail "daemon did not wait the grace period for the child ignoring SIGTERM (${ms} ms)"
grep -q "SIGKILL" "$DAEMON_LOG" || fail "no SIGKILL logged for the stubborn child"
