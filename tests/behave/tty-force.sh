#!/bin/bash
# user.force on a console held through its DEV.tty: the tty client reads
# "[consolefs: ... was taken over (user.force)]" and is hung up (end of file
# or EIO), and the forcing session wins (its open succeeds and the console
# answers it). A console removed by a reload hangs its tty client up too.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr setfattr
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; exec cat'
gone = exec:/bin/sh -c 'stty raw -echo; echo READY; exec cat'
EOF
mount_fs
wait_ready d
wait_ready d gone
F=$MNT/d/console0

# tty_client PATH OUT: a client of PATH that checks the console answers it,
# then reads until hung up, writing what it read and how it ended to OUT.
tty_client() {
	python3 - "$1" "$2" <<'PY' &
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
os.write(fd, b"ping\n")
got = b""
end = "timeout"
t0 = time.monotonic()
while time.monotonic() - t0 < 20:
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
    if got == b"ping\n":
        open(sys.argv[2] + ".up", "w").close()
open(sys.argv[2], "w").write("%r %s\n" % (got, end))
PY
	CLIENT=$!
	at_exit "kill $CLIENT"
}

tty_client "$F.tty" "$T/c1"
wait_for 10 test -e "$T/c1.up" || fail "the .tty client never heard its echo"
[[ $(xattr "$F" user.holder) == "pid=$CLIENT "* ]] || fail "holder is '$(xattr "$F" user.holder)', not the .tty client"

# Force, and take the console: the forcing session wins.
python3 - "$F" <<'PY' || fail "the forcing session did not win"
import os, subprocess, sys
subprocess.run(["setfattr", "-n", "user.force", "-v", "1", sys.argv[1]], check=True)
fd = os.open(sys.argv[1], os.O_RDWR)
os.write(fd, b"won\n")
got = b""
while not got.endswith(b"won\n"):
    got += os.read(fd, 100)
PY
wait_for 10 test -s "$T/c1" || fail "the .tty client was not hung up"
grep -q "\[consolefs: d/console0 was taken over (user.force)\]" "$T/c1" ||
	fail "the .tty client read $(cat "$T/c1")"
grep -qE " (EOF|EIO)\$" "$T/c1" || fail "the .tty client ended with: $(cat "$T/c1")"

# Removed by a reload: its client is told and hung up.
tty_client "$MNT/d/gone.tty" "$T/c2"
wait_for 10 test -e "$T/c2.up" || fail "the .tty client of d/gone never heard its echo"
sed -i '/^gone =/d' "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 10 test -s "$T/c2" || fail "the .tty client of a removed console was not hung up"
grep -q "\[consolefs: d/gone was removed\]" "$T/c2" || fail "the .tty client of d/gone read $(cat "$T/c2")"
grep -qE " (EOF|EIO)\$" "$T/c2" || fail "the .tty client of d/gone ended with: $(cat "$T/c2")"
true
