#!/bin/bash
# A writer blocked in write() on a full console holds the kernel's lock of
# the file's inode. Yet: a second writer on the same open file reaches the
# daemon and dies at once to SIGKILL (FOPEN_PARALLEL_DIRECT_WRITES), and
# user.force on the domain directory (value: the device) and consolectl
# force take the console at once (the blocked writer gets ECONNRESET);
# meanwhile the daemon answers a stat of another console within 100 ms,
# and nothing is left in D state.
. "$(dirname "$0")/../lib.sh"
need setfattr python3
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'stty raw -echo; exec sleep 100000'
console1 = exec:/bin/sh -c 'stty raw -echo; exec sleep 100000'
EOF
mount_fs
F=$MNT/d/console0
state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }
# How long a stat of the other console takes, in ms.
stat_ms() {
	local t0
	t0=$(date +%s%N)
	stat "$MNT/d/console1" >/dev/null || fail "stat of console1 failed"
	echo $((($(date +%s%N) - t0) / 1000000))
}
# Fill the console from a writer that blocks (nothing reads the console).
block_writer() {
	exec 3>"$F"
	head -c 8M /dev/zero >&3 2>"$T/head.err" &
	headpid=$!
	at_exit "kill -9 $headpid"
	sleep 0.5
	kill -0 $headpid 2>/dev/null || fail "the writer did not block: $(cat "$T/head.err")"
}

# 1. A second writer on the same open file must not wait on the inode lock
# (D state) but in the daemon, and die at once to SIGKILL.
block_writer
sh -c 'echo hi' >&3 &
echopid=$!
sleep 0.3
st=$(state $echopid)
note "second writer state: $st ($(cat /proc/$echopid/wchan 2>/dev/null))"
[ "$st" != D ] || fail "the second writer is in D state (waiting on the inode lock)"
ms=$(stat_ms)
note "stat of another console while both writers wait: $ms ms"
[ "$ms" -le 100 ] || fail "stat of another console took $ms ms"
kill -9 $echopid
wait_for 2 proc_ended $echopid || fail "the second writer did not die to SIGKILL (state $(state $echopid))"

# 2. user.force on the domain directory takes the console at once.
t0=$(date +%s%N)
timeout 5 setfattr -n user.force -v console0 "$MNT/d" || fail "setfattr on the domain failed"
ms=$((($(date +%s%N) - t0) / 1000000))
note "user.force on the domain returned after $ms ms"
[ "$ms" -le 1000 ] || fail "user.force on the domain took $ms ms"
wait_for 2 proc_ended $headpid || fail "the blocked writer did not end after the force"
wait $headpid && fail "the blocked writer ended with status 0"
grep -q "Connection reset by peer" "$T/head.err" || fail "the blocked writer said: $(cat "$T/head.err")"
exec 3>&-
# Errors of the domain path: no such device, an empty value.
setfattr -n user.force -v nosuch "$MNT/d" 2>"$T/err" && fail "force of a missing device succeeded"
grep -q "No such file" "$T/err" || fail "force of a missing device said: $(cat "$T/err")"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.force", b"")' "$MNT/d" 2>"$T/err" &&
	fail "force with an empty value succeeded"
grep -q "Invalid argument" "$T/err" || fail "force with an empty value said: $(cat "$T/err")"

# 3. The same with consolectl force, once the reservation of step 2 (for
# this shell's session) has run out.
sleep 5.2
block_writer
timeout 5 "$CONSOLECTL" -m "$MNT" force d/console0 || fail "consolectl force failed or hung"
wait_for 2 proc_ended $headpid || fail "the blocked writer did not end after consolectl force"
grep -q "Connection reset by peer" "$T/head.err" || fail "the blocked writer said: $(cat "$T/head.err")"
exec 3>&-
for p in $headpid $echopid; do [ "$(state $p)" != D ] || fail "pid $p is in D state"; done
