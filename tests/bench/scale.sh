#!/bin/bash
# make bench, scale section: how the daemon grows with the number of
# consoles. For each N (BENCH_SCALE, default "300 1000 3000 10000") and each
# kind (exec: consoles running `sleep`, pty: consoles on pseudo-terminals a
# helper holds), one console per domain, it prints:
#   mount    seconds from the daemon's start to the mount being there
#   ready    seconds until every console is there: every exec: program
#            running (children of the daemon), every domain listed
#   cpu_ms/c the daemon's own CPU until then, per console (the children's
#            start-up is theirs: in a VM mostly the dynamic loader's cpuid)
#   ls-R     milliseconds of `ls -R` over the mount, first, second and third
#            time (the kernel caches each directory's listing as it goes)
#   rss      resident KiB per console above an empty daemon's, and the
#            daemon's address space
#   open     open+close of every console file once, per second
#   idle     the daemon's context switches over 2 s of nothing (0: no
#            wake-ups)
#   stop     seconds from SIGTERM to the daemon's exit
# then the ratios the issue's targets are about. Not a test: it never
# fails on slow figures. /proc/sys/kernel/pty/max is raised for the run
# and restored.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
BENCH=$BUILD/bench
SIZES=${BENCH_SCALE:-300 1000 3000 10000}
BUSYBOX=/bin/busybox
KINDS=${BENCH_SCALE_KINDS:-exec exec-static pty}
# A static busybox (busybox-static, which the guest tests use) or none.
ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || KINDS=${KINDS/exec-static/}
T=$(mktemp -d /tmp/consolefs-scale.XXXXXX)
mkdir -p "$T/mnt" "$T/lock"
pid= helper= oldmax=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$helper" ] && kill "$helper" 2>/dev/null && wait "$helper" 2>/dev/null
	mountpoint -q "$T/mnt" && umount -l "$T/mnt"
	[ -n "$oldmax" ] && echo "$oldmax" >/proc/sys/kernel/pty/max
	rm -rf "$T"
}
trap cleanup EXIT

max=0
for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done
# Room for the largest run on top of what the machine uses already.
need=$(($(cat /proc/sys/kernel/pty/nr) + max + 1024))
if [ "$(cat /proc/sys/kernel/pty/max)" -lt "$need" ]; then
	oldmax=$(cat /proc/sys/kernel/pty/max)
	echo "$need" >/proc/sys/kernel/pty/max
fi
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((max + 100)) ] || echo "  (fd limit $(ulimit -n) is low for $max consoles)"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$1/status; }
switches() { awk '/ctxt_switches/ { n += $2 } END { print n }' /proc/$1/status; }
nchildren() { wc -w </proc/$1/task/$1/children; }
cpu_ms() { sed 's/.*) //' /proc/$1/stat | awk -v hz="$(getconf CLK_TCK)" '{ print ($12 + $13) * 1000 / hz }'; }

start_daemon() {
	"$BUILD/consolefs" -f -q -c "$T/conf" --lock-dir "$T/lock" "$T/mnt" 2>>"$T/daemon.log" &
	pid=$!
}
stop_daemon() {
	local t=$(now)
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
	STOP=$(since "$t")
}
wait_mount() {
	for _ in $(seq 3000); do mountpoint -q "$T/mnt" && return 0; sleep 0.01; done
	echo "  the mount did not appear: $(tail -n 3 "$T/daemon.log")" >&2
	return 1
}

# An empty daemon, for the baseline of resident memory.
printf '[domain empty]\n' >"$T/conf"
start_daemon
wait_mount
sleep 0.3
RSS0=$(kib "$pid" VmRSS)
stop_daemon

echo
echo "scale: N consoles, one per domain ($(nproc) cores; pty max $(cat /proc/sys/kernel/pty/max) for the run)"
printf '  %-11s %6s %8s %8s %8s %22s %10s %9s %10s %6s %7s\n' kind N mount_s ready_s cpu_ms/c "ls-R_ms 1st/2nd/3rd" rss_KiB/con vsz_MiB open/s idle stop_s
declare -A READY LSR
for kind in $KINDS; do
	for n in $SIZES; do
		if [ "$kind" = pty ]; then
			# Hold N pty masters; their slaves are the consoles.
			python3 -c '
