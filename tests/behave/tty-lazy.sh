#!/bin/bash
# 1,000 consoles need no pseudo-terminal until a DEV.tty is used: listing
# the directories, lstat of every entry, find and `consolectl list` make
# none; reading one link makes exactly one, reading it again makes no other;
# the link then leads to a character device.
. "$(dirname "$0")/../lib.sh"
need python3 find
{
	echo "[domain a]"
	for i in $(seq 0 499); do echo "serial$i = unix:$T/none.sock"; done
	echo "[domain b]"
	for i in $(seq 0 499); do echo "serial$i = unix:$T/none.sock"; done
} > "$CONF"
mount_fs
# The ptys the daemon holds: its descriptors of /dev/ptmx. (The number of
# entries in /dev/pts is the machine's, which other programs change.)
ptys() { ls -l "/proc/$DAEMON_PID/fd" | grep -c ' -> /dev/ptmx$'; }
npts() { ls /dev/pts | wc -l; }
pts0=$(npts)

[ "$(ls "$MNT/a" | grep -c '\.tty$')" = 500 ] || fail "a lists $(ls "$MNT/a" | grep -c '\.tty$') .tty links, want 500"
ls -f "$MNT/b" >/dev/null
find "$MNT" >/dev/null
for d in a b; do
	python3 - "$MNT/$d" <<'PY' || fail "lstat"
import os, stat, sys
n = 0
for name in os.listdir(sys.argv[1]):
    st = os.lstat(os.path.join(sys.argv[1], name))
    n += name.endswith(".tty") and stat.S_ISLNK(st.st_mode)
sys.exit(n != 500)
PY
done
"$CONSOLECTL" -m "$MNT" list > "$T/list" || fail "consolectl list failed"
grep -q "^a  .* serial7  .* $MNT/a/serial7.tty\$" "$T/list" ||
	{ grep serial7 "$T/list" >&2; fail "consolectl list does not show a/serial7.tty"; }
[ "$(ptys)" = 0 ] || fail "$(ptys) ptys held before any .tty was read"

t1=$(readlink "$MNT/a/serial7.tty")
[ -c "$t1" ] || fail "a/serial7.tty leads to '$t1', not a character device"
[ "$(ptys)" = 1 ] || fail "$(ptys) ptys held after one readlink"
[ "$(readlink "$MNT/a/serial7.tty")" = "$t1" ] || fail "a second readlink changed the target"
[ -c "$MNT/b/serial499.tty" ] || fail "b/serial499.tty does not lead to a character device"
[ "$(ptys)" = 2 ] || fail "$(ptys) ptys held after two .tty were used"
note "/dev/pts: $pts0 entries before, $(npts) after (the whole machine's)"
true
