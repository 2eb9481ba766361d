#!/bin/bash
# DEV.spy: three spies follow an exec: shell while a session types into
# it; each reads exactly the bytes the session reads (byte for byte), none
# takes the console (the session's open works while they are open, and
# they open while it is held: never EBUSY), poll says readable, and they
# read end of file when the device goes at a reload.
. "$(dirname "$0")/../lib.sh"
need python3
cat > "$CONF" <<CONF
[domain d]
console0 = exec:/bin/sh -c 'echo READY; exec /bin/sh -i'
CONF
mount_fs
F=$MNT/d/console0
wait_ready d
for i in 1 2 3; do
	cat "$F.spy" > "$T/spy$i" &
	eval "SPY$i=\$!"
	at_exit "kill \$SPY$i"
done
# The spies' opens are in before the session starts: wait until the
# daemon has them (each holds a file of the mount).
wait_for 5 sh -c "[ \$(ls -l /proc/$SPY1/fd /proc/$SPY2/fd /proc/$SPY3/fd 2>/dev/null | grep -c console0.spy) -eq 3 ]" ||
	fail "spies did not open"
python3 - "$F" "$T/session" <<'PY' || fail "session"
import os, select, sys, time
f, out = sys.argv[1], sys.argv[2]
fd = os.open(f, os.O_RDWR)
got = b""
def until(what, secs=10):
    global got
    end = time.monotonic() + secs
    while what not in got:
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if not r:
            raise SystemExit("never saw %r in %r" % (what, got[-300:]))
        got += os.read(fd, 65536)
for i in range(50):
    os.write(fd, b"echo line-$((%d * 7))-\n" % i)
    until(b"line-%d-" % (i * 7))
os.write(fd, b"echo END\"\"-OF-TEST\n")
until(b"END-OF-TEST")
open(out, "wb").write(got)
os.close(fd)
PY
for i in 1 2 3; do
	wait_for 5 grep -q END-OF-TEST "$T/spy$i" || fail "spy $i never saw the end: $(tail -c 200 "$T/spy$i")"
done
sleep 0.2	# anything after the end (a prompt) reaches both or neither
for i in 1 2 3; do
	cmp "$T/session" "$T/spy$i" || fail "spy $i differs from the session ($(stat -c %s "$T/session") vs $(stat -c %s "$T/spy$i") bytes)"
done
note "3 spies: $(stat -c %s "$T/session") bytes each, identical to the session's"

# A spy while a session holds the console, poll, O_NONBLOCK.
python3 - "$F" <<'PY' || fail "spy beside a session"
import errno, os, select, sys
f = sys.argv[1]
s = os.open(f, os.O_RDWR)
spy = os.open(f + ".spy", os.O_RDONLY | os.O_NONBLOCK)
try:
    os.read(spy, 100)
    raise SystemExit("an idle spy read something")
except BlockingIOError:
    pass
p = select.poll(); p.register(spy, select.POLLIN)
assert p.poll(100) == [], "idle spy polled readable"
os.write(s, b"echo po\"\"ll-ok\n")
assert p.poll(5000), "spy never polled readable"
data = b""
while b"poll-ok" not in data:
    select.select([spy], [], [], 5)
    data += os.read(spy, 4096)
PY

# Removing the device (a reload without it) ends the spies' reads.
cat "$F.spy" > /dev/null &
last=$!
at_exit "kill $last"
sleep 0.3
cat > "$CONF" <<CONF
[domain d]
CONF
kill -HUP "$DAEMON_PID"
wait_for 5 proc_ended "$last" || fail "a spy of a removed device did not read end of file"
