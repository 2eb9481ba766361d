#!/bin/bash
# consolectl attach's escape commands, in a terminal (tmux): the connect
# line names the help; ^]? shows it; ^]b on a tty: backend sends a BREAK
# (a pty stands in for the serial line and cannot carry a BREAK to its
# other side, so strace on the daemon shows the TIOCSBRK/TIOCCBRK it makes
# on the device), and on an exec: console says it is not supported; ^]^]
# sends one ^] to the guest, ^] and another key send both; ^]r shows the
# last lines again; ^]. leaves; --replay 2l shows the last two lines
# first. attach --wait waits for a pty: device
# that is not there yet and attaches when it appears.
. "$(dirname "$0")/../lib.sh"
need tmux python3 strace
make_pty b
cat > "$T/guest.py" <<'PY'
import os, sys, tty
tty.setraw(0)
print("READY", flush=True)
with open(sys.argv[1], "a") as f:
    while True:
        b = os.read(0, 1)
        if not b:
            break
        f.write(b.hex() + "\n")
        f.flush()
        os.write(1, b"got " + b.hex().encode() + b"\r\n")
PY
cat > "$CONF" <<CONF
[domain d]
console0 = exec:/usr/bin/env python3 $T/guest.py $T/keys
serial0 = tty:$PTY_b,9600
w = pty:$T/ptylink
CONF
mount_fs
wait_ready d
[ -x "$CONSOLECTL" ] || fail "$CONSOLECTL not built"

# Help, literal escape, other keys, the last lines, leaving.
tmux_run a "$CONSOLECTL -m $MNT attach d"
tmux_wait a '^Connected to d/console0 \(escape \^\], \^\]\? for help\)'
tmux_keys a C-] '?'
tmux_wait a '^  \^\]b   send a BREAK'
tmux_wait a '^  \^\]\^\]  send \^\] itself'
tmux_keys a a C-] C-] b
tmux_wait a '^got 62'
tmux_keys a C-] x
tmux_wait a '^got 78'
[ "$(tr '\n' ' ' < "$T/keys")" = "61 1d 62 1d 78 " ] || fail "the guest got: $(cat "$T/keys")"
tmux_keys a C-] b
tmux_wait a 'BREAK is not supported by this console \(d/console0\)'
tmux_keys a C-] r
tmux_wait a '^\[consolectl: the last lines of d/console0\]'
tmux_wait a '^\[consolectl: end of the last lines\]'
tmux_keys a C-] .
rc=$(tmux_rc a)
[ "$rc" = 0 ] || { tmux_screen a >&2; fail "^]. exited $rc"; }
cmp -s "$T/a.stty0" "$T/a.stty1" || fail "terminal settings changed"
[ "$(tr '\n' ' ' < "$T/keys")" = "61 1d 62 1d 78 " ] || fail "commands reached the guest: $(cat "$T/keys")"

# --replay for one attach: the last lines first, then live.
tmux_run rp "$CONSOLECTL -m $MNT attach --replay 2l d"
tmux_wait rp '^Connected to d/console0'
tmux_wait rp '^got 78'
sleep 0.3
[ "$(tmux_screen rp | grep -c '^got ')" = 2 ] || { tmux_screen rp >&2; fail "--replay 2l did not show exactly the last 2 lines"; }
tmux_keys rp C-] .
[ "$(tmux_rc rp)" = 0 ] || fail "attach --replay did not leave"

# BREAK on a tty: backend, seen where the daemon makes it.
tmux_run s "$CONSOLECTL -m $MNT attach d/serial0"
tmux_wait s '^Connected to d/serial0'
strace -f -qq -e trace=ioctl -e signal=none -p "$DAEMON_PID" -o "$T/strace" &
ST=$!
at_exit "kill $ST"
wait_for 5 grep -q TracerPid:.*$ST /proc/$DAEMON_PID/status || fail "strace did not attach"
tmux_keys s C-] b
tmux_wait s '^\[consolectl: BREAK sent to d/serial0\]'
wait_for 5 grep -q 'TIOCCBRK' "$T/strace" || { cat "$T/strace" >&2; fail "no BREAK made on the device"; }
kill $ST; wait $ST 2>/dev/null
fd=$(sed -nE 's/.*ioctl\(([0-9]+), TIOCSBRK\) += 0$/\1/p' "$T/strace" | head -1)
[ -n "$fd" ] || { cat "$T/strace" >&2; fail "no TIOCSBRK that worked"; }
grep -qE "ioctl\($fd, TIOCCBRK\) += 0$" "$T/strace" || fail "the BREAK was not ended on the same fd"
[ "$(readlink "/proc/$DAEMON_PID/fd/$fd")" = "$PTY_b" ] || fail "the BREAK went to $(readlink "/proc/$DAEMON_PID/fd/$fd"), not $PTY_b"
note "daemon: $(grep -oE "ioctl\($fd, TIOC[SC]BRK\)" "$T/strace" | tr '\n' ' ')on $PTY_b"
tmux_keys s C-] .
[ "$(tmux_rc s)" = 0 ] || fail "attach to serial0 did not leave"

# --wait: the pty: device's path appears later.
tmux_run w "$CONSOLECTL -m $MNT attach --wait d/w"
tmux_wait w '^Waiting for d/w to appear'
sleep 0.5
tmux_screen w | grep -q Connected && fail "attached to an absent device"
ln -s "$PTY_b" "$T/ptylink"
tmux_wait w '^Connected to d/w'
tmux_keys w 'typed-after-wait' Enter
wait_for 5 grep -q typed-after-wait "$T/b.out" || fail "keys did not reach the pty after --wait"
tmux_keys w C-] .
[ "$(tmux_rc w)" = 0 ] || fail "attach --wait did not leave"
