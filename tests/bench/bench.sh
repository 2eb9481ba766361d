#!/bin/bash
# make bench: throughput and latency of a console file against a bare pty
# master running the same command, measured in the same run. Prints figures
# and ratios; it is not a test and does not fail on slow figures.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
BENCH=$BUILD/bench
MIB=${BENCH_MIB:-256}
ROUNDS=${BENCH_ROUNDS:-10000}
T=$(mktemp -d /tmp/consolefs-bench.XXXXXX)
mkdir -p "$T/mnt" "$T/lock"
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	mountpoint -q "$T/mnt" && umount -l "$T/mnt"
	rm -rf "$T"
}
trap cleanup EXIT
gen="stty raw -echo; head -c 1 >/dev/null; exec dd if=/dev/zero bs=65536 count=$((MIB * 16)) status=none"
echo_cmd="stty raw -echo; exec cat"
cat >"$T/conf" <<CONF
[domain bench]
flood = exec:/bin/sh -c '$gen'
echo = exec:/bin/sh -c '$echo_cmd'
CONF
"$BUILD/consolefs" -f -q -c "$T/conf" --lock-dir "$T/lock" "$T/mnt" &
pid=$!
for _ in $(seq 100); do mountpoint -q "$T/mnt" && break; sleep 0.05; done
sleep 0.3

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
echo "consolefs benchmark ($(nproc) cores, $(uname -r))"
echo
echo "throughput: reading $MIB MiB that an exec: command writes as fast as it can"
raw=$("$BENCH" throughput-pty /bin/sh -c "$gen")
fs=$("$BENCH" throughput "$T/mnt/bench/flood")
echo "  bare pty master : $raw"
echo "  consolefs file  : $fs"
r=$(echo "$raw" | field mib_s); f=$(echo "$fs" | field mib_s)
awk -v f="$f" -v r="$r" 'BEGIN { printf "  ratio consolefs/pty = %.2f   (target >= 0.90)\n", f / r }'
echo
echo "latency: $ROUNDS one-byte round trips to an echoing console ($echo_cmd)"
raw=$("$BENCH" latency-pty "$ROUNDS" /bin/sh -c "$echo_cmd")
fs=$("$BENCH" latency "$T/mnt/bench/echo" "$ROUNDS")
echo "  bare pty master : $raw"
echo "  consolefs file  : $fs"
rm_=$(echo "$raw" | field median_us); fm=$(echo "$fs" | field median_us)
rp=$(echo "$raw" | field p99_us); fp=$(echo "$fs" | field p99_us)
awk -v a="$fm" -v b="$rm_" -v c="$fp" -v d="$rp" \
    'BEGIN { printf "  ratio consolefs/pty: median %.2f, p99 %.2f   (target <= 2.0)\n", a / b, c / d }'
