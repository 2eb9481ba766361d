#!/bin/bash
# make bench: throughput and latency of a console file against a bare pty
# master running the same command, and against socat relaying the same
# command's pty to a pty of its own (the usual way to share a console
# without consolefs), all measured in the same run; the CPU the relay
# spends per MiB; then the scale section (scale.sh). Prints figures and
# ratios; it is not a test and does not fail on slow figures.
#   BENCH_MIB (256), BENCH_ROUNDS (10000), BENCH_RUNS (3: medians of the
#   runs), BENCH_SCALE (sizes for scale.sh; "" skips it)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
BENCH=$BUILD/bench
MIB=${BENCH_MIB:-256}
ROUNDS=${BENCH_ROUNDS:-10000}
RUNS=${BENCH_RUNS:-3}
T=$(mktemp -d /tmp/consolefs-bench.XXXXXX)
mkdir -p "$T/mnt" "$T/lock"
pid= socat_pid=
cleanup() {
	[ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null && wait "$socat_pid" 2>/dev/null
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	mountpoint -q "$T/mnt" && umount -l "$T/mnt"
	rm -rf "$T"
}
trap cleanup EXIT
gen="stty raw -echo; head -c 1 >/dev/null; exec dd if=/dev/zero bs=65536 count=$((MIB * 16)) status=none"
echo_cmd="stty raw -echo; exec cat"
cat >"$T/conf" <<CONF
[domain bench]
echo = exec:/bin/sh -c '$echo_cmd'
CONF
for i in $(seq "$RUNS"); do
	printf "flood%d = exec:/bin/sh -c '%s'\n" "$i" "$gen" >>"$T/conf"
done
"$BUILD/consolefs" -f -q -c "$T/conf" --lock-dir "$T/lock" "$T/mnt" &
pid=$!
for _ in $(seq 100); do mountpoint -q "$T/mnt" && break; sleep 0.05; done
sleep 0.3

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
HZ=$(getconf CLK_TCK)
# socat relaying CMD's pty to a pty of its own at LINK; sets socat_pid.
socat_start() {
	local link=$1 cmd=$2
	rm -f "$link"
	# SYSTEM: (sh -c): EXEC: would split the command at blanks, quotes or not.
	socat "PTY,link=$link,raw,echo=0" "SYSTEM:$cmd,pty,raw,echo=0" 2>>"$T/socat.log" &
	socat_pid=$!
	for _ in $(seq 200); do [ -e "$link" ] && break; sleep 0.01; done
	sleep 0.2	# the command's stty
}
socat_stop() {
	kill "$socat_pid" 2>/dev/null || true
	wait "$socat_pid" 2>/dev/null || true
	socat_pid=
}
have_socat=0
command -v socat >/dev/null && have_socat=1

echo "consolefs benchmark ($(nproc) cores, $(uname -r)), medians of $RUNS runs"
echo
echo "throughput: reading $MIB MiB that an exec: command writes as fast as it can"
: >"$T/tp.pty"; : >"$T/tp.fs"; : >"$T/tp.socat"; : >"$T/cpu.fs"; : >"$T/cpu.socat"
for i in $(seq "$RUNS"); do
	"$BENCH" throughput-pty /bin/sh -c "$gen" >>"$T/tp.pty"
	t0=$(ticks "$pid")
	"$BENCH" throughput "$T/mnt/bench/flood$i" >>"$T/tp.fs"
	echo "$(( $(ticks "$pid") - t0 ))" >>"$T/cpu.fs"
	if [ "$have_socat" = 1 ]; then
		# The command stays (sleep) so that socat's CPU can still be read.
		socat_start "$T/socat-flood" "${gen/exec dd/dd}; exec sleep 1000"
		t0=$(ticks "$socat_pid")
		"$BENCH" throughput "$T/socat-flood" $((MIB * 1048576)) >>"$T/tp.socat"
		echo "$(( $(ticks "$socat_pid") - t0 ))" >>"$T/cpu.socat"
		socat_stop
	fi
done
raw=$(field mib_s <"$T/tp.pty" | median); fs=$(field mib_s <"$T/tp.fs" | median)
rawcpu=$(field cpu_ms_mib <"$T/tp.pty" | median); fscpu=$(field cpu_ms_mib <"$T/tp.fs" | median)
relay=$(awk -v hz="$HZ" -v m="$MIB" '{ print $1 * 1000 / hz / m }' "$T/cpu.fs" | median)
printf '  bare pty master : %8.1f MiB/s   reader CPU %.2f ms/MiB\n' "$raw" "$rawcpu"
printf '  consolefs file  : %8.1f MiB/s   reader CPU %.2f ms/MiB, daemon (the relay) %.2f ms/MiB\n' \
    "$fs" "$fscpu" "$relay"
if [ "$have_socat" = 1 ]; then
	so=$(field mib_s <"$T/tp.socat" | median); socpu=$(field cpu_ms_mib <"$T/tp.socat" | median)
	sorelay=$(awk -v hz="$HZ" -v m="$MIB" '{ print $1 * 1000 / hz / m }' "$T/cpu.socat" | median)
	printf '  socat pty<->pty : %8.1f MiB/s   reader CPU %.2f ms/MiB, socat (the relay) %.2f ms/MiB\n' \
	    "$so" "$socpu" "$sorelay"
fi
awk -v f="$fs" -v r="$raw" 'BEGIN { printf "  ratio consolefs/pty = %.2f   (target >= 0.95)\n", f / r }'
[ "$have_socat" = 1 ] && awk -v f="$fs" -v r="$raw" -v s="$so" \
    'BEGIN { printf "  ratio socat/pty = %.2f, consolefs/socat = %.2f\n", s / r, f / s }'
echo
echo "latency: $ROUNDS one-byte round trips to an echoing console ($echo_cmd)"
: >"$T/lat.pty"; : >"$T/lat.fs"; : >"$T/lat.socat"
for i in $(seq "$RUNS"); do
	"$BENCH" latency-pty "$ROUNDS" /bin/sh -c "$echo_cmd" >>"$T/lat.pty"
	"$BENCH" latency "$T/mnt/bench/echo" "$ROUNDS" >>"$T/lat.fs"
	if [ "$have_socat" = 1 ]; then
		socat_start "$T/socat-echo" "$echo_cmd"
		"$BENCH" latency "$T/socat-echo" "$ROUNDS" >>"$T/lat.socat"
		socat_stop
	fi
done
rm_=$(field median_us <"$T/lat.pty" | median); fm=$(field median_us <"$T/lat.fs" | median)
rp=$(field p99_us <"$T/lat.pty" | median); fp=$(field p99_us <"$T/lat.fs" | median)
printf '  bare pty master : median %6.1f us, p99 %6.1f us\n' "$rm_" "$rp"
printf '  consolefs file  : median %6.1f us, p99 %6.1f us   (runs: %s)\n' "$fm" "$fp" \
    "$(field median_us <"$T/lat.fs" | tr '\n' ' ')"
if [ "$have_socat" = 1 ]; then
	sm=$(field median_us <"$T/lat.socat" | median); sp=$(field p99_us <"$T/lat.socat" | median)
	printf '  socat pty<->pty : median %6.1f us, p99 %6.1f us\n' "$sm" "$sp"
fi
awk -v a="$fm" -v b="$rm_" -v c="$fp" -v d="$rp" \
    'BEGIN { printf "  ratio consolefs/pty: median %.2f, p99 %.2f   (target: median <= 1.3)\n", a / b, c / d }'
[ "$have_socat" = 1 ] && awk -v a="$fm" -v b="$rm_" -v s="$sm" \
    'BEGIN { printf "  ratio socat/pty: median %.2f; consolefs/socat: median %.2f\n", s / b, a / s }'
s0=$(awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$pid/status")
sleep 2
echo "  idle: $(($(awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$pid/status") - s0)) daemon wake-ups in 2 s"
kill -TERM "$pid"; wait "$pid" || true; pid=

[ -n "${BENCH_SCALE-x}" ] && "$TOP/tests/bench/scale.sh" "$BUILD"
exit 0
