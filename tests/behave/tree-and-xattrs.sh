#!/bin/bash
# The tree (domains, devices, <dev>.log, <dev>.tty, by-uuid links) and the extended
# attributes: user.backend, user.state, user.holder (session form),
# user.uuid; unknown names give ENODATA or EOPNOTSUPP, never ENOSYS.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr setfattr
cat > "$CONF" <<EOF
[domain alpha]
uuid = 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10
mode = 0640
console0 = exec:/bin/sh -c 'echo early-output; stty -echo; exec cat'
[domain beta]
serial0 = exec:/bin/sh -c 'exec sleep 1000'
EOF
mount_fs
[ "$(ls "$MNT" | tr '\n' ' ')" = "alpha beta by-uuid " ] || fail "root lists: $(ls "$MNT")"
[ "$(ls "$MNT/alpha" | tr '\n' ' ')" = "console0 console0.log console0.spy console0.tty " ] || fail "alpha lists: $(ls "$MNT/alpha")"
[ "$(stat -c %A "$MNT/alpha/console0")" = "-rw-r-----" ] || fail "mode: $(stat -c %A "$MNT/alpha/console0")"
[ "$(stat -c %A "$MNT/alpha/console0.log")" = "-r--r-----" ] || fail "log mode: $(stat -c %A "$MNT/alpha/console0.log")"
[ "$(readlink "$MNT/by-uuid/3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10")" = "../alpha" ] || fail "by-uuid link"
[ -e "$MNT/by-uuid/3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10/console0" ] || fail "by-uuid does not lead to the device"
[ "$(getfattr --only-values -n user.uuid "$MNT/alpha")" = 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10 ] || fail "user.uuid"
# a derived uuid is the same as the one the by-uuid link names
u=$(getfattr --only-values -n user.uuid "$MNT/beta")
[ "$(readlink "$MNT/by-uuid/$u")" = ../beta ] || fail "derived uuid $u has no link"
[ "$(getfattr --only-values -n user.backend "$MNT/beta/serial0")" = "exec:/bin/sh -c 'exec sleep 1000'" ] || fail "user.backend"
[ "$(getfattr --only-values -n user.state "$MNT/beta/serial0")" = running ] || fail "user.state"
# the scrollback holds what was printed while nobody was attached
wait_for 5 grep -q early-output "$MNT/alpha/console0.log" || fail "early output not in console0.log"
# a session's holder, and the .log still readable while the console is held
exec 3<>"$MNT/alpha/console0"
holder=$(getfattr --only-values -n user.holder "$MNT/alpha/console0")
[[ $holder == "pid=$$ uid=0 comm=bash" ]] || fail "user.holder is '$holder' (want pid=$$ uid=0 comm=bash)"
grep -q early-output "$MNT/alpha/console0.log" || fail ".log unreadable while held"
echo fresh >&3
IFS= read -r -t 5 line <&3 && [ "${line%$'\r'}" = fresh ] || fail "session did not echo"
exec 3>&-
wait_for 5 grep -q fresh "$MNT/alpha/console0.log" || fail "session output not in console0.log"
python3 - "$MNT" <<'PY' || fail "xattr errors"
import errno, os, sys
m = sys.argv[1]
dev = m + "/alpha/console0"
def err(f):
    try:
        f()
    except OSError as e:
        return e.errno
    return 0
assert err(lambda: os.getxattr(dev, "user.holder")) == errno.ENODATA, "holder of a free console"
assert err(lambda: os.getxattr(dev, "user.nosuch")) == errno.ENODATA
assert err(lambda: os.getxattr(m + "/alpha", "user.nosuch")) == errno.ENODATA
assert err(lambda: os.setxattr(dev, "user.nosuch", b"1")) == errno.EOPNOTSUPP
assert err(lambda: os.setxattr(dev, "user.state", b"x")) == errno.EPERM
assert err(lambda: os.removexattr(dev, "user.nosuch")) == errno.ENODATA
# asked twice: the kernel must not have cached an ENOSYS
assert err(lambda: os.setxattr(dev, "user.nosuch", b"1")) == errno.EOPNOTSUPP
assert sorted(os.listxattr(dev)) == ["user.backend", "user.buffers", "user.state"], os.listxattr(dev)
assert os.listxattr(m + "/alpha") == ["user.uuid"]
assert err(lambda: os.open(m + "/alpha/console0.log", os.O_WRONLY)) == errno.EACCES
assert err(lambda: os.open(m + "/alpha/nosuch", os.O_RDONLY)) == errno.ENOENT
assert err(lambda: os.mkdir(m + "/alpha/gamma")) == errno.EPERM  # domains only in the root
PY
