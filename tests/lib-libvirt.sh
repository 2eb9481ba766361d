# tests/lib-libvirt.sh — sourced after lib.sh by the tests that need a real
# libvirtd: starts virtlogd and libvirtd (QEMU driver only) in a mount
# namespace of their own, so that two runs at once (the plain and the
# sanitizer build, another engineer's make check) never share libvirt's
# state, and nothing of it is left on the host: /run/libvirt,
# /var/lib/libvirt, /var/log/libvirt, /etc/libvirt/qemu and qemu.conf are
# private directories under $LV, the sockets live in $LV/sock (URI
# $LV_URI), lock files stay in the host's /run/lock (consolefs reads
# libvirt's LCK.._pts_N there). Only libvirt's QEMU capabilities cache in
# /var/cache/libvirt is shared (probing QEMU takes seconds to a minute).
# QEMU runs as root here: /dev/kvm is root's only on a machine without udev,
# and libvirt then re-probes QEMU at every define when its user cannot
# open it; and in no cgroup (libvirt would leave directories in the host's
# /sys/fs/cgroup). Guests boot tests/guest's kernel and initramfs under TCG.
# Everything is stopped by pid and removed at exit, even on failure.

LV_DRIVER=$(ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so 2>/dev/null | head -n1)
for t in virsh libvirtd virtlogd qemu-system-x86_64 unshare nsenter; do
	command -v "$t" >/dev/null 2>&1 ||
	    skip "$t not installed: the libvirt tests need libvirt-daemon-system, libvirt-clients and qemu-system-x86 (make deps)"
done
[ -n "$LV_DRIVER" ] || skip "libvirt's QEMU driver is not installed (libvirt-daemon-driver-qemu; make deps)"
GUEST=$TOP/build/guest
"$TOP/tests/guest/make-guest.sh" "$GUEST" >"$T/make-guest.log" 2>&1 ||
    skip "guest fixture not built: $(tail -n1 "$T/make-guest.log")"

# Outside any 0700 directory (T is one): libvirt's QEMU reads the kernel
# from here.
LV=/var/lib/consolefs-test-$$
LV_URI="qemu:///system?socket=$LV/sock/libvirt-sock"
LV_NS_PID=		# virtlogd: it keeps the namespace
LV_LIBVIRTD_PID=
LV_PIDS=()		# every daemon and guest process this test started
export LIBVIRT_DEFAULT_URI=$LV_URI
lvsh() { virsh -q -c "$LV_URI" "$@"; }

