#!/bin/bash
# A slow reader (1 KiB reads with pauses) of 20 MiB gets every byte in order:
# the guest is pushed back, nothing is dropped.
. "$(dirname "$0")/../lib.sh"
need python3
cat > "$T/gen.py" <<'PY'
import hashlib, sys
h = hashlib.sha256()
for i in range(20 * 1024):                # 20 MiB in 1 KiB records
    rec = (b"%08d:" % i) + bytes((i + j) % 251 for j in range(1015))
    sys.stdout.buffer.write(rec)
    h.update(rec)
open(sys.argv[1], "w").write(h.hexdigest())
PY
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; head -c 1 >/dev/null; exec python3 $T/gen.py $T/want'
EOF
mount_fs
wait_ready d
python3 - "$MNT/d/console0" "$T/want" <<'PY' || fail "slow reader"
import hashlib, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
os.write(fd, b"x")
h = hashlib.sha256()
total = 0
reads = 0
while True:
    b = os.read(fd, 1024)
    if not b:
        break
    h.update(b)
    total += len(b)
    reads += 1
    if reads % 2048 == 0:
        time.sleep(0.05)                  # pause: the guest must wait
want = open(sys.argv[2]).read()
print("read %d bytes in %d reads" % (total, reads))
assert total == 20 * 1024 * 1024, total
assert h.hexdigest() == want, "hash differs"
PY
