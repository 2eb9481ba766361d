#!/bin/bash
# Run each cmocka unit test binary given; fail if any fails.
rc=0
for t in "$@"; do
	case $t in *.d) continue ;; esac
	"$t" || rc=1
done
exit $rc
