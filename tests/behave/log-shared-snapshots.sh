#!/bin/bash
# <dev>.log snapshots are shared: an unprivileged user holding 1,000 opens
# of an unchanged 4 MiB log costs the daemon less than 16 MiB in all, and
# every open reads the same, whole snapshot; an open after new output sees
# the new output.
. "$(dirname "$0")/../lib.sh"
need setpriv python3
cat > "$CONF" <<EOF
[global]
scrollback = 4M
[domain d]
mode = 0644
console0 = exec:/bin/sh -c 'stty raw -echo; head -c 5000000 /dev/urandom | od -An -tx1 | head -c 4194304; echo; echo DONE; exec cat'
EOF
chmod 755 "$T"	# let uid 65534 reach the mount
mount_fs
L=$MNT/d/console0.log
wait_for 20 grep -q DONE "$L" || fail "the console never printed DONE"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status"; }
before=$(rss)
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 - "$L" >"$T/opens.out" <<'PY' &
import hashlib, os, signal, sys
path = sys.argv[1]
fds = [os.open(path, os.O_RDONLY) for _ in range(1000)]
def whole(fd):
    chunks = []
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)
first, last = whole(fds[0]), whole(fds[-1])
print("%d %d %s %s" % (len(first), len(last), hashlib.sha1(first).hexdigest(),
    hashlib.sha1(last).hexdigest()), flush=True)
signal.pause()
PY
holder=$!
at_exit "kill $holder"
wait_for 30 test -s "$T/opens.out" || fail "the 1,000 opens did not finish"
after=$(rss)
read -r n1 n2 h1 h2 <"$T/opens.out"
note "daemon VmRSS: $before kB before, $after kB with 1,000 opens of a ${n1}-byte log"
[ "$n1" -eq 4194304 ] || fail "the first open read $n1 bytes, not 4194304"
[ "$n1" = "$n2" ] && [ "$h1" = "$h2" ] || fail "the first and the last open read different snapshots"
[ $((after - before)) -lt 16384 ] || fail "1,000 opens cost the daemon $((after - before)) kB"
kill $holder
# New output: a new open sees it, an old snapshot would not.
echo NEWLINE >"$MNT/d/console0"
wait_for 5 sh -c "tail -c 100 '$L' | grep -q NEWLINE" || fail "a new open of the log does not show new output"
