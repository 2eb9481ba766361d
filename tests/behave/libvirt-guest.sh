#!/bin/bash
# Every libvirt guest's consoles, without configuration: a real libvirtd
# (tests/lib-libvirt.sh) and a real TCG guest, consolefs started with
# "[libvirt local] uri = ..." before the guest is even defined, capture on.
# One guest serves every step:
#  - virsh define: its directory appears, user.uuid is virsh domuuid's,
#    serial0 is there but absent (ENXIO);
#  - virsh start: serial0 present, and with nobody attached serial0.log
#    holds the boot lines (capture = yes);
#  - a shell round trip through the file;
#  - virsh console while consolefs holds the console: refused;
#  - virsh console --force takes it: open gives EBUSY, user.holder says
#    "libvirt session"; user.force takes it back from virsh (which ends);
#  - after virsh --force took it and left, consolefs captures again by
#    itself (what the guest prints later is in serial0.log);
#  - virsh destroy with a session open: the session reads end of file, then
#    ENXIO; virsh start: present again on its new pty, no reload;
#  - libvirtd killed (by pid) and started again: consolefs reconnects and
#    the console works;
#  - consolectl list shows the guest, consolectl attach works on it;
#  - reload with capture = no: virsh console works while consolefs idles,
#    and per session too, EBUSY with the holder and user.force;
#  - a [domain] of the guest's name added by a reload wins; removed, the
#    guest is back;
#  - the section replaced by one with a remote URI (qemu+ext, through a
#    probe) and a prefix: the guest is far-NAME, same UUID, console works;
#  - virsh undefine: the directory goes.
. "$(dirname "$0")/../lib.sh"
need tmux python3 getfattr setfattr socat
. "$TOP/tests/lib-libvirt.sh"
BOOT_SECS=${BOOT_SECS:-60}

# Whether file $1 holds a line $2 (the guest ends its lines with CR LF).
has_line() { tr -d '\r' <"$1" | grep -qxF -- "$2"; }
state() { xattr "$F" user.state; }
state_is() { [ "$(state)" = "$1" ]; }
# A shell round trip: open the console, type, expect the answer, close.
round_trip() {
	local n=$1 out=$T/rt.$1
	exec 3<>"$F" || fail "open $F: $(open_errno "$F")"
	cat <&3 >"$out" &
	local cat=$!
	printf '\necho $((%d*7))\n' "$n" >&3
	wait_for 20 has_line "$out" "$((n * 7))" ||
	    { cat -v "$out" >&2; fail "no answer $((n * 7)) from the guest ($2)"; }
	exec 3>&-
	kill "$cat" 2>/dev/null
	wait "$cat" 2>/dev/null
}

libvirt_start
G=cfs-test-$$
cat > "$CONF" <<EOF
[libvirt local]
uri = $LV_URI
mode = 0660
capture = yes
EOF
mount_fs
D=$MNT/$G
F=$D/serial0

# --- defined: the directory appears at once, shut off: absent ---
libvirt_define "$G"
wait_for 10 test -d "$D" || { ls "$MNT" >&2; fail "no $D after virsh define"; }
uuid=$(lvsh domuuid "$G")
[ "$(xattr "$D" user.uuid)" = "$uuid" ] || fail "user.uuid '$(xattr "$D" user.uuid)' is not virsh domuuid's $uuid"
[ "$(readlink "$MNT/by-uuid/$uuid")" = "../$G" ] || fail "no by-uuid link for $uuid"
wait_for 5 test -e "$F" || { ls -l "$D" >&2; fail "no serial0 in $D"; }
[ "$(stat -c %a "$F")" = 660 ] || fail "serial0 has mode $(stat -c %a "$F"), not the section's 0660"
state_is absent || fail "user.state of a shut-off guest is '$(state)'"
[ "$(open_errno "$F")" = ENXIO ] || fail "open of a shut-off guest's console: $(open_errno "$F"), not ENXIO"
[ "$(xattr "$F" user.backend)" = "libvirt:$LV_URI#$G/serial0" ] || fail "user.backend is '$(xattr "$F" user.backend)'"

