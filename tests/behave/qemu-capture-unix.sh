#!/bin/bash
# A real guest (tests/guest) on QEMU's -serial unix:PATH,server=on,wait=off,
# which drops what the guest prints while no client is connected (and takes
# one client at a time). consolefs is mounted before
# the guest boots and nobody attaches: <dev>.log holds the kernel's boot
# lines; a counter the guest prints every 100 ms is complete in the log
# across sessions opened, closed and opened again, and each session sees
# it without a gap from the moment it opens.
. "$(dirname "$0")/../lib.sh"
need python3 socat
KERNEL_APPEND=consolefs.counter
guest_fixture
guest_start_stopped "unix:$T/serial.sock,server=on,wait=off"
cat > "$CONF" <<EOF
[domain g]
console0 = unix:$T/serial.sock
EOF
mount_fs
F=$MNT/g/console0
wait_for 5 unix_connected "$DAEMON_PID" "$T/serial.sock" || fail "not connected to $T/serial.sock"
guest_cont
"$TOP/tests/guest/ticks.py" "$F" || { tr -d "\r" <"$F.log" | grep -n -C3 "tick [1-3]$" >&2; fail "the counter has gaps"; }
