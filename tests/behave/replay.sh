#!/bin/bash
# replay = 100: a new session first reads exactly the last 100 bytes the
# console printed (once: a second session gets them again, as a new
# session, but the first never twice), then live output, with no gap and
# no duplicate between the two. replay = 3l counts lines. user.replay asks
# for one open from the same login session (consolectl attach --replay).
. "$(dirname "$0")/../lib.sh"
need python3
cat > "$CONF" <<CONF
[domain d]
replay = 100
console0 = exec:/bin/sh -c 'stty -echo; echo READY; exec cat'
lines.replay = 3l
lines = exec:/bin/sh -c 'stty -echo; echo READY; exec cat'
none.replay = 0
none = exec:/bin/sh -c 'stty -echo; echo READY; exec cat'
CONF
mount_fs
wait_ready d
wait_ready d lines
wait_ready d none
python3 - "$MNT/d" <<'PY' || fail "replay"
import os, select, sys, time
d = sys.argv[1]
def read_for(fd, secs):
    got, end = b"", time.monotonic() + secs
    while True:
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if not r:
            return got
        got += os.read(fd, 65536)
def scroll(name):
    return open("%s/%s.log" % (d, name), "rb").read()

# Fill the scrollback through a session, then let it go.
fd = os.open(d + "/console0", os.O_RDWR)
first = read_for(fd, 0.2)
os.write(fd, b"".join(b"%03d-abcdefghijklmnopqrstuvwxyz\n" % i for i in range(30)))
time.sleep(0.3)
read_for(fd, 0.2)
os.close(fd)
time.sleep(1.2)          # past the linger time: the next open is a new session
log = scroll("console0")
fd = os.open(d + "/console0", os.O_RDWR)
got = read_for(fd, 0.3)
assert got == log[-100:], "replay %r, want %r" % (got, log[-100:])
# Live output follows the replay directly, and nothing comes twice.
os.write(fd, b"live-1\n")
more = read_for(fd, 0.5)
assert more.replace(b"\r", b"") == b"live-1\n", "after the replay: %r" % more
os.close(fd)
print("  replay = 100: %r... then live" % got[:20], file=sys.stderr)

# Lines.
fd = os.open(d + "/lines", os.O_RDWR)
os.write(fd, b"one\ntwo\nthree\nfour\nprompt> \x04")  # ^D: the tty hands cat the unfinished line
time.sleep(0.3)
read_for(fd, 0.2)
os.close(fd)
time.sleep(1.2)
fd = os.open(d + "/lines", os.O_RDWR)
got = read_for(fd, 0.3)
assert got.replace(b"\r", b"") == b"three\nfour\nprompt> ", "replay = 3l gave %r" % got
os.close(fd)

# user.replay: for the next open from this login session only.
fd = os.open(d + "/none", os.O_RDWR)
os.write(fd, b"alpha\nbeta\ngamma\n")
time.sleep(0.3)
os.close(fd)
time.sleep(1.2)
fd = os.open(d + "/none", os.O_RDWR)
assert read_for(fd, 0.3) == b"", "replay without replay ="
os.close(fd)
time.sleep(1.2)
os.setxattr(d + "/none", "user.replay", b"2l")
fd = os.open(d + "/none", os.O_RDWR)
got = read_for(fd, 0.3)
assert got.replace(b"\r", b"") == b"beta\ngamma\n", "user.replay 2l gave %r" % got
os.close(fd)
time.sleep(1.2)
fd = os.open(d + "/none", os.O_RDWR)
assert read_for(fd, 0.3) == b"", "user.replay served twice"
os.close(fd)
PY