# --- started: present; its boot in serial0.log with nobody attached ---
t0=$SECONDS
libvirt_boot "$G"
wait_for 10 state_is present || fail "serial0 not present after virsh start: $(state)"
wait_for $BOOT_SECS grep -q 'guest# ' "$F.log" ||
    { tr -d '\r' <"$F.log" | tail -n 20 >&2; fail "no guest prompt in serial0.log after $BOOT_SECS s"; }
tr -d '\r' <"$F.log" | grep -q 'consolefs-guest ready$' || fail "no boot banner in serial0.log"
note "boot captured in serial0.log after $((SECONDS - t0)) s"
round_trip 6 "first session"

# --- virsh console while consolefs holds it: refused ---
exec 4<>"$F"
tmux_run refused "virsh -c '$LV_URI' console $G" 4>&-
rc=$(tmux_rc refused 15)
[ "$rc" != 0 ] || fail "virsh console succeeded while consolefs held the console"
tmux_screen refused | grep -q "Active console session exists" ||
    { tmux_screen refused >&2; fail "virsh console did not say 'Active console session exists'"; }
exec 4>&-

# --- virsh console --force takes it: EBUSY and the holder; user.force takes it back ---
tmux_start vf "virsh -c '$LV_URI' console --force $G; echo VIRSH-ENDED; sleep 100000"
tmux_wait vf "Escape character"
open_is() { [ "$(open_errno "$F")" = "$1" ]; }
wait_for 10 open_is EBUSY || fail "open while virsh console holds it: $(open_errno "$F"), not EBUSY"
holder=$(xattr "$F" user.holder)
case $holder in "libvirt session"*) ;; *) fail "user.holder while virsh holds it: '$holder'" ;; esac
tmux_keys vf 'echo VIRSH-$((3*3))' Enter
tmux_wait vf "^VIRSH-9"
setfattr -n user.force -v 1 "$F" || fail "user.force refused while virsh console held the console"
tmux_wait vf "VIRSH-ENDED"
round_trip 7 "after user.force"

# --- virsh --force takes it and leaves: capture resumes by itself ---
exec 3<>"$F"
printf '\n(sleep 8; echo LATER-$((5*5))) &\n' >&3
exec 3>&-
tmux_start vf2 "virsh -c '$LV_URI' console --force $G; echo VIRSH2-ENDED; sleep 100000"
tmux_wait vf2 "Escape character"
tmux_keys vf2 C-]
tmux_wait vf2 "VIRSH2-ENDED"
wait_for 20 grep -q LATER-25 "$F.log" ||
    { tr -d '\r' <"$F.log" | tail -n 5 >&2; fail "what the guest printed after virsh left is not in serial0.log"; }

# --- destroy with a session open: end of file, then ENXIO ---
exec 3<>"$F"
cat <&3 >"$T/destroy.out" &
catpid=$!
old_pty=$(libvirt_pty "$G")
lvsh destroy "$G" >/dev/null || fail "virsh destroy failed"
wait_for 10 proc_ended "$catpid" || fail "the session did not read end of file when the guest was destroyed"
exec 3>&-
wait_for 5 state_is absent || fail "user.state after destroy: $(state)"
[ "$(open_errno "$F")" = ENXIO ] || fail "open after destroy: $(open_errno "$F"), not ENXIO"

# --- started again: present on its new pty, no reload ---
libvirt_boot "$G"
new_pty=$(libvirt_pty "$G")
note "pty $old_pty, then $new_pty"
wait_for 10 state_is present || fail "not present after the second start: $(state)"
two_boots() { [ "$(grep -c 'consolefs-guest ready' "$F.log")" -ge 2 ]; }
wait_for $BOOT_SECS two_boots || { tr -d '\r' <"$F.log" | tail -n 8 >&2; fail "no second boot in serial0.log"; }
round_trip 8 "after destroy and start"

# --- libvirtd killed and started again: reconnect, the console works ---
# (SIGTERM: after a SIGKILL libvirtd leaves its console lock LCK.._pts_N
# behind, and the next libvirtd honours it for as long as the dead one is
# an unreaped zombie, which here can be a while.)
libvirt_stop_libvirtd TERM
wait_for 10 state_is absent || fail "user.state with libvirtd gone: $(state)"
[ "$(open_errno "$F")" = ENXIO ] || fail "open with libvirtd gone: $(open_errno "$F"), not ENXIO"
[ -d "$D" ] || fail "the domain went away with libvirtd"
libvirt_start_libvirtd
wait_for 40 state_is present || fail "consolefs did not reconnect to libvirtd: $(state)"
round_trip 9 "after libvirtd restarted"

