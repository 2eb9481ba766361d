#!/bin/bash
# Forged locks are no denial of service: in a lock directory of mode 1777
# (as /var/lock on Debian), an unprivileged user plants LCK..pts_N naming
# pid 1. A live pid is honoured only when the lock file belongs to root or
# to that process's uid, so this one is logged as forged and treated as
# stale: the console opens, the daemon's own lock replaces it for the
# session and goes at the end. A lock the same user makes for a process of
# their own is genuine: honoured (EBUSY, user.holder names it) and left in
# place. A zombie holds no files: a lock naming one is stale too.
# (Before: EBUSY for ever, for both the forged and the zombie lock.)
. "$(dirname "$0")/../lib.sh"
need python3 getfattr setpriv
chmod 755 "$T"
chmod 1777 "$LOCKDIR"
mount_pty_console
as_user() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }

# 1. Forged: a file of nobody naming pid 1 (a root process).
as_user sh -c "printf '%10d\n' 1 > '$L'" || fail "nobody cannot write in the 1777 lock directory"
[ "$(stat -c %u "$L")" = 65534 ] || fail "the planted lock is not nobody's"
[ -z "$(getfattr --absolute-names --only-values -n user.holder "$F" 2>/dev/null)" ] ||
	fail "user.holder names the forged lock: $(xattr "$F" user.holder)"
answers_fast "$F"
hold_open "$F"
printf '%10d\n' "$DAEMON_PID" > "$T/want"
cmp -s "$L" "$T/want" || fail "lock during the session: '$(cat "$L")', not the daemon's pid"
[ "$(stat -c %u "$L")" = 0 ] || fail "the lock during the session is not root's"
grep -q "$L names pid 1 (uid 0) but belongs to uid 65534: forged" "$DAEMON_LOG" ||
	fail "the forged lock was not logged"
hold_close
wait_for 5 test ! -e "$L" || fail "lock left after the session ended: '$(cat "$L")'"
note "forged lock of pid 1 by nobody: logged, replaced, session ran"

# 2. Genuine: nobody's own process, named by nobody's file.
setpriv --reuid 65534 --regid 65534 --clear-groups sleep 100000 &
npid=$!
at_exit "kill $npid"
as_user sh -c "printf '%10d\n' $npid > '$L'"
cp -p "$L" "$T/genuine"
r=$(open_errno "$F")
[ "$r" = EBUSY ] || fail "open with nobody's genuine lock: $r, want EBUSY"
h=$(xattr "$F" user.holder)
[ "$h" = "lock=$L pid=$npid comm=sleep" ] || fail "user.holder with the genuine lock: '$h'"
answers_fast "$F"
cmp -s "$L" "$T/genuine" && [ "$(stat -c %u "$L")" = 65534 ] || fail "the genuine lock was touched"
kill "$npid"
wait "$npid" 2>/dev/null
rm -f "$L"
note "genuine lock of nobody's process: EBUSY, holder '$h', left alone"

# 3. A zombie: a child its parent has not reaped, named by root's file.
python3 -c '
import os, signal, sys
pid = os.fork()
if pid == 0:
    os._exit(0)
print(pid, flush=True)
signal.pause()
' > "$T/zombie" &
parent=$!
at_exit "kill $parent"
wait_for 5 test -s "$T/zombie" || fail "no zombie"
z=$(cat "$T/zombie")
wait_for 5 sh -c "sed 's/.*) //' /proc/$z/stat | cut -d' ' -f1 | grep -qx Z" || fail "pid $z is not a zombie"
printf '%10d\n' "$z" > "$L"
r=$(open_errno "$F")
[ "$r" = ok ] || fail "open with a lock naming zombie $z: $r, want ok"
wait_for 5 test ! -e "$L" || fail "lock left after the session ended: '$(cat "$L")'"
note "lock of zombie $z: stale"

# 4. A session whose opener became a zombie (it held the only fd): gone.
python3 -c '
import os, signal, sys
pid = os.fork()
if pid == 0:
    os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
    os._exit(0)
print(pid, flush=True)
signal.pause()
' "$F" > "$T/zsess" &
parent=$!
at_exit "kill $parent"
wait_for 5 test -s "$T/zsess" || fail "no zombie session"
z=$(cat "$T/zsess")
wait_for 5 sh -c "sed 's/.*) //' /proc/$z/stat | cut -d' ' -f1 | grep -qx Z" || fail "pid $z is not a zombie"
wait_for 5 sh -c "[ \"\$(python3 -c '
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)); print(\"ok\")
except OSError as e:
    print(errno.errorcode[e.errno])' '$F')\" = ok ]" || fail "the zombie's session still holds the console"
stop_fs || fail "daemon exited $?"
