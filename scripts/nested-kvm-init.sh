#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: MIT
# nested-kvm-init.sh: /init of the nested machine's initramfs (built by
# scripts/nested-kvm.sh). It loads KVM and the virtio modules, mounts the
# host's root read-only under a tmpfs overlay and the build folder
# read-write at its own path, then runs the command the host left in
# nested/run.N/command there, its output on the virtio ports, and writes its
# exit status beside it before powering off. A line that starts with
# "nested-kvm:" on the console is this script failing.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
	echo "nested-kvm: $*" >/dev/console
	sync
	reboot -f
}

mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

for m in $(cat /modules.order); do
	insmod "/lib/modules/$m.ko" 2>/dev/console || fail "insmod $m failed"
done
[ -c /dev/kvm ] || fail "kvm_amd loaded but /dev/kvm is missing"
# One idle VM for the machine's whole life (scripts/nested-kvm-hold.c).
/bin/kvm-hold &

run=""
for arg in $(cat /proc/cmdline); do
	case "$arg" in nested.run=*) run=${arg#nested.run=} ;; esac
done
[ -n "$run" ] || fail "no nested.run= on the kernel command line"

# The ports by name (virtserialport name=...), from sysfs.
port() {
	for p in /sys/class/virtio-ports/*; do
		[ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && { echo "/dev/${p##*/}"; return; }
	done
	fail "no virtio port named $1"
}
out=$(port stdout)
err=$(port stderr)
hb=$(port heartbeat)

# 9p: the host's root read-only, cached (nothing changes it during a run);
# the build folder read-write and uncached, so both sides see every write.
opts=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /lower /rw /root /build
mount -t 9p -o "$opts,ro,cache=loose" hostroot /lower || fail "cannot mount the host's root"
mount -t 9p -o "$opts,cache=mmap" build /build || fail "cannot mount the build folder"
mount -t tmpfs -o mode=755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /root ||
	fail "cannot mount the overlay"
dir=$(cat "/build/$run/build") || fail "no /build/$run/build"
mount --move /build "/root$dir" 2>/dev/null || mount --bind /build "/root$dir" ||
	fail "cannot mount the build folder at $dir"

mount -t proc proc /root/proc
mount -t sysfs sys /root/sys
mount -t devtmpfs dev /root/dev
mkdir -p /root/dev/pts /root/dev/shm
mount -t devpts devpts /root/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /root/dev/shm
ln -sf /proc/self/fd /root/dev/fd
ln -sf /proc/self/fd/0 /root/dev/stdin
ln -sf /proc/self/fd/1 /root/dev/stdout
ln -sf /proc/self/fd/2 /root/dev/stderr
ip link set lo up
hostname nested-kvm

# The kernel's symbols, once (it boots nokaslr, so they hold for every
# boot): the host names the rips of a wedged machine with them.
[ -s /root$dir/nested/kallsyms ] ||
	{ cat /proc/kallsyms >"/root$dir/nested/kallsyms.$$" &&
		mv "/root$dir/nested/kallsyms.$$" "/root$dir/nested/kallsyms"; }

# The heartbeat: the host declares the machine wedged when it stops.
(i=0; while :; do echo "$i"; i=$((i + 1)); sleep 5; done) >"$hb" &

chroot /root /bin/bash "$dir/nested/${run#nested/}/command" <"/dev/null" >"$out" 2>"$err"
echo $? >"/root$dir/nested/${run#nested/}/status"
sync
reboot -f
