/* SPDX-License-Identifier: MIT */
/*
 * pv_host.h: helpers for running the patch engine on the host: a context
 * with the real NOPs and templates from patchdata/, synthetic pv-op sites
 * (the real indirect-call template aimed at a fake ops table) and records
 * pointing at them. Used by the engine tests and the patching benchmark.
 */
#ifndef PV_HOST_H
#define PV_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "pv_backend.h"

/* A fake ops table: sites call through it, the engine never calls it. */
extern const void *pv_host_table[PV_OP_COUNT];

/* The real patchdata NOPs and templates; no backends, no logging. */
void pv_host_ctx(struct pv_patch_ctx *ctx);

/*
 * Write at (site) an indirect call through pv_host_table[op], as the C
 * macro would, and fill (rec) to describe it. Returns the site length.
 * (site) and (rec) must lie within 2 GiB of pv_host_table.
 */
unsigned pv_host_make_op_site(uint8_t *site, struct pv_patch_site *rec,
			      unsigned op, uint16_t clobbers);

/* (be): the native backend over pv_host_table, every op's patchlets. */
void pv_host_native_backend(struct pv_backend *be);
/* (be): every op a direct call to (target), callee-save. */
void pv_host_direct_backend(struct pv_backend *be, uintptr_t target);

/* Point self-relative (field) at (target). */
void pv_host_set_rel(int32_t *field, const void *target);

#endif /* PV_HOST_H */
