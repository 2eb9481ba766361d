#!/bin/bash
# 100 domains made and removed (mkdir, ln -s, rm, rmdir) while a session
# streams 2 MiB through another console: the stream is byte-exact.
. "$(dirname "$0")/../lib.sh"
need python3
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; exec cat'
EOF
mount_fs
wait_ready d
head -c 2097152 /dev/urandom >"$T/in"
exec 3<>"$MNT/d/console0"
cat <&3 >"$T/out" &
catpid=$!
at_exit "kill $catpid"
(cat "$T/in" >&3) &
writer=$!
for i in $(seq 100); do
	mkdir "$MNT/churn$i" || fail "mkdir churn$i"
	ln -s "pty:/dev/pts/9999$i" "$MNT/churn$i/serial0" || fail "ln -s in churn$i"
	[ -f "$MNT/churn$i/serial0.log" ] || fail "no churn$i/serial0.log"
	rm "$MNT/churn$i/serial0" || fail "rm churn$i/serial0"
	rmdir "$MNT/churn$i" || fail "rmdir churn$i"
	[ ! -e "$MNT/churn$i" ] || fail "churn$i still there"
done
wait $writer || fail "the writer failed"
wait_for 20 sh -c "[ \$(stat -c %s '$T/out') -ge 2097152 ]" || fail "only $(stat -c %s "$T/out") bytes came back"
cmp "$T/in" "$T/out" || fail "the stream is not byte-exact"
[ "$(ls "$MNT")" = "$(printf 'by-uuid\nd')" ] || fail "the root holds $(ls "$MNT" | tr '\n' ' ')"
