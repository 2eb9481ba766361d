#!/bin/bash
# user.force ends the session that holds a console at once: a cat blocked
# in read exits within 100 ms of setfattr returning, with "Connection reset
# by peer" and a non-zero status, and the console's UUCP lock file is gone.
# Later reads and writes on a displaced session fail with ECONNRESET too.
. "$(dirname "$0")/../lib.sh"
need python3 setfattr
make_pty p
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$PTY_p
[domain e]
console0 = exec:/bin/sh -c 'exec sleep 100000'
EOF
mount_fs
lock=$(lock_file_for "$PTY_p" "$LOCKDIR")	# /dev/pts/7 -> LCK..pts_7

# 1. pty: backend: a cat blocked in read, its lock file in $LOCKDIR.
python3 - "$MNT/d/console0" "$lock" "$DAEMON_PID" <<'PY' || fail "blocked cat"
import os, platform, subprocess, sys, time
path, lock, daemon = sys.argv[1], sys.argv[2], int(sys.argv[3])
# read(2)'s number, to see cat sleep in it; elsewhere: a fixed pause.
READ = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())
cat = subprocess.Popen(["cat", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
# Wait until cat holds the console (its lock appears) and sleeps in read().
deadline = time.monotonic() + 5
while True:
    assert cat.poll() is None, "cat ended early: %r" % cat.stderr.read()
    if os.path.exists(lock):
        if READ is None:
            time.sleep(0.3)
            break
        with open("/proc/%d/syscall" % cat.pid) as f:
            if f.read().split()[0] == READ:
                with open("/proc/%d/stat" % cat.pid) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "S":
                        break
    assert time.monotonic() < deadline, "cat never blocked in read"
    time.sleep(0.01)
with open(lock) as f:
    content = f.read()
assert content == "%10d\n" % daemon, "lock content %r" % content
time.sleep(0.2)
assert cat.poll() is None, "cat ended before the force"
subprocess.run(["setfattr", "-n", "user.force", "-v", "1", path], check=True)
t = time.monotonic()
try:
    err = cat.communicate(timeout=5)[1].decode()
except subprocess.TimeoutExpired:
    cat.kill()
    sys.exit("cat still running 5 s after the force")
ms = (time.monotonic() - t) * 1000
print("cat ended %.1f ms after setfattr returned, status %d, stderr %r"
      % (ms, cat.returncode, err))
assert ms < 100, "cat took %.1f ms to end" % ms
assert cat.returncode != 0, "cat exited 0"
assert err == "cat: %s: Connection reset by peer\n" % path, err
assert not os.path.exists(lock), "lock file %s still there" % lock
PY
# The console is free (and the pty usable) again for the forcer's session.
exec 3<>"$MNT/d/console0" || fail "console not free after the force"
[ -e "$lock" ] || fail "a new session did not take the lock again"
exec 3>&-
wait_for 2 test ! -e "$lock" || fail "lock not removed at close"

# 2. A displaced session: every later read and write is ECONNRESET, and
# poll reports it (exec: backend, which keeps running).
python3 - "$MNT/e/console0" <<'PY' || fail "displaced session"
import errno, os, select, subprocess, sys
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
subprocess.run(["setfattr", "-n", "user.force", "-v", "1", path], check=True)
r, w, _ = select.select([fd], [fd], [], 2)
assert r and w, "select did not report the reset"
for i in range(3):
    for what, op in (("read", lambda: os.read(fd, 100)),
                     ("write", lambda: os.write(fd, b"x"))):
        try:
            op()
            sys.exit("%s after the force succeeded" % what)
        except OSError as e:
            assert e.errno == errno.ECONNRESET, "%s: %s" % (what, e)
os.close(fd)
fd = os.open(path, os.O_RDWR)    # the console itself still works
os.close(fd)
print("displaced session: read/write ECONNRESET")
PY
