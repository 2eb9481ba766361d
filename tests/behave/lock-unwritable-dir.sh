#!/bin/bash
# A lock directory the daemon cannot write (here a read-only bind mount) is
# not an error: sessions work (bytes both ways through the pty), no lock
# file is made, the log says so exactly once however many sessions there
# are, and a live lock already in that directory is still honoured (EBUSY).
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
make_pty a
make_pty b
D=$T/lockrw
D2=$T/lockro
mkdir -p "$D" "$D2"
LB=$(lock_file_for "$PTY_b" "$D2")
# pid 1's lock on pty b, made before the directory turns read-only.
printf '%10d\n' 1 > "$D/${LB##*/}"
mount --bind "$D" "$D2" 2>/dev/null || skip "cannot bind-mount (not root?)"
at_exit "umount -l '$D2'"
mount -o remount,bind,ro "$D2" || fail "cannot remount $D2 read-only"
touch "$D2/probe" 2>/dev/null && fail "$D2 is still writable"
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$PTY_a
console1 = pty:$PTY_b
EOF
mount_fs --lock-dir "$D2"
wait_for 5 grep -q "(lock directory $D2)" "$DAEMON_LOG" || fail "daemon does not use $D2"

# Said once: the log lines about the lock directory or failing locks, but
# for the start-up line naming the directory.
about_dir() { grep -v ': main: serving ' "$DAEMON_LOG" | grep -iE -e "$D2" -e "not writable|read-only|cannot (create|take|remove)"; }

# Sessions on console0: bytes both ways, and no lock file appears.
sessions() {
	python3 - "$MNT/d/console0" "$T/a.out" "$T/a.in" "$D2" "$1" <<'PY' || fail "sessions on console0"
import os, select, sys, time
dev, out, fifo, lockdir, n = sys.argv[1:6]
expect = sorted(os.listdir(lockdir))
def wait(cond, what):
    end = time.monotonic() + 5
    while not cond():
        assert time.monotonic() < end, what
        time.sleep(0.01)
for i in range(int(n)):
    fd = os.open(dev, os.O_RDWR | os.O_NOCTTY)
    assert sorted(os.listdir(lockdir)) == expect, "lock dir now %s" % os.listdir(lockdir)
    # session -> pty
    msg = b"to-pty-%d\n" % i
    os.write(fd, msg)
    wait(lambda: msg in open(out, "rb").read(), "%r never reached the pty" % msg)
    # pty -> session
    msg = b"from-pty-%d\n" % i
    with open(fifo, "wb") as f:
        f.write(msg)
    got = b""
    while msg not in got:
        r, _, _ = select.select([fd], [], [], 5)
        assert r, "%r never reached the session (got %r)" % (msg, got)
        got += os.read(fd, 4096)
    os.close(fd)
print("%s sessions ok" % n)
PY
}
sessions 3
n=$(about_dir | wc -l)
[ "$n" -eq 1 ] || { about_dir >&2; fail "$n log lines about the unwritable lock directory after 3 sessions, want 1"; }

# The live lock there is honoured.
r=$(open_errno "$MNT/d/console1")
[ "$r" = EBUSY ] || fail "open of console1 with pid 1's lock in the read-only directory: $r, want EBUSY"
h=$(getfattr --absolute-names --only-values -n user.holder "$MNT/d/console1" 2>&1)
[ "$h" = "lock=$LB pid=1 comm=$(cat /proc/1/comm)" ] || fail "user.holder of console1: '$h'"

sessions 3
n=$(about_dir | wc -l)
[ "$n" -eq 1 ] || { about_dir >&2; fail "$n log lines about the unwritable lock directory after 6 sessions, want 1"; }
[ "$(ls -A "$D2")" = "${LB##*/}" ] || fail "lock directory now holds: $(ls -A "$D2")"
about_dir | sed 's/^/  log: /' >&2
