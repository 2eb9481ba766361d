#!/bin/bash
# A full disk never holds up the console: with log_dir on a tiny tmpfs that
# fills up, a session still reads 5 MiB byte-exact, and the log ends with
# one "[consolefs: N bytes dropped]" line (space for it is reserved ahead).
# Once space is freed, logging goes on.
. "$(dirname "$0")/../lib.sh"
need python3 base64
TINY=$T/tiny
mkdir -p "$TINY"
mount -t tmpfs -o size=256k spylog-tiny "$TINY" || skip "cannot mount a tmpfs"
at_exit "umount -l '$TINY'"
mkdir "$TINY/logs"
head -c 160k /dev/zero > "$TINY/filler"
SIZE=$((5 * 1024 * 1024))
head -c $((SIZE / 4 * 3)) /dev/urandom | base64 -w 99 | head -c $SIZE > "$T/data"
cat > "$CONF" <<CONF
[domain d]
log_dir = $TINY/logs
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; while read x; do case \$x in go) cat $T/data; echo DONE;; *) echo \$x;; esac; done'
CONF
mount_fs
L=$TINY/logs/d/console0.log
wait_for 5 grep -q READY "$L" || fail "no log"
python3 - "$MNT/d/console0" "$T/got" "$SIZE" <<'PY' || fail "session"
import os, select, sys
f, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(f, os.O_RDWR)
os.write(fd, b"go\n")
got = bytearray()
while len(got) < size or b"DONE\n" not in got[size:]:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        raise SystemExit("stalled after %d bytes" % len(got))
    got += os.read(fd, 1 << 20)
open(out, "wb").write(got)
PY
head -c $SIZE "$T/got" | cmp -s - "$T/data" || fail "the session's stream is not byte-exact"
df -k "$TINY" | tail -1 | awk '{ exit $4 > 8 }' || fail "the tmpfs did not fill up: $(df -k "$TINY" | tail -1)"
wait_for 5 grep -qa '^\[consolefs: [0-9]* bytes dropped\]$' "$L" || fail "no drop marker: $(tail -c 300 "$L" | od -c | tail -5)"
[ "$(grep -ca 'bytes dropped' "$L")" = 1 ] || fail "$(grep -ca 'bytes dropped' "$L") drop markers"
note "log: $(stat -c %s "$L") bytes, then $(grep -ao '\[consolefs: [0-9]* bytes dropped\]' "$L")"

# Space again: what comes next is logged.
rm "$TINY/filler"
exec 3<>"$MNT/d/console0"
echo after-space >&3
exec 3>&-
wait_for 5 grep -qa after-space "$L" || fail "logging did not resume after space was freed"
