#!/bin/bash
# A pty:/tty: path outside /dev (a symlink to the device, say) has no UUCP
# lock name other tools would look for: the session works with a flock
# only, and no lock file is made.
. "$(dirname "$0")/../lib.sh"
need python3
make_pty a
ln -s "$PTY_a" "$T/serial-link"
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$T/serial-link
EOF
mount_fs
exec 3<>"$MNT/d/console0" || fail "open of a device path outside /dev"
printf 'via-link\n' >&3
wait_for 5 grep -q via-link "$T/a.out" || fail "bytes did not arrive"
grep -q FLOCK /proc/locks || fail "no flock taken"
[ -z "$(ls -A "$LOCKDIR")" ] || fail "a lock file was made: $(ls "$LOCKDIR")"
exec 3>&-
