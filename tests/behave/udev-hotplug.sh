#!/bin/bash
# udev-hotplug — a udev: device follows the tty it matches through real
# (synthetic) uevents for tty63: present at start (user.state "present
# /dev/tty63"), ENXIO and "absent" after a remove, back after an add, still
# there after a change; the daemon says once which event source it uses
# (no udev daemon here: the kernel's); its CPU time stays flat while the
# device is absent (nothing polls).
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
tty63_take

cat > "$CONF" <<EOF
[domain board]
serial0 = udev:MAJOR=4,MINOR=63
EOF
mount_fs
F=$MNT/board/serial0

# 1. Present at start, through the enumeration.
[ "$(xattr "$F" user.state)" = "present /dev/tty63" ] ||
	fail "user.state at start: '$(xattr "$F" user.state)'"
[ "$(xattr "$F" user.backend)" = "udev:MAJOR=4,MINOR=63" ] ||
	fail "user.backend: '$(xattr "$F" user.backend)'"
r=$(open_errno "$F")
[ "$r" = ok ] || fail "open while present: $r"
if [ -e /run/udev/control ]; then src=udev; else src=kernel; fi
[ "$(grep -c "following tty devices through $src" "$DAEMON_LOG")" = 1 ] ||
	fail "no single log line naming the $src event source"
note "present at start; source: $(grep -o "following tty devices through [a-z]* [a-z]*" "$DAEMON_LOG")"

# 2. remove: absent, ENXIO.
tty63_event remove
wait_xattr "$F" user.state absent
r=$(open_errno "$F")
[ "$r" = ENXIO ] || fail "open after remove: $r, want ENXIO"
note "after remove: absent, open ENXIO"

# 3. While absent the daemon sleeps: no CPU time. (It may still wake for
#    other devices' uevents: every FUSE mount on the machine makes one.)
cpu() { awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat"; }
wakes() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$DAEMON_PID/status"; }
c0=$(cpu) w0=$(wakes)
sleep 2
c1=$(cpu) w1=$(wakes)
note "absent for 2 s: $((c1 - c0)) ticks of CPU, $((w1 - w0)) wake-ups"
[ $((c1 - c0)) -le 1 ] || fail "the daemon used $((c1 - c0)) ticks of CPU in 2 s while absent"

# 4. add: back.
tty63_event add
wait_xattr "$F" user.state "present /dev/tty63"
r=$(open_errno "$F")
[ "$r" = ok ] || fail "open after add: $r"

# 5. change: still there; nothing was logged as an error.
tty63_event change
sleep 0.2
[ "$(xattr "$F" user.state)" = "present /dev/tty63" ] ||
	fail "user.state after change: '$(xattr "$F" user.state)'"
r=$(open_errno "$F")
[ "$r" = ok ] || fail "open after change: $r"
! grep -E "error|warning" "$DAEMON_LOG" || fail "errors or warnings in the log"
note "after add and change: present, open ok"
