#!/bin/bash
# Reloads free what they remove: 100 reloads that each replace the devices
# of 300 domains leave the daemon's memory where it was after the first
# 10, and the tree right (every device is there, with the last file's
# backend); an unchanged reload of 3,000 domains is answered while a stat
# of a console still takes less than 100 ms.
. "$(dirname "$0")/../lib.sh"
need python3
gen() {	# gen FILE N TAG: N domains, one pty: device each, backend tagged TAG
	python3 - "$1" "$2" "$3" <<'PY'
import sys
path, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    for i in range(n):
        f.write("[domain d%d]\nconsole0 = pty:/dev/pts/%s%d\n" % (i, tag, i))
PY
}
gen "$T/a.conf" 300 1
gen "$T/b.conf" 300 2
cp "$T/a.conf" "$CONF"
# Under ASan, freed memory waits in a quarantine (growing RSS by design):
# let it be reused at once, so that the measure means the same.
export ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0
mount_fs
rss() { awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status"; }
reloads=0
reload() {	# reload FILE: install it, SIGHUP, wait until the daemon says so
	cp "$1" "$CONF"
	reloads=$((reloads + 1))
	kill -HUP "$DAEMON_PID"
	wait_for 10 sh -c "[ \$(grep -c 'daemon_reload: reloaded' '$DAEMON_LOG') -ge $reloads ]" ||
		fail "reload $reloads did not finish"
}
for i in $(seq 10); do reload "$T/b.conf"; reload "$T/a.conf"; done
first=$(rss)
for i in $(seq 45); do reload "$T/b.conf"; reload "$T/a.conf"; done
last=$(rss)
note "VmRSS after 20 reloads: $first kB, after 110: $last kB"
[ $((last - first)) -lt 1024 ] || fail "90 reloads grew the daemon by $((last - first)) kB"
[ "$(ls "$MNT" | wc -l)" -eq 301 ] || fail "$(ls "$MNT" | wc -l) entries in the root, not 301"
[ "$(xattr "$MNT/d299/console0" user.backend)" = "pty:/dev/pts/1299" ] ||
	fail "d299/console0 has backend $(xattr "$MNT/d299/console0" user.backend)"

# A big unchanged reload does not hold up other requests for long.
gen "$T/big.conf" 3000 1
reload "$T/big.conf"
kill -HUP "$DAEMON_PID"
# A name not looked up before (so the daemon must answer, not the kernel's
# cache), with bash's own stat (no fork in the measure).
t0=$EPOCHREALTIME
[ -e "$MNT/d2999/console0" ] || fail "d2999/console0 is missing during a reload"
t1=$EPOCHREALTIME
ms=$(( (${t1/./} - ${t0/./}) / 1000 ))
note "stat during an unchanged reload of 3,000 domains: $ms ms"
[ "$ms" -lt $((100 * SLOW)) ] ||
	fail "stat during an unchanged reload of 3,000 domains took $ms ms (limit $((100 * SLOW)))"
