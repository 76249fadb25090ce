#!/bin/sh
# SPDX-License-Identifier: MIT
# run-qemu.sh: boot a guest image in QEMU's microvm machine, the same image
# minivmm boots, and turn isa-debug-exit's status back into the guest's:
# the guest writes 0x20|s to port 0xf4, QEMU exits (v<<1)|1 = 65+2s, and
# this script exits s. Any other QEMU status is QEMU's own failure (125).
#
# usage: run-qemu.sh [--accel kvm|tcg|auto] [--gdb] [--timeout SECS]
#                    [--mem SIZE] [--smp N] [--print-cmd] GUEST.elf [CMDLINE]
# --smp N gives the machine N CPUs (TCG runs them in parallel threads); the
# guest finds them in the ACPI MADT and starts them (docs/smp.md).
# --print-cmd prints the QEMU command, one argument a line, and runs nothing
# (the benchmark times QEMU itself with it).
set -u

accel=auto
gdb=""
timeout=0
mem=64M
smp=1
print_cmd=0
while [ $# -gt 0 ]; do
	case "$1" in
	--accel) accel=$2; shift 2 ;;
	--gdb) gdb="-s -S"; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--print-cmd) print_cmd=1; shift ;;
	--) shift; break ;;
	-*) echo "run-qemu.sh: unknown option $1" >&2; exit 64 ;;
	*) break ;;
	esac
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: run-qemu.sh [--accel kvm|tcg|auto] [--gdb]" \
	     "[--timeout SECS] [--mem SIZE] [--smp N] GUEST.elf [CMDLINE]" >&2
	exit 64
fi
guest=$1
cmdline=${2:-}

if [ "$accel" = auto ]; then
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then accel=kvm; else accel=tcg; fi
fi
case "$accel" in
kvm) cpu=host,-arch-capabilities ;; # kvm_pvm refuses the ARCH_CAPABILITIES MSR
tcg) cpu=max ;;
*) echo "run-qemu.sh: --accel must be kvm, tcg or auto" >&2; exit 64 ;;
esac

# microvm: no PCI, ACPI tables (the MADT lists the CPUs; start_info has
# the RSDP), debug-exit, and on stdio one console shared by the ISA serial
# port and the debug console at 0xe9 (as minivmm).
# shellcheck disable=SC2086 # $gdb is zero or two words
set -- qemu-system-x86_64 -M microvm -accel "$accel" -cpu "$cpu" -m "$mem" \
	-smp "$smp" \
	-no-reboot -nodefaults -no-user-config -nographic \
	-chardev stdio,id=console,mux=on -serial chardev:console \
	-device isa-debugcon,iobase=0xe9,chardev=console -monitor none \
	-device isa-debug-exit,iobase=0xf4,iosize=4 \
	-kernel "$guest" -append "$cmdline" $gdb
if [ "$print_cmd" -eq 1 ]; then
	printf '%s\n' "$@"
	exit 0
fi
timeout --foreground -k 2 "$timeout" "$@"
status=$?

if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "run-qemu.sh: guest still running after --timeout $timeout s" >&2
	exit 124
fi
if [ "$status" -ge 65 ] && [ "$status" -le 191 ] && [ $((status % 2)) -eq 1 ]; then
	exit $(((status - 65) / 2))
fi
echo "run-qemu.sh: QEMU exited with status $status without the guest's" \
     "exit (isa-debug-exit)" >&2
exit 125
