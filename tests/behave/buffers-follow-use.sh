#!/bin/bash
# Memory follows use (user.buffers): a console never opened holds no
# session buffers (out=0 in=0), captured output grows only the scrollback,
# a session's output queue grows while its reader is slow (and only then),
# and both queues are given back within the reopen window after the
# session ends; the bytes relayed meanwhile arrive whole and in order.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
make_pty a
cat > "$CONF" <<EOF
[domain d]
idle = exec:/bin/sleep 1000000
guest = pty:$PTY_a
echo = exec:/bin/sh -c 'stty raw -echo; echo READY; exec cat'
EOF
mount_fs
wait_ready d echo
field() {	# field FILE NAME: the number NAME= in FILE's user.buffers
	xattr "$1" user.buffers | tr ' ' '\n' | sed -n "s/^$2=//p"
}
for dev in idle guest echo; do
	b=$(xattr "$MNT/d/$dev" user.buffers)
	note "$dev never opened: $b"
	[ "$(field "$MNT/d/$dev" out)" = 0 ] && [ "$(field "$MNT/d/$dev" in)" = 0 ] ||
		fail "$dev was never opened but holds session buffers: $b"
done

# Captured while nobody is attached: the scrollback only.
head -c 30000 /dev/urandom | base64 -w 100 > "$T/guest.txt"
cat "$T/guest.txt" > "$T/a.in"
wait_for 5 sh -c "[ \$(stat -c %s '$MNT/d/guest.log' 2>/dev/null || echo 0) -ge $(stat -c %s "$T/guest.txt") ]" ||
	fail "the guest's output did not reach the scrollback"
b=$(xattr "$MNT/d/guest" user.buffers)
note "guest after printing $(stat -c %s "$T/guest.txt") bytes unwatched: $b"
[ "$(field "$MNT/d/guest" out)" = 0 ] && [ "$(field "$MNT/d/guest" in)" = 0 ] ||
	fail "captured output with no session filled session buffers: $b"
[ "$(field "$MNT/d/guest" scrollback)" -gt 0 ] || fail "the scrollback holds nothing: $b"

# A session whose reader pauses: its output queue grows, then empties, and
# is given back after the session.
python3 - "$MNT/d/echo" <<'PY' || fail "the session lost or reordered bytes (see above)"
import os, random, subprocess, sys, time
f = sys.argv[1]
def buffers():
    out = subprocess.run(["getfattr", "--absolute-names", "--only-values", "-n", "user.buffers", f],
                         capture_output=True, text=True).stdout
    return dict(kv.split("=") for kv in out.split())
fd = os.open(f, os.O_RDWR)
data = bytes(random.Random(7).randrange(256) for _ in range(300000))
sent = got = 0
back = bytearray()
peak = 0
writes = 0
while sent < len(data):
    # Write while not reading: the echo waits in the output queue.
    sent += os.write(fd, data[sent:sent + 4096])
    writes += 1
    if writes % 16 == 0 or sent == len(data):
        time.sleep(0.05)
        peak = max(peak, int(buffers()["out"]))
        while len(back) < sent:
            back += os.read(fd, 65536)
while len(back) < len(data):
    back += os.read(fd, 65536)
print("  output queue at its largest while the reader paused: %d bytes" % peak, file=sys.stderr)
if bytes(back) != data:
    print("FAIL: %d bytes back, first difference at %d" % (len(back),
          next(i for i in range(min(len(back), len(data))) if back[i] != data[i])), file=sys.stderr)
    sys.exit(1)
if peak == 0:
    print("FAIL: the output queue never held memory while the reader paused", file=sys.stderr)
    sys.exit(1)
os.close(fd)
PY
wait_for 5 sh -c "getfattr --absolute-names --only-values -n user.buffers '$MNT/d/echo' | grep -q '^out=0 in=0 '" ||
	fail "the session's buffers were kept after it ended: $(xattr "$MNT/d/echo" user.buffers)"
note "echo after the session: $(xattr "$MNT/d/echo" user.buffers)"
