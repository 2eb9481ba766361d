#!/bin/bash
# Issue 7.4: a reused pty number must never receive the operator's
# keystrokes. Another user (nobody) grabs the number of a pty: device from
# /dev/ptmx and prints "login: ": opening the console gives ENXIO, nothing
# typed reaches that terminal, and the log names its owner. Both when the
# configured pty died and its number was taken, and when the number was
# free when the device was configured.
. "$(dirname "$0")/../lib.sh"
need python3
id nobody >/dev/null 2>&1 || skip "no user nobody"

# Get the number of pty $1's helper back as nobody's pty "b" (others may
# take it first: then 1).
grab_as_nobody() {
	kill "$1"
	wait "$1" 2>/dev/null
	make_pty b --want "$2" --user nobody
}
check_refused() {
	[ "$(stat -c %U "$PTY_b")" = nobody ] || fail "test premise: $PTY_b is not nobody's"
	printf 'login: ' >"$T/b.in"
	r=$(open_errno "$F")
	[ "$r" = ENXIO ] || fail "$1: open of the console on nobody's $PTY_b: $r, want ENXIO"
	# What an operator would type: nothing may arrive.
	( printf 'secret-password\n' >"$F" ) 2>/dev/null
	sleep 0.3
	[ -s "$T/b.out" ] && fail "$1: bytes reached nobody's terminal: $(od -c "$T/b.out" | head -3)"
	grep -q "refusing $PTY_b.*uid 65534 (nobody)" "$DAEMON_LOG" ||
		fail "$1: no log line naming the new owner"
	note "$1: refused"
}

# 1. The configured pty dies; nobody gets its number.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
	make_pty a
	P=$PTY_a
	cat > "$CONF" <<EOF
[domain d]
console0 = pty:$P
EOF
	mount_fs
	F=$MNT/d/console0
	grab_as_nobody "$PTYPID_a" "$P" && break
	stop_fs
done
[ "${PTY_b:-}" = "$P" ] || fail "could not get $P back in 10 attempts"
check_refused "after the guest died"
kill "$PTYPID_b"
stop_fs
: >"$DAEMON_LOG"

# 2. The number is free when the device is configured; nobody takes it.
PTY_b=
for attempt in 1 2 3 4 5 6 7 8 9 10; do
	make_pty c
	P=$PTY_c
	kill "$PTYPID_c"
	wait "$PTYPID_c" 2>/dev/null
	cat > "$CONF" <<EOF
[domain d]
console0 = pty:$P
EOF
	mount_fs
	rm -f "$T/b.out"
	make_pty b --want "$P" --user nobody && break
	stop_fs
done
[ "${PTY_b:-}" = "$P" ] || fail "could not get $P in 10 attempts"
check_refused "configured while free"
