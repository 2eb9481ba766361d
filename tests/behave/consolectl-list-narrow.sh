#!/bin/bash
# consolectl list says when there is nothing to list rather than printing an
# empty or random table: nothing mounted, a directory that is not a
# consolefs mount (another file system), a missing one, or a directory
# inside the mount each give a message and exit status 1. On an 80-column
# terminal the table fits: long backends and holders are cut (ending in ~),
# the UUID shows its first digits, domain and device names stay whole;
# --wide (and a pipe) show everything. (Before: exit 0 with an empty table
# or a listing of random directories, and lines of ~130 columns.)
. "$(dirname "$0")/../lib.sh"
need tmux python3
LONG="exec:/bin/sh -c 'exec cat' -- an-argument-that-makes-this-backend-string-long-enough-to-wrap"
cat > "$CONF" <<EOF
[domain web-frontend-1]
console0 = $LONG
serial0 = exec:/bin/sh -c 'exit 3'
[domain db]
console0 = exec:/bin/cat
EOF

# 1. Before anything is mounted there.
mkdir -p "$T/plain/d1"
check_refused() {
	local dir=$1 want=$2 rc=0
	"$CONSOLECTL" -m "$dir" list > "$T/out" 2> "$T/err" || rc=$?
	[ "$rc" = 1 ] || fail "list -m $dir exited $rc (stdout: $(cat "$T/out"))"
	[ ! -s "$T/out" ] || fail "list -m $dir printed a table: $(cat "$T/out")"
	grep -q -- "$want" "$T/err" || fail "list -m $dir said '$(cat "$T/err")', not /$want/"
	note "list -m $dir: $(cat "$T/err")"
}
check_refused "$MNT" "is not a consolefs mount"
check_refused "$T/plain" "is not a consolefs mount"
check_refused "$T/missing" "No such file or directory"
check_refused /dev/shm "is not a consolefs mount"

mount_fs
check_refused "$MNT/db" "inside a consolefs mount"
"$CONSOLECTL" -m "$MNT" list > "$T/pipe" 2>"$T/err" || fail "list on the mount failed: $(cat "$T/err")"
grep -qF -- "$LONG" "$T/pipe" || fail "a pipe did not get the whole backend: $(cat "$T/pipe")"

# A holder, so that the last column is long too.
python3 -c 'import os, signal, sys; os.open(sys.argv[1], os.O_RDWR); print(flush=True); signal.pause()' \
	"$MNT/db/console0" > "$T/held" &
at_exit "kill $!"
wait_for 5 test -s "$T/held" || fail "could not hold db/console0"

# 2. An 80-column terminal.
tmux -S "$TMUX_SOCK" new-session -d -s n -x 80 -y 30 \
	"'$CONSOLECTL' -m '$MNT' list > /dev/tty; echo rc=\$? done; exec sleep 100000"
tmux_wait n 'rc=0 done'
tmux -S "$TMUX_SOCK" capture-pane -p -J -t n > "$T/narrow"
python3 - "$T/narrow" <<'PY' || { cat "$T/narrow" >&2; fail "the table does not fit 80 columns"; }
import sys
lines = [l.rstrip() for l in open(sys.argv[1]) if l.strip()]
lines = lines[:lines.index("rc=0 done")]
assert lines[0].split() == ["DOMAIN", "UUID", "DEVICE", "BACKEND", "STATE", "HOLDER"], lines[0]
assert len(lines) == 4, lines
for l in lines:
    assert len(l) <= 80, "%d columns: %r" % (len(l), l)
rows = [l.split() for l in lines[1:]]
assert [r[0] for r in rows] == ["db", "web-frontend-1", "web-frontend-1"], rows
assert [r[2] for r in rows] == ["console0", "console0", "serial0"], rows
assert rows[1][3].endswith("~") and rows[1][3].startswith("exec:/bin/s"), rows[1]
assert any("pid=" in l for l in lines[1:]), lines
print("fits: widest line %d columns" % max(len(l) for l in lines))
PY
note "$(head -3 "$T/narrow" | tail -1)"

# 3. --wide on the same terminal: whole values (the line wraps).
tmux -S "$TMUX_SOCK" new-session -d -s w -x 80 -y 30 \
	"'$CONSOLECTL' -m '$MNT' list --wide > /dev/tty; echo rc=\$? done; exec sleep 100000"
tmux_wait w 'rc=0 done'
tmux -S "$TMUX_SOCK" capture-pane -p -J -t w > "$T/wide"
grep -qF -- "$LONG" "$T/wide" || { cat "$T/wide" >&2; fail "--wide cut the backend"; }
answers_fast "$MNT/db/console0"
stop_fs || fail "daemon exited $?"
