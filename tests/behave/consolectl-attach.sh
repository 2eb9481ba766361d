#!/bin/bash
# consolectl attach in a terminal (tmux): connects to an exec: shell with
# "Connected to d/console0 (escape ^])", typed commands run and their
# output shows, ^] leaves with status 0 and the terminal settings are what
# they were. A busy console is refused with its holder (pid, comm) and
# status 3. attach -f takes the console over from another attach, which
# says it was taken over and exits 5.
. "$(dirname "$0")/../lib.sh"
need tmux getfattr
cat > "$CONF" <<EOF
[domain d]
# A shell for people: its bare \n needs the terminal's \r (an exec: pty passes
# output unchanged).
console0 = exec:/bin/sh -c 'stty onlcr; exec /bin/sh'
EOF
mount_fs
F=$MNT/d/console0
[ -x "$CONSOLECTL" ] || fail "$CONSOLECTL not built"

# 1. Attach, type a command, leave with ^].
tmux_run a "$CONSOLECTL -m $MNT attach d"
tmux_wait a '^Connected to d/console0 \(escape \^\], \^\]\? for help\)'
tmux_keys a 'echo hel""lo' Enter
tmux_wait a '^hello'
[[ $(xattr "$F" user.holder) == *" comm=consolectl" ]] || fail "holder while attached: $(xattr "$F" user.holder)"
tmux_keys a C-] .
rc=$(tmux_rc a)
[ "$rc" = 0 ] || { tmux_screen a >&2; fail "attach left with ^] exited $rc"; }
cmp -s "$T/a.stty0" "$T/a.stty1" ||
	fail "terminal settings changed: $(cat "$T/a.stty0") -> $(cat "$T/a.stty1")"
wait_for 2 sh -c "exec 3<>'$F'" || fail "console not free after ^]"

# 2. A busy console: the holder is named, status 3, terminal untouched.
cat "$F" >/dev/null &
holder=$!
at_exit "kill $holder"
wait_for 5 sh -c "getfattr --only-values -n user.holder '$F' 2>/dev/null | grep -q '^pid=$holder '" ||
	fail "cat did not take the console"
tmux_run b "$CONSOLECTL -m $MNT attach d"
rc=$(tmux_rc b)
[ "$rc" = 3 ] || { tmux_screen b >&2; fail "attach to a busy console exited $rc"; }
tmux_wait b "^consolectl: d/console0 is busy: held by pid=$holder uid=0 comm=cat\$"
tmux_wait b "consolectl attach -f"
tmux_screen b | grep -q Connected && fail "attach said Connected to a busy console"
cmp -s "$T/b.stty0" "$T/b.stty1" || fail "terminal settings changed by a refused attach"
kill $holder
wait $holder 2>/dev/null

# 3. attach -f in one window displaces an attach in another.
tmux_run first "$CONSOLECTL -m $MNT attach d"
tmux_wait first '^Connected to d/console0'
tmux_keys first 'echo fi""rst' Enter
tmux_wait first '^first'
tmux_run second "$CONSOLECTL -m $MNT attach -f d"
tmux_wait second '^Connected to d/console0'
tmux_wait first 'session taken over by another user'
rc=$(tmux_rc first)
[ "$rc" = 5 ] || { tmux_screen first >&2; fail "displaced attach exited $rc"; }
cmp -s "$T/first.stty0" "$T/first.stty1" || fail "terminal settings of the displaced attach changed"
tmux_keys second 'echo sec""ond' Enter
tmux_wait second '^second'
tmux_screen first | grep -q '^second' && fail "the displaced attach still shows output"
tmux_keys second C-] .
rc=$(tmux_rc second)
[ "$rc" = 0 ] || { tmux_screen second >&2; fail "attach -f left with ^] exited $rc"; }
cmp -s "$T/second.stty0" "$T/second.stty1" || fail "terminal settings of attach -f changed"
