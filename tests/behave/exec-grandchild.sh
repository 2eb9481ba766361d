#!/bin/bash
# Grandchildren of exec: programs do not survive a stop, and user.state says
# when a program has exited but something still holds its pty:
# - a background child in the program's process group;
# - a job of its own (a job-control shell, set -m): another group of the
#   program's session;
# - a program that exited 3, leaving a child that made a session of its own
#   (setsid) and still holds the pty: "exited 3 (pty still held by pid N)";
#   when that holder goes, the state is "exited 3" and the console ends.
# Stopping the daemon (SIGTERM) ends all of them; removing a device by a
# reload ends its program's group too.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr setsid
# Sleep durations unique to this run name the processes.
ID=9$$
cat > "$CONF" <<EOF
[domain d]
group0 = exec:/bin/sh -c 'sleep ${ID}01 & exec sleep ${ID}02'
jobs0 = exec:/bin/sh -c 'set -m; sleep ${ID}03 & exec sleep ${ID}04'
held0 = exec:/bin/sh -c 'setsid sleep ${ID}05 & sleep 0.3; exit 3'
gone0 = exec:/bin/sh -c 'setsid sleep 3 & sleep 0.3; exit 4'
removed0 = exec:/bin/sh -c 'sleep ${ID}07 & exec sleep ${ID}08'
EOF
mount_fs

pid_of() { pgrep -f "^sleep $1\$"; }
for n in ${ID}01 ${ID}02 ${ID}03 ${ID}04 ${ID}05 ${ID}07 ${ID}08; do
	wait_for 5 pid_of $n >/dev/null || fail "sleep $n did not start"
done
declare -A pid
for n in ${ID}01 ${ID}02 ${ID}03 ${ID}04 ${ID}05 ${ID}07 ${ID}08; do pid[$n]=$(pid_of $n); done
# Survivors of a failed run are this test's to end.
at_exit "kill ${pid[*]}"
ids() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f3,4; }	# pgrp session
# The shapes this test is about (else it proves nothing).
[ "$(ids ${pid[${ID}03]})" != "$(ids ${pid[${ID}04]})" ] || fail "set -m made no job group"
read -r g s < <(ids ${pid[${ID}03]})
[ "$s" = "${pid[${ID}04]}" ] && [ "$g" != "$s" ] || fail "the job is not in the program's session: $g $s"
read -r g s < <(ids ${pid[${ID}05]})
[ "$s" = "${pid[${ID}05]}" ] || fail "setsid sleep has session $s"

# held0: the shell exits 3 while its setsid child holds the pty.
F=$MNT/d/held0
want="exited 3 (pty still held by pid ${pid[${ID}05]})"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.state '$F' 2>/dev/null)\" = '$want' ]" ||
    fail "held0 state: '$(xattr "$F" user.state)', not '$want'"
# The console is still there while it is held.
exec 3<"$F" || fail "open of a held console"
exec 3<&-

# gone0: the holder ends by itself: the state drops the note, open: ENXIO.
G=$MNT/d/gone0
wait_for 5 sh -c "getfattr --only-values -n user.state '$G' 2>/dev/null | grep -q '^exited 4 (pty still held by pid [0-9]*)\$'" ||
    fail "gone0 state while held: '$(xattr "$G" user.state)'"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.state '$G' 2>/dev/null)\" = 'exited 4' ]" ||
    fail "gone0 state after its holder ended: '$(xattr "$G" user.state)'"
wait_for 5 sh -c "[ \"\$(python3 -c 'import os,sys
try: os.close(os.open(sys.argv[1], os.O_RDWR)); print(\"ok\")
except OSError as e: print(e.errno)' '$G')\" = 6 ]" || fail "gone0 opens after its end: $(open_errno "$G")"

# A reload that removes a device ends its program's whole group.
sed -i '/^removed0/d' "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 10 proc_ended "${pid[${ID}08]}" || fail "removed0's program survived its removal"
wait_for 10 proc_ended "${pid[${ID}07]}" || fail "removed0's background child survived its removal"

stop_fs || fail "daemon exited with status $?"
for n in ${ID}01 ${ID}02 ${ID}03 ${ID}04 ${ID}05; do
	wait_for 10 proc_ended "${pid[$n]}" || fail "sleep $n (pid ${pid[$n]}) survived the stop"
done
