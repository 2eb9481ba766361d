#!/bin/bash
# user.force needs write permission on the device file: an unprivileged
# user (uid 65534) cannot force a console of mode 0644 ("Permission
# denied", the session holding it goes on), but can open a console of mode
# 0666 for reading and writing, and force it. The mount is the root
# default, allow_other,default_permissions.
. "$(dirname "$0")/../lib.sh"
need setpriv setfattr python3
cat > "$CONF" <<EOF
[domain ro]
mode = 0644
console0 = exec:/bin/sh -c 'stty -echo; exec cat'
[domain rw]
mode = 0666
console0 = exec:/bin/sh -c 'stty -echo; exec cat'
EOF
chmod 755 "$T"	# mktemp -d made it 0700: let uid 65534 reach the mount
mount_fs
opts=$(grep " $MNT " /proc/self/mountinfo)
[[ $opts == *allow_other* && $opts == *default_permissions* ]] || fail "mount options: $opts"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
[ "$(nobody id -u)" = 65534 ] || fail "setpriv did not drop to uid 65534"
[ "$(stat -c %a "$MNT/ro/console0")" = 644 ] || fail "ro/console0 has mode $(stat -c %a "$MNT/ro/console0")"
[ "$(stat -c %a "$MNT/rw/console0")" = 666 ] || fail "rw/console0 has mode $(stat -c %a "$MNT/rw/console0")"

# A domain directory carries its devices' write bits (for user.force on
# the directory) but creating entries in it stays root's.
[ "$(stat -c %a "$MNT/ro")" = 755 ] || fail "ro/ has mode $(stat -c %a "$MNT/ro")"
[ "$(stat -c %a "$MNT/rw")" = 777 ] || fail "rw/ has mode $(stat -c %a "$MNT/rw")"
nobody mkdir "$MNT/rw/x" 2>"$T/err" && fail "uid 65534 made a directory in rw/"
grep -q "Operation not permitted" "$T/err" || fail "mkdir as uid 65534 said: $(cat "$T/err")"

# Talk to a console on fd 3 (open read-write by the caller): write a line,
# read the echo of the cat behind it. Prints the line read.
cat > "$T/talk.sh" <<'EOF'
echo "$1" >&3 || exit 1
IFS= read -r -t 5 line <&3 || exit 1
printf '%s\n' "${line%$'\r'}"
EOF

# 1. mode 0644: root holds the console; nobody cannot force it.
exec 3<>"$MNT/ro/console0" || fail "root cannot open ro/console0"
rc=0; nobody setfattr -n user.force -v 1 "$MNT/ro/console0" 2>"$T/err" || rc=$?
[ "$rc" != 0 ] || fail "uid 65534 forced a 0644 console"
grep -q "Permission denied" "$T/err" || fail "setfattr as uid 65534 said: $(cat "$T/err")"
rc=0; nobody setfattr -n user.force -v console0 "$MNT/ro" 2>"$T/err" || rc=$?
[ "$rc" != 0 ] || fail "uid 65534 forced a 0644 console through its domain"
grep -q "Permission denied" "$T/err" || fail "setfattr on ro/ as uid 65534 said: $(cat "$T/err")"
rc=0; nobody "$CONSOLECTL" -m "$MNT" force ro 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "consolectl force as uid 65534 exited $rc: $(cat "$T/err")"
grep -q "cannot take over ro/console0: permission denied" "$T/err" ||
	fail "consolectl force as uid 65534 said: $(cat "$T/err")"
# ...and root's session was not touched.
[ "$(bash "$T/talk.sh" still-mine)" = still-mine ] || fail "root's session broken after a refused force"
# Nor can nobody open it for writing (the open would be EBUSY anyway: it
# is held; permission is checked first).
nobody sh -c "exec 4>'$MNT/ro/console0'" 2>"$T/err" && fail "uid 65534 opened a 0644 console for writing"
grep -q "Permission denied" "$T/err" || fail "open for writing as uid 65534 said: $(cat "$T/err")"
exec 3>&-

# 2. mode 0666: nobody opens it read-write, types, and reads the echo.
out=$(nobody bash -c "exec 3<>'$MNT/rw/console0' && bash '$T/talk.sh' hello-from-nobody" 2>&1) ||
	fail "uid 65534 could not use rw/console0: $out"
[ "$out" = hello-from-nobody ] || fail "uid 65534 read back '$out'"
# ...and can force a root session off it.
exec 3<>"$MNT/rw/console0" || fail "root cannot open rw/console0"
nobody setfattr -n user.force -v 1 "$MNT/rw/console0" 2>"$T/err" || fail "uid 65534 could not force a 0666 console: $(cat "$T/err")"
echo x >&3 2>"$T/err" && fail "root's session still writes after the force"
grep -q "Connection reset by peer" "$T/err" || fail "write after force said: $(cat "$T/err")"
exec 3>&-
# ...also through the domain directory.
sleep 5.2	# uid 65534's reservation runs out
exec 3<>"$MNT/rw/console0" || fail "root cannot open rw/console0 again"
nobody setfattr -n user.force -v console0 "$MNT/rw" 2>"$T/err" || fail "uid 65534 could not force through rw/: $(cat "$T/err")"
echo x >&3 2>"$T/err" && fail "root's session still writes after the force through rw/"
exec 3>&-
