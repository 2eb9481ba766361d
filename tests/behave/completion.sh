#!/bin/bash
# Bash completion of consolectl: backends are offered one per candidate
# (never one multi-line word), domains by name and by UUID, devices of a
# domain named by its UUID, and command words.
. "$(dirname "$0")/../lib.sh"
cat > "$CONF" <<EOF
[domain web1]
uuid = 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10
console0 = pty:/dev/pts/99999
EOF
mount_fs
# complete WORD...: run the completion function on the command line made of
# the words (the last one is being completed); prints COMPREPLY, one a line.
complete_line() {
	bash -c '
		. "$1/etc/consolectl.bash-completion"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_consolectl
		printf "<%s>\n" "${COMPREPLY[@]}"
	' complete "$TOP" "$@"
}
got=$(complete_line consolectl -m "$MNT" add web1 serial0 "")
[ "$(printf '%s\n' "$got" | grep -c '^<.*>$')" -eq 5 ] || fail "backends offered: $got"
printf '%s\n' "$got" | grep -qx "<pty:/dev/pts/>" || fail "pty: is not a candidate of its own: $got"
got=$(complete_line consolectl -m "$MNT" add web1 serial0 p)
[ "$got" = "<pty:/dev/pts/>" ] || fail "'p' completes to '$got'"
got=$(complete_line consolectl -m "$MNT" attach 3c1f)
[ "$got" = "$(printf '<%s>\n' 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10/)" ] ||
	fail "a UUID prefix completes to '$got'"
got=$(complete_line consolectl -m "$MNT" attach 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10/c)
[ "$got" = "<3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10/console0>" ] || fail "devices of a UUID complete to '$got'"
got=$(complete_line consolectl -m "$MNT" force w)
printf '%s\n' "$got" | grep -qx "<web1>" || fail "domains complete to '$got'"
got=$(complete_line consolectl rem)
[ "$got" = "<remove>" ] || fail "'rem' completes to '$got'"
got=$(complete_line consolectl re)
[ "$got" = "$(printf '<%s>\n' restart remove)" ] || fail "'re' completes to '$got'"
