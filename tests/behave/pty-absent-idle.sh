#!/bin/bash
# Absent pty: devices cost nothing while they wait: with 2,000 devices on
# paths where nothing is (guests not started), the daemon does not wake up
# (no looking every second: their directories are watched for their
# names), and a link made at one of the paths later (QEMU 9's
# -chardev pty,path=) is followed at once: the device is present and a
# session reaches the pseudo-terminal behind it.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
N=2000
{
	printf '[domain vm]\nserial0 = pty:%s\n' "$T/vm.pty"
	for i in $(seq 1 $N); do
		printf '[domain d%d]\nconsole0 = pty:%s/absent/%d.pty\n' "$i" "$T" "$i"
	done
} >"$CONF"
mkdir "$T/absent"
mount_fs
F=$MNT/vm/serial0
[ "$(xattr "$F" user.state)" = absent ] || fail "vm/serial0: '$(xattr "$F" user.state)', want absent"
sleep 1.5	# the first captures are done, and a poll would have come by now

wakes() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$DAEMON_PID/status"; }
cpu() { awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat"; }
w0=$(wakes) c0=$(cpu)
sleep 2
w1=$(wakes) c1=$(cpu)
note "$((N + 1)) absent devices for 2 s: $((w1 - w0)) wake-ups, $((c1 - c0)) ticks of CPU"
# One stray event is allowed (anything made in /tmp by another program
# wakes the directory's watch, even for a name nobody here wants).
[ $((w1 - w0)) -le 1 ] || fail "the daemon woke $((w1 - w0)) times in 2 s with only absent devices"

# The guest starts: its link appears, and is followed without a reload.
make_pty a
ln -s "$PTY_a" "$T/vm.pty"
wait_for 2 sh -c "[ \"\$(getfattr --absolute-names --only-values -n user.state '$F' 2>/dev/null)\" != absent ]" ||
	fail "vm/serial0 after the link: '$(xattr "$F" user.state)'"
note "after the link: $(xattr "$F" user.state)"
exec 3<>"$F"
printf 'hello guest\n' >&3
wait_for 5 grep -q 'hello guest' "$T/a.out" || fail "the session did not reach the pseudo-terminal behind the link"
exec 3>&-
