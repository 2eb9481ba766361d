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
# Every process the test starts inherits this: no_dstate finds them by it.
export CONSOLEFS_TEST_TAG=$T
# ASan: leaks are reported at exit; fail a test on them via the log check.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Bounds on how long the daemon may keep a caller waiting are stated for
# the plain build; under ASan + UBSan (every malloc, free and syscall
# wrapped) the same work takes about twice as long: multiply by this.
SLOW=1
[ -x "$BUILD/consolefs" ] && nm -D "$BUILD/consolefs" 2>/dev/null | grep -q __asan_init && SLOW=2

CLEANUPS=()
# Run a command (a string) at exit, before the mount is taken down.
at_exit() { CLEANUPS+=("$1"); }

cleanup() {
	local rc=$?
	# Before anything is killed: what the test left behind must not be
	# stuck in the kernel.
	if ! no_dstate && [ "$rc" -eq 0 ]; then rc=1; fi
	exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	for c in "${CLEANUPS[@]}"; do eval "$c" >/dev/null 2>&1; done
	tmux -S "$TMUX_SOCK" kill-server >/dev/null 2>&1
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		# Interactive shells ignore SIGTERM: hang them up first so that
		# cleanup does not wait out the daemon's grace period.
		pkill -HUP -P "$DAEMON_PID" 2>/dev/null
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$DAEMON_PID" 2>/dev/null
	fi
	# Also a dead mount (its daemon killed), which mountpoint -q misses.
	while awk -v m="$MNT" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; do
		umount -l "$MNT" 2>/dev/null || break
	done
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
# tests/run.sh's time limit sends SIGTERM (after listing what the test's
# processes were waiting in): clean up as after a failure, daemon log and
# all.
trap 'echo "TIMEOUT: the test ran out of time" >&2; exit 124' TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
# Whether no process this test started (CONSOLEFS_TEST_TAG in its
# environment, or a descendant of one) stays in D state (uninterruptible,
# as a reader waiting on a wedged FUSE daemon) for a second; names them.
no_dstate() {
	local stuck
	stuck=$(python3 "$TOP/tests/probe.py" dstate "$T") && return 0
	echo "FAIL: processes of this test stuck in D state:" >&2
	printf '    %s\n' "$stuck" >&2
	return 1
}
# Fail unless the daemon answers a stat and a getxattr of console file $1
# within 100 ms (one of 3 tries): it is not blocked, whatever is going on.
answers_fast() {
	python3 "$TOP/tests/probe.py" answer "$1" || fail "the daemon does not answer for $1"
}
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
# the fifo $T/NAME.in goes to the master (what consolefs reads). Options of
# tests/ptypair.py may follow (--want /dev/pts/N, --user NAME); with
# --want, it returns 1 (and sets nothing) when that number went to another
# process.
make_pty() {
	local name=$1 pid; shift
	rm -f "$T/$name.in" "$T/$name.path"
	mkfifo "$T/$name.in"
	python3 "$TOP/tests/ptypair.py" "$T/$name.in" "$T/$name.out" "$T/$name.path" "$@" &
	pid=$!
	at_exit "kill $pid"
	wait_for 5 sh -c "test -s '$T/$name.path' || ! kill -0 $pid 2>/dev/null" ||
		fail "pty helper did not start"
	if [ ! -s "$T/$name.path" ]; then
		wait "$pid"
		[ $? -eq 3 ] && return 1
		fail "pty helper failed"
	fi
	eval "PTYPID_$name=$pid"
	eval "PTY_$name=$(cat "$T/$name.path")"
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

# Start tmux session $1 running the shell command $2 in a wrapper that
# records `stty -g` of the pane's terminal before and after in $T/$1.stty0
# and $T/$1.stty1 and the command's exit status in $T/$1.rc (written last),
# then keeps the pane open so its screen can still be read.
tmux_run() {
	local s=$1
	printf '%s\n' "stty -g > '$T/$s.stty0'" "$2" "echo \$? > '$T/$s.rc.new'" \
	    "stty -g > '$T/$s.stty1'" "mv '$T/$s.rc.new' '$T/$s.rc'" \
	    "exec sleep 100000" > "$T/$s.run"
	tmux_start "$s" "sh '$T/$s.run'"
}
# Wait up to $2 seconds (default 10) for the command of tmux_run $1 to end;
# prints its exit status.
tmux_rc() {
	wait_for "${2:-10}" test -e "$T/$1.rc" || { tmux_screen "$1" >&2; fail "command in tmux session $1 did not end"; }
	cat "$T/$1.rc"
}
# The value of extended attribute $2 of file $1 (fails when it has none).
xattr() { getfattr --absolute-names --only-values -n "$2" "$1" 2>/dev/null; }

# --- UUCP lock tests ---

# Print what open(PATH, O_RDWR|O_NOCTTY) gives: "ok" (and close it at once)
# or the errno's name (EBUSY, ENXIO, ...).
open_errno() {
	python3 - "$1" <<'PY'
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY))
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
PY
}

