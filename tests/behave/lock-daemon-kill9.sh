#!/bin/bash
# The daemon's own locks: after kill -9 of a daemon with a session open,
# the lock it leaves is stale, and a new daemon on the same lock directory
# replaces it on open; SIGTERM with a session open removes the daemon's
# lock file.
. "$(dirname "$0")/../lib.sh"
need python3
mount_pty_console

# 1. kill -9 with a session open: the lock stays, naming the dead daemon.
hold_open "$F"
printf '%10d\n' "$DAEMON_PID" > "$T/want"
cmp -s "$L" "$T/want" || fail "lock during the session: '$(od -c "$L" 2>&1)'"
old=$DAEMON_PID
kill -KILL "$old"
wait "$old" 2>/dev/null
DAEMON_PID=
umount -l "$MNT" || fail "cannot unmount the dead daemon's mount"
hold_close
cmp -s "$L" "$T/want" || fail "the killed daemon's lock changed: '$(od -c "$L" 2>&1)' (test premise)"

# A new daemon on the same lock directory replaces the stale lock.
mount_fs
r=$(open_errno "$F")
[ "$r" = ok ] || fail "open after the daemon was killed and restarted: $r, want ok"
grep -q "removed stale lock $L of pid $old" "$DAEMON_LOG" || fail "removing the dead daemon's lock was not logged"
wait_for 5 test ! -e "$L" || fail "lock left after the session ended: '$(cat "$L")'"

# 2. SIGTERM with a session open removes the daemon's lock.
hold_open "$F"
printf '%10d\n' "$DAEMON_PID" > "$T/want"
cmp -s "$L" "$T/want" || fail "lock during the session: '$(od -c "$L" 2>&1)'"
stop_fs || fail "daemon exited with status $? on SIGTERM"
dir_empty "$LOCKDIR" || fail "after SIGTERM the lock directory holds: $(ls -A "$LOCKDIR") ('$(cat "$L" 2>&1)')"
hold_close
