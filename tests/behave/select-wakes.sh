#!/bin/bash
# select() on a console file sleeps while nothing is there and wakes when
# output arrives; O_NONBLOCK reads give EAGAIN; lseek and pread give ESPIPE.
. "$(dirname "$0")/../lib.sh"
need python3
mount_echo_console
python3 - "$MNT/d/console0" <<'PY' || fail "select"
import errno, os, select, sys, threading, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)
try:
    os.read(fd, 10)
    sys.exit("non-blocking read returned data on an idle console")
except OSError as e:
    assert e.errno == errno.EAGAIN, e
for what, call in (("lseek", lambda: os.lseek(fd, 0, os.SEEK_SET)),
                   ("pread", lambda: os.pread(fd, 1, 0))):
    try:
        call()
        sys.exit(what + " worked")
    except OSError as e:
        assert e.errno == errno.ESPIPE, (what, e)
t = time.monotonic()
r, w, _ = select.select([fd], [], [], 0.5)
slept = time.monotonic() - t
assert r == [] and slept >= 0.45, "select did not sleep (%r, %.3f s)" % (r, slept)
r, w, _ = select.select([], [fd], [], 0.5)
assert w == [fd], "not writable"
# data arrives 300 ms into a select: it must wake then, not at its timeout
threading.Timer(0.3, lambda: os.write(fd, b"wake\n")).start()
t = time.monotonic()
r, _, _ = select.select([fd], [], [], 5)
woke = time.monotonic() - t
assert r == [fd], "select timed out"
assert 0.25 < woke < 1.0, "woke after %.3f s" % woke
data = b""
while b"wake" not in data:
    select.select([fd], [], [], 2)
    data += os.read(fd, 100)
print("select woke after %.3f s" % woke)
PY
