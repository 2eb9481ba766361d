#!/bin/bash
# Shell automation on an exec: shell: exec 3<>console; echo 'echo hi' >&3;
# read back hi. With a cat blocked reading fd 3, a write on fd 3 completes at
# once (the file is a stream: a blocked read never delays a write).
. "$(dirname "$0")/../lib.sh"
cat > "$CONF" <<EOF
[domain d]
console0 = exec:/bin/sh
EOF
mount_fs
exec 3<>"$MNT/d/console0"
echo 'echo h""i' >&3
line=
# The shell may print its first prompt after the echo of our command, so
# the output can read "# hi". (read -t does not time out on a regular file,
# which a console file is: the line must be recognised when it comes.)
while IFS= read -r line <&3; do
	line=${line%$'\r'}
	case $line in *'h""i'*) ;; *hi) break ;; esac
done
case $line in *'h""i'*) fail "did not read back 'hi' (last line: '$line')" ;; *hi) ;; *) fail "did not read back 'hi' (last line: '$line')" ;; esac
# A cat blocked in read on the same open file...
cat <&3 >"$T/cat.out" &
catpid=$!
at_exit "kill $catpid"
sleep 0.3
# ...does not delay writes on it.
# (Without FOPEN_STREAM the writer would sleep uninterruptibly on the file
# position lock until the read returns: run it in the background and give
# it 2 s; the cleanup's kill of the cat then releases it.)
( echo 'echo se""cond' >&3; touch "$T/wrote" ) &
wait_for 2 test -e "$T/wrote" || fail "write blocked behind a blocked read"
wait_for 5 grep -q '^second' "$T/cat.out" || fail "cat did not see the second command's output"
kill $catpid
exec 3>&-
