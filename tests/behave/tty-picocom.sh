#!/bin/bash
# `picocom -q DEV.tty` (picocom refuses the console file itself: "Filedes is
# not a tty") types into an exec: shell and shows its output; user.holder
# names picocom; C-a C-x leaves and frees the console.
. "$(dirname "$0")/../lib.sh"
need tmux picocom python3 getfattr
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'stty onlcr; exec /bin/sh'
EOF
mount_fs
F=$MNT/d/console0

tmux_run p "picocom -q -b 115200 '$F.tty'"
# Type only once picocom has the session and its terminal is raw: keys typed
# earlier are echoed by the pane's tty and flushed when picocom starts.
wait_for 10 xattr "$F" user.holder >/dev/null || fail "picocom never took the console"
wait_for 10 tmux_raw p || fail "picocom never set its terminal raw"
tmux_keys p 'echo pi""co' Enter
tmux_wait p '^pico'
holder=$(xattr "$F" user.holder)
[[ $holder == *" comm=picocom" ]] || fail "holder while picocom has the .tty: '$holder'"
[ "$(open_errno "$F")" = EBUSY ] || fail "open of the file while picocom has the .tty: $(open_errno "$F")"
tmux_keys p C-a C-x
[ "$(tmux_rc p)" = 0 ] || { tmux_screen p >&2; fail "picocom exited $(cat "$T/p.rc")"; }
wait_for 5 sh -c "exec 3<>'$F'" || fail "console not free after picocom left: $(open_errno "$F")"
true
