#!/bin/bash
# host-serial — `host_serial = yes` makes a domain "host" of the machine's
# serial ports that follows hotplug: tty63 (listed through
# host_serial_include, since a virtual console has no parent device) is
# there at start, goes with a remove uevent and comes back with an add; a
# session on it takes the UUCP lock like tty:; consolectl list shows its
# kernel name; the machine's console (/sys/class/tty/console/active) is
# never listed, not even when named in host_serial_include, and neither is
# anything in host_serial_exclude.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
tty63_take
read -r -a consoles < /sys/class/tty/console/active || true

cat > "$CONF" <<EOF
[global]
host_serial = yes
host_serial_include = tty63 tty62 ${consoles[*]}
host_serial_exclude = tty62
EOF
mount_fs
H=$MNT/host
[ -d "$H" ] || fail "no domain host"
wait_for 5 test -e "$H/tty63" || fail "host/tty63 missing at start: $(ls "$H")"
[ "$(xattr "$H/tty63" user.backend)" = "tty:/dev/tty63" ] ||
	fail "host/tty63 backend: '$(xattr "$H/tty63" user.backend)'"
[ ! -e "$H/tty62" ] || fail "host/tty62 is listed although excluded"
for c in "${consoles[@]}"; do
	[ ! -e "$H/$c" ] || fail "the machine's console $c is listed"
	ls "$H" | grep -q -- "$c" && fail "the machine's console $c is listed: $(ls "$H")"
done
[ -L "$MNT/by-uuid/$(xattr "$H" user.uuid)" ] || fail "host has no by-uuid link"
note "host at start: $(ls "$H" | tr '\n' ' ')(consoles: ${consoles[*]})"

# consolectl list names the kernel device beside the port.
CONSOLEFS_MOUNT=$MNT "$CONSOLECTL" list > "$T/list" || fail "consolectl list failed"
grep -E "^host +[0-9a-f-]+ +tty63 +tty:/dev/tty63 +present" "$T/list" >/dev/null ||
	{ cat "$T/list" >&2; fail "consolectl list has no row for host/tty63 with its kernel name"; }
for c in "${consoles[@]}"; do
	! grep -q -- "/dev/$c" "$T/list" || fail "consolectl list shows the console $c"
done

# A session takes the UUCP lock, like tty:.
hold_open "$H/tty63"
wait_for 5 test -e "$LOCKDIR/LCK..tty63" || fail "no lock $LOCKDIR/LCK..tty63 during a session"
hold_close
wait_for 5 test ! -e "$LOCKDIR/LCK..tty63" || fail "lock left after the session"

# Hotplug.
tty63_event remove
wait_for 5 test ! -e "$H/tty63" || fail "host/tty63 still there after remove"
ls "$H" | grep -q tty63 && fail "tty63 still listed after remove: $(ls "$H")"
note "after remove: $(ls "$H" | tr '\n' ' ')"
tty63_event add
wait_for 5 test -e "$H/tty63" || fail "host/tty63 not back after add"
tty63_event change
sleep 0.2
[ -e "$H/tty63" ] || fail "host/tty63 gone after change"
note "after add and change: $(ls "$H" | tr '\n' ' ')"
! grep -E "error|warning" "$DAEMON_LOG" || fail "errors or warnings in the log"
