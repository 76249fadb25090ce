/* SPDX-License-Identifier: MIT */
/*
 * pv_backend.h: the backends behind pv_ops (the native sequences, as
 * patchlets and as functions, and the hypercall stubs), the boot-time choice
 * between them, and the engine context that describes them to pvops/patch.c.
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
	PV_MODE_UNPATCHED, /* sites stay indirect calls (to the natives) */
	PV_MODE_COUNT,
};

/* "native", "hypercall", "unpatched" <-> enum pv_mode. */
const char *pv_mode_name(enum pv_mode mode);
/* Parse (s, n); returns 0, or -PV_EINVAL for any other word. */
int pv_mode_parse(const char *s, size_t n, enum pv_mode *mode);

/*
 * Per op (include/pv_op_list.h), from patchdata/native.S and hypercall.S:
 *   pv_native_NAME_fn       the native sequence and ret (callable)
 *   pv_native_NAME_desc     its patchlet; pv_fit_NAME_desc CS-padded
 *   pv_hc_NAME              the hypercall stub (callee-save)
 * A missing one is an undefined reference naming the op.
 */
#define PV_BACKEND_DECL(name, NAME, contract, shape, bench, batch)             \
	extern const char pv_native_##name##_fn[], pv_hc_##name[];             \
	extern const struct pv_patchlet pv_native_##name##_desc,               \
	    pv_fit_##name##_desc;
PV_OP_LIST(PV_BACKEND_DECL)
#undef PV_BACKEND_DECL

/* hypercall.S: the null hypercall, the cost of one exit. */
extern const char pv_hc_null[];

/* ---- patchdata/: the descriptors the NASM PATCHLET macro emits ---- */
extern const struct pv_patchlet pv_nop1_desc, pv_nop2_desc, pv_nop3_desc,
    pv_nop4_desc, pv_nop5_desc, pv_nop6_desc, pv_nop7_desc, pv_nop8_desc;
extern const struct pv_patchlet pv_tmpl_call_desc, pv_tmpl_call_fit_desc,
    pv_tmpl_indirect_desc, pv_tmpl_mov_edx_desc;
/* The RDTSCP replacement (a feature alternative), and the patchlets the
 * relocation tests copy and run elsewhere (patchdata/selftest.S), which
 * reach pv_reloc_probe() and pv_reloc_data (defined by whoever links
 * them: the guest's self-test, the host tests). */
extern const struct pv_patchlet pv_alt_rdtscp_desc, pv_test_reloc_call_desc,
    pv_test_rip_load_desc, pv_test_rip_store_desc, pv_test_jcc_out_desc,
    pv_test_inside_desc;
uint64_t pv_reloc_probe(void);
extern uint64_t pv_reloc_data;

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
