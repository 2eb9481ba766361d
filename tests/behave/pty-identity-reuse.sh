#!/bin/bash
# A pty: device is bound to the pseudo-terminal that was there when it was
# configured, not to its number: when the program holding the master dies,
# the device is absent, and stays absent (ENXIO, user.state "absent", no
# capture) after the kernel hands the same number to a new pseudo-terminal;
# nothing is ever written to the new one. A reload binds it again. Tried
# with capture (the default: the device was held open) and with a session
# open when the master went away.
. "$(dirname "$0")/../lib.sh"
need python3
# The number must come back to us: others may take it first, so try again.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
	make_pty a
	P=$PTY_a
	cat > "$CONF" <<EOF
[domain d]
console0 = pty:$P
EOF
	mount_fs
	F=$MNT/d/console0
	holds_pty() { ls -l "/proc/$DAEMON_PID/fd" 2>/dev/null | grep -q " -> $P\$"; }
	exec 3<>"$F"
	cat <&3 >"$T/s.out" &
	catpid=$!
	at_exit "kill $catpid"
	# The guest dies: the session reads end of file.
	kill "$PTYPID_a"
	wait "$PTYPID_a" 2>/dev/null
	wait_for 5 sh -c "! kill -0 $catpid 2>/dev/null" || fail "the session did not end with the pty"
	exec 3>&-
	# A new pseudo-terminal gets the number.
	make_pty b --want "$P" && break
	note "attempt $attempt: $P went to another process"
	stop_fs
done
[ "${PTY_b:-}" = "$P" ] || fail "could not get $P back in 10 attempts"
note "$P reused"
r=$(open_errno "$F")
[ "$r" = ENXIO ] || fail "open after $P was reused: $r, want ENXIO"
[ "$(xattr "$F" user.state)" = absent ] || fail "user.state after reuse: '$(xattr "$F" user.state)'"
sleep 1.5	# a capture retry would have happened by now
holds_pty && fail "consolefs opened the new $P"
printf 'new terminal output\r\n' >"$T/b.in"
r=$(open_errno "$F")
[ "$r" = ENXIO ] || fail "second open after reuse: $r"
sleep 0.3
grep -q 'new terminal output' "$F.log" && fail "consolefs read the new terminal"
[ -s "$T/b.out" ] && fail "bytes were written to the new terminal: $(od -c "$T/b.out" | head)"
grep -q "refusing $P" "$DAEMON_LOG" || fail "no log line refusing $P"

# A reload names the device anew: bound to the new pseudo-terminal.
kill -HUP "$DAEMON_PID"
wait_for 5 holds_pty || fail "reload did not bind $P again"
exec 3<>"$F"
printf 'after reload\n' >&3
wait_for 5 grep -q 'after reload' "$T/b.out" || fail "session after the reload did not reach the new terminal"
exec 3>&-
