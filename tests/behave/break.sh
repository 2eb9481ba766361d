#!/bin/bash
# user.break: a tty: backend sends a BREAK while a session holds it (ENXIO
# when none does, EBUSY while one is in progress); other backends say
# EOPNOTSUPP. The loop is not blocked meanwhile. (A pty stands in for the
# serial device: it accepts the BREAK ioctls.)
. "$(dirname "$0")/../lib.sh"
need python3
make_pty a
cat > "$CONF" <<EOF
[domain d]
serial0 = tty:$PTY_a,9600
console0 = exec:/bin/sh -c 'stty -echo; exec cat'
p0 = pty:$PTY_a
EOF
mount_fs
python3 - "$MNT/d" <<'PY' || fail "user.break"
import errno, os, sys, time
d = sys.argv[1]
def err(f):
    try:
        f()
    except OSError as e:
        return e.errno
    return 0
assert err(lambda: os.setxattr(d + "/serial0", "user.break", b"100")) == errno.ENXIO
assert err(lambda: os.setxattr(d + "/console0", "user.break", b"100")) == errno.EOPNOTSUPP
assert err(lambda: os.setxattr(d + "/p0", "user.break", b"100")) == errno.EOPNOTSUPP
fd = os.open(d + "/serial0", os.O_RDWR)
t = time.monotonic()
os.setxattr(d + "/serial0", "user.break", b"500")
took = time.monotonic() - t
assert took < 0.2, "setxattr waited %.3f s for the BREAK" % took
assert err(lambda: os.setxattr(d + "/serial0", "user.break", b"100")) == errno.EBUSY
# the daemon answers other requests while the BREAK lasts
os.write(fd, b"during-break\n")
assert os.getxattr(d + "/serial0", "user.state") == b"present"
time.sleep(0.6)
os.setxattr(d + "/serial0", "user.break", b"50")
os.close(fd)
PY
wait_for 5 grep -q during-break "$T/a.out" || fail "write during the BREAK did not arrive"
