#!/bin/bash
# While consolefs captures a pty with no session open, minicom -D on the pty
# itself gets the port: its lock appears, consolefs lets go at once (and
# says "yielded to PID (minicom)"), and minicom receives every byte the far
# side sends from then on. After minicom quits, capture resumes (output goes
# to the log again) and a later session works both ways.
. "$(dirname "$0")/../lib.sh"
need python3 tmux minicom
# minicom looks for locks only in /var/lock (a symlink to /run/lock on Debian).
[ -d /var/lock ] && [ -w /var/lock ] || skip "/var/lock is not a writable directory"
make_pty a
P=$PTY_a
L=$(lock_file_for "$P" /var/lock)
at_exit "lock_cleanup '$L'"
lock_cleanup "$L"
[ -e "$L" ] && skip "$L is held by a running process: $(cat "$L")"
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$P
EOF
mount_fs --lock-dir /var/lock
F=$MNT/d/console0
holds_pty() { ls -l "/proc/$DAEMON_PID/fd" 2>/dev/null | grep -q " -> $P\$"; }
wait_for 5 holds_pty || fail "not capturing $P"
printf 'before minicom\r\n' >"$T/a.in"
wait_for 5 grep -q 'before minicom' "$F.log" || fail "not captured before minicom"

tmux_start m "exec env TERM=screen MINICOM= minicom -b 115200 -D $P -C $T/cap.txt"
mpid=$(tmux_pid m)
lock_own "$mpid"
at_exit "tmux -S '$TMUX_SOCK' kill-server; wait_for 5 proc_ended $mpid"
tmux_wait m "Press CTRL-A Z for help"
wait_for 5 test -s "$L" || fail "minicom made no lock $L"
wait_for 1 sh -c "! ls -l /proc/$DAEMON_PID/fd | grep -q ' -> $P\$'" ||
	fail "consolefs still holds $P 1 s after minicom's lock appeared"
st=$(xattr "$F" user.state)
[ "$st" = "yielded to $mpid (minicom)" ] || fail "user.state while minicom has the port: '$st'"

# Everything the far side sends now is minicom's.
python3 - "$T/a.in" <<'PY'
import sys, time
with open(sys.argv[1], "w") as f:
    for i in range(1, 201):
        f.write("far %d\r\n" % i)
        f.flush()
        if i % 20 == 0:
            time.sleep(0.05)
PY
wait_for 10 grep -q '^far 200' "$T/cap.txt" || { tail -n 5 "$T/cap.txt" >&2; fail "minicom did not receive up to 'far 200'"; }
got=$(tr -d '\r' <"$T/cap.txt" | grep '^far ' | tr '\n' ' ')
want=$(for i in $(seq 200); do printf 'far %d ' "$i"; done)
[ "$got" = "$want" ] || fail "minicom did not receive every line in order: $got"
grep -q '^far' "$F.log" && fail "consolefs read lines that were minicom's"

# minicom quits (Ctrl-A X, then Enter on "Leave without reset? Yes").
tmux_keys m C-a x
sleep 0.3
tmux_keys m Enter
wait_for 5 proc_ended "$mpid" || { tmux_screen m >&2; fail "minicom did not quit"; }
wait_for 5 test ! -e "$L" || fail "minicom left its lock"
wait_for 5 holds_pty || fail "capture did not resume after minicom quit"
printf 'after minicom\r\n' >"$T/a.in"
wait_for 5 grep -q 'after minicom' "$F.log" || fail "output after minicom not captured"

# A later session works both ways.
exec 3<>"$F"
cat <&3 >"$T/s.out" &
catpid=$!
at_exit "kill $catpid"
printf 'to session\r\n' >"$T/a.in"
wait_for 5 grep -q 'to session' "$T/s.out" || fail "session did not get output"
printf 'from session\n' >&3
wait_for 5 grep -q 'from session' "$T/a.out" || fail "far side did not get the session's bytes"
exec 3>&-
