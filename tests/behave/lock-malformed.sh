#!/bin/bash
# An unreadable or malformed lock counts as held: an empty lock file and one
# holding garbage make the open EBUSY and are left untouched; a symbolic
# link planted at the lock path (to a file, or to nothing) is EBUSY too,
# and nothing is written through it or created at its target.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
mount_pty_console

# The device opens while there is no lock (so EBUSY below is the lock's).
r=$(open_errno "$F")
[ "$r" = ok ] || fail "open without a lock: $r"
wait_for 5 test ! -e "$L" || fail "lock left after a session: '$(cat "$L")'"

# State of the lock path: type, inode, size, mtime, link target, content.
lockstate() {
	stat -c '%F %i %s %Y' "$L"
	readlink "$L"
	od -c "$L" 2>&1
}
# held WHAT: the lock now at $L makes the open EBUSY and stays as it was.
held() {
	local what=$1 before r h
	before=$(lockstate)
	r=$(open_errno "$F")
	[ "$r" = EBUSY ] || fail "open with $what at the lock path: $r, want EBUSY"
	h=$(getfattr --absolute-names --only-values -n user.holder "$F" 2>&1)
	case $h in "lock=$L"*) ;; *) fail "user.holder with $what: '$h', want lock=$L..." ;; esac
	[ "$(lockstate)" = "$before" ] || fail "$what was changed: '$before' -> '$(lockstate)'"
	note "$what: EBUSY, holder '$h'"
}

: > "$L"
held "an empty lock"
printf 'this is no pid\n' > "$L"
held "a garbage lock"
printf '  12abc\n' > "$L"
held "a lock with trailing garbage"
rm -f "$L"

# A symbolic link to a file elsewhere: never written through, even though
# the file it points to reads like a stale lock (a dead pid), which a
# lock taken through the link would replace.
sh -c 'exit 0' &
dead=$!
wait "$dead"
printf '%10d\n' "$dead" > "$T/target"
cp "$T/target" "$T/target.orig"
ln -s "$T/target" "$L"
held "a symlink to a file"
cmp -s "$T/target" "$T/target.orig" || fail "the symlink's target was written: '$(od -c "$T/target")'"
rm -f "$L"

# A dangling symbolic link: its target is not created.
ln -s "$T/nowhere" "$L"
held "a dangling symlink"
[ ! -e "$T/nowhere" ] && [ ! -L "$T/nowhere" ] || fail "a lock was created through the dangling symlink: '$(cat "$T/nowhere")'"
rm -f "$L"

r=$(open_errno "$F")
[ "$r" = ok ] || fail "open after the bad locks were removed: $r"
