#!/bin/bash
# consolefs and picocom exclude each other through flock() on the device
# (picocom 3.1 takes only a flock, no lock file): while picocom has the pty,
# opening the consolefs device is EBUSY and user.holder says flock=; while
# consolefs has it, picocom refuses ("cannot lock", exit status 1); once
# consolefs lets go, picocom gets it again; once picocom quits, user.holder
# says the device is free.
. "$(dirname "$0")/../lib.sh"
need python3 tmux picocom getfattr
mount_pty_console

# 1. picocom holds the pty.
tmux_start p1 "exec picocom -b 115200 $P"
tmux_wait p1 "^Terminal ready"
ppid=$(tmux_pid p1)
r=$(open_errno "$F")
[ "$r" = EBUSY ] || fail "open while picocom holds $P: $r, want EBUSY"
h=$(getfattr --absolute-names --only-values -n user.holder "$F" 2>&1)
# "flock=PATH", perhaps followed by who: then it must be picocom.
case $h in "flock=$P" | "flock=$P "*) ;; *) fail "user.holder after the refused open: '$h', want 'flock=$P'" ;; esac
case " $h " in *" pid="* | *" comm="*)
	case " $h " in *" pid=$ppid comm=picocom "*) ;; *) fail "user.holder names someone else than picocom ($ppid): '$h'" ;; esac
esac
dir_empty "$LOCKDIR" || fail "lock file left after the refused open: $(ls -A "$LOCKDIR")"
note "picocom holds: open EBUSY, holder '$h'"

# picocom's own way out (C-a C-x) releases the flock; consolefs gets it.
tmux_keys p1 C-a C-x
wait_for 5 proc_ended "$ppid" || { tmux_screen p1 >&2; fail "picocom did not quit"; }
hold_open "$F"

# 2. consolefs holds the pty: picocom cannot lock it and exits 1.
tmux_start p2 "picocom -b 115200 $P; echo \"picocom exit status \$?\"; exec sleep 100000"
tmux_wait p2 "picocom exit status"
tmux_wait p2 "^FATAL: cannot lock $P: Resource temporarily unavailable\$"
tmux_wait p2 "^picocom exit status 1\$"

# 3. The session ends: picocom can have the pty again.
hold_close
wait_for 5 dir_empty "$LOCKDIR" || fail "lock left after the session ended: $(ls -A "$LOCKDIR")"
tmux_start p3 "exec picocom -b 115200 $P"
tmux_wait p3 "^Terminal ready"
ppid=$(tmux_pid p3)

# 4. user.holder tells the present: once picocom has quit, the device is
# free again (ENODATA), not still held by the flock seen at the last open.
r=$(open_errno "$F")
[ "$r" = EBUSY ] || fail "open while the second picocom holds $P: $r"
tmux_keys p3 C-a C-x
wait_for 5 proc_ended "$ppid" || { tmux_screen p3 >&2; fail "picocom did not quit"; }
h=$(getfattr --absolute-names --only-values -n user.holder "$F" 2>&1)
case $h in *"No such attribute"*) ;; *) fail "user.holder after picocom quit: '$h', want ENODATA (free)" ;; esac
r=$(open_errno "$F")
[ "$r" = ok ] || fail "open after picocom quit: $r"
