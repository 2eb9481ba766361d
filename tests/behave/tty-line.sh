#!/bin/bash
# Line settings a DEV.tty client sets (pyserial: 9600 baud, two stop bits,
# RTS/CTS) reach a tty: backend (a pty here) while its session lasts; the
# next client starts from the configured ones (115200, one stop bit, no
# flow control). Data bits and parity are not seen (the kernel's pty driver
# forces 8 bits, no parity, on the .tty side; on this pty backend too). For
# an exec: backend a speed is accepted and ignored.
. "$(dirname "$0")/../lib.sh"
need python3 stty
/usr/bin/python3 -c 'import serial' 2>/dev/null || skip "python3-serial not installed"
make_pty a
P=$PTY_a
cat > "$CONF" <<EOF
[domain d]
console0 = tty:$P,115200
shell = exec:/bin/sh -c 'stty onlcr; exec /bin/sh'
EOF
mount_fs
F=$MNT/d/console0
line() { stty -a -F "$P"; }
# has SETTING: stty shows it, as a whole word ("cstopb" is not "-cstopb").
has() { line | tr ';' '\n' | sed 's/^ *//' | tr ' ' '\n' | grep -qx -- "$1" ||
	line | grep -q -- "$1;"; }

# client ARGS...: a pyserial client of $F.tty with those settings that
# writes one byte and stays until killed.
client() {
	/usr/bin/python3 - "$F.tty" "$@" > "$T/client.out" <<'PY' &
import signal, sys, serial
s = serial.Serial(sys.argv[1], int(sys.argv[2]), stopbits=int(sys.argv[3]),
                  rtscts=sys.argv[4] == "1", timeout=1)
s.write(b"x")
s.flush()
print("open", flush=True)
signal.pause()
PY
	CLIENT=$!
	at_exit "kill $CLIENT"
	wait_for 5 test -s "$T/client.out" || fail "the pyserial client did not start"
}

client 9600 2 1
wait_for 5 has "speed 9600 baud" || { line >&2; fail "the backend did not get 9600 baud"; }
has cstopb || { line >&2; fail "the backend did not get two stop bits"; }
has crtscts || { line >&2; fail "the backend did not get RTS/CTS"; }
grep -q "line settings from /dev/pts/[0-9]*: 9600 baud, 2 stop bits, RTS/CTS" "$DAEMON_LOG" ||
	fail "no log line about the client's settings"
kill "$CLIENT"
wait "$CLIENT" 2>/dev/null

# The next client, with the configured settings: the backend gets them.
client 115200 1 0
wait_for 5 has "speed 115200 baud" || { line >&2; fail "the next session kept 9600 baud"; }
has -cstopb && has -crtscts || { line >&2; fail "the next session kept the stop bits or flow control"; }
kill "$CLIENT"
wait "$CLIENT" 2>/dev/null

# exec: takes no line settings: accepted by the pty, nothing said.
/usr/bin/python3 - "$MNT/d/shell.tty" <<'PY' || fail "the exec: console did not answer at 9600"
import sys, serial
s = serial.Serial(sys.argv[1], 9600, timeout=1)
s.write(b"echo ni''ne\n")
got = b""
for _ in range(10):
    got += s.read(100)
    if b"nine\r\n" in got:
        sys.exit(0)
sys.exit("got %r" % got)
PY
grep -q "cannot pass on" "$DAEMON_LOG" && fail "the daemon complained about line settings"
true