libvirt_cleanup() {
	local f p
	# Guests first: QEMU outlives a killed libvirtd.
	for f in "$LV"/run/qemu/*.pid; do
		[ -f "$f" ] && p=$(cat "$f") && [ -n "$p" ] && kill -KILL "$p" 2>/dev/null && LV_PIDS+=("$p")
	done
	for p in $LV_LIBVIRTD_PID $LV_NS_PID; do kill -TERM "$p" 2>/dev/null; done
	for p in "${LV_PIDS[@]}" $LV_LIBVIRTD_PID $LV_NS_PID; do
		wait_for 5 proc_ended "$p" || kill -KILL "$p" 2>/dev/null
	done
	# Console locks a killed libvirtd left behind (its pid, now gone).
	for f in /run/lock/LCK.._pts_*; do
		[ -f "$f" ] || continue
		p=$(tr -d ' \n' <"$f")
		for q in $LV_LIBVIRTD_PID "${LV_OLD_LIBVIRTD[@]}"; do
			[ "$p" = "$q" ] && proc_ended "$p" && rm -f "$f"
		done
	done
	case $LV in /var/lib/consolefs-test-*) rm -rf "$LV" ;; esac
}
LV_OLD_LIBVIRTD=()

# Start libvirtd (again) in the namespace; waits until it answers.
libvirt_start_libvirtd() {
	rm -f "$LV/libvirtd.pid"
	nsenter -t "$LV_NS_PID" -m -- env LIBVIRT_DRIVER_DIR="$LV/drv" \
	    libvirtd --daemon --pid-file "$LV/libvirtd.pid" --config "$LV/libvirtd.conf" ||
	    fail "libvirtd did not start: $(tail -n3 "$LV/libvirtd.log")"
	wait_for 10 test -s "$LV/libvirtd.pid" || fail "libvirtd wrote no pid file"
	LV_LIBVIRTD_PID=$(cat "$LV/libvirtd.pid")
	wait_for 20 lvsh uri >/dev/null 2>&1 || fail "libvirtd does not answer: $(tail -n3 "$LV/libvirtd.log")"
}

# Stop libvirtd by pid with signal $1 (default TERM); the guests keep running.
libvirt_stop_libvirtd() {
	kill -"${1:-TERM}" "$LV_LIBVIRTD_PID"
	wait_for 10 proc_ended "$LV_LIBVIRTD_PID" || fail "libvirtd (pid $LV_LIBVIRTD_PID) did not stop"
	LV_OLD_LIBVIRTD+=("$LV_LIBVIRTD_PID")
	LV_LIBVIRTD_PID=
}

libvirt_start() {
	at_exit libvirt_cleanup
	mkdir -p "$LV"/{run,lib,etc,log,sock,drv,guest,hostrun}
	chmod 755 "$LV" "$LV/guest"
	cp "$GUEST/vmlinuz" "$GUEST/initrd.gz" "$LV/guest/"
	chmod 644 "$LV"/guest/*
	ln -s "$LV_DRIVER" "$LV/drv/"
	cat > "$LV/libvirtd.conf" <<EOF
unix_sock_dir = "$LV/sock"
unix_sock_rw_perms = "0700"
log_outputs = "3:file:$LV/libvirtd.log"
EOF
	cat > "$LV/virtlogd.conf" <<EOF
log_outputs = "3:file:$LV/virtlogd.log"
EOF
	# No cgroups: libvirt would leave machine/ directories in every
	# controller of the host's /sys/fs/cgroup.
	printf 'user = "root"\ngroup = "root"\ncgroup_controllers = [ ]\n' > "$LV/qemu.conf"
	# The namespace: a private /run (with the host's /run/lock bound back),
	# private libvirt directories; virtlogd holds it, libvirtd joins it.
	unshare -m --propagation private -- sh -ec "
		mount --rbind /run '$LV/hostrun'
		mount -t tmpfs -o mode=755 consolefs-test /run
		mkdir /run/lock /run/libvirt
		mount --bind '$LV/hostrun/lock' /run/lock
		umount -l '$LV/hostrun'
		mount --bind '$LV/run' /run/libvirt
		mount --bind '$LV/lib' /var/lib/libvirt
		mount --bind '$LV/etc' /etc/libvirt/qemu
		mount --bind '$LV/log' /var/log/libvirt
		mount --bind '$LV/qemu.conf' /etc/libvirt/qemu.conf
		exec virtlogd --daemon --pid-file '$LV/virtlogd.pid' --config '$LV/virtlogd.conf'
	" || fail "cannot start virtlogd in a mount namespace"
	wait_for 10 test -s "$LV/virtlogd.pid" || fail "virtlogd wrote no pid file"
	LV_NS_PID=$(cat "$LV/virtlogd.pid")
	libvirt_start_libvirtd
}

# Define guest NAME (kernel + initramfs of tests/guest, a serial and a
# console on ptys, TCG); prints nothing.
libvirt_define() {
	cat > "$LV/$1.xml" <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$LV/guest/vmlinuz</kernel>
    <initrd>$LV/guest/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='pty'/>
    <console type='pty'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
	lvsh define "$LV/$1.xml" >/dev/null || fail "virsh define $1 failed"
}

# Start guest $1 and note its QEMU's pid for the cleanup.
libvirt_boot() {
	lvsh start "$1" >/dev/null || fail "virsh start $1 failed"
	wait_for 5 test -s "$LV/run/qemu/$1.pid" && LV_PIDS+=("$(cat "$LV/run/qemu/$1.pid")")
}

# The pty libvirt gave guest $1's serial0.
libvirt_pty() { lvsh dumpxml "$1" | sed -n "s/.*<source path='\(\/dev\/pts\/[0-9]*\)'.*/\1/p" | head -n1; }
