#!/bin/bash
# A remote libvirt that never answers cannot freeze the daemon: a section
# "[libvirt far] uri = qemu+tcp://127.0.0.1:PORT/system" points at a TCP
# server that accepts connections and never says a word (what a wedged
# libvirtd, or ssh to a host that has gone, looks like to virConnectOpen,
# which has no timeout of its own). consolefs opens remote URIs only after a
# forked probe connected: the mount answers at once, another domain's
# console works, the probe holds none of the daemon's files, it is killed
# after 10 s and tried again later, and SIGTERM stops the daemon at once,
# probe included.
. "$(dirname "$0")/../lib.sh"
need python3
# The silent server: accepts, keeps every connection open, never writes.
python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
' >"$T/port" &
SERVER=$!
at_exit "kill $SERVER"
wait_for 5 test -s "$T/port" || fail "the silent server did not start"
PORT=$(cat "$T/port")
cat > "$CONF" <<EOF
[libvirt far]
uri = qemu+tcp://127.0.0.1:$PORT/system

[domain d]
console0 = exec:/bin/sh -c 'stty -echo; echo READY; exec cat'
EOF
t0=$SECONDS
mount_fs
# The loop runs: the tree answers, and another console works.
timeout 5 ls "$MNT" >/dev/null || fail "the mount does not answer while the remote libvirt is silent"
wait_ready d
exec 3<>"$MNT/d/console0"
printf 'ping\n' >&3
read -r -t 5 line <&3 || fail "the exec: console does not answer while the remote libvirt is silent"
line=${line%$'\r'}
[ "$line" = ping ] || fail "read '$line', not 'ping'"
exec 3>&-
# The probe is a child of the daemon, in a process group of its own.
probes() { pgrep -P "$DAEMON_PID" -x consolefs; }
wait_for 5 probes >/dev/null || fail "no probe process"
probe=$(probes | head -n1)
[ "$(ps -o pgid= -p "$probe" | tr -d ' ')" = "$probe" ] || fail "the probe is not a process group leader"
# ... holding none of the daemon's fds (a /dev/fuse would keep the mount
# alive if the daemon died).
no_fuse() {
	wait_for 5 sh -c "! ls -l /proc/$1/fd 2>/dev/null | grep -q fuse" ||
	    { ls -l "/proc/$1/fd" >&2; fail "the probe holds /dev/fuse"; }
}
no_fuse "$probe"
# ... killed after 10 s, logged, and a new one tried later.
wait_for 15 grep -q "cannot connect to qemu+tcp://127.0.0.1:$PORT/system: no answer within 10 s" "$DAEMON_LOG" ||
    fail "no 'no answer within 10 s' in the daemon log"
wait_for 5 proc_ended "$probe" || fail "the probe (pid $probe) was not killed"
note "probe given up after $((SECONDS - t0)) s"
new_probe() { probes | grep -qvx "$probe"; }
wait_for 5 new_probe || fail "no second probe after the back-off"
probe=$(probes | grep -vx "$probe" | head -n1)
no_fuse "$probe"
timeout 5 ls "$MNT" >/dev/null || fail "the mount does not answer during the second probe"
t1=$SECONDS
stop_fs || fail "the daemon exited with status $? on SIGTERM"
[ $((SECONDS - t1)) -le 3 ] || fail "stopping took $((SECONDS - t1)) s"
wait_for 5 proc_ended "$probe" || fail "the probe (pid $probe) outlived the daemon"
exit 0
