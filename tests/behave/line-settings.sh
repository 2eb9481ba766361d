#!/bin/bash
# line-settings — tty: line settings reach the terminal: while a session is
# open, the pty slave the test holds reads back (tcgetattr) the configured
# speed, parity kind (odd, mark/space), stop bits, flow control and HUPCL,
# in raw mode (a pty forces CS8 and clears PARENB whatever it is given —
# drivers/tty/pty.c pty_set_termios — so data bits and parity on/off are
# checked in tests/unit/test_line.c on what consolefs asks for);
# a speed without a B constant (250000) reads back through TCGETS2 as
# BOTHER; when the session ends the old settings are back. Bad settings
# are refused with FILE:LINE and exit status 2, nothing mounted.
. "$(dirname "$0")/../lib.sh"
need python3

make_pty a
P=$PTY_a
# capture = no: every console here is the same pty, each opened only for
# its session, so the settings from before are back once a session ends.
cat > "$CONF" <<EOF
[domain d]
capture = no
plain = tty:$P
s7e1 = tty:$P,9600,7e1
s8n2 = tty:$P,8n2
rts = tty:$P,19200,7o1,flow=rtscts,hupcl=no
xon = tty:$P,flow=xonxoff,hupcl=yes,5s2
mark = tty:$P,1200,6m1
odd = tty:$P,250000
EOF
mount_fs

# For each "NAME CHECKS...": open $MNT/d/NAME (a session), read the pty's
# settings through the test's own descriptor, check them, close, and wait
# until the settings from before the session are back.
python3 - "$P" "$MNT/d" <<'PY' || fail "line settings were not applied (see above)"
import errno, fcntl, os, struct, sys, termios, time

pty, d = sys.argv[1:3]
held = os.open(pty, os.O_RDWR | os.O_NOCTTY)
TCGETS2 = 0x802C542A           # _IOR('T', 0x2A, struct termios2), 44 bytes
BOTHER = 0o010000
CBAUD = 0o010017
CMSPAR = getattr(termios, "CMSPAR", 0o10000000000)
bad = 0

def termios2(fd):
    b = fcntl.ioctl(fd, TCGETS2, bytes(44))
    iflag, oflag, cflag, lflag = struct.unpack_from("4I", b, 0)
    ispeed, ospeed = struct.unpack_from("2I", b, 36)
    return cflag, ispeed, ospeed

def open_session(path):
    # The last session's release is asynchronous: its lock may still be
    # there for a moment.
    for _ in range(250):
        try:
            return os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError as e:
            if e.errno != errno.EBUSY:
                raise
            time.sleep(0.02)
    raise SystemExit(f"{path}: still EBUSY")

def check(name, want):
    global bad
    before = termios.tcgetattr(held)
    fd = open_session(f"{d}/{name}")
    iflag, oflag, cflag, lflag, ispeed, ospeed, cc = termios.tcgetattr(held)
    got = {
        "speed": ospeed, "ispeed": ispeed,
        "size": cflag & termios.CSIZE,
        "parenb": bool(cflag & termios.PARENB), "parodd": bool(cflag & termios.PARODD),
        "cmspar": bool(cflag & CMSPAR), "cstopb": bool(cflag & termios.CSTOPB),
        "crtscts": bool(cflag & termios.CRTSCTS),
        "ixon": bool(iflag & termios.IXON), "ixoff": bool(iflag & termios.IXOFF),
        "hupcl": bool(cflag & termios.HUPCL),
        "raw": not (lflag & (termios.ICANON | termios.ECHO | termios.ISIG)) and
               not (oflag & termios.OPOST) and not (iflag & termios.ICRNL),
        "clocal": bool(cflag & termios.CLOCAL),
    }
    c2, is2, os2 = termios2(held)
    got["t2speed"] = (c2 & CBAUD, is2, os2)
    for k, v in want.items():
        if got[k] != v:
            print(f"FAIL {name}: {k} = {got[k]!r}, want {v!r}", file=sys.stderr)
            bad = 1
    os.close(fd)
    for _ in range(250):
        if termios.tcgetattr(held) == before:
            break
        time.sleep(0.02)
    else:
        print(f"FAIL {name}: settings not restored after the session: "
              f"{termios.tcgetattr(held)} != {before}", file=sys.stderr)
        bad = 1
    print(f"  {name}: {' '.join(f'{k}={got[k]}' for k in want)}", file=sys.stderr)

std = dict(raw=True, clocal=True)
check("plain", dict(std, speed=termios.B115200, ispeed=termios.B115200, parodd=False,
      cmspar=False, cstopb=False, crtscts=False, ixon=False, ixoff=False))
check("s7e1", dict(std, speed=termios.B9600, ispeed=termios.B9600, parodd=False,
      cmspar=False, cstopb=False))
check("s8n2", dict(std, speed=termios.B115200, parodd=False, cstopb=True))
check("rts", dict(std, speed=termios.B19200, parodd=True, cmspar=False, cstopb=False,
      crtscts=True, ixon=False, ixoff=False, hupcl=False))
check("xon", dict(std, speed=termios.B115200, parodd=False, cmspar=True, cstopb=True,
      crtscts=False, ixon=True, ixoff=True, hupcl=True))
check("mark", dict(std, speed=termios.B1200, ispeed=termios.B1200, parodd=True,
      cmspar=True, cstopb=False))
check("odd", dict(std, t2speed=(BOTHER, 250000, 250000), parodd=False, cstopb=False))
sys.exit(bad)
PY

# refuse LINE WORD SETTING: a device with SETTING on line LINE is refused
# with "FILE:LINE: ...WORD...", exit status 2, no mount.
n=0
refuse() {
	local line=$1 word=$2 conf=$T/bad$n.conf err=$T/bad$n.err st=0
	n=$((n + 1))
	{ echo "[domain b]"; for _ in $(seq 3 "$line"); do echo "; filler"; done
	  echo "serial0 = $3"; } >"$conf"
	timeout -k 2 10 "$CONSOLEFS" -f -c "$conf" --lock-dir "$LOCKDIR" "$T/mnt2" \
		>/dev/null 2>"$err" || st=$?
	cat "$err" >>"$DAEMON_LOG"
	[ "$st" -eq 2 ] || { cat "$err" >&2; fail "'$3': exit status $st, want 2"; }
	grep -F -- "$conf:$line: " "$err" | grep -qF -- "$word" ||
		{ cat "$err" >&2; fail "'$3': no '$conf:$line: ...$word...'"; }
	! mountpoint -q "$T/mnt2" || fail "'$3': mounted"
	note "$(head -n1 "$err")"
}
mkdir -p "$T/mnt2"
refuse 2 "bad baud rate '96k'" "tty:$P,96k"
refuse 4 "bad parity in '8q1'" "tty:$P,9600,8q1"
refuse 3 "bad flow control 'flow=hard'" "tty:$P,flow=hard"
refuse 5 "bad hang-up setting" "tty:$P,hupcl=maybe"
refuse 2 "bad stop bits" "udev:ID_SERIAL_SHORT=A9XK3,8n3"
refuse 2 "given twice" "tty:$P,9600,19200"
