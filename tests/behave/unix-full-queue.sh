#!/bin/bash
# Issue 7.1: a unix: server that accepts one client and then no more (QEMU's
# chardev socket) must not freeze the daemon. With capture = no, the first
# open connects and is accepted, the second waits in the server's queue,
# and the third finds the queue full: it fails with ENXIO within the bound
# (2 s, never for ever), while a stat of another console answers within
# 100 ms. With capture = yes consolefs's own attempts to connect find the
# queue full too: an open waits for the attempt and fails the same way,
# the daemon answering meanwhile. No process of the
# test is left in D state (checked at cleanup). (Before: the daemon sat in
# connect() for good and every request on every console stopped.)
. "$(dirname "$0")/../lib.sh"
need python3
# The server: accept one client, keep it, accept no more (backlog 0: one
# more connection waits in the queue, the next one finds it full).
python3 - "$T/q.sock" <<'PY' &
import signal, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(0)
c, _ = s.accept()
signal.pause()
PY
srv=$!
at_exit "kill $srv"
wait_for 5 test -S "$T/q.sock" || fail "the test server did not start"
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/cat
q = unix:$T/q.sock
q.capture = no
EOF
mount_fs
F=$MNT/d/console0
answers_fast "$F"

# Time an open of $1 in the background while another console must answer;
# prints "ERRNO SECONDS".
timed_open() {
	python3 - "$1" >"$T/open.out" 2>&1 <<'PY' &
import errno, os, sys, time
t = time.monotonic()
try:
    os.close(os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY))
    r = "ok"
except OSError as e:
    r = errno.errorcode.get(e.errno, e.errno)
print(r, "%.2f" % (time.monotonic() - t))
PY
	local pid=$!
	sleep 0.3
	answers_fast "$F"
	answers_fast "$F"
	wait_for 6 sh -c "! kill -0 $pid 2>/dev/null" || fail "an open of $1 did not answer within 6 s"
	cat "$T/open.out"
}
r=$(open_errno "$MNT/d/q")
[ "$r" = ok ] || fail "first open (accepted): $r"
r=$(open_errno "$MNT/d/q")
[ "$r" = ok ] || fail "second open (waiting in the queue): $r"
set -- $(timed_open "$MNT/d/q")
note "third open: $1 after $2 s"
[ "$1" = ENXIO ] || fail "third open with the queue full: $1, want ENXIO"
awk -v t="$2" 'BEGIN { exit !(t >= 1.5 && t < 4) }' || fail "third open took $2 s, want about 2"
[ "$(xattr "$F" user.state)" = running ] || fail "console0 state: $(xattr "$F" user.state)"

# capture = yes (c, added by a reload now that q's client fills the queue):
# consolefs keeps trying to connect, each try bounded; an open waits for
# one and fails the same way.
echo "c = unix:$T/q.sock" >>"$CONF"
kill -HUP "$DAEMON_PID"
wait_for 5 test -e "$MNT/d/c" || fail "c did not appear after the reload"
set -- $(timed_open "$MNT/d/c")
note "open of a captured socket whose queue is full: $1 after $2 s"
[ "$1" = ENXIO ] || fail "open of c with the queue full: $1, want ENXIO"
awk -v t="$2" 'BEGIN { exit !(t < 4) }' || fail "open of c took $2 s"
answers_fast "$F"
