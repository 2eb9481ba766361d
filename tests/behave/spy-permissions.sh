#!/bin/bash
# Watch-only access: a console of mode 0640 with group "watchers". A member
# of the group (not the owner) can open DEV.spy and DEV.log and read them,
# gets EACCES opening the console itself in any access mode (every open
# takes the session, so it needs write permission), and cannot write to
# the spy (EACCES to open it for writing, EBADF to write to a read-only
# open). Someone outside the group gets EACCES on all three; spy_mode for
# the domain lets them watch. Root still attaches while the member watches.
. "$(dirname "$0")/../lib.sh"
need python3 setpriv groupadd
# The system python: a per-user one (pyenv) may not be reachable by the uid below.
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
if ! getent group watchers >/dev/null; then
	groupadd watchers || skip "cannot create group watchers"
	at_exit "groupdel watchers"
fi
G=$(getent group watchers | cut -d: -f3)
U=4242	# a uid nobody owns: neither the owner nor in the group
cat > "$CONF" <<CONF
[domain d]
group = watchers
mode = 0640
console0 = exec:/bin/sh -c 'stty -echo; echo READY; exec cat'

[domain open]
mode = 0600
spy_mode = 0444
console0 = exec:/bin/sh -c 'stty -echo; echo READY; exec cat'
CONF
mount_fs
chmod 755 "$T"	# the uid below has to reach the mount
F=$MNT/d/console0
wait_ready d
[ "$(stat -c '%A %G' "$F.spy")" = "-r--r----- watchers" ] || fail ".spy: $(stat -c '%A %G' "$F.spy")"
[ "$(stat -c '%A' "$MNT/open/console0.spy")" = "-r--r--r--" ] || fail "spy_mode: $(stat -c '%A' "$MNT/open/console0.spy")"

as() { setpriv --reuid="$1" --regid="$2" --groups="$3" -- "${@:4}"; }
check() {
	# check UID GID GROUPS: what that user gets, as python prints it
	as "$1" "$2" "$3" /usr/bin/python3 - "$MNT" <<'PY'
import errno, os, sys
m = sys.argv[1]
def try_open(path, flags):
    try:
        fd = os.open(path, flags)
    except OSError as e:
        return errno.errorcode[e.errno]
    os.close(fd)
    return "ok"
r = []
for f in ("d/console0.spy", "d/console0.log", "open/console0.spy"):
    r.append(try_open(m + "/" + f, os.O_RDONLY))
for fl in (os.O_RDONLY, os.O_WRONLY, os.O_RDWR):
    r.append(try_open(m + "/d/console0", fl))
r.append(try_open(m + "/d/console0.spy", os.O_WRONLY))
r.append(try_open(m + "/d/console0.spy", os.O_RDWR))
print(" ".join(r))
PY
}
got=$(check $U $U "$G")
[ "$got" = "ok ok ok EACCES EACCES EACCES EACCES EACCES" ] || fail "a member of watchers: $got"
got=$(check $U $U "$U")
[ "$got" = "EACCES EACCES ok EACCES EACCES EACCES EACCES EACCES" ] || fail "someone else: $got"
# Root may open anything for writing, but never a spy.
got=$(check 0 0 0)
[ "$got" = "ok ok ok ok ok ok EACCES EACCES" ] || fail "root: $got"

# The member watches (and reads the snapshot) while root's session types;
# a write to the read-only spy fails with EBADF.
as $U $U "$G" /usr/bin/python3 - "$F" > "$T/watch" 2>&1 <<'PY' &
import errno, os, select, sys
f = sys.argv[1]
spy = os.open(f + ".spy", os.O_RDONLY)
try:
    os.write(spy, b"x")
    print("write to .spy worked")
except OSError as e:
    print("write:", errno.errorcode[e.errno], flush=True)
data = b""
while b"typed-by-root" not in data:
    data += os.read(spy, 4096)
print("saw it", flush=True)
print("log:", b"READY" in open(f + ".log", "rb").read(), flush=True)
PY
W=$!
at_exit "kill $W"
wait_for 5 grep -q "^write:" "$T/watch" || fail "watcher did not start: $(cat "$T/watch")"
exec 3<>"$F" || fail "root cannot open the console while it is watched"
echo typed-by-root >&3
wait_for 5 grep -q "saw it" "$T/watch" || fail "the watcher did not see root's session: $(cat "$T/watch")"
exec 3>&-
wait "$W"
[ "$(cat "$T/watch")" = "write: EBADF
saw it
log: True" ] || fail "watcher: $(cat "$T/watch")"
