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
#define PTE_P		0x1ull
#define PTE_ADDR_MASK	0x000ffffffffff000ull

static const char *const hc_names[MINIVMM_HC_COUNT] = {
    [MINIVMM_HC_EXIT] = "exit",
    [MINIVMM_HC_NULL] = "null",
    [MINIVMM_HC_CONSOLE_WRITE] = "console_write",
    [MINIVMM_HC_GET_INFO] = "get_info",
    [MINIVMM_HC_SANDBOX_PROBE] = "sandbox_probe",
    [MINIVMM_HC_MULTICALL] = "multicall",
#define HC_OP_NAME(name, NAME, contract, shape, bench, batch)                  \
	[MINIVMM_HC_##NAME] = #name,
    PV_OP_LIST(HC_OP_NAME)
#undef HC_OP_NAME
};

/* NULL for a number nothing answers (past the table, or in its gap). */
const char *vmm_hypercall_name(uint32_t nr)
{
	return nr < MINIVMM_HC_COUNT ? hc_names[nr] : NULL;
}

/* The call's result: rax, or a MULTICALL entry's slot. */
static void ret(struct vmm_hc *hc, uint64_t value)
{
	hc->result = value;
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
	hc->regs_dirty = true;
	ret(hc, 0);
}

/*
 * The pv-op hypercalls, one handler each, named hc_NAME after the op list
 * (include/pv_op_list.h); (a0, a1) are rdi and rsi, or a MULTICALL
 * entry's arguments. A missing one fails the build.
 */
static void hc_save_fl(struct vmm_hc *hc, uint64_t a0, uint64_t a1)
{
	(void)a0;
	(void)a1;
	ret(hc, hc->regs->rflags);
}

static void hc_irq_disable(struct vmm_hc *hc, uint64_t a0, uint64_t a1)
{
	(void)a0;
	(void)a1;
	set_if(hc, false);
}

static void hc_irq_enable(struct vmm_hc *hc, uint64_t a0, uint64_t a1)
{
	(void)a0;
	(void)a1;
	set_if(hc, true);
}

/* IF on and sleep until an interrupt: no wakeup is lost between. */
static void hc_safe_halt(struct vmm_hc *hc, uint64_t a0, uint64_t a1)
{
	(void)a0;
	(void)a1;
	hc->halt = true;
	set_if(hc, true);
}

static void hc_read_cr2(struct vmm_hc *hc, uint64_t a0, uint64_t a1)
{
	(void)a0;
	(void)a1;
	ret(hc, hc->sregs->cr2);
}

static void hc_read_cr3(struct vmm_hc *hc, uint64_t a0, uint64_t a1)
{
	(void)a0;
	(void)a1;
	ret(hc, hc->sregs->cr3);
}

static void hc_read_cr0(struct vmm_hc *hc, uint64_t a0, uint64_t a1)
{
	(void)a0;
	(void)a1;
	ret(hc, hc->sregs->cr0);
}

static void hc_read_cr4(struct vmm_hc *hc, uint64_t a0, uint64_t a1)
{
	(void)a0;
	(void)a1;
	ret(hc, hc->sregs->cr4);
}

/* KVM ignores a guest's wbinvd while no device is assigned, and minivmm
 * assigns none: nothing to write back. */
static void hc_wbinvd(struct vmm_hc *hc, uint64_t a0, uint64_t a1)
{
	(void)a0;
	(void)a1;
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
static void hc_restore_fl(struct vmm_hc *hc, uint64_t flags, uint64_t a1)
{
	(void)a1;
	if (flags & RFLAGS_RESERVED) {
		einval(hc);
		return;
	}
	set_if(hc, flags & RFLAGS_IF);
}

/* The new root must be a page of guest memory; no reserved bits. */
static void hc_write_cr3(struct vmm_hc *hc, uint64_t cr3, uint64_t a1)
{
	(void)a1;
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
static void hc_flush_tlb_one(struct vmm_hc *hc, uint64_t addr, uint64_t a1)
{
	(void)a1;
	uint64_t top = addr >> 47;

	if (top != 0 && top != 0x1ffff) {
		einval(hc);
		return;
	}
	hc->flush_tlb = true;
	ret(hc, 0);
}

/*
 * Xen's mmu_update, for one entry: the 8-byte page-table entry at
 * guest-physical (gpa) becomes (pte), in one store. The entry must lie in
 * guest memory past page 0 and be 8-byte aligned; a present entry must
 * map a frame of guest memory (its first 4 KiB page is what is checked:
 * minivmm does not know the entry's level). A refused one writes nothing.
 * Nothing is flushed: the guest's flush_tlb_one does that, as natively.
 */
static void hc_set_pte(struct vmm_hc *hc, uint64_t gpa, uint64_t pte)
{
	if ((pte & PTE_P) && !vmm_mem_ptr(hc->mem, pte & PTE_ADDR_MASK, 4096)) {
		einval(hc);
		return;
	}
	if (!vmm_guest_write_u64(hc->mem, gpa, pte)) {
		einval(hc);
		return;
	}
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

typedef void hc_op_fn(struct vmm_hc *hc, uint64_t a0, uint64_t a1);

static hc_op_fn *const op_handlers[PV_OP_COUNT] = {
#define HC_OP_HANDLER(name, NAME, contract, shape, bench, batch)               \
	[PV_OP_##NAME] = hc_##name,
    PV_OP_LIST(HC_OP_HANDLER)
#undef HC_OP_HANDLER
};

/* BATCH ops of the list, and the null call: what MULTICALL may run. */
static const bool batchable[MINIVMM_HC_COUNT] = {[MINIVMM_HC_NULL] = true,
#define HC_BATCH_BATCH(NAME)   [MINIVMM_HC_##NAME] = true,
#define HC_BATCH_NOBATCH(NAME) /* runs alone */
#define HC_BATCH(name, NAME, contract, shape, bench, batch)                    \
	HC_BATCH_##batch(NAME)
						 PV_OP_LIST(HC_BATCH)
#undef HC_BATCH
#undef HC_BATCH_BATCH
#undef HC_BATCH_NOBATCH
};

/* One call, (nr) with (a0, a1): its result in hc->result. */
static void dispatch(struct vmm_hc *hc, uint32_t nr, uint64_t a0, uint64_t a1)
{
	if (nr >= MINIVMM_HC_OP_BASE && nr < MINIVMM_HC_COUNT) {
		op_handlers[nr - MINIVMM_HC_OP_BASE](hc, a0, a1);
		return;
	}
	switch (nr) {
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

/* An errno result (-4095..-1), as every refusal returns. */
static bool is_error(uint64_t result)
{
	return result > MINIVMM_MC_PENDING;
}

/* One entry of a MULTICALL, copied out of guest memory: its result. */
static uint64_t run_entry(struct vmm_hc *hc, const struct minivmm_mc_entry *e)
{
	if (e->nr >= MINIVMM_HC_COUNT || !hc_names[e->nr])
		return MINIVMM_ENOSYS;
	if (!batchable[e->nr])
		return MINIVMM_EOPNOTSUPP;
	if (e->pad)
		return MINIVMM_EINVAL;
	if (hc->mc_counts)
		hc->mc_counts[e->nr]++;
	dispatch(hc, e->nr, e->args[0], e->args[1]);
	return hc->result;
}

/*
 * MULTICALL: the array is checked as a whole first, so a bad one runs
 * nothing; then each entry is copied out before it is checked and run,
 * and its result written back to its slot, up to the first that fails.
 * The rules are in minivmm_abi.h.
 */
static void hc_multicall(struct vmm_hc *hc, uint64_t gpa, uint64_t count)
{
	const uint64_t size = sizeof(struct minivmm_mc_entry);
	const uint64_t slot = offsetof(struct minivmm_mc_entry, result);
	uint64_t done = 0;

	if (count > MINIVMM_MC_MAX) {
		hc->refused = true;
		ret(hc, MINIVMM_E2BIG);
		return;
	}
	if (gpa % 8 || gpa < MINIVMM_GUARD_BYTES ||
	    !vmm_mem_ptr(hc->mem, gpa, count * size)) {
		einval(hc);
		return;
	}
	for (; done < count; done++) {
		struct minivmm_mc_entry e;
		uint64_t result;

		(void)vmm_guest_read(hc->mem, gpa + done * size, size, &e);
		if (e.result != MINIVMM_MC_PENDING)
			continue; /* run by an earlier MULTICALL */
		hc->mc_run++;
		result = run_entry(hc, &e);
		(void)vmm_guest_write_u64(hc->mem, gpa + done * size + slot,
					  result);
		if (is_error(result)) {
			hc->refused = true;
			break;
		}
	}
	ret(hc, done);
}

void vmm_hypercall(struct vmm_hc *hc)
{
	uint64_t a0 = hc->regs->rdi, a1 = hc->regs->rsi;

	if (hc->nr == MINIVMM_HC_MULTICALL)
		hc_multicall(hc, a0, a1);
	else
		dispatch(hc, hc->nr, a0, a1);
	if (!hc->stop) {
		hc->regs->rax = hc->result;
		hc->regs_dirty = true;
	}
}
