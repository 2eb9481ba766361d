#!/bin/bash
# minicom -D on the console file itself (not a terminal): it starts, what is
# typed reaches the console, and the console's answers appear in minicom's
# window, also an answer of several lines.
#
# minicom 2.8 checks its port with tcgetattr() on every turn of its main
# loop (each key, each read, each second) and, when that fails (ENOTTY on
# this file), closes and reopens it as if a USB adapter had been unplugged:
# each of those turns is a new session. The many-line answer shows whether
# output survives that.
. "$(dirname "$0")/../lib.sh"
need tmux minicom
[ -d /var/lock ] && [ -w /var/lock ] || skip "/var/lock is not a writable directory"
# The console: answers each line with "got:LINE"; "many" adds 20 lines.
# (Its lines end in a bare \n: onlcr gives minicom the \r, as for a shell
# on an exec: pty, which passes output unchanged.)
cat > "$T/console.sh" <<'EOF'
stty -echo onlcr
while read -r l; do
	echo "got:$l"
	if [ "$l" = many ]; then
		i=0
		while [ $i -lt 20 ]; do
			i=$((i + 1))
			echo "line$i of the console answer, long enough to need more than one read"
		done
		echo "end of answer"
	fi
done
EOF
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh $T/console.sh
EOF
mount_fs
F=$MNT/d/console0

tmux_start m "exec env TERM=screen MINICOM= minicom -b 115200 -D $F"
mpid=$(tmux_pid m)
lock_own "$mpid"
# minicom ends before the daemon is stopped.
at_exit "tmux -S '$TMUX_SOCK' kill-server; wait_for 5 proc_ended $mpid"
# It makes /var/lock/LCK..console0 (the file's base name) at start.
at_exit "lock_cleanup /var/lock/LCK..console0"
tmux_wait m "Press CTRL-A Z for help"
tmux_screen m | grep -q "cannot open\|Cannot open" && { tmux_screen m >&2; fail "minicom cannot open $F"; }

# Typing reaches the console; its one-line answer is shown.
tmux_keys m hello Enter
tmux_wait m "^got:hello"

# An answer of 21 lines (about 1.5 KiB) is shown whole and in order.
tmux_keys m many Enter
tmux_wait m "^got:many"
wait_for 5 sh -c "tmux -S '$TMUX_SOCK' capture-pane -p -t m | grep -q '^end of answer'" || {
	tmux_screen m >&2
	fail "minicom did not show the whole answer (output lost after the first read)"
}
want=$(for i in $(seq 20); do echo "line$i of the console answer, long enough to need more than one read"; done)
got=$(tmux_screen m | grep '^line')
[ "$got" = "$want" ] || { tmux_screen m >&2; fail "the answer's lines are not all there, in order"; }
