#!/bin/bash
# SIGHUP re-reads the configuration: added domains and devices appear,
# removed ones go (their sessions read end of file), a device whose backend
# changed restarts, unchanged ones keep their open sessions untouched; a bad
# file is logged and the running configuration kept.
. "$(dirname "$0")/../lib.sh"
need getfattr
echo_cmd="exec:/bin/sh -c 'stty -echo; exec cat'"
cat > "$CONF" <<EOF
[domain keep]
console0 = $echo_cmd
[domain gone]
console0 = exec:/bin/sh -c 'trap "" TERM HUP; while :; do sleep 0.1; done; : stubborn'
[domain change]
serial0 = exec:/bin/sh -c 'exec sleep 1001'
EOF
mount_fs
exec 3<>"$MNT/keep/console0"
cat "$MNT/gone/console0" >/dev/null & gonecat=$!
cat "$MNT/change/serial0" >/dev/null & changecat=$!
at_exit "kill $gonecat $changecat"
wait_for 5 getfattr -n user.holder "$MNT/change/serial0" >/dev/null 2>&1 || fail "change/serial0 not held"
cat > "$CONF" <<EOF
[domain keep]
mode = 0640
console0 = $echo_cmd
serial1 = $echo_cmd
[domain change]
serial0 = exec:/bin/sh -c 'exec sleep 1002'
[domain new]
console0 = $echo_cmd
EOF
kill -HUP "$DAEMON_PID"
wait_for 5 test -e "$MNT/new/console0" || fail "new domain did not appear"
wait_for 5 sh -c "! test -e '$MNT/gone'" || fail "removed domain still there"
# its child ignores SIGTERM and SIGHUP: it is killed 5 s later
wait_for 8 sh -c "! pgrep -f ': stubbor[n]'" || fail "child of a removed domain still running"
[ "$(ls "$MNT" | tr '\n' ' ')" = "by-uuid change keep new " ] || fail "root lists: $(ls "$MNT" | tr '\n' ' ')"
[ -e "$MNT/keep/serial1" ] || fail "added device missing"
wait_for 5 sh -c "! kill -0 $gonecat 2>/dev/null" || fail "session of a removed domain did not end"
wait $gonecat || fail "session of a removed domain did not read end of file (status $?)"
wait_for 5 sh -c "! kill -0 $changecat 2>/dev/null" || fail "session of a changed device did not end"
[ "$(getfattr --only-values -n user.backend "$MNT/change/serial0")" = "exec:/bin/sh -c 'exec sleep 1002'" ] ||
	fail "changed backend not applied"
wait_for 5 pgrep -f "sleep 100[2]" >/dev/null || fail "new backend not started"
wait_for 5 sh -c "! pgrep -f 'sleep 100[1]'" || fail "old backend still running"
# the untouched console kept its session, and its new mode applies
echo still-here >&3
IFS= read -r -t 5 line <&3 && [ "${line%$'\r'}" = still-here ] || fail "kept session broken: '$line'"
wait_for 3 sh -c "[ \"\$(stat -c %a '$MNT/keep/console0')\" = 640 ]" || fail "mode not updated"
# a broken file: logged, nothing changes
printf '[domain broken\n' > "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "keeping the running configuration" "$DAEMON_LOG" || fail "bad reload not logged"
grep -q "$CONF:1:" "$DAEMON_LOG" || fail "bad reload not reported with FILE:LINE"
[ -e "$MNT/new/console0" ] && [ -e "$MNT/keep/console0" ] || fail "tree changed after a bad reload"
echo again >&3
IFS= read -r -t 5 line <&3 && [ "${line%$'\r'}" = again ] || fail "kept session broken after a bad reload"
exec 3>&-
