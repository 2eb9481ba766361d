#!/bin/bash
# lock-symlink — a tty: backend named through a symbolic link (as
# /dev/serial/by-id/... names a USB adapter) is locked under the real
# device's name, LCK..pts_N for a pty, which is what minicom takes for that
# port: while consolefs holds it, `minicom -D /dev/pts/N` is refused; while
# minicom holds it, opening the console is EBUSY and user.holder names
# minicom's lock; no lock is left when the session ends.
. "$(dirname "$0")/../lib.sh"
need python3 tmux minicom getfattr
# minicom looks for locks only in /var/lock.
[ -d /var/lock ] && [ -w /var/lock ] || skip "/var/lock is not a writable directory"

make_pty a
P=$PTY_a
L=$(lock_file_for "$P" /var/lock)
at_exit "lock_cleanup '$L'"
lock_cleanup "$L"
[ -e "$L" ] && skip "$L is held by a running process: $(cat "$L")"
ln -s "$P" "$T/by-id-link"
printf '[domain d]\nserial0 = tty:%s,115200\n' "$T/by-id-link" > "$CONF"
mount_fs --lock-dir /var/lock
F=$MNT/d/serial0
minicom_cmd="env TERM=screen MINICOM= minicom -b 115200 -D $P"

# 1. consolefs holds the port: its lock is the real device's.
hold_open "$F"
printf '%10d\n' "$DAEMON_PID" > "$T/want"
wait_for 5 test -e "$L" ||
	fail "no lock $L while consolefs holds $T/by-id-link -> $P (locks: $(ls /var/lock))"
cmp -s "$L" "$T/want" || fail "$L does not hold the daemon's pid: '$(cat "$L")'"
note "consolefs holds $T/by-id-link: lock $L"

# 2. minicom on the real device is refused.
tmux_start m1 "$minicom_cmd; echo \"minicom exit status \$?\"; exec sleep 100000"
lock_own "$(tmux_pid m1)"
tmux_wait m1 "minicom exit status"
tmux_wait m1 "^Device $P is locked\\.\$"
tmux_wait m1 "^minicom exit status 1\$"
note "minicom -D $P: locked, exit status 1"

# 3. The session ends: no lock left.
hold_close
wait_for 5 test ! -e "$L" || fail "lock left after the session ended: '$(cat "$L")'"

# 4. minicom holds the real device: the console through the link is EBUSY
#    and user.holder names minicom's lock.
tmux_start m2 "exec $minicom_cmd"
tmux_wait m2 "Press CTRL-A Z for help"
mpid=$(tmux_pid m2)
lock_own "$mpid"
wait_for 5 test -s "$L" || fail "minicom made no lock $L"
r=$(open_errno "$F")
[ "$r" = EBUSY ] || fail "open while minicom holds $P: $r, want EBUSY"
h=$(xattr "$F" user.holder)
[ "$h" = "lock=$L pid=$mpid comm=minicom" ] || fail "user.holder while minicom holds $P: '$h'"
note "minicom holds $P: open EBUSY, holder '$h'"
kill -KILL "$mpid"
wait_for 5 proc_ended "$mpid" || fail "minicom $mpid did not end"
