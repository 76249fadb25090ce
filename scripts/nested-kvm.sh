#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nested-kvm.sh: run a command where it has a real /dev/kvm, on a machine
# that has none. It boots Debian's stock kernel (linux-image-amd64, which
# loads kvm_amd) in QEMU TCG emulating an AMD CPU with SVM and nested paging,
# with this machine's root shared read-only (a tmpfs overlay takes every
# write) and the build folder shared read-write, then runs CMD there in the
# same folder with the same environment. CMD's stdout, stderr and exit status
# come back as its own. docs/nested-kvm.md says what this machine is and is
# not: a real Linux KVM, slow, with TCG underneath.
#
# usage: nested-kvm.sh [--build DIR] [--timeout SECS] [--cpus N] [--mem MB]
#                      [--] CMD [ARG...]
# --build DIR   the build folder, the only one the machine may write
#               (default: $O, else build/ beside this script's checkout);
#               the kernel, initramfs and run files are kept in DIR/nested
# --timeout S   the whole run, boot included (default 3600; 0: none)
# --cpus N      virtual CPUs (default 2); --mem MB memory (default 4096)
# Environment: NESTED_WEDGE_SECS (default 180): a machine that stops
# answering its heartbeat this long is declared wedged and killed.
#
# Exit status: CMD's own, or 124 when --timeout ran out or the machine
# wedged, or 125 when the nested machine could not be built or started or
# died without CMD's status: each with a message on stderr saying which.
set -euo pipefail

me=nested-kvm
die() {
	echo "$me: $*" >&2
	exit 125
}
usage() {
	echo "usage: nested-kvm.sh [--build DIR] [--timeout SECS] [--cpus N]" \
	     "[--mem MB] [--] CMD [ARG...]" >&2
	exit 125
}

here=$(cd "$(dirname "$0")/.." && pwd)
scripts=$here/scripts
build=${O:-build}
timeout=3600
cpus=2
mem=4096
wedge=${NESTED_WEDGE_SECS:-180}
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "$me: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
for n in "$timeout" "$cpus" "$mem" "$wedge"; do
	case "$n" in '' | *[!0-9]*) die "not a decimal number: '$n'" ;; esac
