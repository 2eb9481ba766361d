#!/bin/bash
# exec: restart. restart = on-exit: the program exits and comes back within
# the back-off, and an open session keeps reading (the new program's output
# arrives, no end of file). restart = no: the program stays exited (open:
# ENXIO) until user.restart or consolectl restart starts it again, which
# need write permission. restart = on-failure: a clean exit is not
# restarted; a program that fails at once backs off (1 s, 2 s, 4 s...: a
# handful of starts in 10 s, not hundreds).
. "$(dirname "$0")/../lib.sh"
need python3 getfattr setfattr setpriv
cat > "$CONF" <<EOF
[domain d]
mode = 0644
restart = on-exit
console0 = exec:/bin/sh -c 'stty raw -echo; echo run; read l; echo "got \$l"'
once = exec:/bin/sh -c 'echo once'
once.restart = no
flap = exec:/bin/sh -c 'echo flap; exit 1'
flap.restart = on-failure
clean = exec:/bin/sh -c 'echo clean'
clean.restart = on-failure
EOF
mount_fs
t0=$SECONDS
D=$MNT/d
count() { tr -d '\r' <"$D/$1.log" | grep -c "^$2\$"; }
# Whether line $2 is in $1's log $3 times (for wait_for: looked at each time).
counted() { [ "$(count "$1" "$2")" = "$3" ]; }

# on-exit, with a session open across the restart.
wait_for 5 grep -q '^run' "$D/console0.log" || fail "console0 did not start"
exec 3<>"$D/console0"
cat <&3 >"$T/s.out" &
catpid=$!
at_exit "kill $catpid"
printf 'bye\n' >&3
wait_for 5 grep -q 'got bye' "$T/s.out" || fail "the session did not see the program's last words"
wait_for 5 sh -c "tr -d '\r' <'$T/s.out' | grep -q '^run'" ||
	fail "the session did not see the program come back: $(cat -v "$T/s.out")"
kill -0 "$catpid" 2>/dev/null || fail "the session ended (end of file) across the restart"
[ "$(xattr "$D/console0" user.state)" = running ] || fail "console0 state: $(xattr "$D/console0" user.state)"
printf 'again\n' >&3
wait_for 5 grep -q 'got again' "$T/s.out" || fail "the new program did not get what was typed"
note "on-exit: the session read both runs"

# no: stays exited; user.restart and consolectl restart start it again.
wait_for 5 counted once once 1 || fail "once did not run"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.state '$D/once' 2>/dev/null)\" = 'exited 0' ]" ||
	fail "once state: $(xattr "$D/once" user.state)"
sleep 1.5
[ "$(count once once)" = 1 ] || fail "restart = no restarted once"
[ "$(open_errno "$D/once")" = ENXIO ] || fail "open of an exited program: $(open_errno "$D/once")"
# Write permission is needed (mode 0644: nobody may only read).
setpriv --reuid 65534 --regid 65534 --clear-groups setfattr -n user.restart -v 1 "$D/once" \
    2>"$T/nobody.err" && fail "user.restart without write permission was accepted"
grep -q "Permission denied" "$T/nobody.err" || fail "user.restart without write permission: $(cat "$T/nobody.err")"
sleep 0.5
[ "$(count once once)" = 1 ] || fail "user.restart without write permission restarted once"
setfattr -n user.restart -v 1 "$D/once" || fail "setfattr user.restart"
wait_for 5 counted once once 2 || fail "user.restart did not start once again"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.state '$D/once' 2>/dev/null)\" = 'exited 0' ]" ||
	fail "once state after user.restart: $(xattr "$D/once" user.state)"
"$CONSOLECTL" -m "$MNT" restart d/once || fail "consolectl restart failed ($?)"
wait_for 5 counted once once 3 || fail "consolectl restart did not start once again"
r=$(setfattr -n user.restart -v 1 "$D" 2>&1) && fail "user.restart on a directory was accepted"
note "no: user.restart and consolectl restart each ran it once more"

# on-failure: a clean exit stays; a failing program backs off.
wait_for 5 counted clean clean 1 || fail "clean did not run"
sleep $((10 - (SECONDS - t0) > 0 ? 10 - (SECONDS - t0) : 0))
[ "$(count clean clean)" = 1 ] || fail "on-failure restarted a clean exit"
n=$(count flap flap)
note "on-failure: $n starts of a failing program in $((SECONDS - t0)) s"
[ "$n" -ge 3 ] && [ "$n" -le 6 ] || fail "a program failing at once started $n times in ~10 s"
case $(xattr "$D/flap" user.state) in
"exited 1, starting again in "*" s") ;;
*) fail "flap state: $(xattr "$D/flap" user.state)" ;;
esac
exec 3>&-
