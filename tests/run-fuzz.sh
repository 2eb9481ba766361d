#!/bin/bash
# Run each libFuzzer binary given for SECONDS, each from a fresh corpus in
# build/fuzz/corpus-NAME (next to the binary) seeded with a few valid inputs;
# print one line per target with its number of runs; exit non-zero if any
# target crashed. The output of a failed target is kept in NAME.log and its
# crash input as NAME-crash-*, both next to the binary.
#
#   tests/run-fuzz.sh 10 build/fuzz/fuzz_lock_parse build/fuzz/fuzz_lock_name
if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 SECONDS FUZZER..." >&2
	exit 2
fi
seconds=$1
shift

# A few valid inputs for TARGET, one per file in DIR.
seed() {
	local target=$1 dir=$2
	case $target in
	*lock_parse*)
		printf '%10d\n' 1234 >"$dir/hdb"
		printf '4321\n' >"$dir/unpadded"
		printf '\x39\x30\x00\x00' >"$dir/binary"	# 12345, little-endian
		;;
	*lock_name*)
		printf '/dev/ttyUSB0' >"$dir/tty"
		printf '/dev/pts/7' >"$dir/pts"
		printf '/dev/serial/by-id/usb-FTDI_A9XK3-if00' >"$dir/nested"
		;;
	*)
		printf 'x' >"$dir/x"
		;;
	esac
}

rc=0
for bin in "$@"; do
	name=$(basename "$bin")
	dir=$(dirname "$bin")
	corpus=$dir/corpus-$name
	log=$dir/$name.log
	if [ ! -x "$bin" ]; then
		echo "FAIL  $name: no such fuzzer $bin"
		rc=1
		continue
	fi
	rm -rf "$corpus" "$dir/$name"-crash-* "$dir/$name"-leak-* "$dir/$name"-timeout-* "$dir/$name"-oom-*
	mkdir -p "$corpus"
	seed "$name" "$corpus"
	"$bin" -max_total_time="$seconds" -print_final_stats=0 \
	    -artifact_prefix="$dir/$name-" "$corpus" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n1)
	if [ $status -eq 0 ] && [ -n "$runs" ]; then
		echo "ok    $name: $runs runs in ${seconds}s, corpus $(ls "$corpus" | wc -l)"
		rm -f "$log"
	else
		echo "FAIL  $name: exit $status after ${runs:-?} runs, see $log"
		grep -m3 -E 'ERROR|Assertion|runtime error' "$log" | sed 's/^/    /'
		ls "$dir/$name"-crash-* "$dir/$name"-leak-* "$dir/$name"-timeout-* 2>/dev/null | sed 's/^/    /'
		rc=1
	fi
done
exit $rc
