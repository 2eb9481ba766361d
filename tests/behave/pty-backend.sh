#!/bin/bash
# pty: backend on a pair the test creates: bytes go both ways; after the
# far side hangs up the session reads end of file, and the daemon does not
# spin on the dead terminal (its CPU time stays flat over 2 s).
. "$(dirname "$0")/../lib.sh"
need python3
make_pty a
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$PTY_a
EOF
mount_fs
exec 3<>"$MNT/d/console0"
cat <&3 >"$T/session.out" &
catpid=$!
at_exit "kill $catpid"
# session -> far side
printf 'to-the-guest\n' >&3
wait_for 5 grep -q to-the-guest "$T/a.out" || fail "far side did not get the bytes"
# far side -> session
printf 'from-the-guest\n' >"$T/a.in"
wait_for 5 grep -q from-the-guest "$T/session.out" || fail "session did not get the bytes"
# the lock is held while the session is open
ls "$LOCKDIR" | grep -q "^LCK..pts_" || fail "no lock file while the session is open"
# far side hangs up: the pty helper closes the master and exits
printf 'HANGUP\n' >"$T/a.in"
for _ in $(seq 250); do kill -0 $catpid 2>/dev/null || break; sleep 0.02; done
kill -0 $catpid 2>/dev/null && fail "session did not read end of file after the hang-up"
wait $catpid || fail "cat ended with status $?"
exec 3>&-
cpu() { awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat"; }
before=$(cpu)
sleep 2
after=$(cpu)
note "daemon CPU ticks over 2 s after the hang-up: $((after - before))"
[ $((after - before)) -le 5 ] || fail "daemon used $((after - before)) ticks in 2 s: spinning"
wait_for 2 sh -c "! ls '$LOCKDIR' | grep -q ." || fail "lock file left behind: $(ls "$LOCKDIR")"
# the pty is gone: a new open says the backend is absent (unless another
# program has been given the same pts number meanwhile)
if [ ! -e "$PTY_a" ]; then
	python3 - "$MNT/d/console0" <<'PY' || fail "open after hang-up"
import errno, os, sys
try:
    os.open(sys.argv[1], os.O_RDWR)
    sys.exit("opened a console whose pty is gone")
except OSError as e:
    assert e.errno == errno.ENXIO, e
PY
	[ "$(getfattr --only-values -n user.state "$MNT/d/console0")" = absent ] || fail "user.state is not 'absent'"
fi
