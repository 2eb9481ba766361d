#!/bin/bash
# `screen consolectl attach d` gives a detachable console: after C-a d the
# console stays held (another open gets EBUSY), `screen -r` continues the
# same session, ^] ends consolectl (status 0) and with it screen, and the
# console is free again.
. "$(dirname "$0")/../lib.sh"
need tmux screen python3 getfattr
cat > "$CONF" <<EOF
[domain d]
# A shell for people: its bare \n needs the terminal's \r (an exec: pty passes
# output unchanged).
console0 = exec:/bin/sh -c 'stty onlcr; exec /bin/sh'
EOF
mount_fs
F=$MNT/d/console0
export SCREENDIR=$T/screens	# keep away from the user's screens
mkdir -m 700 "$SCREENDIR"
at_exit "screen -S cfs -X quit"
# screen_is REGEX: `screen -ls` shows the session cfs matching REGEX.
screen_is() { screen -ls 2>/dev/null | grep -qE "[0-9]+\.cfs[[:space:]].*$1"; }

tmux_start s "SCREENDIR='$SCREENDIR' screen -S cfs sh -c '$CONSOLECTL -m $MNT attach d; echo \$? > $T/rc'"
tmux_wait s '^Connected to d/console0 \(escape \^\], \^\]\? for help\)'
tmux_keys s 'echo fi""rst' Enter
tmux_wait s '^first'
holder=$(xattr "$F" user.holder)
[[ $holder == *" comm=consolectl" ]] || fail "holder while attached: '$holder'"

# Detach: consolectl keeps the console.
tmux_keys s C-a d
wait_for 5 screen_is Detached || { screen -ls >&2; fail "screen did not detach"; }
[ "$(open_errno "$F")" = EBUSY ] || fail "open of a console held by a detached screen: $(open_errno "$F")"
[ "$(xattr "$F" user.holder)" = "$holder" ] || fail "holder changed at detach: $(xattr "$F" user.holder)"
[ -e "$T/rc" ] && fail "consolectl ended at detach (status $(cat "$T/rc"))"

# Reattach in another terminal: the same session goes on.
tmux_start r "SCREENDIR='$SCREENDIR' screen -r cfs"
wait_for 5 screen_is Attached || { screen -ls >&2; fail "screen -r did not attach"; }
tmux_wait r '^first'	# the same window, with what it showed before
tmux_keys r 'echo sec""ond' Enter
tmux_wait r '^second'
[ "$(xattr "$F" user.holder)" = "$holder" ] || fail "holder changed at reattach: $(xattr "$F" user.holder)"

# ^] ends consolectl, then screen; the console is free.
tmux_keys r C-] .
wait_for 5 test -e "$T/rc" || fail "consolectl did not end on ^]"
[ "$(cat "$T/rc")" = 0 ] || fail "consolectl left with ^] exited $(cat "$T/rc")"
wait_for 5 sh -c '! screen -ls 2>/dev/null | grep -q "\.cfs[[:space:]]"' || fail "screen did not end with consolectl"
wait_for 2 sh -c "exec 3<>'$F'" || fail "console not free after ^]: $(open_errno "$F")"
xattr "$F" user.holder && fail "user.holder still set after ^]"
true
