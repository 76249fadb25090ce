// SPDX-License-Identifier: MIT
/*
 * nested-kvm-hold.c: holds one idle KVM VM open for the whole life of the
 * nested machine (scripts/nested-kvm-init.sh starts it; built static into
 * the initramfs by scripts/nested-kvm.sh). With a VM always there, the
 * nested kernel never turns virtualisation on and off on every CPU (an
 * IPI to each) as VMs come and go, and its LAPIC's "software-disabled"
 * static key never drops to zero, so it never rewrites its own text with
 * int3 breakpoints (text_poke_bp) for them either. The nested machine's
 * wedges were CPUs caught in those int3s (docs/nested-kvm.md). The vCPU
 * is created, with its in-kernel LAPIC, and never run.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm, vcpu;

	if (kvm < 0)
		return fail("nested-kvm-hold: /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("nested-kvm-hold: KVM_CREATE_VM");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail("nested-kvm-hold: KVM_CREATE_IRQCHIP");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("nested-kvm-hold: KVM_CREATE_VCPU");
	for (;;)
		pause();
}