# --- consolectl list and attach ---
CONSOLEFS_MOUNT=$MNT "$CONSOLECTL" list >"$T/list.out" || fail "consolectl list failed"
grep -q "$G" "$T/list.out" && grep -q "$uuid" "$T/list.out" && grep -q "serial0" "$T/list.out" ||
    { cat "$T/list.out" >&2; fail "consolectl list does not show the guest"; }
tmux_start ctl "CONSOLEFS_MOUNT='$MNT' '$CONSOLECTL' attach $G; echo CTL-ENDED; sleep 100000"
tmux_wait ctl "Connected to $G/serial0"
tmux_keys ctl 'echo CTL-$((4*4))' Enter
tmux_wait ctl "^CTL-16"
tmux_keys ctl C-] .
tmux_wait ctl "CTL-ENDED"

# --- capture = no (reload): virsh console works while consolefs idles ---
sed -i '/^capture/d' "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 10 grep -q "settings changed" "$DAEMON_LOG" || fail "the reload did not change the settings"
tmux_start free "virsh -c '$LV_URI' console $G; echo VIRSH3-ENDED; sleep 100000"
tmux_wait free "Escape character"
tmux_keys free 'echo FREE-$((2*11))' Enter
tmux_wait free "^FREE-22"
# ... and, per session as well, EBUSY with the holder, and user.force.
wait_for 5 open_is EBUSY || fail "open while virsh console holds it (capture = no): $(open_errno "$F")"
case $(xattr "$F" user.holder) in "libvirt session"*) ;; *) fail "user.holder (capture = no): '$(xattr "$F" user.holder)'" ;; esac
setfattr -n user.force -v 1 "$F" || fail "user.force refused (capture = no)"
tmux_wait free "VIRSH3-ENDED"
round_trip 10 "per-session stream, after user.force"

# --- a [domain] of the same name wins over the guest, and gives it back ---
printf '[libvirt local]\nuri = %s\n[domain %s]\nconsole0 = exec:/bin/cat\n' "$LV_URI" "$G" > "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 10 test -e "$D/console0" || fail "the configured [domain $G] did not take the name"
[ ! -e "$F" ] || fail "the guest's serial0 is still there beside the configured domain"
[ "$(xattr "$D" user.uuid)" != "$uuid" ] || fail "the configured domain has the guest's UUID"
printf '[libvirt local]\nuri = %s\n' "$LV_URI" > "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 10 test -e "$F" || fail "the guest did not come back when the [domain] went"
[ "$(xattr "$D" user.uuid)" = "$uuid" ] || fail "the guest came back with user.uuid '$(xattr "$D" user.uuid)'"
[ ! -e "$D/console0" ] || fail "the configured console0 stayed"

# --- a remote URI (the ext transport: a command relays the connection),
# opened after a probe; the section replaced by a reload, with a prefix ---
printf '#!/bin/sh\nexec socat - UNIX-CONNECT:%s/sock/libvirt-sock\n' "$LV" > "$LV/ext.sh"
chmod 755 "$LV/ext.sh"
printf '[libvirt far]\nuri = qemu+ext:///system?command=%s/ext.sh\nprefix = far\n' "$LV" > "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 10 test ! -e "$D" || fail "$D is still there after its section went"
D=$MNT/far-$G
F=$D/serial0
wait_for 15 test -e "$F" || { ls "$MNT" >&2; fail "no $F through the remote URI"; }
grep -q "probe pid" "$DAEMON_LOG" || fail "the remote URI was opened without a probe"
[ "$(xattr "$D" user.uuid)" = "$uuid" ] || fail "far-$G has user.uuid '$(xattr "$D" user.uuid)'"
wait_for 10 state_is present || fail "far-$G/serial0: $(state)"
round_trip 11 "through the remote URI"

# --- undefine: the directory goes ---
lvsh destroy "$G" >/dev/null
lvsh undefine "$G" >/dev/null || fail "virsh undefine failed"
wait_for 10 test ! -e "$D" || fail "$D is still there after virsh undefine"
[ ! -e "$MNT/by-uuid/$uuid" ] || fail "by-uuid/$uuid is still there"
exit 0
