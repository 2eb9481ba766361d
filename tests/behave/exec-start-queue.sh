#!/bin/bash
# 2,000 exec: consoles start a batch at a time while the tree is served:
# right after the mount appears, the tree lists every domain while programs
# are still starting (user.state "starting" for those not started yet), an
# open of a console whose program has not started yet does not wait for
# the queue: it starts that program and answers as it would later (ENXIO
# with the reason for a missing command, a working session for an echo),
# and in the end every program runs.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
N=2000
[ "$(cat /proc/sys/kernel/pty/max)" -gt $(($(cat /proc/sys/kernel/pty/nr) + N + 100)) ] ||
    skip "kernel.pty.max too low for $N consoles"
[ "$(ulimit -n)" -gt $((N + 100)) ] || ulimit -n $((N + 200)) 2>/dev/null || skip "fd limit too low"
{
	for i in $(seq 1 $N); do printf '[domain d%d]\nc = exec:/bin/sleep 1000000\n' "$i"; done
	printf '[domain last]\nmissing = exec:consolefs-no-such-command-q\n'
	printf "echo = exec:/bin/sh -c 'stty raw -echo; exec cat'\n"
} >"$CONF"
mount_fs
children() { wc -w <"/proc/$DAEMON_PID/task/$DAEMON_PID/children"; }
# The tree is served while programs start.
[ "$(ls "$MNT" | grep -c '^d[0-9]')" = $N ] || fail "not every domain listed"
started=$(children)
[ "$started" -lt $N ] || note "(every program had started already: the queue was not seen)"
[ "$started" -lt $N ] && { [ "$(xattr "$MNT/d$N/c" user.state)" = starting ] ||
    [ "$(children)" -ge $N ] || fail "d$N/c state '$(xattr "$MNT/d$N/c" user.state)' while queued"; }
# The last consoles are queued behind 2,000 others: opens answer at once.
[ "$(open_errno "$MNT/last/missing")" = ENXIO ] || fail "open of a queued missing command: $(open_errno "$MNT/last/missing")"
[ "$(xattr "$MNT/last/missing" user.state)" = "failed: cannot execute consolefs-no-such-command-q: No such file or directory" ] ||
    fail "state of the missing command: '$(xattr "$MNT/last/missing" user.state)'"
python3 - "$MNT/last/echo" <<'PY' || fail "session on a queued echo console"
import os, sys, select
fd = os.open(sys.argv[1], os.O_RDWR)
# the program may still be setting its terminal raw: retry until echoed
got = b""
for _ in range(50):
    os.write(fd, b"x")
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        got += os.read(fd, 100)
        if b"x" in got:
            break
assert b"x" in got, got
os.close(fd)
PY
note "$started of $N programs running when the first open came; $(children) after the opens"
wait_for 60 sh -c "[ \$(wc -w </proc/$DAEMON_PID/task/$DAEMON_PID/children) -ge $((N + 1)) ]" ||
    fail "only $(children) programs running in the end"
[ "$(xattr "$MNT/d$N/c" user.state)" = running ] || fail "d$N/c state in the end: '$(xattr "$MNT/d$N/c" user.state)'"
stop_fs || fail "daemon exited with status $?"
