#!/bin/bash
# A lock is stale only when its process is gone: a lock naming a dead pid is
# replaced on open (logged; the daemon's pid as "%10d\n"; removed at the end
# of the session), a lock naming pid 1 is honoured (EBUSY, user.holder says
# pid=1) and left as it was.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
mount_pty_console

# 1. A dead pid: a child that has exited and been reaped.
sh -c 'exit 0' &
dead=$!
wait "$dead"
kill -0 "$dead" 2>/dev/null && skip "pid $dead was reused at once"
printf '%10d\n' "$dead" > "$L"
hold_open "$F"
printf '%10d\n' "$DAEMON_PID" > "$T/want"
cmp -s "$L" "$T/want" || fail "lock during the session: '$(od -c "$L")', want the daemon's pid as %10d\\n"
grep -q "removed stale lock $L of pid $dead" "$DAEMON_LOG" || fail "removing the stale lock of pid $dead was not logged"
hold_close
wait_for 5 test ! -e "$L" || fail "lock left after the session ended: '$(cat "$L")'"

# 2. pid 1 is alive: the lock is honoured and not touched.
printf '%10d\n' 1 > "$L"
cp -p "$L" "$T/pid1"
before=$(stat -c '%i %s %Y' "$L")
r=$(open_errno "$F")
[ "$r" = EBUSY ] || fail "open with a lock naming pid 1: $r, want EBUSY"
h=$(getfattr --absolute-names --only-values -n user.holder "$F" 2>&1)
[ "$h" = "lock=$L pid=1 comm=$(cat /proc/1/comm)" ] || fail "user.holder with a lock naming pid 1: '$h'"
cmp -s "$L" "$T/pid1" && [ "$(stat -c '%i %s %Y' "$L")" = "$before" ] ||
	fail "the lock of pid 1 was changed: '$(od -c "$L" 2>&1)'"
note "pid 1 holds: open EBUSY, holder '$h'"

# Once pid 1's lock is gone the device is free again.
rm -f "$L"
r=$(open_errno "$F")
[ "$r" = ok ] || fail "open after the lock of pid 1 was removed: $r"
wait_for 5 test ! -e "$L" || fail "lock left after the session ended: '$(cat "$L")'"
