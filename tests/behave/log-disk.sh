#!/bin/bash
# On-disk logs: log_dir writes DIR/DOMAIN/DEV.log with or without a session;
# log_timestamps puts one ISO 8601 timestamp with milliseconds at the start
# of every line (each parses, times do not go backwards); attach and detach
# are marked lines naming the process, and so are a BREAK and a takeover;
# log_max rotates keeping log_keep files; after logrotate's mv, SIGHUP
# makes the daemon write a new file.
# A log_dir inside the mount itself is refused (said in the daemon's log)
# rather than hanging the daemon on a request to itself.
. "$(dirname "$0")/../lib.sh"
need python3 setfattr
LOGS=$T/logs
make_pty s
cat > "$CONF" <<CONF
[global]
log_dir = $LOGS
log_timestamps = yes

[domain d]
console0 = exec:/bin/sh -c 'stty -echo; echo READY; exec cat'
small.log_max = 4K
small.log_keep = 2
small = exec:/bin/sh -c 'stty -echo; echo READY; exec cat'
serial0 = tty:$PTY_s,9600

[domain inside]
log_dir = $MNT/inside
console0 = exec:/bin/sh -c 'echo READY; exec cat'
CONF
mount_fs
L=$LOGS/d/console0.log
wait_for 5 grep -q READY "$L" || fail "no READY in $L: $(ls -lR "$LOGS" 2>&1)"

python3 - "$MNT/d/console0" <<'PY' || fail "session"
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
for i in range(20):
    os.write(fd, b"line %d\npartial-" % i)
    time.sleep(0.01)
os.write(fd, b"end\n")
time.sleep(0.3)
os.close(fd)
PY
wait_for 5 grep -q "consolefs: detached" "$L" || fail "no detach marker: $(tail -3 "$L")"
python3 - "$L" <<'PY' || fail "timestamps"
import datetime, re, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b"", "no newline at the end"
last = None
for l in lines[:-1]:
    m = re.match(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d) (.*)$", l)
    assert m, "line without a timestamp: %r" % l
    assert not re.search(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", m.group(2)), "two stamps: %r" % l
    t = datetime.datetime.fromisoformat(m.group(1).decode())
    assert last is None or t >= last, "time went back at %r" % l
    last = t
text = b"\n".join(lines)
assert re.search(rb"\[consolefs: attached pid=\d+ uid=0 comm=python3\]", text), "no attach marker"
assert re.search(rb"\[consolefs: detached pid=\d+ uid=0 comm=python3\]", text), "no detach marker"
assert b"partial-line 5" in text, "output missing"
print("  %d lines, each with a timestamp" % (len(lines) - 1), file=sys.stderr)
PY

# Rotation: 4K files, two kept.
exec 3<>"$MNT/d/small"
for i in $(seq 400); do echo "rotate $i"; done >&3
wait_for 5 grep -q "rotate 400" "$LOGS/d/small.log" || fail "last line not in small.log"
exec 3>&-
ls "$LOGS/d" | grep '^small' | sort > "$T/files"
[ "$(tr '\n' ' ' < "$T/files")" = "small.log small.log.1 small.log.2 " ] || fail "rotated files: $(cat "$T/files")"
for f in small.log small.log.1 small.log.2; do
	[ "$(stat -c %s "$LOGS/d/$f")" -le 4096 ] || fail "$f is $(stat -c %s "$LOGS/d/$f") bytes"
done
# The kept files hold the newest output, in order, without a gap.
cat "$LOGS/d/small.log.2" "$LOGS/d/small.log.1" "$LOGS/d/small.log" | grep -o 'rotate [0-9]*' |
	awk '{ print $2 }' > "$T/nums"
last=$(tail -n1 "$T/nums"); first=$(head -n1 "$T/nums")
[ "$last" = 400 ] && [ "$(wc -l < "$T/nums")" = $((last - first + 1)) ] || fail "rotated logs have a gap: $first..$last in $(wc -l < "$T/nums") lines"
note "rotation: lines $first..400 kept in 3 files of at most 4K"

# logrotate: mv, then SIGHUP; new output goes to a new file.
mv "$L" "$L.moved"
kill -HUP "$DAEMON_PID"
wait_for 5 test -e "$L" || fail "no new $L after SIGHUP"
exec 3<>"$MNT/d/console0"
echo after-rotate >&3
exec 3>&-
wait_for 5 grep -q after-rotate "$L" || fail "new output not in the new file"
grep -q after-rotate "$L.moved" && fail "new output went to the moved file"

# A BREAK and a takeover are marked too.
exec 3<>"$MNT/d/serial0"
setfattr -n user.break -v 100 "$MNT/d/serial0" || fail "user.break"
setfattr -n user.force -v serial0 "$MNT/d" || fail "user.force"
exec 3>&-
wait_for 5 grep -q "\[consolefs: taken over from pid=[0-9]* uid=0 comm=bash\]" "$LOGS/d/serial0.log" ||
	fail "no takeover marker: $(cat "$LOGS/d/serial0.log")"
grep -q "\[consolefs: BREAK 100 ms\]" "$LOGS/d/serial0.log" || fail "no BREAK marker: $(cat "$LOGS/d/serial0.log")"

# The log_dir inside our own mount: the console works, the daemon answers
# and says why it does not log.
wait_ready inside
grep -q "inside/console0.log: the path enters the consolefs mount" "$DAEMON_LOG" ||
	fail "no word about the log_dir inside the mount: $(grep inside "$DAEMON_LOG")"
