// SPDX-License-Identifier: MIT
/*
 * backend.c: the three modes and what each puts in pv_ops and offers the
 * patch engine. native: patchlets inline, direct calls to the C natives
 * as the fallback; hypercall: direct calls to the hypercall stubs;
 * unpatched: nothing offered, every site stays an indirect call.
 */
#include "pv_backend.h"

/* Where the sites start: the native C backend, callable at any time. */
struct pv_ops pv_ops = {
    .irq =
	{
	    .save_fl = {native_save_fl_thunk},
	    .restore_fl = {native_restore_fl_thunk},
	    .irq_disable = {native_irq_disable_thunk},
	    .irq_enable = {native_irq_enable_thunk},
	    .safe_halt = {native_safe_halt_thunk},
	},
    .mmu =
	{
	    .read_cr2 = {native_read_cr2_thunk},
	    .read_cr3 = {native_read_cr3_thunk},
	    .write_cr3 = native_write_cr3,
	    .flush_tlb_one = native_flush_tlb_one,
	},
    .cpu = {.wbinvd = native_wbinvd},
};

/* Each op's function per mode, and the registers it changes. */
static const struct pv_target native_targets[PV_OP_COUNT] = {
#define CS(f)                                                                  \
	{                                                                      \
		(uintptr_t) f, PV_CLOBBERS_CALLEE_SAVE                         \
	}
#define C(f)                                                                   \
	{                                                                      \
		(uintptr_t) f, PV_CLOBBERS_NORMAL                              \
	}
    [PV_OP_SAVE_FL] = CS(native_save_fl_thunk),
    [PV_OP_RESTORE_FL] = CS(native_restore_fl_thunk),
    [PV_OP_IRQ_DISABLE] = CS(native_irq_disable_thunk),
    [PV_OP_IRQ_ENABLE] = CS(native_irq_enable_thunk),
    [PV_OP_SAFE_HALT] = CS(native_safe_halt_thunk),
    [PV_OP_READ_CR2] = CS(native_read_cr2_thunk),
    [PV_OP_READ_CR3] = CS(native_read_cr3_thunk),
    [PV_OP_WRITE_CR3] = C(native_write_cr3),
    [PV_OP_FLUSH_TLB_ONE] = C(native_flush_tlb_one),
    [PV_OP_WBINVD] = C(native_wbinvd),
};

static const struct pv_target hypercall_targets[PV_OP_COUNT] = {
    [PV_OP_SAVE_FL] = CS(pv_hc_save_fl),
    [PV_OP_RESTORE_FL] = CS(pv_hc_restore_fl),
    [PV_OP_IRQ_DISABLE] = CS(pv_hc_irq_disable),
    [PV_OP_IRQ_ENABLE] = CS(pv_hc_irq_enable),
    [PV_OP_SAFE_HALT] = CS(pv_hc_safe_halt),
    [PV_OP_READ_CR2] = CS(pv_hc_read_cr2),
    [PV_OP_READ_CR3] = CS(pv_hc_read_cr3),
    [PV_OP_WRITE_CR3] = CS(pv_hc_write_cr3),
    [PV_OP_FLUSH_TLB_ONE] = CS(pv_hc_flush_tlb_one),
    [PV_OP_WBINVD] = CS(pv_hc_wbinvd),
#undef CS
#undef C
};

static const char *const mode_names[PV_MODE_COUNT] = {
    [PV_MODE_NATIVE] = "native",
    [PV_MODE_HYPERCALL] = "hypercall",
    [PV_MODE_UNPATCHED] = "unpatched",
};

const char *pv_mode_name(enum pv_mode mode)
{
	return (unsigned)mode < PV_MODE_COUNT ? mode_names[mode] : "?";
}

int pv_mode_parse(const char *s, size_t n, enum pv_mode *mode)
{
	for (unsigned m = 0; m < PV_MODE_COUNT; m++) {
		const char *name = mode_names[m];
		size_t len = __builtin_strlen(name);

		if (n == len && __builtin_memcmp(s, name, n) == 0) {
			*mode = (enum pv_mode)m;
			return 0;
		}
	}
	return -PV_EINVAL;
}

void pv_ops_fill(struct pv_ops *ops, const struct pv_target *t)
{
#define FN(op) ((const void *)t[op].addr)
	ops->irq.save_fl.func = FN(PV_OP_SAVE_FL);
	ops->irq.restore_fl.func = FN(PV_OP_RESTORE_FL);
	ops->irq.irq_disable.func = FN(PV_OP_IRQ_DISABLE);
	ops->irq.irq_enable.func = FN(PV_OP_IRQ_ENABLE);
	ops->irq.safe_halt.func = FN(PV_OP_SAFE_HALT);
	ops->mmu.read_cr2.func = FN(PV_OP_READ_CR2);
	ops->mmu.read_cr3.func = FN(PV_OP_READ_CR3);
#undef FN
	ops->mmu.write_cr3 = (void (*)(unsigned long))t[PV_OP_WRITE_CR3].addr;
	ops->mmu.flush_tlb_one =
	    (void (*)(unsigned long))t[PV_OP_FLUSH_TLB_ONE].addr;
	ops->cpu.wbinvd = (void (*)(void))t[PV_OP_WBINVD].addr;
}

void pv_backend_offer(enum pv_mode mode, struct pv_backend *be)
{
	const struct pv_target *t =
	    mode == PV_MODE_HYPERCALL ? hypercall_targets : native_targets;

	*be = (struct pv_backend){.table = &pv_ops};
	if (mode == PV_MODE_UNPATCHED)
		return;
	for (unsigned op = 0; op < PV_OP_COUNT; op++) {
		be->direct[op] = t[op];
		if (mode == PV_MODE_NATIVE) {
			be->native[op] = pv_native_patchlets[op];
			be->native_fit[op] = pv_native_fit_patchlets[op];
		}
	}
}

void pv_backend_install(enum pv_mode mode)
{
	pv_ops_fill(&pv_ops, mode == PV_MODE_HYPERCALL ? hypercall_targets
						       : native_targets);
}
