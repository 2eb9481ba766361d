#!/bin/bash
# DEV.tty of unix: backends. An echo server answers a .tty client. A server
# whose queue is full keeps the open waiting (the daemon answers meanwhile)
# until consolefs gives up: the .tty client then reads "[consolefs: d/q is
# not there (...)]" and is hung up, instead of a session on nothing.
. "$(dirname "$0")/../lib.sh"
need python3
# An echo server, and one that accepts one client and then no more (backlog
# 0: one more connection waits in the queue, the next finds it full).
python3 - "$T/echo.sock" <<'PY' &
import socket, sys, threading
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
def serve(c):
    while True:
        d = c.recv(4096)
        if not d:
            break
        c.sendall(d)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
at_exit "kill $!"
python3 - "$T/q.sock" <<'PY' &
import signal, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(0)
c, _ = s.accept()
signal.pause()
PY
at_exit "kill $!"
wait_for 5 test -S "$T/echo.sock" || fail "the echo server did not start"
wait_for 5 test -S "$T/q.sock" || fail "the queue server did not start"
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/cat
echo = unix:$T/echo.sock
q = unix:$T/q.sock
q.capture = no
EOF
mount_fs

python3 - "$MNT/d/echo.tty" <<'PY' || fail "no echo through the .tty of a unix: console"
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
os.write(fd, b"ping\n")
got = b""
while b"ping\n" not in got:
    if not select.select([fd], [], [], 5)[0]:
        sys.exit("got %r" % got)
    got += os.read(fd, 100)
PY

# Fill q's queue: one connection accepted, one waiting.
[ "$(open_errno "$MNT/d/q")" = ok ] || fail "first open of d/q"
[ "$(open_errno "$MNT/d/q")" = ok ] || fail "second open of d/q"
python3 - "$MNT/d/q.tty" > "$T/q.out" 2>&1 <<'PY' &
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
got = b""
end = "timeout"
t0 = time.monotonic()
while time.monotonic() - t0 < 10:
    select.select([fd], [], [], 1)
    try:
        chunk = os.read(fd, 1000)
    except OSError as e:
        end = "EIO" if e.errno == 5 else str(e)
        break
    if not chunk:
        end = "EOF"
        break
    got += chunk
print("%r %s %.1f" % (got, end, time.monotonic() - t0))
PY
client=$!
at_exit "kill $client"
sleep 0.3
answers_fast "$MNT/d/console0"
wait_for 10 sh -c "! kill -0 $client 2>/dev/null" || fail "the .tty client of d/q was never let go"
grep -q "\[consolefs: d/q is not there (No such device or address)\]" "$T/q.out" ||
	fail "the .tty client of d/q read $(cat "$T/q.out")"
grep -qE " (EOF|EIO) " "$T/q.out" || fail "the .tty client of d/q ended: $(cat "$T/q.out")"
true
