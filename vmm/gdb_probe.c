// SPDX-License-Identifier: MIT
/*
 * gdb_probe.c: find out which debug exits this host's KVM delivers, before
 * a debugger relies on them. Nested KVMs differ: under QEMU TCG's SVM
 * (docs/nested-kvm.md) only single-step exits: an int3 goes straight to
 * the guest (TCG checks the INTn intercept for it, never the #BP one) and
 * the debug registers never fire; under kvm_pvm int3 failed and the debug
 * registers worked. So with --gdb, minivmm runs a throw-away VM (one vCPU,
 * real mode, eight bytes of code) through a single-step, an int3, an
 * execution breakpoint and a write watchpoint, and the stub uses only
 * what exited as it must (gdb_stub.c says what it does instead). One
 * more run tells where rip is when an out exits (kvm_pvm emulates every
 * out and has rip past it already): the stub's `out dx, al` breakpoints
 * need to know.
 */
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gdb.h"

#define PROBE_MEM  0x10000
#define PROBE_CODE 0x1000
#define PROBE_DATA 0x2000
#define PROBE_HALT                                                             \
	0x1100 /* hlt: where a #DB or #BP the host let through lands */

/* nop; nop; int3; nop; mov [0x2000], al; hlt; out dx, al; hlt (16-bit
 * code). */
static const uint8_t probe_code[] = {0x90, 0x90, 0xcc, 0x90, 0xa2,
				     0x00, 0x20, 0xf4, 0xee, 0xf4};
#define PROBE_OUT (PROBE_CODE + 8)

struct probe {
	int vm, vcpu;
	struct kvm_run *run;
	size_t run_size; /* of the mapping at (run) */
};

/*
 * Run from (rip) with guest debugging (dbg) and report whether the first
 * exit is a debug exit for (exception) at (pc) with (dr6_bit) set in DR6
 * (0: any).
 */
static bool probe_one(struct probe *p, uint64_t rip,
		      const struct kvm_guest_debug *dbg, uint32_t exception,
		      uint64_t pc, uint64_t dr6_bit)
{
	struct kvm_regs regs = {.rip = rip, .rflags = 2};
	struct kvm_guest_debug off = {0};
	bool ok;

	if (ioctl(p->vcpu, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(p->vcpu, KVM_SET_GUEST_DEBUG, dbg) < 0 ||
	    ioctl(p->vcpu, KVM_RUN, 0) < 0)
		return false;
	ok = p->run->exit_reason == KVM_EXIT_DEBUG &&
	     p->run->debug.arch.exception == exception &&
	     p->run->debug.arch.pc == pc &&
	     (!dr6_bit || (p->run->debug.arch.dr6 & dr6_bit));
	ioctl(p->vcpu, KVM_SET_GUEST_DEBUG, &off);
	return ok;
}

static bool probe_setup(struct probe *p, int kvm_fd, void *mem)
{
	struct kvm_userspace_memory_region region = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = PROBE_MEM,
	    .userspace_addr = (uint64_t)(uintptr_t)mem};
	struct kvm_sregs sregs;
	int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	uint8_t *m = mem;

	memcpy(m + PROBE_CODE, probe_code, sizeof(probe_code));
	/* A debug exit that does not come must not leave the vCPU running
	 * whatever it finds: the real-mode vectors 1 (#DB) and 3 (#BP) go
	 * to a hlt, which exits (the probe VM has no in-kernel LAPIC). */
	m[PROBE_HALT] = 0xf4;
	for (unsigned v = 1; v <= 3; v += 2) {
		m[4 * v] = PROBE_HALT & 0xff; /* offset, then segment 0 */
		m[4 * v + 1] = PROBE_HALT >> 8;
	}
	p->vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (p->vm < 0 || size <= 0 ||
	    ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return false;
	p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
	if (p->vcpu < 0)
		return false;
	p->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      p->vcpu, 0);
	if (p->run == MAP_FAILED) {
		p->run = NULL;
		return false;
	}
	p->run_size = (size_t)size;
	if (ioctl(p->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return false;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	return ioctl(p->vcpu, KVM_SET_SREGS, &sregs) == 0;
}

static void probe_teardown(struct probe *p)
{
	if (p->run)
		munmap(p->run, p->run_size);
	if (p->vcpu >= 0)
		close(p->vcpu);
	if (p->vm >= 0)
		close(p->vm);
}

/* One probe in a VM of its own: nothing carries over between probes. */
static bool probe_vm(int kvm_fd, void *mem, uint64_t rip,
		     const struct kvm_guest_debug *dbg, uint32_t exception,
		     uint64_t pc, uint64_t dr6_bit)
{
	struct probe p = {-1, -1, NULL, 0};
	bool ok = probe_setup(&p, kvm_fd, mem) &&
		  probe_one(&p, rip, dbg, exception, pc, dr6_bit);

	probe_teardown(&p);
	return ok;
}

/*
 * Where rip is when `out dx, al` exits: on the out (KVM's fast path) or
 * past it (an out KVM emulated, as kvm_pvm does every one). True: past.
 */
static bool probe_out_rip_past(int kvm_fd, void *mem)
{
	struct probe p = {-1, -1, NULL, 0};
	struct kvm_regs regs = {.rip = PROBE_OUT, .rflags = 2, .rdx = 0x80};
	bool past = false;

	if (probe_setup(&p, kvm_fd, mem) &&
	    ioctl(p.vcpu, KVM_SET_REGS, &regs) == 0 &&
	    ioctl(p.vcpu, KVM_RUN, 0) == 0 &&
	    p.run->exit_reason == KVM_EXIT_IO &&
	    ioctl(p.vcpu, KVM_GET_REGS, &regs) == 0)
		past = regs.rip == PROBE_OUT + 1;
	probe_teardown(&p);
	return past;
}

void gdb_probe_host(int kvm_fd, struct gdb_host_caps *caps)
{
	struct kvm_guest_debug step = {.control = KVM_GUESTDBG_ENABLE |
						  KVM_GUESTDBG_SINGLESTEP};
	struct kvm_guest_debug sw = {.control = KVM_GUESTDBG_ENABLE |
						KVM_GUESTDBG_USE_SW_BP};
	struct kvm_guest_debug hw = {
	    .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP,
	    .arch.debugreg = {PROBE_CODE + 1, 0, 0, 0, 0, 0, 0, 0x401}};
	struct kvm_guest_debug watch = {
	    .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP,
	    /* L0, R/W0 = 01 (writes), LEN0 = 00 (one byte) */
	    .arch.debugreg = {PROBE_DATA, 0, 0, 0, 0, 0, 0, 0x10401}};
	void *mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	memset(caps, 0, sizeof(*caps));
	if (mem == MAP_FAILED)
		return;
	caps->step = probe_vm(kvm_fd, mem, PROBE_CODE, &step, 1, PROBE_CODE + 1,
			      1u << 14);
	caps->sw_bp =
	    probe_vm(kvm_fd, mem, PROBE_CODE, &sw, 3, PROBE_CODE + 2, 0);
	caps->hw_bp =
	    probe_vm(kvm_fd, mem, PROBE_CODE, &hw, 1, PROBE_CODE + 1, 1);
	caps->hw_watch =
	    probe_vm(kvm_fd, mem, PROBE_CODE + 3, &watch, 1, PROBE_CODE + 7, 1);
	caps->out_rip_past = probe_out_rip_past(kvm_fd, mem);
	munmap(mem, PROBE_MEM);
}
