#!/bin/bash
# Every open is exclusive: a second open is EBUSY while the first keeps
# working; after close the console opens again, 2,000 times in a row.
. "$(dirname "$0")/../lib.sh"
need python3
mount_echo_console
python3 - "$MNT/d/console0" <<'PY' || fail "exclusivity"
import errno, os, select, sys
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
for flags in (os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_RDWR | os.O_NONBLOCK):
    try:
        os.open(path, flags)
        sys.exit("second open succeeded")
    except OSError as e:
        assert e.errno == errno.EBUSY, e
# the first session still works: cat echoes what we type
os.write(fd, b"still here\n")
got = b""
while b"still here" not in got:
    r, _, _ = select.select([fd], [], [], 5)
    assert r, "no echo from the first session"
    got += os.read(fd, 100)
os.close(fd)
for i in range(2000):
    try:
        f = os.open(path, os.O_RDWR)
    except OSError as e:
        sys.exit("cycle %d: %s" % (i, e))
    os.close(f)
print("2000 cycles ok")
PY