done
case "$build" in /*) ;; *) build="$here/$build" ;; esac
mkdir -p "$build"
build=$(cd "$build" && pwd)
case "$build" in *[[:space:]]*) die "the build folder's path has blanks: $build" ;; esac

command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found (Debian: apt-get install qemu-system-x86)"
for tool in apt-get dpkg-deb objcopy setpriv flock gzip gcc; do
	command -v "$tool" >/dev/null || die "$tool not found"
done

cache="$build/nested"
mkdir -p "$cache"

# ---- the L1 machine's kernel and initramfs, built once and cached ----
# Modules the L1 machine loads, with their dependencies: KVM for AMD, the
# virtio transport, 9p to share files, overlay, and the console ports.
MODULES="kvm-amd 9p 9pnet_virtio overlay virtio_console virtio_pci"

fetch() { # fetch PACKAGE: download its .deb into $cache/debs, print its path
	local pkg=$1 deb
	deb=$(find "$cache/debs" -name "${pkg}_*.deb" -print -quit 2>/dev/null)
	if [ -z "$deb" ]; then
		mkdir -p "$cache/debs"
		if ! (cd "$cache/debs" && apt-get download "$pkg" >/dev/null 2>&1); then
			echo "$me: apt-get download $pkg failed; refreshing the package lists" >&2
			apt-get update -q >/dev/null 2>&1 || true
			(cd "$cache/debs" && apt-get download "$pkg" >/dev/null 2>&1) ||
				die "cannot download the Debian package $pkg (apt-get download $pkg)"
		fi
		deb=$(find "$cache/debs" -name "${pkg}_*.deb" -print -quit)
	fi
	[ -n "$deb" ] || die "no .deb for $pkg in $cache/debs"
	echo "$deb"
}

modinfo_field() { # modinfo_field FILE.ko FIELD
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null |
		tr '\0' '\n' | sed -n "s/^$2=//p"
}

# What the initramfs is built from, for the cache to follow.
init_hash() {
	{ cat "$scripts/nested-kvm-init.sh" "$scripts/nested-kvm-hold.c"
	  echo "$MODULES"; } | sha256sum | cut -c1-16
}

build_l1() {
	local meta kdeb kpkg bdeb tree kver moddir order
	echo "$me: building the nested machine in $cache (once)" >&2
	meta=$(fetch linux-image-amd64)
	# linux-image-amd64 is a metapackage: its first dependency is the kernel.
	kpkg=$(dpkg-deb -f "$meta" Depends | sed 's/[ ,(|].*//')
	case "$kpkg" in linux-image-*) ;; *) die "linux-image-amd64 depends on '$kpkg', not a kernel" ;; esac
	kdeb=$(fetch "$kpkg")
	bdeb=$(fetch busybox-static)
	tree="$cache/tree"
	rm -rf "$tree" "$cache/initrd"
	mkdir -p "$tree" "$cache/initrd/bin" "$cache/initrd/lib/modules"
	dpkg-deb -x "$kdeb" "$tree" || die "cannot unpack $kdeb"
	dpkg-deb -x "$bdeb" "$tree/busybox" || die "cannot unpack $bdeb"
	kver=$(ls "$tree/lib/modules" | head -n 1)
	moddir="$tree/lib/modules/$kver/kernel"
	[ -f "$tree/boot/vmlinuz-$kver" ] || die "$kpkg has no vmlinuz-$kver"
	find "$moddir" -name 'kvm-amd.ko*' | grep -q . ||
		die "$kpkg has no kvm-amd module: this kernel cannot host KVM on an AMD CPU"

	# Resolve dependencies depth-first so each module follows what it needs
	# (the package has no modules.dep: depmod runs when it is installed).
	find "$moddir" -name '*.ko' | awk '{ n = $0; sub(/.*\//, "", n);
		sub(/\.ko$/, "", n); gsub(/-/, "_", n); print n, $0 }' >"$cache/modules.index"
	order=""
	add_module() {
		local name=$1 file dep
		name=${name//-/_}
		case " $order " in *" $name "*) return ;; esac
		file=$(awk -v n="$name" '$1 == n { print $2; exit }' "$cache/modules.index")
		[ -n "$file" ] || die "module $name not found in $kpkg"
		for dep in $(modinfo_field "$file" depends | tr ',' ' '); do
			add_module "$dep"
		done
		cp "$file" "$cache/initrd/lib/modules/$name.ko"
		order="$order $name"
	}
	for m in $MODULES; do add_module "$m"; done
	echo "$order" | tr ' ' '\n' | sed '/^$/d' >"$cache/initrd/modules.order"

	cp "$tree/busybox/bin/busybox" "$cache/initrd/bin/busybox"
	gcc -static -O2 -o "$cache/initrd/bin/kvm-hold" "$scripts/nested-kvm-hold.c" ||
		die "cannot build scripts/nested-kvm-hold.c (gcc -static needs libc6-dev)"
	cp "$scripts/nested-kvm-init.sh" "$cache/initrd/init"
	chmod 755 "$cache/initrd/init"
	(cd "$cache/initrd" && find . | "$tree/busybox/bin/busybox" cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$cache/initrd.img.tmp"
	cp "$tree/boot/vmlinuz-$kver" "$cache/vmlinuz.tmp"
	mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
	mv "$cache/initrd.img.tmp" "$cache/initrd.img"
	echo "$kpkg $(init_hash)" >"$cache/stamp"
	rm -rf "$tree" "$cache/initrd" "$cache/modules.index"
}

# One builder at a time; rebuild when the init script changed.
exec 8>"$cache/build.lock"
flock 8
want="$(init_hash)"
if [ ! -f "$cache/stamp" ] || [ ! -f "$cache/vmlinuz" ] ||
	[ ! -f "$cache/initrd.img" ] || [ "$(cut -d' ' -f2 "$cache/stamp")" != "$want" ]; then
	build_l1
