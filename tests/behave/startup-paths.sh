#!/bin/bash
# Files the daemon reads later must not hide under its own mount, where it
# would have to ask itself for them: a lock directory or a configuration
# file under the mount point is refused at start (exit 2, a message,
# nothing mounted), and a reload whose configuration path has been made to
# lead into the mount since (a directory swapped for a link) is refused
# with a log line while the daemon goes on serving. (Before: the lock
# directory case failed every open, the reload hung the daemon for good.)
. "$(dirname "$0")/../lib.sh"
need python3 getfattr timeout
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/cat
EOF

refuse() {
	local name=$1 want=$2 st=0
	shift 2
	timeout -k 2 10 "$CONSOLEFS" -f "$@" "$MNT" > "$T/$name.err" 2>&1 || st=$?
	cat "$T/$name.err" >> "$DAEMON_LOG"
	[ "$st" = 2 ] || { cat "$T/$name.err" >&2; fail "$name: exit status $st, not 2"; }
	grep -qF -- "$want" "$T/$name.err" || fail "$name: said '$(cat "$T/$name.err")'"
	! mountpoint -q "$MNT" || fail "$name: $MNT was mounted"
	note "$name: $(cat "$T/$name.err")"
}
mkdir "$MNT/locks"
refuse lock-dir-under "the lock directory is under the mount point" -c "$CONF" --lock-dir "$MNT/locks"
ln -s "$MNT/locks" "$T/locklink"
refuse lock-dir-link "the lock directory is under the mount point" -c "$CONF" --lock-dir "$T/locklink"
cp "$CONF" "$MNT/consolefs.conf"
refuse config-under "the configuration file is under the mount point" -c "$MNT/consolefs.conf" --lock-dir "$LOCKDIR"
rm -r "$MNT/locks" "$MNT/consolefs.conf" "$T/locklink"

# A reload through a path that leads into the mount now.
mkdir "$T/etc"
cp "$CONF" "$T/etc/consolefs.conf"
CONF=$T/etc/consolefs.conf
mount_fs
mv "$T/etc" "$T/etc.old"
ln -s "$MNT/d" "$T/etc"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "the path enters the consolefs mount; keeping the running configuration" "$DAEMON_LOG" ||
	fail "the reload was not refused"
answers_fast "$MNT/d/console0"
[ "$(xattr "$MNT/d/console0" user.state)" = running ] || fail "console0: $(xattr "$MNT/d/console0" user.state)"
stop_fs || fail "daemon exited $?"
