#!/bin/bash
# A spy that stops reading (SIGSTOP) never holds up the session or the
# guest: while the guest prints 50 MiB, the session reads it byte-exact and
# takes no longer than with no spy at all (the ratio is printed; only a
# stall or a gross slowdown fails). Resumed, the spy reads one skip marker
# and then current output, and the daemon's memory stayed bounded (VmRSS
# printed) instead of holding the 50 MiB for the spy.
. "$(dirname "$0")/../lib.sh"
need python3 base64
SIZE=$((50 * 1024 * 1024))
# 50 MiB of text lines the guest prints on each "go".
head -c $((SIZE / 4 * 3)) /dev/urandom | base64 -w 99 | head -c $SIZE > "$T/data"
cat > "$CONF" <<CONF
[domain d]
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; while read x; do case \$x in go) cat $T/data; echo DONE;; *) echo \$x;; esac; done'
CONF
mount_fs
F=$MNT/d/console0
wait_ready d

# One run: open, "go", read until the data and DONE are in; prints the
# seconds it took; the bytes read go to $T/got.N.
run() {
	python3 - "$F" "$T/got.$1" "$SIZE" <<'PY'
import os, select, sys, time
f, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(f, os.O_RDWR)
t0 = time.monotonic()
os.write(fd, b"go\n")
got = bytearray()
while len(got) < size or b"DONE\n" not in got[size:]:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        raise SystemExit("stalled after %d bytes" % len(got))
    got += os.read(fd, 1 << 20)
print("%.3f" % (time.monotonic() - t0))
open(out, "wb").write(got)
os.close(fd)
PY
}
check() {
	head -c $SIZE "$T/got.$1" | cmp -s - "$T/data" || fail "run $1: the session's stream is not byte-exact"
	[ "$(tail -c +$((SIZE + 1)) "$T/got.$1" | tr -d '\r\n')" = DONE ] || fail "run $1: bad end: $(tail -c 20 "$T/got.$1" | od -c | head -3)"
}
rss() { awk '/^VmRSS/ { print $2 }' /proc/$DAEMON_PID/status; }

t1=$(run 1) || fail "run without a spy: $t1"
check 1
rss1=$(rss)

cat "$F.spy" > "$T/spy" &
SPY=$!
at_exit "kill -CONT $SPY; kill $SPY"
wait_for 5 sh -c "ls -l /proc/$SPY/fd | grep -q console0.spy" || fail "spy did not open"
sleep 0.2
kill -STOP $SPY
t2=$(run 2) || fail "run with a stopped spy: $t2"
check 2
rss2=$(rss)
ratio=$(echo "scale=2; $t2 / $t1" | bc)
note "50 MiB: ${t1}s without a spy, ${t2}s with a stopped spy: ratio $ratio"
note "daemon VmRSS: ${rss1} kB after the first run, ${rss2} kB after the run with a stopped spy"
[ "$(echo "$ratio < 3" | bc)" = 1 ] || fail "the session was ${ratio}x slower with a stopped spy"
# The stopped spy must not have cost a copy of what it missed.
[ $((rss2 - rss1)) -lt $((16 * 1024)) ] || fail "daemon grew by $((rss2 - rss1)) kB for a stopped spy"

kill -CONT $SPY
exec 3<>"$F"
echo "after-the-resume" >&3
wait_for 10 grep -q after-the-resume "$T/spy" || fail "resumed spy never read current output"
exec 3>&-
python3 - "$T/spy" "$T/data" <<'PY' || fail "what the resumed spy read"
import re, sys
spy, data = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
marks = list(re.finditer(rb"\[consolefs: (\d+) bytes skipped\]\r\n", spy))
assert len(marks) == 1, "%d skip markers" % len(marks)
m = marks[0]
before, after = spy[:m.start()], spy[m.end():]
if before.endswith(b"\r\n") and not data.startswith(before):
    before = before[:-2]    # the marker's own line start
skipped = int(m.group(1))
# Before the marker: the start of the stream (what the spy had asked for
# before it stopped); after it: the rest after the skipped bytes, then DONE
# and the new output.
assert data.startswith(before), "spy's first bytes are not the stream's start"
rest = data[len(before) + skipped:]
assert after.startswith(rest), "after the marker: not the stream's tail (%d bytes expected)" % len(rest)
tail = after[len(rest):]
assert tail.replace(b"\r", b"").replace(b"\n", b"") == b"DONEafter-the-resume", tail[:80]
print("  spy: %d bytes, then the marker (%d skipped), then the last %d bytes and current output" %
      (len(before), skipped, len(rest)), file=sys.stderr)
PY
