#!/bin/bash
# A relative --lock-dir means the directory it names from where consolefs
# was started, also once it has become a daemon (which works in /): the
# lock file of a session appears there, with the daemon's pid, and goes at
# the end. (Before: the daemon looked for "rel-locks" under /, found
# nothing, and silently took no UUCP locks at all.)
. "$(dirname "$0")/../lib.sh"
need python3
make_pty a
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$PTY_a
EOF
mkdir "$T/rel-locks"
L=$(lock_file_for "$PTY_a" "$T/rel-locks")
# As a daemon (no -f), started in $T.
( cd "$T" && exec "$CONSOLEFS" -c "$CONF" --lock-dir rel-locks "$MNT" ) ||
	fail "the daemon did not start"
wait_for 10 mountpoint -q "$MNT" || fail "mount did not appear"
# Its pid: the consolefs whose command line names our mount point.
for p in /proc/[0-9]*; do
	c=$({ tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null)
	case $c in "$CONSOLEFS "*"$MNT ") DAEMON_PID=${p#/proc/} ;; esac
done
[ -n "$DAEMON_PID" ] || fail "cannot find the daemon"
[ "$(readlink "/proc/$DAEMON_PID/cwd")" = / ] || fail "the daemon works in $(readlink "/proc/$DAEMON_PID/cwd"), not /"
answers_fast "$MNT/d/console0"
hold_open "$MNT/d/console0"
[ -f "$L" ] || fail "no lock file $L during a session (ls: $(ls "$T/rel-locks"))"
[ "$(tr -d ' \n' < "$L")" = "$DAEMON_PID" ] || fail "the lock names '$(cat "$L")', not the daemon $DAEMON_PID"
hold_close
wait_for 5 test ! -e "$L" || fail "lock left after the session ended"
note "relative --lock-dir: $L held by the daemon ($DAEMON_PID) during the session"
