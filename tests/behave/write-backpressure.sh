#!/bin/bash
# Writes are back-pressured, never dropped: 8 MiB written into a console
# whose program reads slowly all arrive, in order (the program prints the
# hash of what it got); a non-blocking writer gets a partial count or
# EAGAIN instead of blocking.
# (Whether it is writable again right after EAGAIN is not asserted: the
# pty's own buffers take bytes from the relay asynchronously.)
. "$(dirname "$0")/../lib.sh"
need python3 sha256sum
cat > "$T/slow.py" <<'PY'
import hashlib, os, sys, time
h = hashlib.sha256(); left = 8 * 1024 * 1024; n = 0
while left:
    b = os.read(0, min(left, 4096))
    h.update(b); left -= len(b); n += 1
    if n % 256 == 0:
        time.sleep(0.02)
os.write(1, ("HASH " + h.hexdigest() + "\n").encode())
time.sleep(30)
PY
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; exec python3 $T/slow.py'
[domain n]
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; exec sleep 1000'
EOF
mount_fs
# Each program says READY once its terminal is raw: no echo of our bytes.
wait_ready d
wait_ready n
python3 - "$MNT/d/console0" "$MNT/n/console0" <<'PY' || fail "back-pressure"
import errno, hashlib, os, select, sys
data = bytes((i * 7 + i // 251) % 256 for i in range(8 * 1024 * 1024))
want = hashlib.sha256(data).hexdigest()
fd = os.open(sys.argv[1], os.O_RDWR)
off = 0
while off < len(data):
    off += os.write(fd, data[off:off + (1 << 20)])
got = b""
while b"\n" not in got:
    r, _, _ = select.select([fd], [], [], 20)
    assert r, "no hash from the program"
    got += os.read(fd, 200)
line = got.decode().strip()
assert line == "HASH " + want, (line, want)
# a console whose program never reads: non-blocking writes fill up, then EAGAIN
nb = os.open(sys.argv[2], os.O_RDWR | os.O_NONBLOCK)
total = 0
for _ in range(10000):
    try:
        n = os.write(nb, b"z" * 65536)
    except OSError as e:
        assert e.errno == errno.EAGAIN, e
        break
    total += n
else:
    sys.exit("non-blocking writes never said EAGAIN")
print("8 MiB arrived in order; non-blocking writer stopped after %d bytes" % total)
PY
