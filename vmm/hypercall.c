// SPDX-License-Identifier: MIT
/*
 * hypercall.c: the handlers behind the port-I/O hypercall ABI of
 * include/minivmm_abi.h. Each works on copies of the vCPU's registers that
 * run.c hands in; every number and argument is the guest's, checked here
 * before use. docs/abi.md says what each call means on a real vCPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm.h"

#define RFLAGS_IF	0x200ull
#define RFLAGS_RESERVED (~0x3fffffull) /* bits 22..63 */
#define CR3_ADDR_MASK	0x000ffffffffff000ull
#define CR3_LOW_BITS	0x18ull /* PWT, PCD: the rest of 0..11 is PCID (off) */

static const char *const hc_names[MINIVMM_HC_COUNT] = {
    [MINIVMM_HC_EXIT] = "exit",
    [MINIVMM_HC_NULL] = "null",
    [MINIVMM_HC_CONSOLE_WRITE] = "console_write",
    [MINIVMM_HC_GET_INFO] = "get_info",
    [MINIVMM_HC_SANDBOX_PROBE] = "sandbox_probe",
#define HC_OP_NAME(name, NAME, contract, shape, bench)                         \
	[MINIVMM_HC_##NAME] = #name,
    PV_OP_LIST(HC_OP_NAME)
#undef HC_OP_NAME
};

/* NULL for a number nothing answers (past the table, or in its gap). */
const char *vmm_hypercall_name(uint32_t nr)
{
	return nr < MINIVMM_HC_COUNT ? hc_names[nr] : NULL;
}

static void ret(struct vmm_hc *hc, uint64_t value)
{
	hc->regs->rax = value;
	hc->regs_dirty = true;
}

static void einval(struct vmm_hc *hc)
{
	hc->refused = true;
	ret(hc, MINIVMM_EINVAL);
}

static void set_if(struct vmm_hc *hc, bool on)
{
	hc->regs->rflags =
	    (hc->regs->rflags & ~RFLAGS_IF) | (on ? RFLAGS_IF : 0);
	ret(hc, 0);
}

/*
 * The pv-op hypercalls, one handler each, named hc_NAME after the op list
 * (include/pv_op_list.h); (a0) is rdi. A missing one fails the build.
 */
static void hc_save_fl(struct vmm_hc *hc, uint64_t a0)
{
	(void)a0;
	ret(hc, hc->regs->rflags);
}

static void hc_irq_disable(struct vmm_hc *hc, uint64_t a0)
{
	(void)a0;
	set_if(hc, false);
}

static void hc_irq_enable(struct vmm_hc *hc, uint64_t a0)
{
	(void)a0;
	set_if(hc, true);
}

/* IF on and sleep until an interrupt: no wakeup is lost between. */
static void hc_safe_halt(struct vmm_hc *hc, uint64_t a0)
{
	(void)a0;
	hc->halt = true;
	set_if(hc, true);
}

static void hc_read_cr2(struct vmm_hc *hc, uint64_t a0)
{
	(void)a0;
	ret(hc, hc->sregs->cr2);
}

static void hc_read_cr3(struct vmm_hc *hc, uint64_t a0)
{
	(void)a0;
	ret(hc, hc->sregs->cr3);
}

static void hc_read_cr0(struct vmm_hc *hc, uint64_t a0)
{
	(void)a0;
	ret(hc, hc->sregs->cr0);
}

static void hc_read_cr4(struct vmm_hc *hc, uint64_t a0)
{
	(void)a0;
	ret(hc, hc->sregs->cr4);
}

/* KVM ignores a guest's wbinvd while no device is assigned, and minivmm
 * assigns none: nothing to write back. */
static void hc_wbinvd(struct vmm_hc *hc, uint64_t a0)
{
	(void)a0;
	ret(hc, 0);
}

static void hc_exit(struct vmm_hc *hc, uint64_t status)
{
	hc->stop = true;
	if (status > MINIVMM_EXIT_MAX) {
		snprintf(hc->why, sizeof(hc->why),
			 "hypercall exit: status %llu is out of range 0..%d "
			 "(rip %#llx)",
			 (unsigned long long)status, MINIVMM_EXIT_MAX,
			 (unsigned long long)hc->regs->rip);
		hc->status = VMM_STATUS_HYPERCALL;
		return;
	}
	hc->status = (int)status;
}

/*
 * The contract (docs/pvops.md): only IF is taken from the argument; the
 * other flags are the guest's own to set natively.
 */
static void hc_restore_fl(struct vmm_hc *hc, uint64_t flags)
{
	if (flags & RFLAGS_RESERVED) {
		einval(hc);
		return;
	}
	set_if(hc, flags & RFLAGS_IF);
}

/* The new root must be a page of guest memory; no reserved bits. */
static void hc_write_cr3(struct vmm_hc *hc, uint64_t cr3)
{
	uint64_t root = cr3 & CR3_ADDR_MASK;

	if ((cr3 & ~(CR3_ADDR_MASK | CR3_LOW_BITS)) ||
	    !vmm_mem_ptr(hc->mem, root, 4096)) {
		einval(hc);
		return;
	}
	hc->sregs->cr3 = cr3;
	hc->sregs_dirty = true;
	ret(hc, 0);
}

/* Canonical for 48-bit virtual addresses: bits 63..47 all equal. */
static void hc_flush_tlb_one(struct vmm_hc *hc, uint64_t addr)
{
	uint64_t top = addr >> 47;

	if (top != 0 && top != 0x1ffff) {
		einval(hc);
		return;
	}
	hc->flush_tlb = true;
	ret(hc, 0);
}

/* Copy the guest's bytes first, then write them: no check-to-use gap. */
static void hc_console_write(struct vmm_hc *hc, uint64_t gpa, uint64_t len)
{
	char buf[MINIVMM_CONSOLE_MAX];

	if (len > sizeof(buf) || !vmm_guest_read(hc->mem, gpa, len, buf)) {
		einval(hc);
		return;
	}
	if (hc->console)
		vmm_serial_write(hc->console, buf, len);
	ret(hc, len);
}

static void hc_get_info(struct vmm_hc *hc, uint64_t gpa, uint64_t room)
{
	struct minivmm_info info = {
	    .abi_version = MINIVMM_ABI_VERSION,
	    .tsc_khz = hc->tsc_khz,
	    .mem_bytes = hc->mem->size,
	};

	if (room < sizeof(info) ||
	    !vmm_guest_write(hc->mem, gpa, &info, sizeof(info))) {
		einval(hc);
		return;
	}
	ret(hc, sizeof(info));
}

/*
 * For the sandbox tests, and only with --sandbox-probe: try a syscall
 * minivmm never needs once the guest runs. Under the sandbox openat fails
 * with EPERM (returned as MINIVMM_EPERM), and socket is a violation that
 * stops minivmm; without it both succeed and return 0.
 */
static void hc_sandbox_probe(struct vmm_hc *hc, uint64_t which)
{
	int fd;

	if (which == MINIVMM_PROBE_OPEN)
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	else if (which == MINIVMM_PROBE_SOCKET)
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	else {
		einval(hc);
		return;
	}
	if (fd < 0) {
		int e = errno;

		snprintf(hc->why, sizeof(hc->why),
			 "sandbox: the guest's probe was refused: %s",
			 strerror(e));
		ret(hc, (uint64_t) - (int64_t)e);
		return;
	}
	close(fd);
	ret(hc, 0);
}

typedef void hc_op_fn(struct vmm_hc *hc, uint64_t a0);

static hc_op_fn *const op_handlers[PV_OP_COUNT] = {
#define HC_OP_HANDLER(name, NAME, contract, shape, bench)                      \
	[PV_OP_##NAME] = hc_##name,
    PV_OP_LIST(HC_OP_HANDLER)
#undef HC_OP_HANDLER
};

void vmm_hypercall(struct vmm_hc *hc)
{
	uint64_t a0 = hc->regs->rdi, a1 = hc->regs->rsi;

	if (hc->nr >= MINIVMM_HC_OP_BASE && hc->nr < MINIVMM_HC_COUNT) {
		op_handlers[hc->nr - MINIVMM_HC_OP_BASE](hc, a0);
		return;
	}
	switch (hc->nr) {
	case MINIVMM_HC_EXIT:
		hc_exit(hc, a0);
		break;
	case MINIVMM_HC_NULL:
		ret(hc, 0);
		break;
	case MINIVMM_HC_CONSOLE_WRITE:
		hc_console_write(hc, a0, a1);
		break;
	case MINIVMM_HC_GET_INFO:
		hc_get_info(hc, a0, a1);
		break;
	case MINIVMM_HC_SANDBOX_PROBE:
		/* Test-only: an ordinary guest sees an unknown number. */
		if (hc->sandbox_probe)
			hc_sandbox_probe(hc, a0);
		else
			ret(hc, MINIVMM_ENOSYS);
		break;
	default:
		/* Unknown numbers have an error return: the guest decides. */
		ret(hc, MINIVMM_ENOSYS);
		break;
	}
}
