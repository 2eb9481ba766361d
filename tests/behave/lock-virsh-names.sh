#!/bin/bash
# libvirt's lock name: virsh console takes and honours only LCK.._pts_N,
# minicom only LCK..pts_N. consolefs honours and takes both: a live
# LCK.._pts_N (as virsh console leaves it, "%10d\n" of libvirtd's pid)
# makes an open EBUSY and user.holder name it, and a capturing console steps
# aside for it (user.state "yielded to PID (comm)"); while a session holds
# the device both names exist with the daemon's pid, and are gone after.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
mount_pty_console
N=${P#/dev/pts/}
VL=$LOCKDIR/LCK.._pts_$N
holds_pty() { ls -l "/proc/$DAEMON_PID/fd" 2>/dev/null | grep -q " -> $P\$"; }
wait_for 5 holds_pty || fail "not capturing $P"

# A live process holds libvirt's name.
sleep 1000 &
holder=$!
at_exit "kill $holder"
printf '%10d\n' "$holder" >"$VL"
wait_for 1 sh -c "! ls -l /proc/$DAEMON_PID/fd | grep -q ' -> $P\$'" ||
	fail "the daemon still holds $P after libvirt's lock appeared"
st=$(xattr "$F" user.state)
[ "$st" = "yielded to $holder (sleep)" ] || fail "user.state while virsh's lock is there: '$st'"
r=$(open_errno "$F")
[ "$r" = EBUSY ] || fail "open while LCK.._pts_$N is held: $r, want EBUSY"
h=$(xattr "$F" user.holder)
[ "$h" = "lock=$VL pid=$holder comm=sleep" ] || fail "user.holder: '$h'"
# Bytes printed now are not read by consolefs.
printf 'for virsh\r\n' >"$T/a.in"
sleep 0.3
grep -q 'for virsh' "$F.log" && fail "consolefs read what was printed while virsh held the lock"

# The lock goes: capture resumes, a session takes both names.
rm -f "$VL"
wait_for 5 holds_pty || fail "capture did not resume after the lock went"
hold_open "$F"
printf '%10d\n' "$DAEMON_PID" >"$T/want"
for l in "$LOCKDIR/LCK..pts_$N" "$VL"; do
	cmp -s "$l" "$T/want" || fail "$l while a session is open: '$(cat "$l" 2>&1)'"
done
hold_close
wait_for 5 dir_empty "$LOCKDIR" || fail "locks left after the session: $(ls -A "$LOCKDIR")"
