# tests/lib.sh — sourced by every behaviour test in tests/behave/.
# Gives each test its own temporary directory, mount point and lock
# directory, starts the daemon on a real FUSE mount, and cleans up on EXIT.
# Exit codes: 0 pass, 1 fail, 77 skip (no /dev/fuse, or a tool missing).
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
CONSOLEFS=$BUILD/consolefs
CONSOLECTL=$BUILD/consolectl
T=$(mktemp -d /tmp/consolefs-test.XXXXXX)
MNT=$T/mnt
LOCKDIR=$T/lock
CONF=$T/consolefs.conf
DAEMON_LOG=$T/daemon.log
DAEMON_PID=
TMUX_SOCK=$T/tmux.sock
mkdir -p "$MNT" "$LOCKDIR"
# ASan: leaks are reported at exit; fail a test on them via the log check.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

CLEANUPS=()
# Run a command (a string) at exit, before the mount is taken down.
at_exit() { CLEANUPS+=("$1"); }

cleanup() {
	local rc=$?
	for c in "${CLEANUPS[@]}"; do eval "$c" >/dev/null 2>&1; done
	tmux -S "$TMUX_SOCK" kill-server >/dev/null 2>&1
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$DAEMON_PID" 2>/dev/null
	fi
	mountpoint -q "$MNT" && umount -l "$MNT" 2>/dev/null
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -s "$DAEMON_LOG" ]; then
		echo "--- daemon log (last 40 lines) ---" >&2
		tail -n 40 "$DAEMON_LOG" >&2
	fi
	# Sanitizer reports fail the test even when the assertions passed.
	if [ "$rc" -eq 0 ] && grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$DAEMON_LOG" 2>/dev/null; then
		echo "FAIL: sanitizer report in daemon log" >&2
		grep -A20 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$DAEMON_LOG" >&2
		rc=1
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "  $*" >&2; }
need() { for t in "$@"; do command -v "$t" >/dev/null 2>&1 || skip "$t not installed"; done; }

[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "$CONSOLEFS" ] || fail "$CONSOLEFS not built"

# Wait until a command succeeds: wait_for SECONDS CMD...
wait_for() {
	local secs=$1; shift
	local n=$((secs * 50))
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.02; n=$((n - 1)); done
	return 1
}

# Start the daemon in the foreground (background job) on $MNT with $CONF
# (create $CONF first); extra daemon options may follow.
mount_fs() {
	"$CONSOLEFS" -f -v -c "$CONF" --lock-dir "$LOCKDIR" "$@" "$MNT" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	wait_for 10 mountpoint -q "$MNT" || { cat "$DAEMON_LOG" >&2; fail "mount did not appear"; }
}

# Stop the daemon with SIGTERM and wait for it; returns its exit status.
stop_fs() {
	local st=0
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || st=$?
	DAEMON_PID=
	return $st
}

# Make a pseudo-terminal pair whose master a helper process keeps open:
# make_pty NAME -> sets PTY_<NAME> (slave path), PTYPID_<NAME>; the master's
# output (what consolefs writes) goes to $T/NAME.out, and what is written to
# the fifo $T/NAME.in goes to the master (what consolefs reads).
make_pty() {
	local name=$1
	mkfifo "$T/$name.in"
	python3 "$TOP/tests/ptypair.py" "$T/$name.in" "$T/$name.out" "$T/$name.path" &
	eval "PTYPID_$name=$!"
	wait_for 5 test -s "$T/$name.path" || fail "pty helper did not start"
	eval "PTY_$name=$(cat "$T/$name.path")"
	at_exit "kill $(eval echo \$PTYPID_$name)"
}

# Start a detached tmux session NAME running CMD (a string), 120x40.
tmux_start() {
	tmux -S "$TMUX_SOCK" new-session -d -s "$1" -x 120 -y 40 "$2"
}
tmux_keys() { local s=$1; shift; tmux -S "$TMUX_SOCK" send-keys -t "$s" "$@"; }
tmux_screen() { tmux -S "$TMUX_SOCK" capture-pane -p -t "$1"; }
# Wait until the tmux pane of session $1 shows text matching regex $2.
tmux_wait() {
	local s=$1 re=$2 secs=${3:-10}
	wait_for "$secs" sh -c "tmux -S '$TMUX_SOCK' capture-pane -p -t '$s' | grep -qE -- '$re'" ||
		{ tmux_screen "$s" >&2; fail "screen of $s never showed /$re/"; }
}
