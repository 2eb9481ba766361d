#!/bin/bash
# fusermount3 -u of a mount with only pty: devices: the daemon stops by
# itself, as after SIGTERM, and exits 0 within 2 s. --pid-file holds its pid
# while it runs (a relative name is made absolute) and is removed at exit.
. "$(dirname "$0")/../lib.sh"
need fusermount3
make_pty a
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$PTY_a
EOF
cd "$T" || fail "cd"
mount_fs --pid-file pid
[ "$(cat "$T/pid")" = "$DAEMON_PID" ] || fail "the pid file holds '$(cat "$T/pid")', not $DAEMON_PID"
exec 3<>"$MNT/d/console0" || fail "open"
exec 3>&-
t0=$(date +%s%N)
fusermount3 -u "$MNT" || fail "fusermount3 -u failed"
wait_for 2 proc_ended "$DAEMON_PID" || fail "the daemon still runs 2 s after fusermount3 -u"
st=0
wait "$DAEMON_PID" || st=$?
note "the daemon exited with status $st $((($(date +%s%N) - t0) / 1000000)) ms after fusermount3 -u"
DAEMON_PID=
[ "$st" = 0 ] || fail "the daemon exited with status $st"
[ ! -e "$T/pid" ] || fail "the pid file was left behind"
grep -q "was unmounted" "$DAEMON_LOG" || fail "the log does not say the mount went away"
