#!/bin/bash
# exec: of a missing command: open gives ENXIO, user.state says why, and the
# daemon keeps serving the other domains.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
cat > "$CONF" <<EOF
[domain broken]
console0 = exec:/nonexistent/qemu-system-foo -nographic
[domain fine]
console0 = exec:/bin/sh -c 'stty -echo; exec cat'
EOF
mount_fs
python3 - "$MNT/broken/console0" <<'PY' || fail "open of a missing command"
import errno, os, sys
try:
    os.open(sys.argv[1], os.O_RDWR)
    sys.exit("open succeeded")
except OSError as e:
    assert e.errno == errno.ENXIO, e
PY
state=$(getfattr --only-values -n user.state "$MNT/broken/console0")
case $state in
*"/nonexistent/qemu-system-foo"*"No such file or directory"*) ;;
*) fail "user.state does not say why: '$state'" ;;
esac
grep -q "cannot execute /nonexistent/qemu-system-foo" "$DAEMON_LOG" || fail "the failure was not logged"
exec 3<>"$MNT/fine/console0"
echo ping >&3
IFS= read -r -t 5 line <&3 || fail "no answer from the other domain"
[ "${line%$'\r'}" = ping ] || fail "other domain answered '$line'"
