#!/bin/bash
# capture = yes (the default) on a pty: the device is held open from the
# start, whether or not a session is open: what the far side prints while
# nobody is attached is in <dev>.log; a session gets what comes while it is
# open; closing and reopening the console file never closes the pty; no
# lock file is held while no session is open, both names while one is.
. "$(dirname "$0")/../lib.sh"
need python3
mount_pty_console
N=${P#/dev/pts/}
# The daemon has the pty open: an fd of its links to it.
holds_pty() { ls -l "/proc/$DAEMON_PID/fd" 2>/dev/null | grep -q " -> $P\$"; }
wait_for 5 holds_pty || fail "the daemon does not hold $P with no session open"
dir_empty "$LOCKDIR" || fail "locks held with no session open: $(ls -A "$LOCKDIR")"
[ "$(xattr "$F" user.state)" = present ] || fail "user.state: '$(xattr "$F" user.state)'"

# Printed while nobody is attached: in the log.
printf 'boot line 1\r\nboot line 2\r\n' >"$T/a.in"
wait_for 5 grep -q 'boot line 2' "$F.log" || fail "detached output not in $F.log: '$(cat "$F.log")'"

# A session: both ways, both lock names, and the log keeps growing.
exec 3<>"$F"
cat <&3 >"$T/s1.out" &
catpid=$!
at_exit "kill $catpid"
[ -e "$LOCKDIR/LCK..pts_$N" ] && [ -e "$LOCKDIR/LCK.._pts_$N" ] ||
	fail "lock names while a session is open: $(ls -A "$LOCKDIR")"
printf 'in session\r\n' >"$T/a.in"
wait_for 5 grep -q 'in session' "$T/s1.out" || fail "session did not get 'in session'"
printf 'typed\n' >&3
wait_for 5 grep -q typed "$T/a.out" || fail "far side did not get what was typed"
grep -q 'boot line' "$T/s1.out" && fail "a new session was given the old output"
kill "$catpid"; wait "$catpid" 2>/dev/null
exec 3>&-
wait_for 5 dir_empty "$LOCKDIR" || fail "locks left after the session: $(ls -A "$LOCKDIR")"
holds_pty || fail "closing the session closed the pty"

# Between sessions: still captured.
printf 'between sessions\r\n' >"$T/a.in"
wait_for 5 grep -q 'between sessions' "$F.log" || fail "output between sessions not in the log"
sleep 1.2	# past the reopen window: a new session starts afresh
exec 3<>"$F"
cat <&3 >"$T/s2.out" &
catpid=$!
at_exit "kill $catpid"
printf 'second session\r\n' >"$T/a.in"
wait_for 5 grep -q 'second session' "$T/s2.out" || fail "second session did not get its output"
for l in 'boot line 1' 'boot line 2' 'in session' 'between sessions' 'second session'; do
	grep -q "$l" "$F.log" || fail "'$l' missing from the log"
done
exec 3>&-
