#!/bin/bash
# Run every behaviour test in tests/behave/ (or those named), one at a time,
# each with a time limit; keep the output only of failures; print a summary
# line "N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
pass=0 failed=0 skipped=0 failures=()
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(tests/behave/*.sh)
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	out=$(mktemp)
	start=$(date +%s%N)
	# The test in a session of its own; past its time, what every process
	# in it waits in is printed (a hang shows where), then it is stopped.
	# A command started with & by a shell without job control has SIGINT
	# and SIGQUIT ignored, and a shell cannot undo that: env gives the
	# test their default handling back (interrupt.sh sends a SIGINT).
	setsid env --default-signal=INT,QUIT bash "$t" >>"$out" 2>&1 &
	pid=$!
	setsid bash -c 'sleep "$1"; {
		echo "--- ${3##*/}: still running after $1 s: its processes ---"
		ps -s "$2" -o pid=,stat=,wchan:28=,args= | sed "s/^/  /"
	} >>"$4"; kill -TERM -- -"$2"; sleep 5; kill -KILL -- -"$2"' \
	    watchdog "${TEST_TIMEOUT:-120}" "$pid" "$t" "$out" 2>/dev/null &
	dog=$!
	wait "$pid"
	rc=$?
	kill -- -"$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	ms=$((($(date +%s%N) - start) / 1000000)); secs=$((ms / 1000)).$((ms % 1000 / 100))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS  $name (${secs}s)" ;;
	77) skipped=$((skipped + 1)); echo "SKIP  $name: $(tail -n1 "$out")" ;;
	*) failed=$((failed + 1)); failures+=("$name"); echo "FAIL  $name (rc=$rc, ${secs}s)"; sed 's/^/    /' "$out" ;;
	esac
	rm -f "$out"
done
echo "behaviour tests ($BUILD):"
echo "$pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
