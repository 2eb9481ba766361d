#!/bin/bash
# One daemon per mount point, and a restart after kill -9 just works:
#  1. a daemon killed with -9 leaves a dead mount ("Transport endpoint is
#     not connected"); a new daemon on the same mount point clears it
#     (logged) and serves, with one consolefs mount there, not two;
#  2. a second daemon on a mount point a live daemon serves exits 1 with a
#     message, mounts nothing, starts none of its exec: programs, and the
#     first one goes on answering;
#  3. the same when the live daemon is stopped (SIGSTOP) and cannot answer:
#     its mount is never taken for dead.
# (Before: 1 failed until fusermount3 -uz; 2 and 3 mounted on top and
# started every exec: program a second time.)
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
DUR=7777$$	# a sleep only this test runs
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'echo READY; exec sleep $DUR'
EOF
# The processes that run our exec: program: an argument is $DUR (one
# grep over every command line, NUL-separated, so that polling stays cheap;
# the [7] keeps grep from finding its own command line).
copy_pids() {
	grep -lsxza -- "[${DUR:0:1}]${DUR:1}" /proc/[0-9]*/cmdline | sed 's|^/proc/\([0-9]*\)/cmdline$|\1|'
}
copies() { copy_pids | wc -l; }
copies_are() { [ "$(copies)" = "$1" ]; }
consolefs_mounts() { awk -v m="$MNT" '$5 == m && / - fuse.consolefs / { n++ } END { print n + 0 }' /proc/self/mountinfo; }

# 1. kill -9, then a new daemon.
mount_fs
wait_ready d
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
err=$(stat "$MNT" 2>&1) && fail "the killed daemon's mount still answers"
case $err in *"not connected"*) ;; *) fail "stat of the dead mount: $err" ;; esac
# kill -9 left the exec: program behind (orphaned): it is ours, end it.
for p in $(copy_pids); do kill -KILL "$p"; done
wait_for 5 copies_are 0 || fail "the old exec: program does not go"
mount_fs
# (mountpoint -q, which mount_fs waits for, may take the dead mount for a
# live one while the kernel still has its attributes cached.)
wait_for 10 sh -c "[ \$(grep -c 'main: serving' '$DAEMON_LOG') = 2 ]" || fail "the new daemon does not serve"
grep -q "cleared a dead consolefs mount on $MNT" "$DAEMON_LOG" || fail "clearing the dead mount was not logged"
[ "$(consolefs_mounts)" = 1 ] || fail "$(consolefs_mounts) consolefs mounts on $MNT"
wait_ready d
answers_fast "$MNT/d/console0"
wait_for 5 copies_are 1 || fail "$(copies) copies of the exec: program"
note "restart after kill -9: dead mount cleared, one mount, serving"

# 2. A second daemon while this one serves.
second() {
	local st=0
	timeout -k 2 20 "$CONSOLEFS" -f -c "$CONF" --lock-dir "$LOCKDIR" "$MNT" > "$T/second.out" 2>&1 || st=$?
	echo "$st"
}
st=$(second)
[ "$st" = 1 ] || { cat "$T/second.out" >&2; fail "a second daemon exited $st, not 1"; }
grep -q "already serves this mount point" "$T/second.out" || fail "the second daemon said: $(cat "$T/second.out")"
[ "$(consolefs_mounts)" = 1 ] || fail "$(consolefs_mounts) consolefs mounts after the second daemon"
[ "$(copies)" = 1 ] || fail "$(copies) copies of the exec: program after the second daemon"
answers_fast "$MNT/d/console0"
[ "$(xattr "$MNT/d/console0" user.state)" = running ] || fail "the first daemon's console: $(xattr "$MNT/d/console0" user.state)"
note "second daemon: $(cat "$T/second.out")"

# 3. The same while the first daemon is stopped: it must not look dead.
kill -STOP "$DAEMON_PID"
at_exit "kill -CONT $DAEMON_PID"
st=$(second)
kill -CONT "$DAEMON_PID"
[ "$st" = 1 ] || { cat "$T/second.out" >&2; fail "a second daemon (first one stopped) exited $st, not 1"; }
grep -q "does not answer" "$T/second.out" || fail "the second daemon said: $(cat "$T/second.out")"
[ "$(consolefs_mounts)" = 1 ] || fail "$(consolefs_mounts) consolefs mounts after the second daemon"
[ "$(copies)" = 1 ] || fail "$(copies) copies of the exec: program"
answers_fast "$MNT/d/console0"
note "second daemon, first stopped: $(cat "$T/second.out")"
stop_fs || fail "daemon exited $?"
