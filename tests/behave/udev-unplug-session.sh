#!/bin/bash
# udev-unplug-session — a session on a udev: device survives an unplug
# (unplug = wait, the default): with tty63 removed (a synthetic uevent)
# user.state says "unplugged, waiting", a non-blocking read and write give
# EAGAIN, poll shows neither POLLIN, POLLOUT nor POLLHUP, a blocking read
# waits (a signal interrupts it: EINTR, never end of file) and the daemon's
# CPU stays flat; after the add the session has the device again (its UUCP
# lock is back), a write reaches tty63 (seen on /dev/vcs63) and input
# typed on tty63 reaches the session. With unplug = end the session reads
# end of file instead.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
tty63_take
[ -r /dev/vcs63 ] || skip "no /dev/vcs63 to see what reaches tty63"

F=$MNT/board/serial0
# The same with the device held between sessions (capture = yes, the
# default) and opened per session (capture = no).
for capture in yes no; do
note "capture = $capture:"
cat > "$CONF" <<EOF
[domain board]
serial0 = udev:MAJOR=4,MINOR=63
serial0.capture = $capture
EOF
mount_fs
wait_xattr "$F" user.state "present /dev/tty63"

python3 - "$F" "$DAEMON_PID" "$LOCKDIR/LCK..tty63" <<'PY' || fail "the session did not survive the unplug (see above)"
import errno, fcntl, os, select, signal, sys, termios, time

f, daemon, lock = sys.argv[1], int(sys.argv[2]), sys.argv[3]
mark = "m%d" % os.getpid()

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

def event(what):
    with open("/sys/class/tty/tty63/uevent", "w") as u:
        u.write(what)

def state():
    try:
        return os.getxattr(f, "user.state").decode()
    except OSError as e:
        return "(%s)" % errno.errorcode[e.errno]

def wait(cond, what, secs=5):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return
        time.sleep(0.02)
    fail("timed out waiting for " + what)

def on_screen(text):
    with open("/dev/vcs63", "rb") as v:
        return text.encode() in v.read()

def cpu():
    with open("/proc/%d/stat" % daemon) as s:
        fields = s.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])

def nonblock(fd, on):
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK if on else fl & ~os.O_NONBLOCK)

fd = os.open(f, os.O_RDWR)
wait(lambda: os.path.exists(lock), "the session's lock " + lock)
os.write(fd, ("before-%s\r\n" % mark).encode())
wait(lambda: on_screen("before-" + mark), "the first write on tty63's screen")

# Unplug.
event("remove")
wait(lambda: state() == "unplugged, waiting", "user.state 'unplugged, waiting' (is '%s')" % state())
wait(lambda: not os.path.exists(lock), "the lock to go while unplugged")
nonblock(fd, True)
try:
    data = os.read(fd, 100)
    fail("non-blocking read while unplugged returned %r (end of file)" % data
         if data == b"" else "non-blocking read while unplugged returned %r" % data)
except BlockingIOError:
    pass
try:
    n = os.write(fd, b"x")
    fail("non-blocking write while unplugged wrote %d byte(s)" % n)
except BlockingIOError:
    pass
p = select.poll()
p.register(fd, select.POLLIN | select.POLLOUT)
ev = p.poll(200)
if ev:
    fail("poll while unplugged says %r (want nothing: no POLLIN, POLLOUT or POLLHUP)" % ev)
nonblock(fd, False)
# A blocking read waits; a signal ends it (EINTR; Python would retry the
# call unless the handler raises), never with end of file.
class Alarm(Exception):
    pass
def alarm(*a):
    raise Alarm()
signal.signal(signal.SIGALRM, alarm)
signal.setitimer(signal.ITIMER_REAL, 1.0)
c0, t0 = cpu(), time.time()
try:
    data = os.read(fd, 100)
    fail("blocking read while unplugged returned %r" % data)
except Alarm:
    pass
c1 = cpu()
print("  unplugged: state '%s', EAGAIN both ways, poll quiet, blocking read "
      "EINTR after %.1f s, %d CPU ticks meanwhile" % (state(), time.time() - t0, c1 - c0),
      file=sys.stderr)
if c1 - c0 > 2:
    fail("the daemon used %d ticks of CPU in 1 s while unplugged" % (c1 - c0))

# Plug back: the session has the device again.
event("add")
wait(lambda: state() == "present /dev/tty63", "user.state 'present /dev/tty63' (is '%s')" % state())
wait(lambda: os.path.exists(lock), "the lock after the device came back")
os.write(fd, ("after-%s\r\n" % mark).encode())
wait(lambda: on_screen("after-" + mark), "the write after the add on tty63's screen")
# Typed on tty63 (TIOCSTI): reaches the session.
t = os.open("/dev/tty63", os.O_RDWR | os.O_NOCTTY)
for c in ("typed-" + mark).encode():
    fcntl.ioctl(t, termios.TIOCSTI, bytes([c]))
os.close(t)
got = b""
nonblock(fd, True)
end = time.time() + 5
while b"typed-" + mark.encode() not in got and time.time() < end:
    try:
        got += os.read(fd, 100)
    except BlockingIOError:
        time.sleep(0.02)
if b"typed-" + mark.encode() not in got:
    fail("input typed on tty63 after the add did not reach the session: %r" % got)
print("  after the add: '%s', write on screen, typed input read back" % state(),
      file=sys.stderr)
os.close(fd)
PY
stop_fs || fail "the daemon exited with status $?"
done

# unplug = end: the session reads end of file.
cat > "$CONF" <<EOF
[domain board]
serial0 = udev:MAJOR=4,MINOR=63
serial0.unplug = end
EOF
mount_fs
wait_xattr "$F" user.state "present /dev/tty63"
python3 - "$F" <<'PY' || fail "unplug = end: no end of file (see above)"
import os, signal, sys, time
f = sys.argv[1]
fd = os.open(f, os.O_RDWR)
signal.alarm(5)
with open("/sys/class/tty/tty63/uevent", "w") as u:
    u.write("remove")
data = os.read(fd, 100)
while data:
    data = os.read(fd, 100)
print("  unplug = end: end of file, state '%s'" % os.getxattr(f, "user.state").decode(),
      file=sys.stderr)
os.close(fd)
PY
wait_xattr "$F" user.state absent
tty63_event add
wait_xattr "$F" user.state "present /dev/tty63"
! grep -E "error|warning" "$DAEMON_LOG" || fail "errors or warnings in the log"
