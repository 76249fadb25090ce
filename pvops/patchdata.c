// SPDX-License-Identifier: MIT
/*
 * patchdata.c: the tables built from the patchlets assembled in
 * patchdata/ (their PATCHLET descriptors): each op's native sequence, per
 * the op list, and the NOPs and instruction templates the engine writes
 * with, so every byte it writes comes from the assembler.
 */
#include "pv_backend.h"

const struct pv_patchlet *const pv_native_patchlets[PV_OP_COUNT] = {
#define PV_NATIVE_PATCHLET(name, NAME, contract, shape, bench, batch)          \
	[PV_OP_##NAME] = &pv_native_##name##_desc,
    PV_OP_LIST(PV_NATIVE_PATCHLET)
#undef PV_NATIVE_PATCHLET
};

const struct pv_patchlet *const pv_native_fit_patchlets[PV_OP_COUNT] = {
#define PV_FIT_PATCHLET(name, NAME, contract, shape, bench, batch)             \
	[PV_OP_##NAME] = &pv_fit_##name##_desc,
    PV_OP_LIST(PV_FIT_PATCHLET)
#undef PV_FIT_PATCHLET
};

void pv_ctx_init_patchdata(struct pv_patch_ctx *ctx)
{
	ctx->nops[1] = &pv_nop1_desc;
	ctx->nops[2] = &pv_nop2_desc;
	ctx->nops[3] = &pv_nop3_desc;
	ctx->nops[4] = &pv_nop4_desc;
	ctx->nops[5] = &pv_nop5_desc;
	ctx->nops[6] = &pv_nop6_desc;
	ctx->nops[7] = &pv_nop7_desc;
	ctx->nops[8] = &pv_nop8_desc;
	ctx->call_tmpl = &pv_tmpl_call_desc;
	ctx->call_fit_tmpl = &pv_tmpl_call_fit_desc;
	ctx->indirect_tmpl = &pv_tmpl_indirect_desc;
}
