#!/bin/bash
# The tree changed at run time, as root: mkdir makes a domain (UUID from its
# name, by-uuid link, user.uuid), ln -s BACKEND makes a device that opens at
# once and streams both ways, rm of a device in use ends its session and
# releases its lock, rmdir refuses a domain with devices; names, duplicates
# and backend strings are checked; no stale entry is ever seen (rm then
# stat: ENOENT); anyone but root is refused; a reload keeps what was made at
# run time and removes what the file dropped at once; consolectl add and
# remove do the same.
. "$(dirname "$0")/../lib.sh"
need python3 setpriv setfattr
cat > "$CONF" <<EOF
[domain cfg]
console0 = exec:/bin/sh -c 'stty raw -echo; exec cat'
[domain gone]
console0 = exec:/bin/sh -c 'stty raw -echo; exec cat'
EOF
chmod 755 "$T"
mount_fs
errno_of() {	# errno_of CALL PATH [ARG]: what the call gives, as an errno name
	python3 - "$@" <<'PY'
import errno, os, sys
call, path = sys.argv[1], sys.argv[2]
try:
    if call == "mkdir": os.mkdir(path)
    elif call == "symlink": os.symlink(sys.argv[3], path)
    elif call == "unlink": os.unlink(path)
    elif call == "rmdir": os.rmdir(path)
    elif call == "stat": os.stat(path)
    elif call == "open": os.close(os.open(path, os.O_RDWR))
    elif call == "readlink": os.readlink(path)
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
PY
}
expect() {	# expect ERRNO CALL PATH [ARG]
	local want=$1 got
	shift
	got=$(errno_of "$@")
	[ "$got" = "$want" ] || fail "$* gave $got, not $want"
}
derived_uuid() {
	python3 -c 'import sys, uuid; print(uuid.uuid5(uuid.UUID("3e36ef25-27da-4323-92b6-e92c5c31ec57"), sys.argv[1]))' "$1"
}

# mkdir: a new empty domain with its derived UUID.
expect ok mkdir "$MNT/lab"
[ -d "$MNT/lab" ] || fail "lab is not a directory"
u=$(derived_uuid lab)
[ "$(xattr "$MNT/lab" user.uuid)" = "$u" ] || fail "user.uuid of lab is $(xattr "$MNT/lab" user.uuid), not $u"
[ "$(readlink "$MNT/by-uuid/$u")" = ../lab ] || fail "by-uuid/$u is $(readlink "$MNT/by-uuid/$u")"
[ -z "$(ls "$MNT/lab")" ] || fail "a new domain is not empty: $(ls "$MNT/lab")"
expect EEXIST mkdir "$MNT/lab"
expect EEXIST mkdir "$MNT/cfg"
expect EEXIST mkdir "$MNT/by-uuid"
expect EINVAL mkdir "$MNT/.hidden"
expect EINVAL mkdir "$MNT/a b"
expect ENAMETOOLONG mkdir "$MNT/$(printf 'x%.0s' $(seq 65))"
expect EPERM mkdir "$MNT/lab/sub"
expect EPERM mkdir "$MNT/by-uuid/x"

# ln -s: a device that opens at once and streams both ways.
make_pty a
L=$(lock_file_for "$PTY_a" "$LOCKDIR")
expect ok symlink "$MNT/lab/serial0" "pty:$PTY_a"
exec 3<>"$MNT/lab/serial0" || fail "open right after ln -s failed"
[ -f "$MNT/lab/serial0" ] && [ ! -L "$MNT/lab/serial0" ] || fail "lab/serial0 is not a regular file"
expect EINVAL readlink "$MNT/lab/serial0"
[ -f "$MNT/lab/serial0.log" ] || fail "no lab/serial0.log"
[ "$(xattr "$MNT/lab/serial0" user.backend)" = "pty:$PTY_a" ] || fail "user.backend is $(xattr "$MNT/lab/serial0" user.backend)"
cat <&3 >"$T/session.out" &
catpid=$!
at_exit "kill $catpid"
printf 'to-the-guest\n' >&3
wait_for 5 grep -q to-the-guest "$T/a.out" || fail "the far side did not get the bytes"
printf 'from-the-guest\n' >"$T/a.in"
wait_for 5 grep -q from-the-guest "$T/session.out" || fail "the session did not get the bytes"
[ -f "$L" ] || fail "no lock file $L while the session is open"
exec 3>&-
expect EEXIST symlink "$MNT/lab/serial0" "pty:$PTY_a"
expect EINVAL symlink "$MNT/lab/bad" "foo:bar"
expect EINVAL symlink "$MNT/lab/bad" "/run/no-scheme"
expect EINVAL symlink "$MNT/lab/x.log" "pty:$PTY_a"
expect ENAMETOOLONG symlink "$MNT/lab/$(printf 'x%.0s' $(seq 65))" "pty:$PTY_a"
expect EPERM symlink "$MNT/x" "pty:$PTY_a"
# A pty that does not exist yet is accepted; opening it says ENXIO.
expect ok symlink "$MNT/lab/later" "pty:/dev/pts/99999"
expect ENXIO open "$MNT/lab/later"
# A bare /dev/pts path means pty:.
expect ok symlink "$MNT/lab/bare" "$PTY_a"
[ "$(xattr "$MNT/lab/bare" user.state)" = present ] || fail "lab/bare: $(xattr "$MNT/lab/bare" user.state)"
expect ok unlink "$MNT/lab/bare"

