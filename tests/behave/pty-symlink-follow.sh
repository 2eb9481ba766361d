#!/bin/bash
# A pty: path that is a symbolic link (QEMU 9's -chardev pty,path=) is
# followed at each open: when the guest restarts on a new pseudo-terminal
# and the link is made anew, the device follows it (capture resumes, a
# session reaches the new terminal); the old terminal's number reused behind
# an unchanged link is refused, and so is a new link to another user's
# pseudo-terminal. A link made only after the configuration (QEMU 9 makes it
# when it starts) is followed too.
. "$(dirname "$0")/../lib.sh"
need python3
make_pty a
LINK=$T/vm1.pty
ln -s "$PTY_a" "$LINK"
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$LINK
late = pty:$T/vm2.pty
EOF
mount_fs
F=$MNT/d/console0
holds() { ls -l "/proc/$DAEMON_PID/fd" 2>/dev/null | grep -q " -> $1\$"; }
wait_for 5 holds "$PTY_a" || fail "not capturing $PTY_a through the link"
exec 3<>"$F"
printf 'to-a\n' >&3
wait_for 5 grep -q to-a "$T/a.out" || fail "session did not reach $PTY_a"
exec 3>&-

# The guest restarts: a new pty, the link made anew.
kill "$PTYPID_a"
wait "$PTYPID_a" 2>/dev/null
make_pty b
ln -sfn "$PTY_b" "$LINK"
wait_for 5 holds "$PTY_b" || fail "capture did not follow the new link to $PTY_b"
printf 'printed by b\r\n' >"$T/b.in"
wait_for 5 grep -q 'printed by b' "$F.log" || fail "output of $PTY_b not captured"
exec 3<>"$F"
printf 'to-b\n' >&3
wait_for 5 grep -q to-b "$T/b.out" || fail "session did not reach $PTY_b"
exec 3>&-

# A link that appears after the configuration.
[ "$(xattr "$MNT/d/late" user.state)" = absent ] || fail "late before its link: $(xattr "$MNT/d/late" user.state)"
make_pty l
ln -s "$PTY_l" "$T/vm2.pty"
wait_for 5 holds "$PTY_l" || fail "capture did not follow a link made after the configuration"
printf 'late output\r\n' >"$T/l.in"
wait_for 5 grep -q 'late output' "$MNT/d/late.log" || fail "output behind the late link not captured"

# A new link to another user's pseudo-terminal: refused.
if id nobody >/dev/null 2>&1; then
	make_pty c --user nobody
	ln -sfn "$PTY_c" "$LINK"
	r=$(open_errno "$F")
	[ "$r" = ENXIO ] || fail "open through a link to nobody's $PTY_c: $r"
	sleep 0.3
	[ -s "$T/c.out" ] && fail "bytes reached nobody's terminal"
	holds "$PTY_c" && fail "consolefs opened nobody's terminal"
	grep -q "refusing $PTY_c" "$DAEMON_LOG" || fail "no log line refusing $PTY_c"
fi
