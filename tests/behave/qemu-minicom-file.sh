#!/bin/bash
# minicom -D on the console file of a real guest on QEMU's -serial pty,
# under tmux: `seq 1 200` typed into the guest's shell shows every number,
# in order. minicom reopens the file about once a second (tcgetattr fails
# on it); with the pty kept open by consolefs nothing the guest prints in
# between is lost (QEMU would drop it with nobody on the pty).
. "$(dirname "$0")/../lib.sh"
need python3 socat tmux minicom
[ -d /var/lock ] && [ -w /var/lock ] || skip "/var/lock is not a writable directory"
guest_fixture
guest_start_stopped pty
cat > "$CONF" <<EOF
[domain g]
console0 = pty:$PTS
EOF
mount_fs
F=$MNT/g/console0
guest_cont

# minicom makes /var/lock/LCK..console0 (the file's base name).
at_exit "lock_cleanup /var/lock/LCK..console0"
tmux -S "$TMUX_SOCK" new-session -d -s m -x 100 -y 230 \
    "exec env TERM=screen MINICOM= minicom -b 115200 -D $F -C $T/cap.txt"
mpid=$(tmux_pid m)
lock_own "$mpid"
at_exit "tmux -S '$TMUX_SOCK' kill-server; wait_for 5 proc_ended $mpid"
tmux_wait m "Press CTRL-A Z for help"
# The guest boots meanwhile; Enter until its shell answers.
n=0
until tmux_screen m | grep -q '^guest#'; do
	[ $n -lt 120 ] || { tmux_screen m >&2; fail "no guest prompt in minicom"; }
	[ $((n % 4)) -eq 0 ] && tmux_keys m Enter
	sleep 0.5; n=$((n + 1))
done
tmux_keys m 'seq 1 200; echo seq-$((1+1))done' Enter
tmux_wait m "^seq-2done" 60
want=$(seq 1 200)
got=$(tr -d '\r' <"$T/cap.txt" | sed -n '/seq 1 200/,/^seq-2done/p' | grep -x '[0-9][0-9]*')
[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got") | head >&2; fail "minicom did not receive 1..200 in order"; }
# And the screen shows them.
screen=$(tmux_screen m | tr -d ' ' | grep -x '[0-9][0-9]*')
[ "$screen" = "$want" ] || { tmux_screen m | tail -n 20 >&2; fail "minicom's screen does not show 1..200 in order"; }