# rm of a device in use: the session ends, the lock goes, no stale entry.
wait_for 5 sh -c "kill -0 $catpid" || fail "cat ended early"
stat "$MNT/lab/serial0" >/dev/null
expect ok unlink "$MNT/lab/serial0"
expect ENOENT stat "$MNT/lab/serial0"
expect ENOENT stat "$MNT/lab/serial0.log"
wait_for 5 sh -c "! kill -0 $catpid 2>/dev/null" || fail "cat did not end when its device was removed"
wait "$catpid" || fail "cat ended with status $?"
wait_for 2 test ! -e "$L" || fail "lock file $L left behind"
expect EPERM unlink "$MNT/cfg/console0.log"
expect EPERM unlink "$MNT/by-uuid/$u"
expect ENOENT unlink "$MNT/lab/nosuch"

# rmdir: only an empty domain; its link goes with it.
expect ENOTEMPTY rmdir "$MNT/lab"
expect ok unlink "$MNT/lab/later"
stat "$MNT/by-uuid/$u" >/dev/null
expect ok rmdir "$MNT/lab"
expect ENOENT stat "$MNT/lab"
expect ENOENT stat "$MNT/by-uuid/$u"
expect EBUSY rmdir "$MNT/by-uuid"

# Nobody but root, whatever the modes.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
expect ok mkdir "$MNT/lab"
for call in "mkdir $MNT/other" "symlink $MNT/lab/x pty:$PTY_a" "unlink $MNT/cfg/console0" "rmdir $MNT/lab"; do
	# shellcheck disable=SC2086
	got=$(nobody /usr/bin/python3 -c '
import errno, os, sys
call, path = sys.argv[1], sys.argv[2]
try:
    getattr(os, call)(*([sys.argv[3], path] if call == "symlink" else [path]))
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
' $call)
	case $got in EPERM | EACCES) ;; *) fail "uid 65534: $call gave $got" ;; esac
done
[ -e "$MNT/cfg/console0" ] || fail "uid 65534 removed cfg/console0"

# A reload keeps what was made at run time and drops what the file
# dropped, at once (even though it was looked up a moment before).
expect ok symlink "$MNT/lab/serial0" "pty:$PTY_a"
expect ok symlink "$MNT/cfg/extra" "pty:$PTY_a"
stat "$MNT/gone/console0" "$MNT/gone" >/dev/null
cat > "$CONF" <<EOF
[domain cfg]
console0 = exec:/bin/sh -c 'stty raw -echo; exec cat'
EOF
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "daemon_reload: reloaded" "$DAEMON_LOG" || fail "the reload did not finish"
expect ENOENT stat "$MNT/gone"
expect ENOENT stat "$MNT/gone/console0"
[ -e "$MNT/lab/serial0" ] || fail "the reload removed lab/serial0, made at run time"
[ -e "$MNT/cfg/extra" ] || fail "the reload removed cfg/extra, made at run time"
[ "$(readlink "$MNT/by-uuid/$u")" = ../lab ] || fail "by-uuid/$u after the reload: $(readlink "$MNT/by-uuid/$u")"
[ "$(xattr "$MNT/lab" user.uuid)" = "$u" ] || fail "user.uuid of lab after the reload"
for d in "$MNT"/by-uuid/*; do
	[ "$(xattr "$MNT/$(readlink "$d" | sed 's|^\.\./||')" user.uuid)" = "$(basename "$d")" ] ||
		fail "by-uuid/$(basename "$d") and user.uuid disagree"
done

# consolectl add and remove make the same calls.
"$CONSOLECTL" -m "$MNT" add lab3 || fail "consolectl add lab3"
"$CONSOLECTL" -m "$MNT" add lab3 serial0 "pty:$PTY_a" || fail "consolectl add lab3 serial0"
[ -f "$MNT/lab3/serial0" ] || fail "consolectl add made no lab3/serial0"
"$CONSOLECTL" -m "$MNT" add lab3 serial0 "pty:$PTY_a" 2>"$T/err" && fail "consolectl add of an existing device succeeded"
grep -q "already exists" "$T/err" || fail "consolectl add of an existing device said: $(cat "$T/err")"
"$CONSOLECTL" -m "$MNT" remove lab3 2>"$T/err" && fail "consolectl remove of a domain with devices succeeded"
grep -q "still has devices" "$T/err" || fail "consolectl remove said: $(cat "$T/err")"
"$CONSOLECTL" -m "$MNT" remove lab3/serial0 || fail "consolectl remove lab3/serial0"
"$CONSOLECTL" -m "$MNT" remove lab3 || fail "consolectl remove lab3"
[ ! -e "$MNT/lab3" ] || fail "lab3 still there"
nobody "$CONSOLECTL" -m "$MNT" add lab4 2>"$T/err" && fail "consolectl add as uid 65534 succeeded"
grep -q "permission denied (changing the tree needs root)" "$T/err" || fail "consolectl add as uid 65534 said: $(cat "$T/err")"
true
