#!/bin/bash
# Terminal escapes in what other users control never reach the operator's
# terminal raw: a process named "\e]0;PWN\a\e[2J" (set a title, clear the
# screen) holds a console; user.holder shows its name escaped
# (comm=\x1b]0;PWN\x07\x1b[2J), and under tmux neither `consolectl attach`
# (which says who holds it) nor `consolectl list --wide` (which also shows
# a backend string carrying an escape) changes the pane's title or clears
# its screen. (Before: attach printed the name raw: title PWN, screen gone.)
. "$(dirname "$0")/../lib.sh"
need python3 getfattr tmux
ESC=$'\e' BEL=$'\a'
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/cat
serial0 = exec:/bin/sh -c 'exit 3' ${ESC}]2;PWN2${BEL}
serial1 = exec:/nonexistent${ESC}]2;PWN3${BEL}${ESC}[2J
EOF
mount_fs
F=$MNT/d/console0

# The holder: a process that renames itself, then opens the console.
python3 -c '
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(15, b"\x1b]0;PWN\x07\x1b[2J", 0, 0, 0)
os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
print("open", flush=True)
signal.pause()
' "$F" > "$T/holder.ready" &
hpid=$!
at_exit "kill $hpid"
wait_for 5 test -s "$T/holder.ready" || fail "the renamed process did not open the console"
[ "$(od -An -c /proc/$hpid/comm | tr -d ' \n')" = '033]0;PWN\a033[2J\n' ] ||
	fail "comm is $(od -An -c /proc/$hpid/comm)"
h=$(xattr "$F" user.holder)
want="pid=$hpid uid=0 comm=\\x1b]0;PWN\\x07\\x1b[2J"
[ "$h" = "$want" ] || fail "user.holder is '$(printf %q "$h")', want '$want'"
answers_fast "$F"

# attach and list in a real terminal, after a line that must stay visible.
# (serial1's state, which attach shows, names the command it could not run.)
tmux_run a "echo KEEP-THIS-LINE; '$CONSOLECTL' -m '$MNT' attach d; '$CONSOLECTL' -m '$MNT' attach d/serial1; '$CONSOLECTL' -m '$MNT' list --wide"
[ "$(tmux_rc a)" = 0 ] || { tmux_screen a >&2; fail "list in tmux failed"; }
tmux_wait a 'held by pid='
screen=$(tmux_screen a)
title=$(tmux -S "$TMUX_SOCK" display-message -p -t a '#{pane_title}')
printf '%s\n' "$screen" | grep -q KEEP-THIS-LINE || { printf '%s\n' "$screen" >&2; fail "the screen was cleared"; }
case $title in *PWN*) fail "the pane's title was set to '$title'" ;; esac
printf '%s\n' "$screen" | grep -qF 'comm=\x1b]0;PWN\x07\x1b[2J' ||
	{ printf '%s\n' "$screen" >&2; fail "attach did not show the holder's name escaped"; }
printf '%s\n' "$screen" | grep -qF 'state: failed: cannot execute /nonexistent\x1b]2;PWN3\x07\x1b[2J' ||
	{ printf '%s\n' "$screen" >&2; fail "attach did not show serial1's state escaped"; }
printf '%s\n' "$screen" | grep -qF '\x1b]2;PWN2\x07' ||
	{ printf '%s\n' "$screen" >&2; fail "list did not show the backend's escape escaped"; }
note "title '$title', screen kept, names shown escaped"

# The same words on a pipe: not one ESC or BEL byte.
{ "$CONSOLECTL" -m "$MNT" attach d; "$CONSOLECTL" -m "$MNT" attach d/serial1; } > "$T/attach.out" 2>&1
"$CONSOLECTL" -m "$MNT" list --wide > "$T/list.out" 2>&1
"$CONSOLECTL" -m "$MNT" list --json > "$T/json.out" 2>&1
for f in attach list json; do
	if LC_ALL=C grep -q "[$ESC$BEL]" "$T/$f.out"; then
		od -c "$T/$f.out" >&2
		fail "$f printed an ESC or BEL byte"
	fi
done
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/json.out" || fail "list --json is not JSON"
stop_fs || fail "daemon exited $?"
