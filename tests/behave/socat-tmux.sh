#!/bin/bash
# socat -,raw,echo=0,escape=0x1d FILE under tmux types into an exec: shell
# and shows its output; ^] leaves.
. "$(dirname "$0")/../lib.sh"
need socat tmux
cat > "$CONF" <<EOF
[domain d]
# A shell for people: its bare \n needs the terminal's \r (an exec: pty passes
# output unchanged).
console0 = exec:/bin/sh -c 'stty onlcr; exec /bin/sh'
EOF
mount_fs
tmux_start s "socat -,raw,echo=0,escape=0x1d $MNT/d/console0; echo socat-exit=\$?; sleep 30"
sleep 0.3
tmux_keys s 'echo $((6*7))x' Enter
tmux_wait s '^42x'
tmux_keys s C-]
tmux_wait s 'socat-exit=0'
