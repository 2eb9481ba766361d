#!/bin/bash
# pyserial (Debian's python3-serial with /usr/bin/python3), the library of
# most lab automation, on DEV.tty: Serial(path, 115200, timeout=1), a command
# and its answer; then 10 MiB of every byte value through the bridge, each
# way, byte-exact. A .spy watcher sees the .tty session like any other.
. "$(dirname "$0")/../lib.sh"
need sha256sum getfattr
/usr/bin/python3 -c 'import serial' 2>/dev/null || skip "python3-serial not installed"
cat > "$T/gen.py" <<'PY'
import sys
block = bytes(range(256)) * 4096          # 1 MiB, every byte value
for _ in range(10):
    sys.stdout.buffer.write(block)
PY
# Each command says READY once its terminal is raw (nothing we send is
# echoed from then on).
cat > "$CONF" <<EOF
[domain d]
shell = exec:/bin/sh -c 'stty onlcr; exec /bin/sh'
out = exec:/bin/sh -c 'stty raw -echo; echo READY; head -c 1 >/dev/null; exec python3 $T/gen.py'
in = exec:/bin/sh -c 'stty raw -echo; echo READY; head -c 10485760 | sha256sum; sleep 5'
EOF
mount_fs
wait_ready d out
wait_ready d in

# A command and its answer; a spy sees the .tty session like any other.
cat "$MNT/d/shell.spy" > "$T/spy" &
at_exit "kill $!"
/usr/bin/python3 - "$MNT/d/shell.tty" <<'PY' || fail "no answer through pyserial"
import sys, serial
s = serial.Serial(sys.argv[1], 115200, timeout=1)
s.write(b"echo an''swer\n")
got = b""
for _ in range(10):
    got += s.read(100)
    if b"answer\r\n" in got:
        sys.exit(0)
print("got %r" % got, file=sys.stderr)
sys.exit(1)
PY
wait_for 5 grep -q answer "$T/spy" || fail "the spy did not see the answer: $(cat "$T/spy")"

# 10 MiB from the console to the client.
/usr/bin/python3 - "$MNT/d/out.tty" "$T/got" <<'PY' || fail "10 MiB out"
import sys, serial
s = serial.Serial(sys.argv[1], 115200, timeout=5)
s.write(b"x")
want = 10 * 1024 * 1024
data = b""
# Until all has come or nothing came for 5 s (pyserial's timeout bounds a
# whole read: a loaded machine needs more than a fixed time for 10 MiB).
while len(data) < want:
    chunk = s.read(want - len(data))
    if not chunk:
        break
    data += chunk
open(sys.argv[2], "wb").write(data)
if len(data) != want:
    print("got %d bytes, want %d" % (len(data), want), file=sys.stderr)
    sys.exit(1)
PY
[ "$(sha256sum <"$T/got")" = "$(python3 "$T/gen.py" | sha256sum)" ] || fail "the 10 MiB read differ"

# 10 MiB from the client to the console: the command answers their hash.
want=$(python3 "$T/gen.py" | sha256sum | cut -d' ' -f1)
/usr/bin/python3 - "$MNT/d/in.tty" "$T/gen.py" "$want" <<'PY' || fail "10 MiB in"
import subprocess, sys, serial
data = subprocess.run([sys.executable, sys.argv[2]], stdout=subprocess.PIPE, check=True).stdout
s = serial.Serial(sys.argv[1], 115200, timeout=5)
s.write(data)
s.flush()
line = b""
while not line.endswith(b"\n"):
    chunk = s.read_until(b"\n")
    if not chunk:
        break
    line += chunk
if sys.argv[3].encode() not in line:
    print("answer %r, want %s" % (line, sys.argv[3]), file=sys.stderr)
    sys.exit(1)
PY
true
