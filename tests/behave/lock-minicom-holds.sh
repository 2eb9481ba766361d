#!/bin/bash
# consolefs and minicom share the UUCP lock in /var/lock: while minicom has
# a pty open, opening the consolefs device on it is EBUSY and user.holder
# names minicom; the lock a killed minicom leaves is stale and replaced (now
# naming the daemon, "%10d\n"); while consolefs holds the device a new
# minicom says it is locked; when the session ends no lock file is left.
. "$(dirname "$0")/../lib.sh"
need python3 tmux minicom getfattr
# minicom looks for locks only in /var/lock (a symlink to /run/lock on Debian).
[ -d /var/lock ] && [ -w /var/lock ] || skip "/var/lock is not a writable directory"

make_pty a
P=$PTY_a
L=$(lock_file_for "$P" /var/lock)
at_exit "lock_cleanup '$L'"
# A lock for the pty we just made can only be a stale leftover.
lock_cleanup "$L"
[ -e "$L" ] && skip "$L is held by a running process: $(cat "$L")"
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$P
EOF
# The later --lock-dir wins over the one mount_fs gives.
mount_fs --lock-dir /var/lock
wait_for 5 grep -q "(lock directory /var/lock)" "$DAEMON_LOG" || fail "daemon does not use /var/lock"
F=$MNT/d/console0

# Without -o: -o is "do not initialize modem & lockfiles".
minicom_cmd="env TERM=screen MINICOM= minicom -b 115200 -D $P"

# 1. minicom holds the pty: EBUSY, and user.holder names minicom.
tmux_start m1 "exec $minicom_cmd"
tmux_wait m1 "Press CTRL-A Z for help"
mpid=$(tmux_pid m1)
lock_own "$mpid"
wait_for 5 test -s "$L" || fail "minicom made no lock $L"
[ "$(tr -d ' \n' <"$L")" = "$mpid" ] || fail "$L names $(cat "$L"), not minicom ($mpid)"
r=$(open_errno "$F")
[ "$r" = EBUSY ] || fail "open while minicom holds $P: $r, want EBUSY"
h=$(getfattr --absolute-names --only-values -n user.holder "$F" 2>&1)
[ "$h" = "lock=$L pid=$mpid comm=minicom" ] || fail "user.holder while minicom holds $P: '$h'"
note "minicom holds: open EBUSY, holder '$h'"

# 2. kill -9 minicom: its lock stays behind, stale; consolefs replaces it.
kill -KILL "$mpid"
# Until it is reaped its lock is not stale (kill(pid, 0) still succeeds).
wait_for 5 sh -c "! kill -0 $mpid 2>/dev/null" ||
	fail "killed minicom $mpid not reaped: $(cat /proc/$mpid/stat 2>&1)"
[ "$(tr -d ' \n' <"$L" 2>/dev/null)" = "$mpid" ] || fail "killed minicom left no lock (test premise)"
hold_open "$F"
printf '%10d\n' "$DAEMON_PID" > "$T/want"
cmp -s "$L" "$T/want" || fail "lock while consolefs holds $P: '$(od -c "$L")', want the daemon's pid as %10d\\n"
grep -q "removed stale lock $L of pid $mpid" "$DAEMON_LOG" || fail "removing the stale lock was not logged"

# 3. consolefs holds it: a new minicom says it is locked and exits 1.
tmux_start m2 "$minicom_cmd; echo \"minicom exit status \$?\"; exec sleep 100000"
lock_own "$(tmux_pid m2)"
tmux_wait m2 "minicom exit status"
tmux_wait m2 "^Device $P is locked\\.\$"
tmux_wait m2 "^minicom exit status 1\$"
cmp -s "$L" "$T/want" || fail "minicom changed the lock consolefs holds: '$(cat "$L")'"

# 4. The session ends: the lock goes with it.
hold_close
wait_for 5 test ! -e "$L" || fail "lock left after the session ended: '$(cat "$L")'"
r=$(open_errno "$F")
[ "$r" = ok ] || fail "open after the session ended: $r"
wait_for 5 test ! -e "$L" || fail "lock left after a short session: '$(cat "$L")'"
