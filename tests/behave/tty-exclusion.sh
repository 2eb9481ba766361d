#!/bin/bash
# One session at a time, whichever way it comes: while a program holds the
# console file, a client of DEV.tty reads "[consolefs: ... is busy, held by
# pid=... comm=...]" within 100 ms and is hung up; while a DEV.tty client
# holds it, an open of the file gets EBUSY and user.holder names the client;
# a second client of the pty is refused (TIOCEXCL, EBUSY for non-root). The
# slave has the device file's owner and group, and read-write for each class
# that may write the device file, also after a reload changes them.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr setpriv stat
cat > "$CONF" <<EOF
[domain d]
mode = 0666
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; exec cat'

[domain e]
owner = nobody
group = nogroup
mode = 0640
console0 = exec:/bin/sh -c 'exec cat'
EOF
mount_fs
wait_ready d
F=$MNT/d/console0

# The slave is owned and moded like the device file.
got=$(stat -L -c '%U:%G %a' "$MNT/e/console0.tty")
[ "$got" = "nobody:nogroup 600" ] || fail "e/console0.tty leads to a slave of $got, want nobody:nogroup 600"
got=$(stat -L -c '%a' "$F.tty")
[ "$got" = 666 ] || fail "d/console0.tty leads to a slave of mode $got, want 666"
# A reload that changes the domain's mode changes the slave's too.
pty_e=$(readlink "$MNT/e/console0.tty")
sed -i 's/^mode = 0640$/mode = 0660/' "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 5 sh -c "[ \"\$(stat -c '%U:%G %a' '$pty_e')\" = 'nobody:nogroup 660' ]" ||
	fail "after the reload $pty_e is $(stat -c '%U:%G %a' "$pty_e"), want nobody:nogroup 660"
[ "$(readlink "$MNT/e/console0.tty")" = "$pty_e" ] || fail "the reload changed the pty of e/console0"

# The file is held: the .tty client is told who holds it, then hung up.
hold_open "$F"
python3 - "$F.tty" "$HOLD_PID" <<'PY' || fail "the .tty was not refused as it should be"
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
t0 = time.monotonic()
got = b""
while b"]" not in got and time.monotonic() - t0 < 5:
    r, _, _ = select.select([fd], [], [], 5)
    try:
        chunk = os.read(fd, 1000)
    except OSError:
        break
    if not chunk:
        break
    got += chunk
took = time.monotonic() - t0
want = b"[consolefs: d/console0 is busy, held by pid=%s uid=0 comm=python3]" % sys.argv[2].encode()
if want not in got:
    sys.exit("read %r, want %r" % (got, want))
if took > 0.1:
    sys.exit("the refusal took %.3f s" % took)
# Then the hang-up: end of file or EIO.
end = time.monotonic() + 5
while time.monotonic() < end:
    select.select([fd], [], [], 1)
    try:
        if os.read(fd, 1000) == b"":
            sys.exit(0)
    except OSError as e:
        sys.exit(0 if e.errno == 5 else "read: %s" % e)
sys.exit("not hung up")
PY
[ "$(xattr "$F" user.holder)" = "pid=$HOLD_PID uid=0 comm=python3" ] || fail "holder changed: $(xattr "$F" user.holder)"
hold_close

# A .tty client holds it: the file gets EBUSY, user.holder names the client.
python3 -c '
import os, signal, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
print("open", flush=True)
signal.pause()' "$F.tty" > "$T/client.out" &
client=$!
at_exit "kill $client"
wait_for 5 test -s "$T/client.out" || fail "the .tty client could not open"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.holder '$F' 2>/dev/null)\" = 'pid=$client uid=0 comm=python3' ]" ||
	fail "user.holder is '$(xattr "$F" user.holder)', want pid=$client uid=0 comm=python3"
[ "$(open_errno "$F")" = EBUSY ] || fail "open of the file while a .tty client holds it: $(open_errno "$F")"
# A second client of the same pty: EBUSY (TIOCEXCL) for anyone but root.
got=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY))
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$(readlink "$F.tty")")
[ "$got" = EBUSY ] || fail "a second client of the pty: $got, want EBUSY"
kill "$client"
wait "$client" 2>/dev/null
wait_for 5 sh -c "exec 3<>'$F'" || fail "console not free after the .tty client left: $(open_errno "$F")"
true
