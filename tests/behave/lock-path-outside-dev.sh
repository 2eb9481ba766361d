#!/bin/bash
# A pty:/tty: device outside /dev (here the pty bind-mounted on a file) has no
# UUCP lock name by path that other tools would look for: the session works
# with a flock and lockdev's lock by device number (LCK.MMM.NNN) only. (A
# symlink into /dev is locked under the real device's names: lock-symlink.sh,
# lock-virsh-names.sh.)
. "$(dirname "$0")/../lib.sh"
need python3
make_pty a
BYNUM=$(printf 'LCK.%03d.%03d' $((0x$(stat -c %t "$PTY_a"))) $((0x$(stat -c %T "$PTY_a"))))
# The same pty reached through a path outside /dev that is no symlink (a
# node made with mknod would not do: a pty slave opens only through devpts).
touch "$T/serial-link"
mount --bind "$PTY_a" "$T/serial-link" || skip "cannot bind-mount $PTY_a"
at_exit "umount -l '$T/serial-link'"
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$T/serial-link
EOF
mount_fs
exec 3<>"$MNT/d/console0" || fail "open of a device path outside /dev"
printf 'via-link\n' >&3
wait_for 5 grep -q via-link "$T/a.out" || fail "bytes did not arrive"
grep -q FLOCK /proc/locks || fail "no flock taken"
[ "$(ls -A "$LOCKDIR")" = "$BYNUM" ] || fail "locks of the session: $(ls -A "$LOCKDIR"), want only $BYNUM"
exec 3>&-
