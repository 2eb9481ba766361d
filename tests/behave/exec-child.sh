#!/bin/bash
# What an exec: program starts with: exactly fds 0, 1, 2 (its pty), an empty
# signal mask and no ignored signals (the daemon blocks SIGCHLD/TERM/INT/HUP
# and ignores SIGPIPE), its own session and process group with the pty as
# controlling terminal (in the foreground), and a clean environment (PATH,
# TERM, LANG, HOME and the env = settings of [global], the domain and the
# device; nothing else of the daemon's), in which a bare command name is
# looked up. Commands that cannot run give ENXIO and say why in
# user.state: a missing bare name, a file without execute permission; a
# script without #! runs under /bin/sh, as execvp would.
. "$(dirname "$0")/../lib.sh"
need python3 getfattr
cat >"$T/noexec" <<'EOF'
#!/bin/sh
echo never
EOF
chmod 0644 "$T/noexec"
printf 'echo plain-script-ran "$1"\nexec sleep 100000\n' >"$T/plain"
chmod 0755 "$T/plain"
cat > "$CONF" <<EOF
[global]
env = FROM_GLOBAL=g
[domain d]
env = FROM_DOMAIN=d
env = TERM=xterm
console0 = exec:sleep 100001
env0 = exec:env
env0.env = FROM_DEVICE=v
env0.env = LANG=C
missing0 = exec:consolefs-no-such-command-xyz --flag
noexec0 = exec:$T/noexec
plain0 = exec:$T/plain arg1
EOF
# Something the program must not inherit.
CONSOLEFS_LEAK=secret mount_fs
F=$MNT/d/console0

wait_for 5 pgrep -P "$DAEMON_PID" -f 'sleep 100001' >/dev/null || fail "no sleep child of the daemon"
pid=$(pgrep -P "$DAEMON_PID" -f 'sleep 100001')
wait_for 5 sh -c "[ \"\$(readlink /proc/$pid/exe)\" = \"$(readlink -f "$(command -v sleep)")\" ]" ||
    fail "child $pid never ran sleep"
[ "$(xattr "$F" user.state)" = running ] || fail "user.state: '$(xattr "$F" user.state)'"

# fds: exactly 0, 1, 2, all the same pseudo-terminal slave.
fds=$(ls /proc/$pid/fd | sort -n | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] || { ls -l /proc/$pid/fd >&2; fail "child fds are '$fds', not '0 1 2 '"; }
tty=$(readlink /proc/$pid/fd/0)
case $tty in /dev/pts/[0-9]*) ;; *) fail "fd 0 is '$tty', not a pty slave" ;; esac
[ "$(readlink /proc/$pid/fd/1)" = "$tty" ] && [ "$(readlink /proc/$pid/fd/2)" = "$tty" ] ||
    fail "fds 1 and 2 are not $tty"

# Signals: nothing blocked, nothing ignored, no handlers.
for f in SigBlk SigIgn SigCgt; do
	v=$(sed -n "s/^$f:[[:space:]]*//p" /proc/$pid/status)
	[ "$v" = 0000000000000000 ] || fail "$f of the child is $v"
done
# ...while the daemon itself blocks and ignores some (or this tests nothing).
[ "$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$DAEMON_PID/status)" != 0000000000000000 ] ||
    fail "the daemon blocks no signal: the mask check proves nothing"
[ "$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$DAEMON_PID/status)" != 0000000000000000 ] ||
    fail "the daemon ignores no signal: the disposition check proves nothing"

# Session, group, controlling terminal (stat fields 5-8: pgrp session
# tty_nr tpgid), the pty's device number.
read -r pgrp sid ttynr tpgid < <(sed 's/.*) //' /proc/$pid/stat | cut -d' ' -f3-6)
[ "$sid" = "$pid" ] || fail "child session is $sid, not its own ($pid)"
[ "$pgrp" = "$pid" ] || fail "child process group is $pgrp, not its own"
[ "$tpgid" = "$pid" ] || fail "foreground group of its terminal is $tpgid, not $pid"
want=$(python3 -c "import os,sys; r=os.stat(sys.argv[1]).st_rdev; print((os.minor(r) & 0xff) | (os.major(r) << 8) | ((os.minor(r) & ~0xff) << 12))" "$tty")
[ "$ttynr" = "$want" ] || fail "controlling terminal is $ttynr, not $tty ($want)"
[ "$(sed -n 's/^NSsid:[[:space:]]*//p' /proc/$pid/status)" = "$pid" ] || fail "NSsid"

# Environment: PATH, TERM, LANG, HOME and the env settings (global and
# domain for console0; device ones too for env0, which replace TERM and
# LANG), in the program and as env prints it; nothing of the daemon's.
keys=$(tr '\0' '\n' </proc/$pid/environ | cut -d= -f1 | sort | tr '\n' ' ')
[ "$keys" = "FROM_DOMAIN FROM_GLOBAL HOME LANG PATH TERM " ] || fail "child environment keys: '$keys'"
tr '\0' '\n' </proc/$pid/environ | grep -q CONSOLEFS_LEAK && fail "the daemon's environment leaked"
tr '\0' '\n' </proc/$pid/environ | grep -qx TERM=xterm || fail "domain env did not replace TERM"
wait_for 5 grep -q '^TERM=' "$MNT/d/env0.log" || fail "env printed nothing: $(cat -v "$MNT/d/env0.log")"
wait_for 5 sh -c "[ \"\$(getfattr --only-values -n user.state '$MNT/d/env0')\" = 'exited 0' ]" ||
    fail "env0 state: $(xattr "$MNT/d/env0" user.state)"
sort "$MNT/d/env0.log" >"$T/env0.sorted"
printf '%s\n' FROM_DEVICE=v FROM_DOMAIN=d FROM_GLOBAL=g "HOME=$(getent passwd "$(id -u)" | cut -d: -f6)" \
    LANG=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm |
    sort >"$T/env0.want"
diff "$T/env0.want" "$T/env0.sorted" >&2 || fail "env printed another environment"

# A bare name not in PATH: ENXIO, and the reason.
[ "$(open_errno "$MNT/d/missing0")" = ENXIO ] || fail "open of a missing command: $(open_errno "$MNT/d/missing0")"
state=$(xattr "$MNT/d/missing0" user.state)
[ "$state" = "failed: cannot execute consolefs-no-such-command-xyz: No such file or directory" ] ||
    fail "missing0 state: '$state'"
# Not executable: ENXIO, Permission denied.
[ "$(open_errno "$MNT/d/noexec0")" = ENXIO ] || fail "open of a non-executable file: $(open_errno "$MNT/d/noexec0")"
state=$(xattr "$MNT/d/noexec0" user.state)
[ "$state" = "failed: cannot execute $T/noexec: Permission denied" ] || fail "noexec0 state: '$state'"
# No #!: /bin/sh runs it, with its arguments.
wait_for 5 grep -q 'plain-script-ran arg1' "$MNT/d/plain0.log" ||
    fail "a script without #! did not run: $(cat -v "$MNT/d/plain0.log"); state $(xattr "$MNT/d/plain0" user.state)"

stop_fs || fail "daemon exited with status $?"
wait_for 5 proc_ended "$pid" || fail "sleep (pid $pid) still runs after the daemon stopped"