import os, sys, signal
n = int(sys.argv[1]); ms = []
with open(sys.argv[2], "w") as f:
    for i in range(n):
        m, s = os.openpty(); f.write(os.ttyname(s) + "\n"); os.close(s); ms.append(m)
os.rename(sys.argv[2], sys.argv[2] + ".done")
signal.pause()' "$n" "$T/ptys" &
			helper=$!
			for _ in $(seq 6000); do [ -e "$T/ptys.done" ] && break; sleep 0.01; done
			awk '{ printf "[domain d%d]\nc = pty:%s\n", NR - 1, $0 }' "$T/ptys.done" >"$T/conf"
		else
			# exec: a dynamically linked program (its loader's start-up is
			# most of the cost in a VM: cpuid traps); exec-static: busybox's
			# static one, which leaves mostly the daemon's own cost.
			prog="/bin/sleep 1000000"
			[ "$kind" = exec-static ] && prog="$BUSYBOX sleep 1000000"
			awk -v n="$n" -v p="$prog" 'BEGIN { for (i = 0; i < n; i++) printf "[domain d%d]\nc = exec:%s\n", i, p }' >"$T/conf"
		fi
		t0=$(now)
		start_daemon
		wait_mount
		mount_s=$(since "$t0")
		if [ "$kind" != pty ]; then
			until [ "$(nchildren "$pid")" -ge "$n" ]; do sleep 0.1; done
		else
			until [ "$(ls "$T/mnt" | wc -l)" -gt "$n" ]; do sleep 0.02; done
		fi
		ready_s=$(since "$t0")
		cpu=$(awk -v c="$(cpu_ms "$pid")" -v n="$n" 'BEGIN { printf "%.3f", c / n }')
		t=$(now); ls -R "$T/mnt" >/dev/null; ls1=$(since "$t")
		t=$(now); ls -R "$T/mnt" >/dev/null; ls2=$(since "$t")
		t=$(now); ls -R "$T/mnt" >/dev/null; ls3=$(since "$t")
		sleep 0.5
		rss=$(awk -v r="$(kib "$pid" VmRSS)" -v b="$RSS0" -v n="$n" 'BEGIN { printf "%.1f", (r - b) / n }')
		vsz=$(($(kib "$pid" VmSize) / 1024))
		s0=$(switches "$pid"); sleep 2; idle=$(($(switches "$pid") - s0))
		oc=$(seq 0 $((n - 1)) | sed "s|.*|$T/mnt/d&/c|" | xargs "$BENCH" openclose | sed -n 's/.*per_s=\([0-9]*\).*/\1/p' | head -n1)
		stop_daemon
		if [ -n "$helper" ]; then
			kill "$helper"; wait "$helper" 2>/dev/null || true; helper=
			rm -f "$T/ptys.done"
		fi
		READY[$kind.$n]=$ready_s
		LSR[$kind.$n]=$ls1
		printf '  %-11s %6d %8s %8s %8s %6.0f / %5.0f / %5.0f %10s %9s %10s %6s %7s\n' "$kind" "$n" "$mount_s" "$ready_s" "$cpu" \
		    "$(awk -v a="$ls1" 'BEGIN { print a * 1000 }')" "$(awk -v a="$ls2" 'BEGIN { print a * 1000 }')" \
		    "$(awk -v a="$ls3" 'BEGIN { print a * 1000 }')" \
		    "$rss" "$vsz" "$oc" "$idle" "$STOP"
	done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
echo "  targets: ready 10,000 exec: <= 10 s, pty: <= 0.5 s; ls -R of 10,000 <= 100 ms;"
echo "           <= 8 KiB per idle console; 3,000 vs 300 within 13x (linear: 10x); idle 0"
for kind in $KINDS; do
	if [ -n "${READY[$kind.300]:-}" ] && [ -n "${READY[$kind.3000]:-}" ]; then
		echo "  $kind: 3,000 vs 300: ready $(ratio "${READY[$kind.3000]}" "${READY[$kind.300]}")x," \
		    "ls -R $(ratio "${LSR[$kind.3000]}" "${LSR[$kind.300]}")x"
	fi
done
