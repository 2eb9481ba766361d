#!/bin/bash
# After user.force the console is reserved for the forcer's session id for
# force_reserve seconds: `setfattr -n user.force -v 1 F && exec 3<F` wins
# against a client in another session that retries every 10 ms; that client
# gets EBUSY all through the reservation (also when we open only a second
# after the force) and gets the console back only once it is free. A live foreign UUCP lock is never broken: EBUSY, and
# user.holder names the lock.
. "$(dirname "$0")/../lib.sh"
need python3 setfattr getfattr setsid
make_pty p
cat > "$CONF" <<EOF
[global]
force_reserve = 2
[domain d]
console0 = exec:/bin/sh -c 'exec sleep 100000'
[domain f]
console0 = pty:$PTY_p
EOF
mount_fs
F=$MNT/d/console0
LOG=$T/loop.log
: > "$LOG"

# The displaced client: its own session; opens every 10 ms until it gets
# the console, then sits in read() until that fails; logs each result.
cat > "$T/loop.py" <<'PY'
import errno, os, sys, time
path, log = sys.argv[1:3]
out = open(log, "a", buffering=1)
out.write("pid %d sid %d\n" % (os.getpid(), os.getsid(0)))
def note(what):
    out.write("%.6f %s\n" % (time.time(), what))
while True:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as e:
        note(errno.errorcode[e.errno])
        time.sleep(0.01)
        continue
    note("open")
    try:
        while os.read(fd, 4096):    # the console prints nothing
            pass
        note("eof")
    except OSError as e:
        note("read " + errno.errorcode[e.errno])
    os.close(fd)
PY
setsid python3 "$T/loop.py" "$F" "$LOG" </dev/null &
wait_for 5 grep -q '^pid ' "$LOG" || fail "loop did not start"
read -r _ looppid _ loopsid < "$LOG"
at_exit "kill $looppid"
oursid=$(ps -o sid= -p $$ | tr -d ' ')
[ "$loopsid" != "$oursid" ] || fail "loop is in our session ($oursid)"
# opened N: the loop has opened the console N times.
opened() { [ "$(grep -c ' open$' "$LOG")" -ge "$1" ]; }
wait_for 5 opened 1 || fail "loop never opened the console"

now() { date +%s.%N; }
# summary FROM TO: the loop's results with FROM <= time < TO, as
# one word per kind and a count, e.g. "EBUSY=212 read-ECONNRESET=1".
summary() {
	awk -v a="$1" -v b="$2" 'NR > 1 && $1 >= a && $1 < b { $1 = ""; sub(/^ /, ""); gsub(/ /, "-"); n[$0]++ }
	    END { for (k in n) printf "%s=%d\n", k, n[k] }' "$LOG" | sort | tr '\n' ' '
}

# 1. Force and open at once, from this session: our open wins.
t0=$(now)
setfattr -n user.force -v 1 "$F" && exec 3<"$F" || fail "force-then-open lost the race"
t1=$(now)
note "forced and opened in $(echo "$t1 - $t0" | bc) s"
holder=$(getfattr --absolute-names --only-values -n user.holder "$F")
[[ $holder == "pid=$$ "* ]] || fail "user.holder is '$holder', not this shell ($$)"
# Hold it past the end of the reservation: the loop keeps getting EBUSY.
sleep 2.5
tc=$(now)
exec 3<&-
wait_for 3 opened 2 || fail "loop did not get the console after we closed it"
s=$(summary "$t0" "$tc")
note "while forced and held: $s"
[[ $s == "EBUSY="*" read-ECONNRESET=1 " ]] || fail "loop results before our close: $s"
n=${s#EBUSY=}; n=${n%% *}
[ "$n" -ge 100 ] || fail "loop tried only $n times in 2.5 s"
reopen=$(awk 'NR > 1 && $2 == "open" { t = $1 } END { print t }' "$LOG")
[ "$(echo "$reopen >= $tc" | bc)" = 1 ] || fail "loop opened at $reopen, before our close at $tc"

# 2. Force, and open only a second later (a person typing the next
# command): the loop, retrying all along, did not get it; we do.
t2=$(now)
setfattr -n user.force -v 1 "$F" || fail "force failed"
sleep 1
tc=$(now)
exec 3<"$F" || fail "open 1 s after our force failed"
s=$(summary "$t2" "$tc")
note "in the second after the force: $s"
[[ $s == "EBUSY="*" read-ECONNRESET=1 " ]] || fail "loop results in the second after the force: $s"
exec 3<&-
wait_for 4 opened 3 || fail "loop did not get the console after we closed it"

# 3. Force without opening: the reservation alone keeps the loop out for
# force_reserve (2 s), then it gets the console.
t4=$(now)
setfattr -n user.force -v 1 "$F" || fail "second force failed"
t5=$(now)
wait_for 5 opened 4 || fail "loop did not get the console after the reservation"
reopen=$(awk 'NR > 1 && $2 == "open" { t = $1 } END { print t }' "$LOG")
s=$(summary "$t4" "$reopen")
d=$(echo "$reopen - $t4" | bc)
note "reservation: loop reopened after $d s; before that: $s"
[[ $s == "EBUSY="*" read-ECONNRESET=1 " ]] || fail "loop results during the reservation: $s"
[ "$(echo "$reopen >= $t4 + 1.95" | bc)" = 1 ] || fail "loop got the console after $d s, inside the 2 s reservation"
[ "$(echo "$reopen <= $t5 + 2.5" | bc)" = 1 ] || fail "loop got the console only after $d s"

# 4. A live foreign lock (pid 1) on a pty: backend is never broken.
lock=$(lock_file_for "$PTY_p" "$LOCKDIR")
printf '%10d\n' 1 > "$lock"
cp "$lock" "$T/lock.orig"
setfattr -n user.force -v 1 "$MNT/f/console0" 2>"$T/err" && fail "force broke a foreign lock"
grep -q "Device or resource busy" "$T/err" || fail "setfattr said: $(cat "$T/err")"
holder=$(getfattr --absolute-names --only-values -n user.holder "$MNT/f/console0")
[[ $holder == "lock=$lock pid=1"* ]] || fail "user.holder is '$holder'"
cmp -s "$lock" "$T/lock.orig" || fail "the foreign lock file changed or went"
( exec 4<"$MNT/f/console0" ) 2>/dev/null && fail "open succeeded under a foreign lock"
rc=0; "$CONSOLECTL" -m "$MNT" force f 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "consolectl force exited $rc under a foreign lock: $(cat "$T/err")"
grep -qF "f/console0 is busy: held by lock=$lock pid=1" "$T/err" || fail "consolectl force said: $(cat "$T/err")"
cmp -s "$lock" "$T/lock.orig" || fail "the foreign lock file changed or went"
rm "$lock"
exec 4<"$MNT/f/console0" || fail "console not free once the foreign lock went"
exec 4<&-
