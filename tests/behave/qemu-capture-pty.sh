#!/bin/bash
# A real guest (tests/guest) on QEMU's -serial pty, which drops what the
# guest prints while nobody has the pty open. consolefs is mounted before
# the guest boots and nobody attaches: <dev>.log holds the kernel's boot
# lines; a counter the guest prints every 100 ms is complete in the log
# across sessions opened, closed and opened again, and each session sees
# it without a gap from the moment it opens.
. "$(dirname "$0")/../lib.sh"
need python3 socat
KERNEL_APPEND=consolefs.counter
guest_fixture
guest_start_stopped pty
cat > "$CONF" <<EOF
[domain g]
console0 = pty:$PTS
EOF
mount_fs
F=$MNT/g/console0
wait_for 5 sh -c "ls -l /proc/$DAEMON_PID/fd | grep -q ' -> $PTS\$'" || fail "not capturing $PTS"
guest_cont
"$TOP/tests/guest/ticks.py" "$F" || { tr -d "\r" <"$F.log" | grep -n -C3 "tick [1-3]$" >&2; fail "the counter has gaps"; }
