#!/bin/bash
# user.force never breaks another program's flock (picocom's way of
# locking) any more than a UUCP lock; and only an open that succeeds uses
# up the forcer's reservation.
. "$(dirname "$0")/../lib.sh"
need python3 flock setsid
make_pty a
make_pty b
cat > "$CONF" <<EOF
[global]
force_reserve = 3
[domain d]
held = pty:$PTY_a
gone = pty:$PTY_b
EOF
mount_fs
# another program holds a flock on the device, as picocom does
flock "$PTY_a" sleep 100 & flockpid=$!
at_exit "kill $flockpid"
wait_for 5 grep -q FLOCK /proc/locks || fail "flock not taken"
python3 - "$MNT/d/held" <<'PY' || fail "force against a flock"
import errno, os, sys
f = sys.argv[1]
try:
    os.setxattr(f, "user.force", b"1")
    sys.exit("force succeeded against a flock holder")
except OSError as e:
    assert e.errno == errno.EBUSY, e
h = os.getxattr(f, "user.holder").decode()
assert h.startswith("flock=") and " comm=" in h, h
PY
kill $flockpid
# the pty behind 'gone' disappears; a force still reserves the console
printf 'HANGUP\n' >"$T/b.in"
wait_for 5 sh -c "! test -e '$PTY_b'" || skip "pts number reused at once"
python3 - "$MNT/d/gone" <<'PY' || fail "reservation"
import errno, os, subprocess, sys
f = sys.argv[1]
os.setxattr(f, "user.force", b"1")
try:
    os.open(f, os.O_RDWR)
    sys.exit("open of a missing pty succeeded")
except OSError as e:
    assert e.errno == errno.ENXIO, e
# the failed open did not use the reservation: another session still gets EBUSY
r = subprocess.run(["setsid", "-w", "python3", "-c",
    "import os,sys\ntry:\n os.open(sys.argv[1], os.O_RDWR)\nexcept OSError as e:\n sys.exit(e.errno)",
    f])
assert r.returncode == errno.EBUSY, "other session got %d, want EBUSY" % r.returncode
PY
