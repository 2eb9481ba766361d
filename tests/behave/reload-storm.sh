#!/bin/bash
# 50 SIGHUPs within a second while the file alternates between two good
# versions and a broken one, and a session streams 2 MiB through a device
# both versions keep: no crash, not a byte lost, and at the end the tree is
# the last file plus what was made at run time.
. "$(dirname "$0")/../lib.sh"
need python3
keep="[domain keep]
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; exec cat'"
printf '%s\n[domain a1]\nserial0 = pty:/dev/pts/99991\n' "$keep" >"$T/A"
printf '%s\n[domain b1]\nserial0 = pty:/dev/pts/99992\nserial1 = pty:/dev/pts/99993\n' "$keep" >"$T/B"
printf '%s\n[domain broken\n' "$keep" >"$T/C"
cp "$T/A" "$CONF"
mount_fs
wait_ready keep
mkdir "$MNT/rt" && ln -s pty:/dev/pts/99994 "$MNT/rt/serial0" || fail "runtime domain"
head -c 2097152 /dev/urandom >"$T/in"
exec 3<>"$MNT/keep/console0"
cat <&3 >"$T/out" &
catpid=$!
at_exit "kill $catpid"
(cat "$T/in" >&3) &
writer=$!
for i in $(seq 50); do
	case $((i % 3)) in 0) f=A ;; 1) f=B ;; 2) f=C ;; esac
	cp "$T/$f" "$T/next" && mv "$T/next" "$CONF"	# never half a file
	kill -HUP "$DAEMON_PID"
	sleep 0.02
done
cp "$T/B" "$T/next" && mv "$T/next" "$CONF"
kill -HUP "$DAEMON_PID"
wait $writer || fail "the writer failed"
wait_for 20 sh -c "[ \$(stat -c %s '$T/out') -ge 2097152 ]" || fail "only $(stat -c %s "$T/out") bytes came back"
cmp "$T/in" "$T/out" || fail "the stream through keep/console0 is not byte-exact"
kill -0 "$DAEMON_PID" || fail "the daemon died"
want=$(printf 'b1\nby-uuid\nkeep\nrt')
wait_for 5 sh -c "[ \"\$(ls '$MNT')\" = '$want' ]" || fail "the root holds $(ls "$MNT" | tr '\n' ' ')"
[ "$(ls "$MNT/b1")" = "$(printf 'serial0\nserial0.log\nserial0.spy\nserial0.tty\nserial1\nserial1.log\nserial1.spy\nserial1.tty')" ] || fail "b1 holds $(ls "$MNT/b1" | tr '\n' ' ')"
[ -f "$MNT/rt/serial0" ] || fail "the runtime device is gone"
n=$(grep -c "keeping the running configuration" "$DAEMON_LOG")
note "$(grep -c 'daemon_reload: reloaded' "$DAEMON_LOG") reloads applied, $n broken files refused"
[ "$n" -ge 1 ] || fail "no broken file was refused"
