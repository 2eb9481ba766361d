#!/bin/bash
# Restarting while a session is open: the old daemon unmounts at once but
# still answers the files left open (they read end of file, not ENOTCONN),
# a new daemon mounts the same path meanwhile, and the old one finishing
# never takes the new mount away; no unmount error is logged.
. "$(dirname "$0")/../lib.sh"
mount_echo_console
old=$DAEMON_PID
exec 3<>"$MNT/d/console0"
kill -TERM "$old"
wait_for 5 sh -c "! mountpoint -q '$MNT'" || fail "old mount still there"
mount_fs                                  # the new daemon, same path
new=$DAEMON_PID
out=$(timeout 5 cat <&3) || fail "open file of the old daemon did not read end of file (status $?)"
exec 3>&-
wait "$old" || fail "old daemon exited with status $?"
mountpoint -q "$MNT" || fail "the old daemon took the new daemon's mount away"
[ -e "$MNT/d/console0" ] || fail "new mount does not serve the tree"
grep -q "failed to unmount" "$DAEMON_LOG" && fail "unmount error logged"
kill -0 "$new" || fail "new daemon died"
