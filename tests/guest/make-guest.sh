#!/bin/bash
# tests/guest/make-guest.sh OUTDIR — build the fixture of the QEMU guest
# tests: OUTDIR/vmlinuz, Debian's amd64 kernel taken out of its package
# (downloaded with apt-get download, never installed), and OUTDIR/initrd.gz,
# a tiny initramfs of busybox-static whose /init prints
# "consolefs-guest ready" and runs a shell with PS1='guest# ' on the
# console; with "consolefs.counter" on the kernel command line it also
# prints "tick N" (N = 1, 2, ...) every 100 ms from a background loop.
# Boot it with
#   qemu-system-x86_64 -accel tcg -m 256 -nographic -no-reboot \
#     -kernel OUTDIR/vmlinuz -initrd OUTDIR/initrd.gz \
#     -append 'console=ttyS0 quiet panic=-1'
# Does nothing when both files are there and the initramfs is of this
# script's INITRD_VERSION (OUTDIR/initrd.version); an older initramfs is
# built again without downloading the kernel. Needs apt-get, dpkg-deb, cpio
# (or busybox's), gzip and /bin/busybox from busybox-static; the download
# needs Debian's package archive. Exits non-zero, saying why, when it cannot.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
# Bump when /init changes: fixtures built before are rebuilt (initrd only).
INITRD_VERSION=2
fresh() {
	[ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ] &&
	    [ "$(cat "$OUT/initrd.version" 2>/dev/null)" = "$INITRD_VERSION" ]
}
fresh && exit 0

die() { echo "make-guest: $*" >&2; exit 1; }
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: install busybox-static"
# The guest has no C library: the busybox of the busybox package would not run.
ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || die "$BUSYBOX is dynamically linked: install busybox-static"
command -v dpkg-deb >/dev/null || die "dpkg-deb missing"
command -v apt-get >/dev/null || die "apt-get missing"
if command -v cpio >/dev/null; then CPIO=(cpio --quiet); else CPIO=("$BUSYBOX" cpio); fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# The plain and the sanitizer test runs share the fixture: one builds it,
# the other waits.
exec 9>"$OUT/.lock"
flock 9
fresh && exit 0

W=$(mktemp -d "$OUT/.work.XXXXXX")
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT

# --- the kernel (kept when there) ---
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
	    awk '$1 ~ /Depends:$/ && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}
if [ -s "$OUT/vmlinuz" ]; then
	vmlinuz=
else
	pkg=$(kernel_pkg)
	if [ -z "$pkg" ]; then
		apt-get update -qq >&2 || die "apt-get update failed (no network?)"
		pkg=$(kernel_pkg)
		[ -n "$pkg" ] || die "no linux-image-*-amd64 package in the archive"
	fi
	mkdir "$W/deb"
	# apt drops root to _apt for downloads: let it write here.
	chown _apt "$W/deb" 2>/dev/null || true
	download() { (cd "$W/deb" && apt-get download -qq "$1") >&2; }
	echo "make-guest: downloading $pkg" >&2
	if ! download "$pkg"; then
		# The package lists may name a version the archive no longer has.
		apt-get update -qq >&2 || die "apt-get update failed (no network?)"
		pkg=$(kernel_pkg)
		download "$pkg" || die "apt-get download $pkg failed (no network?)"
	fi
	deb=$(ls "$W"/deb/*.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] || die "apt-get download $pkg left no .deb"
	mkdir "$W/kernel"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$W/kernel" --wildcards './boot/vmlinuz-*' ||
	    die "no /boot/vmlinuz-* in $deb"
	vmlinuz=$(ls "$W"/kernel/boot/vmlinuz-* | head -n1)
	[ -s "$vmlinuz" ] || die "no /boot/vmlinuz-* in $deb"
fi

# --- the initramfs ---
R=$W/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
cp "$BUSYBOX" "$R/bin/busybox"
"$BUSYBOX" --list-full | while read -r p; do
	[ -e "$R/$p" ] || [ -L "$R/$p" ] || ln -s /bin/busybox "$R/$p"
done
# The kernel opens /dev/console for init before anything is mounted; /init
# opens it again after mounting devtmpfs in case this node is missing.
mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null || true
cat > "$R/init" <<'EOF'
#!/bin/sh
# consolefs test guest: mount the pseudo file systems, say we are up, and
# run an interactive shell on the console; power off when it exits.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
exec </dev/console >/dev/console 2>&1
# No kernel messages in the middle of the shell's output.
echo 1 > /proc/sys/kernel/printk
hostname guest
echo "consolefs-guest ready"
# A counter for the capture tests: nothing may be missing from it.
if grep -q consolefs.counter /proc/cmdline; then
	(i=0; while :; do i=$((i + 1)); echo "tick $i"; usleep 100000; done) &
fi
export PS1='guest# '
cd /root
setsid cttyhack sh
poweroff -f
EOF
chmod 755 "$R/init"
# Plain names only (busybox's cpio has no --null); GNU cpio says "N blocks".
(cd "$R" && find . | LC_ALL=C sort | "${CPIO[@]}" -o -H newc 2>"$W/cpio.err") |
    gzip -9 > "$W/initrd.gz"
gzip -dc "$W/initrd.gz" | "${CPIO[@]}" -t 2>/dev/null | grep -qx init ||
    die "building the initramfs failed: $(cat "$W/cpio.err")"

if [ -n "$vmlinuz" ]; then
	mv "$vmlinuz" "$OUT/vmlinuz.new"
	echo "$pkg $(basename "$vmlinuz")" > "$OUT/kernel-version"
	mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
fi
mv "$W/initrd.gz" "$OUT/initrd.gz.new"
mv "$OUT/initrd.gz.new" "$OUT/initrd.gz"
echo "$INITRD_VERSION" > "$OUT/initrd.version"
echo "make-guest: $OUT/vmlinuz ($(cat "$OUT/kernel-version")), $OUT/initrd.gz" >&2