# Open PATH read-write in a background process that keeps it open (a
# session) until hold_close; sets HOLD_PID. Fails the test, naming the errno,
# when the open fails. Nothing else inherits the descriptor.
hold_open() {
	local out=$T/hold.$RANDOM
	python3 -c '
import errno, os, signal, sys
try:
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno), flush=True)
    sys.exit(1)
print("open", flush=True)
while True:
    signal.pause()
' "$1" >"$out" &
	HOLD_PID=$!
	at_exit "kill $HOLD_PID"
	wait_for 10 test -s "$out" || fail "hold_open $1: no answer"
	[ "$(cat "$out")" = open ] || fail "open $1: $(cat "$out")"
}
# End the session of hold_open (the process exits; its last close).
hold_close() {
	kill "$HOLD_PID" 2>/dev/null
	wait "$HOLD_PID" 2>/dev/null
	HOLD_PID=
}

# Whether the terminal of tmux session $1's pane is in raw mode (-icanon):
# the program in it has set up its terminal, so typed keys go to it rather
# than being echoed by the pane's tty and flushed when the program starts.
tmux_raw() {
	stty -a -F "$(tmux -S "$TMUX_SOCK" display-message -p -t "$1" '#{pane_tty}')" 2>/dev/null |
	    grep -q -- '-icanon'
}

# The pid of the process running in tmux session $1's pane.
tmux_pid() { tmux -S "$TMUX_SOCK" display-message -p -t "$1" '#{pane_pid}'; }

# The UUCP lock file name minicom and consolefs use for device $1 in
# directory $2: /dev/pts/7 -> $2/LCK..pts_7.
lock_file_for() {
	local rest=${1#/dev/}
	printf '%s/LCK..%s\n' "$2" "${rest//\//_}"
}

# Processes this test started that may leave lock files in a shared lock
# directory such as /var/lock (minicom killed with -9).
LOCK_OWN_PIDS=()
lock_own() { LOCK_OWN_PIDS+=("$@"); }
# Remove the lock file $1 when the pid in it is one this test started
# (lock_own, or the daemon) or names no running process; leave any other
# lock alone: it is somebody else's.
lock_cleanup() {
	local f=$1 pid p
	[ -f "$f" ] && [ ! -L "$f" ] || return 0
	pid=$(tr -d ' \n' <"$f")
	case $pid in '' | *[!0-9]*) return 0 ;; esac
	for p in "${LOCK_OWN_PIDS[@]}" "$DAEMON_PID"; do
		[ "$p" = "$pid" ] && { rm -f "$f"; return 0; }
	done
	kill -0 "$pid" 2>/dev/null || [ "$(cat /proc/"$pid"/comm 2>/dev/null)" ] ||
		rm -f "$f"
}
# Whether process $1 has ended: gone, or a zombie its parent has not reaped
# yet (tmux does not always reap a pane's process at once).
proc_ended() {
	local st
	kill -0 "$1" 2>/dev/null || return 0
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$st" ] || [ "$st" = Z ]
}
# Whether directory $1 is empty.
dir_empty() { [ -z "$(ls -A "$1")" ]; }
# A domain d whose console0 is a pty: backend on a pair made here, mounted:
# sets P (the pty slave), L (its lock file in $LOCKDIR) and F (the console
# file). Extra arguments go to mount_fs.
mount_pty_console() {
	make_pty a
	P=$PTY_a
	L=$(lock_file_for "$P" "$LOCKDIR")
	cat > "$CONF" <<CONF
[domain d]
console0 = pty:$P
CONF
	mount_fs "$@"
	F=$MNT/d/console0
}
# A domain d whose console0 is an exec: cat without echo (what is written
# comes back once), mounted. Extra arguments go to mount_fs.
mount_echo_console() {
	cat > "$CONF" <<CONF
[domain d]
console0 = exec:/bin/sh -c 'stty -echo; exec cat'
CONF
	mount_fs "$@"
}
# Wait until the command of DOMAIN's DEV (default console0) has printed
# READY (it does so once its terminal is raw): from then on nothing written
# to it is echoed. The scrollback holds it even before anyone opened.
wait_ready() {
	local dev=${2:-console0}
	wait_for 5 grep -q READY "$MNT/$1/$dev.log" || fail "$1/$dev never got ready"
}

