// SPDX-License-Identifier: MIT
/*
 * cpu_x86_64.c: the x86-64 side of the vCPU: setting its CPUID (as cpuid.c
 * filters it), the PVH entry register state, the TLB flush, halting and
 * the register dump printed when a guest fails. Host failures end minivmm
 * naming the ioctl.
 */
#include <err.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

#define CPUID_MAX_ENTRIES 256

struct cpuid_buf {
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
};

/* The vCPU's own APIC ID where CPUID reports it. */
static void set_apic_id(struct cpuid_buf *c, unsigned id)
{
	for (unsigned i = 0; i < c->hdr.nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->e[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | (id << 24);
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = id; /* the x2APIC ID, every subleaf */
	}
}

/* KVM's supported CPUID, filtered (cpuid.c), set on the vCPU. */
void vmm_cpu_set_cpuid(int kvm_fd, struct vmm_vcpu *vcpu, uint32_t features)
{
	static struct cpuid_buf c;

	c.hdr.nent = CPUID_MAX_ENTRIES - 2; /* room for our two leaves */
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &c.hdr) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (GET_SUPPORTED_CPUID) failed");
	c.hdr.nent =
	    vmm_cpuid_filter(c.e, c.hdr.nent, CPUID_MAX_ENTRIES, features);
	if (!c.hdr.nent)
		errx(VMM_STATUS_HOST, "KVM: too many CPUID leaves");
	set_apic_id(&c, vcpu->id);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, &c.hdr) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (SET_CPUID2) failed");
}

/* A flat 4 GiB segment: 32-bit code (type 0xb) or data (type 0x3). */
static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
	return (struct kvm_segment){
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = selector,
	    .type = type,
	    .present = 1,
	    .db = 1,
	    .s = 1,
	    .g = 1,
	};
}

void vmm_cpu_reset_pvh(struct vmm_vcpu *vcpu, uint32_t entry,
		       uint32_t start_info)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
	    .rip = entry,
	    .rbx = start_info,
	    .rflags = 0x2, /* bit 1 is always set; IF clear */
	};

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (GET_SREGS) failed");
	sregs.cs = flat_segment(0x08, 0xb);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss =
	    flat_segment(0x10, 0x3);
	/* The protocol wants an active 32-bit TSS; type 11 = busy TSS. */
	sregs.tr = (struct kvm_segment){
	    .selector = 0x18,
	    .limit = 0x67,
	    .type = 11,
	    .present = 1,
	};
	sregs.cr0 = 0x11; /* PE, ET; paging off */
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (SET_SREGS) failed");
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (SET_REGS) failed");
}

void vmm_cpu_dump(struct vmm_vcpu *vcpu)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		warn(
		    "KVM: ioctl (GET_REGS/GET_SREGS) failed, no register dump");
		return;
	}
	fprintf(stderr,
		"  rip %016llx  rflags %016llx\n"
		"  rax %016llx  rbx %016llx  rcx %016llx  rdx %016llx\n"
		"  rsi %016llx  rdi %016llx  rbp %016llx  rsp %016llx\n"
		"  r8  %016llx  r9  %016llx  r10 %016llx  r11 %016llx\n"
		"  r12 %016llx  r13 %016llx  r14 %016llx  r15 %016llx\n"
		"  cr0 %016llx  cr2 %016llx  cr3 %016llx  cr4 %016llx\n"
		"  efer %015llx  cs %04x (l=%u db=%u)  idt %016llx/%x\n",
		r.rip, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
		r.rbp, r.rsp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14,
		r.r15, s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector,
		s.cs.l, s.cs.db, s.idt.base, s.idt.limit);
}

void vmm_cpu_flush_tlb(struct vmm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	struct kvm_sregs other = *sregs;

	/*
	 * KVM has no call to invalidate one guest translation, and keeps its
	 * MMU context when CR3 is rewritten unchanged. A CR3 change resets
	 * the context, which drops every cached translation; switching to
	 * page 0 and straight back does that while the vCPU is stopped.
	 */
	other.cr3 = 0;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &other) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_SREGS, sregs) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (SET_SREGS) for a TLB flush "
				     "failed");
}

void vmm_cpu_halt(struct vmm_vcpu *vcpu)
{
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_HALTED};

	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (SET_MP_STATE) failed");
}

bool vmm_cpu_halted_for_good(struct vmm_vcpu *vcpu)
{
	struct kvm_mp_state mp;
	struct kvm_regs r;

	return ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) == 0 &&
	       mp.mp_state == KVM_MP_STATE_HALTED &&
	       ioctl(vcpu->fd, KVM_GET_REGS, &r) == 0 && !(r.rflags & 0x200);
}

uint32_t vmm_cpu_tsc_khz(struct vmm_vcpu *vcpu)
{
	int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

	return khz > 0 ? (uint32_t)khz : 0;
}
