#!/bin/bash
# udev-ambiguous — a udev: match that more than one tty satisfies is never
# guessed at: the device is absent (open: ENXIO) and the log names every
# candidate. MINOR=1 matches tty1 (4:1) and console (5:1); neither is
# opened. A match that nothing satisfies is absent too, without a warning.
. "$(dirname "$0")/../lib.sh"
need getfattr

# The ttys whose minor number is 1, from sysfs.
cands=()
for f in /sys/class/tty/*/dev; do
	case $(cat "$f") in *:1) cands+=("$(basename "$(dirname "$f")")") ;; esac
done
[ ${#cands[@]} -ge 2 ] || skip "fewer than two ttys with minor number 1 here: ${cands[*]}"

cat > "$CONF" <<EOF
[domain host]
two = udev:MINOR=1
none = udev:ID_SERIAL_SHORT=no-such-adapter
EOF
mount_fs
[ "$(xattr "$MNT/host/two" user.state)" = absent ] ||
	fail "user.state of an ambiguous match: '$(xattr "$MNT/host/two" user.state)'"
r=$(open_errno "$MNT/host/two")
[ "$r" = ENXIO ] || fail "open of an ambiguous match: $r, want ENXIO"
line=$(grep "udev:MINOR=1: absent: ${#cands[@]} ttys match" "$DAEMON_LOG") ||
	fail "the log does not say that ${#cands[@]} ttys match"
for c in "${cands[@]}"; do
	node=/dev/$c
	case $line in *"$node (/sys/"*) ;; *) fail "candidate $node not named: $line" ;; esac
done
note "$line"

[ "$(xattr "$MNT/host/none" user.state)" = absent ] || fail "user.state of no match"
r=$(open_errno "$MNT/host/none")
[ "$r" = ENXIO ] || fail "open of no match: $r, want ENXIO"
grep -q "ID_SERIAL_SHORT=no-such-adapter: absent (no tty matches)" "$DAEMON_LOG" ||
	fail "no 'absent (no tty matches)' line"
! grep "no-such-adapter.*warning\|warning.*no-such-adapter" "$DAEMON_LOG" || fail "a warning for no match"