# --- tty63: the one real tty tests may send uevents for (never ttyS0) ---
# Take the machine-wide tty63 lock for the rest of the test, since other
# tests (also runs in other worktrees) send uevents for it too. A helper
# process holds it (no descriptor leaks into the daemon) until the test
# ends or the shell that took it dies.
tty63_take() {
	[ -w /sys/class/tty/tty63/uevent ] || skip "no /sys/class/tty/tty63/uevent to write"
	python3 - "$T/tty63.held" <<'PY' &
import fcntl, os, sys, time
parent = os.getppid()
fd = os.open("/tmp/consolefs-tty63.lock", os.O_RDWR | os.O_CREAT, 0o666)
deadline = time.time() + 300
while True:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        break
    except BlockingIOError:
        if time.time() > deadline or os.getppid() != parent:
            sys.exit(1)
        time.sleep(0.1)
open(sys.argv[1], "w").write("held\n")
while os.getppid() == parent:
    time.sleep(0.5)
PY
	TTY63_PID=$!
	at_exit "kill $TTY63_PID"
	wait_for 300 test -s "$T/tty63.held" || fail "tty63 stayed busy (/tmp/consolefs-tty63.lock)"
	# Whatever the last holder did, start from a tty63 that is "there".
	tty63_event add
}
# Send a synthetic uevent (add, remove, change) for tty63.
tty63_event() { echo "$1" > /sys/class/tty/tty63/uevent; }
# Wait until extended attribute $2 of $1 reads $3.
wait_xattr() {
	wait_for "${4:-5}" sh -c "[ \"\$(getfattr --absolute-names --only-values -n '$2' '$1' 2>/dev/null)\" = '$3' ]" ||
		fail "$2 of $1 is '$(xattr "$1" "$2")', want '$3'"
}

# --- QEMU guest tests ---

# Build (once) or find the guest of tests/guest/make-guest.sh: sets GUEST
# (its directory) and GUEST_ARGS (QEMU's kernel options, serial console on
# ttyS0; KERNEL_APPEND adds to the kernel command line); skips the test when
# it cannot be built.
guest_fixture() {
	need qemu-system-x86_64
	GUEST=$TOP/build/guest
	"$TOP/tests/guest/make-guest.sh" "$GUEST" >"$T/make-guest.log" 2>&1 ||
	    skip "guest fixture not built: $(tail -n1 "$T/make-guest.log")"
	GUEST_ARGS=(-accel tcg -m 256 -smp 1 -no-reboot -kernel "$GUEST/vmlinuz"
	    -initrd "$GUEST/initrd.gz" -append "console=ttyS0 panic=-1 ${KERNEL_APPEND:-}")
}
# Start the guest stopped (-S) with its monitor on $T/mon.sock and the
# serial port as QEMU's option $1 (pty, unix:PATH,server=on,wait=off...);
# sets QEMU_PID, and PTS when the serial port is a pty. guest_cont starts it.
guest_start_stopped() {
	qemu-system-x86_64 "${GUEST_ARGS[@]}" -S -display none \
	    -monitor "unix:$T/mon.sock,server=on,wait=off" -serial "$1" \
	    </dev/null >"$T/qemu.out" 2>&1 &
	QEMU_PID=$!
	at_exit "kill $QEMU_PID"
	wait_for 10 test -S "$T/mon.sock" || { cat "$T/qemu.out" >&2; fail "QEMU did not start"; }
	PTS=
	if [ "$1" = pty ]; then
		wait_for 10 grep -q 'char device redirected to /dev/pts/[0-9]*' "$T/qemu.out" ||
		    { cat "$T/qemu.out" >&2; fail "QEMU did not say which pty its serial port is"; }
		PTS=$(sed -n 's|.*char device redirected to \(/dev/pts/[0-9]*\).*|\1|p' "$T/qemu.out" | head -n1)
	fi
}
guest_cont() {
	echo cont | socat - "UNIX-CONNECT:$T/mon.sock" >/dev/null ||
	    fail "cannot tell QEMU to continue"
}
# Whether process $1 has a connection to the unix socket listening at $2.
unix_connected() {
	ss -xpn 2>/dev/null | awk -v path="$2" -v pid="pid=$1," '
		$2 == "ESTAB" && $5 == path { srv[$6] = 1 }
		$2 == "ESTAB" && index($0, pid) { peer[$8] = 1 }
		END { for (i in srv) if (i in peer) found = 1; exit !found }'
}