fi
flock -u 8
exec 8>&-

# ---- one nested machine on this host at a time ----
# Two nested machines on two cores have wedged (docs/nested-kvm.md).
lock=${NESTED_LOCK:-/run/lock/minivmm-nested-kvm.lock}
exec 9>"$lock" || die "cannot open the lock $lock"
if ! flock -n 9; then
	echo "$me: another nested machine runs on this host; waiting for it" >&2
	flock 9
fi

# ---- the run: its files live in the build folder, which L1 shares ----
run="$cache/run.$$"
rm -rf "$run"
mkdir -p "$run"
qemu_pid=""
copy_pids=""
keep_run=0 # a wedged run's files stay for a look
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill -TERM "$qemu_pid" 2>/dev/null || true
		sleep 1
		kill -KILL "$qemu_pid" 2>/dev/null || true
	fi
	for p in $copy_pids; do kill "$p" 2>/dev/null || true; done
	[ -n "${NESTED_KEEP:-}" ] || [ "$keep_run" -eq 1 ] || rm -rf "$run"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "$me: interrupted; stopping the nested machine" >&2; exit 130' INT TERM HUP

# What L1 runs: this environment, this folder, then CMD. The make
# jobserver's file descriptors do not cross into L1.
{
	echo "# written by nested-kvm.sh for run $$"
	export -p | grep -v -E '^declare -x (MAKEFLAGS|MFLAGS|MAKELEVEL|OLDPWD|SHLVL|_)=' || true
	# Where CMD runs, for what it measures (bench/bench.sh names it).
	printf 'export NESTED_KVM=%q\n' "nested: Linux $(cut -d' ' -f1 "$cache/stamp" | sed 's/^linux-image-//') kvm_amd in QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG (EPYC +svm +npt, $cpus vCPUs) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	printf 'cd %q || exit 125\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$run/command"
echo "$build" >"$run/build"

# CMD's stdout and stderr come back through virtio ports into FIFOs, copied
# to ours as they arrive; the heartbeat port feeds the wedge watchdog.
mkfifo "$run/stdout" "$run/stderr" "$run/monitor.in" "$run/monitor.out"
cat "$run/stdout" &
copy_pids="$!"
cat "$run/stderr" >&2 &
copy_pids="$copy_pids $!"
: >"$run/heartbeat"

# A runner killed by SIGKILL cannot clean up: --pdeathsig takes QEMU too.
setpriv --pdeathsig KILL -- qemu-system-x86_64 \
	-machine q35 -accel "tcg,thread=${NESTED_TCG_THREAD:-multi}" -cpu EPYC,+svm,+npt -smp "$cpus" -m "$mem" \
	-nodefaults -no-user-config -display none -no-reboot \
	-chardev "pipe,id=mon,path=$run/monitor" -mon chardev=mon,mode=readline \
	-serial "file:$run/console.log" \
	-kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" \
	-append "console=ttyS0 panic=-1 quiet loglevel=5 nokaslr nested.run=nested/run.$$" \
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$build,mount_tag=build,security_model=none,multidevs=remap" \
	-device virtio-serial-pci \
	-chardev "file,id=out,path=$run/stdout" -device "virtserialport,chardev=out,name=stdout" \
	-chardev "file,id=err,path=$run/stderr" -device "virtserialport,chardev=err,name=stderr" \
	-chardev "file,id=hb,path=$run/heartbeat" -device "virtserialport,chardev=hb,name=heartbeat" \
	</dev/null >"$run/qemu.log" 2>&1 &
qemu_pid=$!

# wedge_report REGS SYMS: each CPU's rip and flags from QEMU's register
# dump, with the kernel symbol (from a saved /proc/kallsyms) that holds it.
wedge_report() {
	sort "$2" 2>/dev/null | awk -v regs="$1" '
	$2 ~ /^[tT]$/ { a[n] = $1; s[n++] = $3 " " $4 }
	function sym(x,   lo, hi, mid, v) { v = tolower(x); lo = 0; hi = n - 1
		if (n == 0 || v < a[0]) return "?"
		while (lo < hi) { mid = int((lo + hi + 1) / 2)
			if (a[mid] <= v) lo = mid; else hi = mid - 1 }
		return s[lo] }
	END { while ((getline l < regs) > 0) { split(l, f, " ")
		if (l ~ /^CPU#/) cpu = l
		if (l ~ /^RIP=/) { split(f[1], r, "=")
			print "  " cpu ": rip " r[2] " (" sym(r[2]) ") " f[2] " " f[4] " " f[8] }
		if (l ~ /^EFER=/) print "    " l } }'
}

# ---- the watchdog: the whole run is bounded, and so is a silent machine ----
start=$(date +%s)
last_size=0
last_change=$start
verdict=""
while kill -0 "$qemu_pid" 2>/dev/null; do
	sleep 1
	now=$(date +%s)
	size=$(stat -c %s "$run/heartbeat" 2>/dev/null || echo 0)
	if [ "$size" != "$last_size" ]; then
		last_size=$size
		last_change=$now
	fi
	if [ "$timeout" -gt 0 ] && [ $((now - start)) -ge "$timeout" ]; then
		verdict="the command still runs after --timeout $timeout s"
		break
	fi
	if [ $((now - last_change)) -ge "$wedge" ]; then
		if [ "$size" -eq 0 ]; then
			verdict="the nested machine did not come up within $wedge s"
		else
			verdict="the nested machine wedged: no heartbeat for $wedge s"
		fi
		break
	fi
done

if [ -n "$verdict" ]; then
	echo "$me: $verdict; stopping it. Its console's last lines:" >&2
	tail -n 15 "$run/console.log" >&2 || true
	# Where its CPUs are, twice a second apart, from QEMU's monitor (both
	# FIFOs opened read-write, so neither open can block), named from the
	# kernel's symbols (booted nokaslr; nested-kvm-init.sh saved them),
	# kept in the run folder.
	exec 5<>"$run/monitor.out" 6<>"$run/monitor.in"
	printf 'info registers -a\n' >&6
	sleep 1
	printf 'info registers -a\n' >&6
	timeout 3 cat <&5 | tr -d '\r' >"$run/wedge.txt" || true
	exec 5>&- 6>&-
	echo "$me: its CPUs, twice (QEMU's info registers, in $run/wedge.txt):" >&2
	wedge_report "$run/wedge.txt" "$cache/kallsyms" >&2 || true
	keep_run=1
	kill -TERM "$qemu_pid" 2>/dev/null || true
	sleep 1
	kill -KILL "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=""
	exit 124
fi
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=""
# The copies end when QEMU closes the FIFOs; one QEMU never opened (it
# failed first) would block them forever, so they get 5 s.
for _ in 1 2 3 4 5; do
	alive=0
	for p in $copy_pids; do kill -0 "$p" 2>/dev/null && alive=1; done
	[ "$alive" -eq 1 ] || break
	sleep 1
done
for p in $copy_pids; do kill "$p" 2>/dev/null || true; done
copy_pids=""
if [ "$qemu_status" -ne 0 ] && [ ! -f "$run/status" ]; then
	echo "$me: QEMU failed (status $qemu_status):" >&2
	tail -n 5 "$run/qemu.log" >&2 || true
fi

if [ -f "$run/status" ]; then
	status=$(cat "$run/status")
	case "$status" in '' | *[!0-9]*) die "CMD's status in $run/status is not a number: '$status'" ;; esac
	exit "$status"
fi
echo "$me: the nested machine stopped without CMD's exit status (QEMU status $qemu_status)" >&2
grep -h '^nested-kvm:' "$run/console.log" >&2 || true
echo "$me: its console's last lines:" >&2
tail -n 15 "$run/console.log" >&2 || true
exit 125
