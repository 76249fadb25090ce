// SPDX-License-Identifier: MIT
/*
 * patchdata.c: the tables built from the patchlets assembled in
 * patchdata/ (their PATCHLET descriptors): each op's native sequence, and
 * the NOPs and instruction templates the engine writes with, so every
 * byte it writes comes from the assembler.
 */
#include "pv_backend.h"

const struct pv_patchlet *const pv_native_patchlets[PV_OP_COUNT] = {
    [PV_OP_SAVE_FL] = &pv_native_save_fl_desc,
    [PV_OP_RESTORE_FL] = &pv_native_restore_fl_desc,
    [PV_OP_IRQ_DISABLE] = &pv_native_irq_disable_desc,
    [PV_OP_IRQ_ENABLE] = &pv_native_irq_enable_desc,
    [PV_OP_SAFE_HALT] = &pv_native_safe_halt_desc,
    [PV_OP_READ_CR2] = &pv_native_read_cr2_desc,
    [PV_OP_READ_CR3] = &pv_native_read_cr3_desc,
    [PV_OP_WRITE_CR3] = &pv_native_write_cr3_desc,
    [PV_OP_FLUSH_TLB_ONE] = &pv_native_flush_tlb_one_desc,
    [PV_OP_WBINVD] = &pv_native_wbinvd_desc,
};

const struct pv_patchlet *const pv_native_fit_patchlets[PV_OP_COUNT] = {
    [PV_OP_SAVE_FL] = &pv_fit_save_fl_desc,
    [PV_OP_RESTORE_FL] = &pv_fit_restore_fl_desc,
    [PV_OP_IRQ_DISABLE] = &pv_fit_irq_disable_desc,
    [PV_OP_IRQ_ENABLE] = &pv_fit_irq_enable_desc,
    [PV_OP_SAFE_HALT] = &pv_fit_safe_halt_desc,
    [PV_OP_READ_CR2] = &pv_fit_read_cr2_desc,
    [PV_OP_READ_CR3] = &pv_fit_read_cr3_desc,
    [PV_OP_WRITE_CR3] = &pv_fit_write_cr3_desc,
    [PV_OP_FLUSH_TLB_ONE] = &pv_fit_flush_tlb_one_desc,
    [PV_OP_WBINVD] = &pv_fit_wbinvd_desc,
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
