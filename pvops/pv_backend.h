/* SPDX-License-Identifier: MIT */
/*
 * pv_backend.h: the backends behind pv_ops (native C with its thunks,
 * native patchlets, hypercall stubs), the boot-time choice between them,
 * and the engine context that describes them to pvops/patch.c.
 */
#ifndef PV_BACKEND_H
#define PV_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "patch.h"
#include "pv_ops.h"

enum pv_mode {
	PV_MODE_NATIVE,	   /* sites become the native patchlets */
	PV_MODE_HYPERCALL, /* sites become direct calls to hypercall stubs */
	PV_MODE_UNPATCHED, /* sites stay indirect calls to native C */
	PV_MODE_COUNT,
};

/* "native", "hypercall", "unpatched" <-> enum pv_mode. */
const char *pv_mode_name(enum pv_mode mode);
/* Parse (s, n); returns 0, or -PV_EINVAL for any other word. */
int pv_mode_parse(const char *s, size_t n, enum pv_mode *mode);

/* ---- native.c: the C native backend ---- */
unsigned long native_save_fl(void);
void native_restore_fl(unsigned long flags);
void native_irq_disable(void);
void native_irq_enable(void);
void native_safe_halt(void);
unsigned long native_read_cr2(void);
unsigned long native_read_cr3(void);
void native_write_cr3(unsigned long cr3);
void native_flush_tlb_one(unsigned long addr);
void native_wbinvd(void);

/* ---- thunks.S: callee-save wrappers of the callee-save natives ---- */
extern const char native_save_fl_thunk[], native_restore_fl_thunk[],
    native_irq_disable_thunk[], native_irq_enable_thunk[],
    native_safe_halt_thunk[], native_read_cr2_thunk[], native_read_cr3_thunk[];

/* ---- hypercall.S: one stub per op (callee-save), plus the null call ---- */
extern const char pv_hc_save_fl[], pv_hc_restore_fl[], pv_hc_irq_disable[],
    pv_hc_irq_enable[], pv_hc_safe_halt[], pv_hc_read_cr2[], pv_hc_read_cr3[],
    pv_hc_write_cr3[], pv_hc_flush_tlb_one[], pv_hc_wbinvd[], pv_hc_null[];

/* ---- patchdata/: the descriptors the NASM PATCHLET macro emits ---- */
extern const struct pv_patchlet pv_native_save_fl_desc,
    pv_native_restore_fl_desc, pv_native_irq_disable_desc,
    pv_native_irq_enable_desc, pv_native_safe_halt_desc,
    pv_native_read_cr2_desc, pv_native_read_cr3_desc, pv_native_write_cr3_desc,
    pv_native_flush_tlb_one_desc, pv_native_wbinvd_desc;
extern const struct pv_patchlet pv_nop1_desc, pv_nop2_desc, pv_nop3_desc,
    pv_nop4_desc, pv_nop5_desc, pv_nop6_desc, pv_nop7_desc, pv_nop8_desc;
extern const struct pv_patchlet pv_fit_save_fl_desc, pv_fit_restore_fl_desc,
    pv_fit_irq_disable_desc, pv_fit_irq_enable_desc, pv_fit_safe_halt_desc,
    pv_fit_read_cr2_desc, pv_fit_read_cr3_desc, pv_fit_write_cr3_desc,
    pv_fit_flush_tlb_one_desc, pv_fit_wbinvd_desc;
extern const struct pv_patchlet pv_tmpl_call_desc, pv_tmpl_call_fit_desc,
    pv_tmpl_indirect_desc, pv_tmpl_mov_edx_desc;
/* The RDTSCP replacement (a feature alternative) and the patchlet with a
 * relative call that the relocation tests move (calls pv_reloc_probe). */
extern const struct pv_patchlet pv_alt_rdtscp_desc, pv_test_reloc_call_desc;
uint64_t pv_reloc_probe(void);

/* The native patchlet of each op, indexed by enum pv_op; and the same
 * padded with CS prefixes to PV_OP_SITE_LEN. */
extern const struct pv_patchlet *const pv_native_patchlets[PV_OP_COUNT];
extern const struct pv_patchlet *const pv_native_fit_patchlets[PV_OP_COUNT];

/* What callbacks need to know (ctx->cb_data). */
struct pv_cb_data {
	uint16_t hypercall_port; /* 0: not on minivmm, keep the placeholder */
};

/* hypercall_port.c: the callback behind each stub's `mov edx, imm32`. */
int pv_patch_hypercall_port(const struct pv_patch_site *rec,
			    const uint8_t *orig, unsigned len, uint8_t *buf,
			    const struct pv_patch_ctx *ctx);

/*
 * Fill (be) with what sites calling through pv_ops may become in (mode):
 * native patchlets (native), direct calls to (mode)'s functions (native,
 * hypercall), nothing (unpatched). be->direct[] also names the functions.
 */
void pv_backend_offer(enum pv_mode mode, struct pv_backend *be);

/* Point every slot of (ops) at the functions of (t), in op order. */
void pv_ops_fill(struct pv_ops *ops, const struct pv_target *t);

/*
 * Point pv_ops at (mode)'s functions. Call after pv_apply(): until then
 * pv_ops stays on the native backend, which works before any patching
 * (the hypercall stubs only once their port is written).
 */
void pv_backend_install(enum pv_mode mode);

/* The engine's NOPs and templates, from patchdata/. */
void pv_ctx_init_patchdata(struct pv_patch_ctx *ctx);

#endif /* PV_BACKEND_H */
