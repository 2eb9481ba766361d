#!/bin/bash
# An exec: program whose path leads into the daemon's own mount is refused,
# not run: the daemon waits for the start of the program it spawns
# (clone with CLONE_VFORK), so an execve that looked itself up in the mount
# would freeze it. An unprivileged user who owns a directory on the path
# (named directly, or through PATH) plants links into the mount, or a
# script whose #! line names an interpreter there; the state
# says "failed: cannot execute ...: path enters the consolefs mount" and the
# daemon answers for the other console throughout. (Before: the daemon
# hung in clone for good, at start or at the reload that added the device.)
. "$(dirname "$0")/../lib.sh"
need python3 getfattr setpriv
chmod 755 "$T"
mkdir -p "$T/home/bin"
chown -R 65534:65534 "$T/home"
as_user() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
as_user ln -s "$MNT/d/console0" "$T/home/tool"
as_user ln -s "$MNT/d/nothere" "$T/home/bin/tool2"
# A script of the user's whose #! line names an interpreter in the mount.
as_user sh -c "printf '#!$MNT/d/interp\necho hi\n' > '$T/home/script'; chmod 755 '$T/home/script'"
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/cat
direct = exec:$T/home/tool
bypath = exec:tool2
bypath.env = PATH=$T/home/bin:/usr/bin:/bin
script = exec:$T/home/script
EOF
mount_fs
answers_fast "$MNT/d/console0"
want="failed: cannot execute $T/home/tool: path enters the consolefs mount"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.state '$MNT/d/direct' 2>/dev/null)\" = '$want' ]" ||
	fail "direct: state '$(xattr "$MNT/d/direct" user.state)'"
want="failed: cannot execute tool2: path enters the consolefs mount"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.state '$MNT/d/bypath' 2>/dev/null)\" = '$want' ]" ||
	fail "bypath: state '$(xattr "$MNT/d/bypath" user.state)'"
want="failed: cannot execute $T/home/script: path enters the consolefs mount"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.state '$MNT/d/script' 2>/dev/null)\" = '$want' ]" ||
	fail "script: state '$(xattr "$MNT/d/script" user.state)'"
note "direct: $(xattr "$MNT/d/direct" user.state)"

# The same device added by a reload while the daemon serves.
cat >> "$CONF" <<EOF
later = exec:$T/home/tool
EOF
kill -HUP "$DAEMON_PID"
wait_for 5 test -e "$MNT/d/later" || fail "the reload did not add 'later'"
answers_fast "$MNT/d/console0"
wait_for 5 sh -c "getfattr --only-values -n user.state '$MNT/d/later' 2>/dev/null | grep -q 'path enters the consolefs mount'" ||
	fail "later: state '$(xattr "$MNT/d/later" user.state)'"
stop_fs || fail "daemon exited $?"
