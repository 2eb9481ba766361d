#!/bin/bash
# A real guest: QEMU (TCG) boots Debian's kernel with a busybox initramfs
# (tests/guest/make-guest.sh) and its serial console is served by consolefs,
# (1) as an exec: backend that consolefs starts itself (-nographic, serial
# on stdio): the boot shows in console0.log while nobody is attached, with
# the guest's CR LF line ends unchanged (no CR CR LF), a
# shell command typed into console0 answers, user.state is "running", and
# SIGTERM to the daemon ends QEMU and the daemon exits 0;
# (2) as a pty: backend on QEMU's -serial pty, started by the test: the
# same round trip, the UUCP lock is held while the session is open, and
# killing QEMU ends the session with end of file.
. "$(dirname "$0")/../lib.sh"
need qemu-system-x86_64 python3
GUEST=$TOP/build/guest
"$TOP/tests/guest/make-guest.sh" "$GUEST" >"$T/make-guest.log" 2>&1 ||
    skip "guest fixture not built: $(tail -n1 "$T/make-guest.log")"
KERNEL_ARGS=(-accel tcg -m 256 -smp 1 -no-reboot -kernel "$GUEST/vmlinuz"
    -initrd "$GUEST/initrd.gz" -append 'console=ttyS0 quiet panic=-1')
BOOT_SECS=60

# Whether file $1 holds a line $2 (the guest ends its lines with CR LF).
has_line() { tr -d '\r' <"$1" | grep -qxF -- "$2"; }
elapsed() { echo "$((SECONDS - $1)) s"; }

# --- (1) exec: consolefs starts QEMU, serial on its stdio ---
cat > "$CONF" <<EOF
[domain g]
console0 = exec:qemu-system-x86_64 -accel tcg -m 256 -smp 1 -nographic -no-reboot
    -kernel '$GUEST/vmlinuz'
    -initrd '$GUEST/initrd.gz'
    -append 'console=ttyS0 quiet panic=-1'
EOF
t0=$SECONDS
mount_fs
F=$MNT/g/console0
wait_for 5 pgrep -P "$DAEMON_PID" -x qemu-system-x86 >/dev/null || fail "no QEMU child of the daemon"
qemu=$(pgrep -P "$DAEMON_PID" -x qemu-system-x86)
[ "$(xattr "$F" user.state)" = running ] || fail "user.state is '$(xattr "$F" user.state)', not 'running'"
# Nobody is attached while the guest boots: its output is in the scrollback.
wait_for $BOOT_SECS grep -q 'guest# ' "$F.log" ||
    { tr -d '\r' <"$F.log" | tail -n 20 >&2; fail "no guest prompt in console0.log after $BOOT_SECS s"; }
# (after SeaBIOS's screen-clearing escapes, on the same line)
tr -d '\r' <"$F.log" | grep -q 'consolefs-guest ready$' || fail "no banner line in console0.log"
note "exec: guest prompt in console0.log after $(elapsed $t0)"
# The exec: pty passes output unchanged: QEMU keeps OPOST on its stdio, and
# a default pty's ONLCR would turn the guest's CR LF into CR CR LF.
grep -q $'\r\r' "$F.log" && { cat -v "$F.log" | grep -m3 '\^M\^M' >&2; fail "CR CR in console0.log"; }
grep -q $'\r$' "$F.log" || fail "the guest's CR LF line ends are not in console0.log"
exec 3<>"$F"
cat <&3 >"$T/exec.out" &
catpid=$!
at_exit "kill $catpid"
printf 'echo $((6*7))\n' >&3
wait_for 20 has_line "$T/exec.out" 42 ||
    { cat -v "$T/exec.out" >&2; fail "exec: no line '42' from the guest"; }
[ "$(xattr "$F" user.state)" = running ] || fail "user.state is '$(xattr "$F" user.state)' with a session open"
t1=$SECONDS
stop_fs || fail "daemon exited with status $? on SIGTERM"
note "exec: daemon stopped in $(elapsed $t1)"
wait_for 5 proc_ended "$qemu" || fail "QEMU (pid $qemu) still runs after the daemon stopped"
wait_for 5 sh -c "! kill -0 $catpid 2>/dev/null" || fail "the session did not end when the daemon stopped"
exec 3>&-
mountpoint -q "$MNT" && fail "still mounted after SIGTERM"

# --- (2) pty: QEMU started by the test with -serial pty ---
qemu-system-x86_64 "${KERNEL_ARGS[@]}" -display none -monitor none -serial pty \
    </dev/null >"$T/qemu.out" 2>&1 &
qemu=$!
at_exit "kill $qemu"
wait_for 10 grep -q 'char device redirected to /dev/pts/[0-9]*' "$T/qemu.out" ||
    { cat "$T/qemu.out" >&2; fail "QEMU did not say which pty its serial port is"; }
PTS=$(sed -n 's|.*char device redirected to \(/dev/pts/[0-9]*\).*|\1|p' "$T/qemu.out" | head -n1)
note "pty: QEMU serial0 is $PTS"
cat > "$CONF" <<EOF
[domain g]
console0 = pty:$PTS
EOF
t0=$SECONDS
mount_fs
exec 3<>"$F"
cat <&3 >"$T/pty.out" &
catpid=$!
at_exit "kill $catpid"
LOCK=$(lock_file_for "$PTS" "$LOCKDIR")
[ -f "$LOCK" ] || fail "no lock file $LOCK while the session is open: $(ls "$LOCKDIR")"
printf '%10d\n' "$DAEMON_PID" >"$T/want"
cmp -s "$LOCK" "$T/want" || fail "lock file holds '$(cat "$LOCK")', not the daemon's pid"
# QEMU drops serial output while no one has the pty open, and the guest
# drops input until its shell opens the console: press Enter until a
# prompt answers.
n=0
until grep -q 'guest# ' "$T/pty.out"; do
	[ $n -lt $((BOOT_SECS * 2)) ] ||
	    { cat -v "$T/pty.out" | tail -n 20 >&2; fail "pty: no guest prompt after $BOOT_SECS s"; }
	kill -0 "$qemu" 2>/dev/null || { cat "$T/qemu.out" >&2; fail "QEMU exited"; }
	[ $((n % 4)) -eq 0 ] && printf '\n' >&3
	sleep 0.5; n=$((n + 1))
done
note "pty: guest prompt after $(elapsed $t0)"
printf 'echo $((6*7))\n' >&3
wait_for 20 has_line "$T/pty.out" 42 ||
    { cat -v "$T/pty.out" >&2; fail "pty: no line '42' from the guest"; }
[ -f "$LOCK" ] || fail "lock file $LOCK gone while the session is open"
# The guest goes away: the session reads end of file.
kill "$qemu"
wait "$qemu" 2>/dev/null
wait_for 10 sh -c "! kill -0 $catpid 2>/dev/null" || fail "pty: the session did not read end of file after QEMU was killed"
wait "$catpid" || fail "cat ended with status $?"
exec 3>&-
wait_for 5 test ! -e "$LOCK" || fail "lock file $LOCK left behind after the session ended"
stop_fs || fail "daemon exited with status $? on SIGTERM"
