#!/bin/bash
# `screen DEV.tty` of an exec: shell: what is typed runs and its output
# shows; after C-a d the console stays held (an open of the file gets EBUSY,
# user.holder names screen); `screen -r` continues; quitting screen frees
# the console.
. "$(dirname "$0")/../lib.sh"
need tmux screen python3 getfattr
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'stty onlcr; exec /bin/sh'
EOF
mount_fs
F=$MNT/d/console0
export SCREENDIR=$T/screens	# keep away from the user's screens
mkdir -m 700 "$SCREENDIR"
at_exit "screen -S cfs -X quit"
screen_is() { screen -ls 2>/dev/null | grep -qE "[0-9]+\.cfs[[:space:]].*$1"; }

[ -L "$F.tty" ] || fail "$F.tty is not a symbolic link"
tmux_start s "SCREENDIR='$SCREENDIR' screen -S cfs '$F.tty'"
wait_for 10 xattr "$F" user.holder >/dev/null || fail "screen never took the console"
wait_for 10 tmux_raw s || fail "screen never set its terminal raw"
tmux_keys s 'echo fi""rst' Enter
tmux_wait s '^first'
holder=$(xattr "$F" user.holder)
[[ $holder == *" comm=screen" ]] || fail "holder while screen has the .tty: '$holder'"

# Detach: screen keeps the terminal open, and with it the session.
tmux_keys s C-a d
wait_for 5 screen_is Detached || { screen -ls >&2; fail "screen did not detach"; }
[ "$(open_errno "$F")" = EBUSY ] || fail "open of a console held by a detached screen: $(open_errno "$F")"
[ "$(xattr "$F" user.holder)" = "$holder" ] || fail "holder changed at detach: $(xattr "$F" user.holder)"

# Reattach: the same session goes on.
tmux_start r "SCREENDIR='$SCREENDIR' screen -r cfs"
wait_for 5 screen_is Attached || { screen -ls >&2; fail "screen -r did not attach"; }
tmux_wait r '^first'
tmux_keys r 'echo sec""ond' Enter
tmux_wait r '^second'

# Quit screen (C-a k, y kills its only window): the console is free again.
tmux_keys r C-a k
tmux_wait r 'Really kill this window'
tmux_keys r y
wait_for 5 sh -c '! screen -ls 2>/dev/null | grep -q "\.cfs[[:space:]]"' || fail "screen did not quit"
wait_for 5 sh -c "exec 3<>'$F'" || fail "console not free after screen quit: $(open_errno "$F")"
xattr "$F" user.holder && fail "user.holder still set after screen quit"
true
