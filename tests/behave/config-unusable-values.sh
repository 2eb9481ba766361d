#!/bin/bash
# Backend strings that can never work are configuration errors, not devices
# that fail later without a word: a unix: path longer than a socket address
# holds (107 bytes) and an exec: whose program name is an empty word
# (exec:'') make the daemon exit 2 with "FILE:LINE: reason" and mount
# nothing. The longest path that fits is accepted. (Before: both were
# accepted; the socket gave ENXIO with no log line, exec:'' a failed start.)
. "$(dirname "$0")/../lib.sh"

refuse() {
	local name=$1 line=$2 word=$3 conf=$T/$1.conf err=$T/$1.err st=0
	timeout -k 2 10 "$CONSOLEFS" -f -c "$conf" --lock-dir "$LOCKDIR" "$MNT" \
		>/dev/null 2>"$err" || st=$?
	cat "$err" >>"$DAEMON_LOG"	# for lib.sh's sanitizer check
	[ "$st" -eq 2 ] || { cat "$err" >&2; fail "$name: exit status $st, expected 2"; }
	grep -F -- "$conf:$line: " "$err" | grep -qF -- "$word" ||
		{ cat "$err" >&2; fail "$name: no '$conf:$line: ...$word...' on stderr"; }
	! mountpoint -q "$MNT" || fail "$name: $MNT was mounted"
	note "$name: $(grep -F -- "$conf:$line: " "$err" | head -n1)"
}

long=/run/$(printf 'x%.0s' $(seq 103))	# 108 bytes: one too many
cat > "$T/unix-long.conf" <<EOF
[domain d]
console0 = exec:/bin/cat
serial0 = unix:$long
EOF
refuse unix-long 3 "unix: socket path too long (108 bytes; a socket address holds at most 107)"

cat > "$T/exec-empty.conf" <<'EOF'
[domain d]
console0 = exec:''
EOF
refuse exec-empty 2 "exec: empty command"

cat > "$T/exec-empty-arg.conf" <<'EOF'
[domain d]
console0 = exec:"" -c 'echo hi'
EOF
refuse exec-empty-arg 2 "exec: empty command"

# 107 bytes fit: accepted, and the device is there (absent: no socket).
cat > "$CONF" <<EOF
[domain d]
serial0 = unix:${long%x}
EOF
mount_fs
answers_fast "$MNT/d/serial0"
[ "$(xattr "$MNT/d/serial0" user.state)" = absent ] ||
	fail "the 107-byte unix: path: state $(xattr "$MNT/d/serial0" user.state)"
stop_fs || fail "daemon exited $?"
