#!/bin/bash
# A signal interrupts a blocked read: SIGINT ends a blocked cat within
# 100 ms, and kill -9 of a blocked reader leaves no process in D state.
. "$(dirname "$0")/../lib.sh"
need python3
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'exec sleep 1000'
EOF
mount_fs
python3 - "$MNT/d/console0" <<'PY' || fail "SIGINT"
import os, signal, subprocess, sys, time
p = subprocess.Popen(["cat", sys.argv[1]])
time.sleep(0.5)
assert p.poll() is None, "cat ended early"
t = time.monotonic()
p.send_signal(signal.SIGINT)
p.wait(timeout=5)
ms = (time.monotonic() - t) * 1000
print("cat ended %.1f ms after SIGINT" % ms)
assert ms < 100, "took %.1f ms" % ms
PY
# kill -9 of a reader blocked in the FUSE read
cat "$MNT/d/console0" >/dev/null &
pid=$!
sleep 0.3
kill -KILL $pid
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.02; done
if kill -0 $pid 2>/dev/null; then
	fail "reader still alive after kill -9 (state $(awk '{print $3}' /proc/$pid/stat))"
fi
wait $pid 2>/dev/null
ps -eo stat,comm | awk '$1 ~ /^D/ && $2 == "cat"' | grep -q . && fail "a cat is in D state"
wait_for 2 sh -c "exec 3<'$MNT/d/console0'" || fail "console did not become free"
