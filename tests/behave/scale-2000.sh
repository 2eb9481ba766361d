#!/bin/bash
# 2,000 domains, each a pty: console on a pseudo-terminal a helper answers
# (it replies "ID N" to a "?" typed on console N): every domain is listed,
# looked up and opened once, and answers with its own number, while a
# stream through another console (an echo, 1 MiB rounds for as long as the
# opens take) comes back byte-exact.
. "$(dirname "$0")/../lib.sh"
need python3
N=2000
[ "$(cat /proc/sys/kernel/pty/max)" -gt $(($(cat /proc/sys/kernel/pty/nr) + N + 100)) ] ||
	skip "kernel.pty.max too low for $N pseudo-terminals"
ulimit -n $((3 * N + 200)) 2>/dev/null || skip "fd limit too low"

# The helper: N pseudo-terminals, their slave paths in $T/ptys in order.
python3 - "$N" "$T/ptys" <<'PY' &
import os, select, sys
n, out = int(sys.argv[1]), sys.argv[2]
masters = {}
paths = []
for i in range(n):
    m, s = os.openpty()
    os.set_blocking(m, False)
    masters[m] = i
    paths.append(os.ttyname(s))	# the slave stays open: no hang-ups
with open(out + ".tmp", "w") as f:
    f.write("\n".join(paths) + "\n")
os.rename(out + ".tmp", out)
ep = select.epoll()
for m in masters:
    ep.register(m, select.EPOLLIN)
while True:
    for m, ev in ep.poll():
        try:
            data = os.read(m, 4096)
        except OSError:
            continue
        if b"?" in data:
            os.write(m, b"ID %d\n" % masters[m])
PY
HELPER=$!
at_exit "kill $HELPER"
wait_for 20 test -s "$T/ptys" || fail "the pty helper did not start"
python3 - "$T/ptys" "$CONF" <<'PY'
import sys
paths = open(sys.argv[1]).read().split()
with open(sys.argv[2], "w") as f:
    for i, p in enumerate(paths):
        f.write("[domain d%d]\nconsole0 = pty:%s\n" % (i, p))
    f.write("[domain stream]\n")
    f.write("console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; exec cat'\n")
PY
mount_fs
wait_ready stream

# The stream, alongside: 1 MiB rounds through the echo, each compared,
# until the opens are done (at least 4).
python3 - "$MNT/stream/console0" "$T/done" > "$T/stream.result" 2>&1 <<'PY' &
import os, random, sys, threading
fd = os.open(sys.argv[1], os.O_RDWR)
data = random.Random(3).randbytes(1 << 20)
rounds = 0
while rounds < 4 or not os.path.exists(sys.argv[2]):
    back = bytearray()
    def reader():
        while len(back) < len(data):
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            back.extend(chunk)
    t = threading.Thread(target=reader)
    t.start()
    sent = 0
    while sent < len(data):
        sent += os.write(fd, data[sent:sent + 65536])
    t.join()
    rounds += 1
    if bytes(back) != data:
        print("DIFFERENT in round %d: %d bytes back of %d" % (rounds, len(back), len(data)))
        sys.exit(1)
print("ok %d" % rounds)
PY
STREAM=$!

python3 - "$MNT" "$N" <<'PY' || fail "a console answered wrongly (see above)"
import os, select, sys, time
mnt, n = sys.argv[1], int(sys.argv[2])
t0 = time.monotonic()
names = set(os.listdir(mnt))
want = {"d%d" % i for i in range(n)} | {"stream"}
missing = want - names
if missing:
    print("FAIL: %d domains not listed, e.g. %s" % (len(missing), sorted(missing)[:3]), file=sys.stderr)
    sys.exit(1)
for i in range(n):
    f = "%s/d%d/console0" % (mnt, i)
    os.stat(f)
    fd = os.open(f, os.O_RDWR)
    os.write(fd, b"?")
    got = b""
    deadline = time.monotonic() + 5
    while b"\n" not in got and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 5)
        if r:
            got += os.read(fd, 100)
    os.close(fd)
    if got.strip() != b"ID %d" % i:
        print("FAIL: d%d answered %r" % (i, got), file=sys.stderr)
        sys.exit(1)
print("  %d domains listed, looked up, opened and answered in %.1f s" %
      (n, time.monotonic() - t0), file=sys.stderr)
PY
touch "$T/done"
wait "$STREAM"
case $(cat "$T/stream.result") in
ok*) note "$(cut -d' ' -f2 "$T/stream.result") MiB through stream/console0 meanwhile: byte-exact" ;;
*) fail "the stream: $(cat "$T/stream.result")" ;;
esac
