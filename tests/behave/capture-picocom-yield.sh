#!/bin/bash
# picocom takes no lock file, only a flock once it has the device open. While
# consolefs captures a pty with no session, picocom opening it is seen (an
# inotify open event on the node): consolefs lets go at once, user.state
# says "yielded to PID (picocom)", and picocom receives every byte the far
# side sends. When picocom quits, capture resumes.
. "$(dirname "$0")/../lib.sh"
need python3 tmux picocom
mount_pty_console
holds_pty() { ls -l "/proc/$DAEMON_PID/fd" 2>/dev/null | grep -q " -> $P\$"; }
wait_for 5 holds_pty || fail "not capturing $P"

tmux_start p "exec picocom -b 115200 -g $T/pico.log $P"
ppid=$(tmux_pid p)
at_exit "tmux -S '$TMUX_SOCK' kill-server; wait_for 5 proc_ended $ppid"
tmux_wait p "^Terminal ready"
wait_for 1 sh -c "! ls -l /proc/$DAEMON_PID/fd | grep -q ' -> $P\$'" ||
	fail "consolefs still holds $P 1 s after picocom opened it"
st=$(xattr "$F" user.state)
[ "$st" = "yielded to $ppid (picocom)" ] || fail "user.state while picocom has the port: '$st'"
r=$(open_errno "$F")
[ "$r" = EBUSY ] || fail "open while picocom has the port: $r, want EBUSY"

python3 - "$T/a.in" <<'PY'
import sys, time
with open(sys.argv[1], "w") as f:
    for i in range(1, 101):
        f.write("pico %d\r\n" % i)
        f.flush()
        if i % 20 == 0:
            time.sleep(0.05)
PY
wait_for 10 grep -q '^pico 100' "$T/pico.log" || { tail -n 5 "$T/pico.log" >&2; fail "picocom did not receive up to 'pico 100'"; }
got=$(tr -d '\r' <"$T/pico.log" | grep '^pico ' | tr '\n' ' ')
want=$(for i in $(seq 100); do printf 'pico %d ' "$i"; done)
[ "$got" = "$want" ] || fail "picocom did not receive every line in order: $got"
grep -q '^pico' "$F.log" && fail "consolefs read lines that were picocom's"

tmux_keys p C-a C-x
wait_for 5 proc_ended "$ppid" || { tmux_screen p >&2; fail "picocom did not quit"; }
wait_for 5 holds_pty || fail "capture did not resume after picocom quit"
printf 'after picocom\r\n' >"$T/a.in"
wait_for 5 grep -q 'after picocom' "$F.log" || fail "output after picocom not captured"
