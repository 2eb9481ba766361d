#!/bin/bash
# config-errors — a bad configuration file is refused before anything is
# mounted: the daemon exits with status 2, says "FILE:LINE: reason" on
# stderr, and the mount point is not a mount point afterwards. A named
# configuration file that does not exist is refused the same way.
. "$(dirname "$0")/../lib.sh"

# refuse NAME LINE WORD: start the daemon on $T/NAME.conf; it must exit 2
# with "$T/NAME.conf:LINE: ...WORD..." on stderr and leave nothing mounted.
refuse() {
	local name=$1 line=$2 word=$3 conf=$T/$1.conf err=$T/$1.err st=0
	timeout -k 2 10 "$CONSOLEFS" -f -c "$conf" --lock-dir "$LOCKDIR" "$MNT" \
		>/dev/null 2>"$err" || st=$?
	cat "$err" >>"$DAEMON_LOG"	# for lib.sh's sanitizer check
	[ "$st" -eq 2 ] || { cat "$err" >&2; fail "$name: exit status $st, expected 2"; }
	grep -qF -- "$conf:$line: " "$err" ||
		{ cat "$err" >&2; fail "$name: no '$conf:$line: ' on stderr"; }
	grep -F -- "$conf:$line: " "$err" | grep -qF -- "$word" ||
		{ cat "$err" >&2; fail "$name: the reason does not mention '$word'"; }
	! mountpoint -q "$MNT" || fail "$name: $MNT was mounted"
	note "$name: $(grep -F -- "$conf:$line: " "$err" | head -n1)"
}

cat >"$T/unknown-global-key.conf" <<'EOF'
[global]
lock_dir = /var/lock
colour = blue
EOF
refuse unknown-global-key 3 "unknown key 'colour' in [global]"

cat >"$T/bad-domain-name.conf" <<'EOF'
; a slash cannot be part of a directory name
[domain web/1]
console0 = pty:/dev/pts/7
EOF
refuse bad-domain-name 2 "bad domain name"

cat >"$T/duplicate-domain.conf" <<'EOF'
[domain web1]
console0 = pty:/dev/pts/7

[domain web1]
serial0 = pty:/dev/pts/8
EOF
refuse duplicate-domain 4 "duplicate domain"

cat >"$T/duplicate-device.conf" <<'EOF'
[domain web1]
serial0 = pty:/dev/pts/7
serial0 = pty:/dev/pts/8
EOF
refuse duplicate-device 3 "duplicate device"

cat >"$T/bad-uuid.conf" <<'EOF'
[domain web1]
owner = root
uuid = 3c1f0d4e-8a55-4a5e-9d2b
EOF
refuse bad-uuid 3 "bad uuid"

cat >"$T/unknown-scheme.conf" <<'EOF'
[domain web1]
console0 = pty:/dev/pts/7
serial0 = ssh:root@web1
EOF
refuse unknown-scheme 3 "unknown backend scheme 'ssh:'"

cat >"$T/unknown-section.conf" <<'EOF'
[global]
scrollback = 64K
[domians web1]
console0 = pty:/dev/pts/7
EOF
refuse unknown-section 3 "unknown section"

# A named file that is missing is an error (only the default may be missing).
missing=$T/no-such-file.conf
st=0
timeout -k 2 10 "$CONSOLEFS" -f -c "$missing" --lock-dir "$LOCKDIR" "$MNT" \
	>/dev/null 2>"$T/missing.err" || st=$?
cat "$T/missing.err" >>"$DAEMON_LOG"
[ "$st" -eq 2 ] || { cat "$T/missing.err" >&2; fail "missing file: exit status $st, expected 2"; }
grep -qF -- "$missing" "$T/missing.err" ||
	{ cat "$T/missing.err" >&2; fail "missing file: the message does not name $missing"; }
! mountpoint -q "$MNT" || fail "missing file: $MNT was mounted"
note "missing file: $(head -n1 "$T/missing.err")"

exit 0
