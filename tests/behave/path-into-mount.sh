#!/bin/bash
# A backend path that leads into the daemon's own mount is refused, never
# followed: an unprivileged user who owns a directory on a configured path
# plants symbolic links into the mount (for a pty: device, a unix: device,
# and a directory link along the way); user.state says
# "refused: path enters the consolefs mount", opens give ENXIO, the log
# says why, and the daemon keeps answering for the other consoles
# throughout. A path written straight into the mount in the configuration
# is refused the same way. (Before: the daemon looked itself up and hung.)
. "$(dirname "$0")/../lib.sh"
need python3 getfattr setpriv timeout
REFUSED="refused: path enters the consolefs mount"
make_pty a
chmod 755 "$T"
mkdir "$T/home"
chown 65534:65534 "$T/home"
cat > "$CONF" <<EOF
[domain d]
console0 = pty:$PTY_a
vm = pty:$T/home/vm.pty
sock = unix:$T/home/vm.sock
hop = pty:$T/home/sub/e3
direct = pty:$MNT/d/e4
EOF
mount_fs
F=$MNT/d/console0
answers_fast "$F"
# Nothing planted yet: absent, as any missing path.
[ "$(xattr "$MNT/d/vm" user.state)" = absent ] || fail "vm state before: $(xattr "$MNT/d/vm" user.state)"

# The user's links: a pty path to a name the kernel has to look up in the
# mount (nothing cached), a socket path to a file there, a directory link
# to a domain directory.
as_user() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
as_user ln -s "$MNT/d/e" "$T/home/vm.pty" || fail "cannot plant vm.pty"
as_user ln -s "$MNT/d/console0" "$T/home/vm.sock" || fail "cannot plant vm.sock"
as_user ln -s "$MNT/d" "$T/home/sub" || fail "cannot plant sub"

# Each attack runs in the background with a deadline (a wedged daemon
# would hold it for ever); meanwhile the daemon must answer for console0.
attack_state() {
	local dev=$1 out=$T/state.$1
	timeout -s KILL 5 getfattr --absolute-names --only-values -n user.state "$MNT/d/$dev" >"$out" 2>&1 &
	local pid=$!
	answers_fast "$F"
	wait "$pid" || fail "getfattr user.state of $dev did not answer (status $?)"
	[ "$(cat "$out")" = "$REFUSED" ] || fail "$dev: user.state '$(cat "$out")', not '$REFUSED'"
}
attack_open() {
	local dev=$1 out=$T/open.$1
	timeout -s KILL 5 python3 - "$MNT/d/$dev" >"$out" 2>&1 <<'PY' &
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY))
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
PY
	local pid=$!
	answers_fast "$F"
	wait "$pid" || fail "open of $dev did not answer (status $?)"
	[ "$(cat "$out")" = ENXIO ] || fail "$dev: open gave '$(cat "$out")', not ENXIO"
}
for dev in vm sock hop direct; do
	attack_state "$dev"
	attack_open "$dev"
	note "$dev: state '$REFUSED', open ENXIO"
done
grep -q "vm.pty: $REFUSED" "$DAEMON_LOG" || fail "the log does not say why vm was refused"
grep -q "vm.sock: $REFUSED" "$DAEMON_LOG" || fail "the log does not say why sock was refused"

# A user.holder lookup walks the path too (flock holders): no hang either.
timeout -s KILL 5 getfattr -n user.holder "$MNT/d/vm" >/dev/null 2>&1
[ $? -ne 137 ] || fail "getfattr user.holder of vm did not answer"

# The other console works as before, and the links can be taken back. (A
# pty: device binds to the pseudo-terminal there when it is configured:
# vm had none, so it takes the new link's at the next reload.)
hold_open "$F"
answers_fast "$MNT/d/vm"
hold_close
as_user rm "$T/home/vm.pty"
as_user ln -s "$PTY_a" "$T/home/vm.pty"
kill -HUP "$DAEMON_PID"
wait_xattr "$MNT/d/vm" user.state present
[ "$(open_errno "$MNT/d/vm")" = ok ] || fail "vm does not open once its link leads to a pty"
stop_fs || fail "daemon exited $?"
