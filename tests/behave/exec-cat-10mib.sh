#!/bin/bash
# cat of an exec: console whose command prints 10 MiB of a known pattern gets
# exactly those bytes, then end of file when the command exits.
. "$(dirname "$0")/../lib.sh"
need python3 sha256sum getfattr
cat > "$T/gen.py" <<'PY'
import sys
block = bytes(range(256)) * 4096          # 1 MiB, every byte value
for _ in range(10):
    sys.stdout.buffer.write(block)
PY
# The command says READY once its terminal is raw, then waits for one byte,
# so that the session is open before it prints.
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh -c 'stty raw -echo; echo READY; head -c 1 >/dev/null; exec python3 $T/gen.py'
EOF
mount_fs
wait_ready d
exec 3<>"$MNT/d/console0"
timeout 60 cat <&3 >"$T/got" &
catpid=$!
printf 'x' >&3
exec 3>&-
wait $catpid || fail "cat did not end with status 0 (status $?)"
want=$(python3 "$T/gen.py" | sha256sum)
got=$(sha256sum <"$T/got")
size=$(stat -c %s "$T/got")
[ "$size" -eq $((10 * 1024 * 1024)) ] || fail "got $size bytes, want 10485760"
[ "$got" = "$want" ] || fail "content differs"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.state '$MNT/d/console0')\" = 'exited 0' ]" ||
	fail "user.state is '$(getfattr --only-values -n user.state "$MNT/d/console0")'"
