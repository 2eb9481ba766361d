#!/bin/bash
# user.holder names who holds the session now: after the opener exited
# while a child it started keeps the console open, the child (found through
# /proc), not the dead opener. A force reservation shows as "reserved for
# sid=N, K s left", and consolectl force says what it did.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr setsid
mount_echo_console
F=$MNT/d/console0
# The opener opens the console, starts a child that inherits it, exits.
python3 - "$F" "$T/child" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.set_inheritable(fd, True)
pid = os.fork()
if pid == 0:
    os.execvp("sleep", ["sleep", "1000"])
open(sys.argv[2], "w").write("%d %d\n" % (os.getpid(), pid))
PY
read opener child < "$T/child"
at_exit "kill $child"
wait_for 5 proc_ended "$opener" || fail "opener did not exit"
h=$(xattr "$F" user.holder)
[ "$h" = "pid=$child uid=0 comm=sleep" ] || fail "holder after the opener exited: '$h' (opener $opener, child $child)"
[ "$(open_errno "$F")" = EBUSY ] || fail "console not held by the child"
kill "$child"
wait_for 5 sh -c "! getfattr -n user.holder '$F' >/dev/null 2>&1" || fail "holder still set after the child ended: $(xattr "$F" user.holder)"

# A session opened by a live process is named as before.
hold_open "$F"
h=$(xattr "$F" user.holder)
[[ $h == "pid=$HOLD_PID uid=0 comm=python3" ]] || fail "holder of a live opener: '$h'"
# consolectl force: what it did, then the reservation in user.holder.
out=$(setsid "$CONSOLECTL" -m "$MNT" force d/console0) || fail "consolectl force failed: $out"
[[ $out == "Took over d/console0 from pid=$HOLD_PID uid=0 comm=python3: reserved for sid="*", "[0-9]" s left (opens from this login session only)" ]] ||
	fail "consolectl force said: '$out'"
h=$(xattr "$F" user.holder)
[[ $h =~ ^reserved\ for\ sid=[0-9]+,\ [0-9]+\ s\ left$ ]] || fail "holder during the reservation: '$h'"
note "force: $out"
