#!/bin/bash
# consolectl list shows the tree: one row per domain/device (a domain
# without devices gets one row of -), with the domain's user.uuid and the
# device's user.backend, user.state and user.holder, sorted; list --json
# has the same content. A held console shows its holder in both.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
make_pty p
UUID=3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10
cat > "$CONF" <<EOF
[domain web1]
console0 = exec:/bin/sh -c 'exec sleep 100000'
serial0 = exec:/bin/sh -c 'exit 3'
[domain board]
serial0 = pty:$PTY_p
serial1 = pty:/dev/pts/999999
[domain u]
uuid = ${UUID^^}
console0 = exec:/bin/cat
[domain empty]
EOF
mount_fs
wait_for 5 sh -c "getfattr --only-values -n user.state '$MNT/web1/serial0' 2>/dev/null | grep -qx 'exited 3'" ||
	fail "web1/serial0 state: $(xattr "$MNT/web1/serial0" user.state)"
[ "$(xattr "$MNT/u" user.uuid)" = "$UUID" ] || fail "u has user.uuid '$(xattr "$MNT/u" user.uuid)', not $UUID"

# check.py MNT TABLE JSON [DOMAIN/DEV=HOLDER...]: TABLE and JSON (outputs
# of list and list --json) match the tree, and name those holders.
cat > "$T/check.py" <<'PY'
import errno, json, os, sys
mnt, table, js = sys.argv[1:4]
holders = dict(a.split("=", 1) for a in sys.argv[4:])

def attr(path, name):
    try:
        return os.getxattr(path, name).decode()
    except OSError as e:
        assert e.errno == errno.ENODATA, "%s %s: %s" % (path, name, e)
        return None

# What the tree says.
want = []
for dom in sorted(os.listdir(mnt)):
    if dom == "by-uuid":
        continue
    d = os.path.join(mnt, dom)
    uuid = attr(d, "user.uuid")
    devs = sorted(f for f in os.listdir(d) if not f.endswith((".log", ".spy", ".tty")))
    for dev in devs:
        p = os.path.join(d, dev)
        want.append({"domain": dom, "uuid": uuid, "device": dev,
                     "backend": attr(p, "user.backend"),
                     "state": attr(p, "user.state"),
                     "holder": attr(p, "user.holder"),
                     "tty": p + ".tty" if os.path.islink(p + ".tty") else None})
    if not devs:
        want.append({"domain": dom, "uuid": uuid, "device": None,
                     "backend": None, "state": None, "holder": None, "tty": None})
assert len(want) >= 6, want
for key, h in holders.items():
    dom, dev = key.split("/")
    row = [r for r in want if r["domain"] == dom and r["device"] == dev]
    assert row and row[0]["holder"] == h, "tree: %s holder %r, not %r" % (key, row and row[0]["holder"], h)

# The table: columns start where their headings do; the last runs to the end.
cols = ["domain", "uuid", "device", "backend", "state", "holder", "tty"]
lines = open(table).read().split("\n")
assert lines[-1] == "", "no newline at the end"
head, rows = lines[0], lines[1:-1]
assert head.split() == [c.upper() for c in cols], head
starts = [head.index(c.upper()) for c in cols]
got = []
for line in rows:
    for s in starts[1:]:
        assert line[s - 2:s] == "  ", "misaligned row %r" % line
    cells = [line[a:b].rstrip() for a, b in zip(starts, starts[1:] + [None])]
    got.append({c: (None if v == "-" else v) for c, v in zip(cols, cells)})
if got != want:
    sys.exit("table differs from the tree:\n  table %s\n  tree  %s" % (got, want))

# The JSON: the same rows, in the same order, null for missing values.
data = json.load(open(js))
if data != want:
    sys.exit("json differs from the tree:\n  json %s\n  tree %s" % (data, want))
print("list and list --json match the tree: %d rows" % len(want))
PY
list() {
	"$CONSOLECTL" -m "$MNT" list > "$T/table" 2>"$T/err" || fail "list exited $?: $(cat "$T/err")"
	"$CONSOLECTL" -m "$MNT" list --json > "$T/json" 2>"$T/err" || fail "list --json exited $?: $(cat "$T/err")"
	[ -s "$T/err" ] && fail "list said: $(cat "$T/err")"
	python3 "$T/check.py" "$MNT" "$T/table" "$T/json" "$@" ||
		{ cat "$T/table" "$T/json" >&2; fail "list does not match the tree"; }
}

# 1. Nothing held.
list
grep -q "^u  *$UUID  *console0  *exec:/bin/cat  *running  *-  *$MNT/u/console0.tty\$" "$T/table" ||
	{ cat "$T/table" >&2; fail "no row for u/console0 with uuid $UUID"; }
grep -q '^empty  *[0-9a-f-]\{36\}  *-  *-  *-  *-  *-$' "$T/table" ||
	{ cat "$T/table" >&2; fail "no row of - for the empty domain"; }

# 2. Held: a cat on the pty, a python on u/console0, a foreign lock
# (pid 1) on the absent board/serial1.
cat "$MNT/board/serial0" > /dev/null &
catpid=$!
at_exit "kill $catpid"
python3 -c 'import os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); print(flush=True); time.sleep(100000)' \
	"$MNT/u/console0" > "$T/py.ready" &
pypid=$!
at_exit "kill $pypid"
printf '%10d\n' 1 > "$LOCKDIR/LCK..pts_999999"
wait_for 5 sh -c "getfattr -n user.holder '$MNT/board/serial0' >/dev/null 2>&1" || fail "cat did not take board/serial0"
wait_for 5 test -s "$T/py.ready" || fail "python did not take u/console0"
h1="pid=$catpid uid=0 comm=cat"
h2="pid=$pypid uid=0 comm=$(cat /proc/$pypid/comm)"	# python3, or python3.11
h3="lock=$LOCKDIR/LCK..pts_999999 pid=1 comm=$(cat /proc/1/comm)"
list "board/serial0=$h1" "u/console0=$h2" "board/serial1=$h3"
grep -q "^board .* serial0 .* $h1  *$MNT/board/serial0.tty\$" "$T/table" || { cat "$T/table" >&2; fail "table does not show $h1"; }
