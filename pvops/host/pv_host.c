// SPDX-License-Identifier: MIT
/*
 * pv_host.c: the patch engine's environment on the host (see pv_host.h).
 * No test framework here: the engine benchmark links it too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv_host.h"

const void *pv_host_table[PV_OP_COUNT];

void pv_host_ctx(struct pv_patch_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	pv_ctx_init_patchdata(ctx);
}

void pv_host_native_backend(struct pv_backend *be)
{
	*be = (struct pv_backend){.table = pv_host_table};
	for (unsigned op = 0; op < PV_OP_COUNT; op++) {
		be->native[op] = pv_native_patchlets[op];
		be->native_fit[op] = pv_native_fit_patchlets[op];
	}
}

void pv_host_direct_backend(struct pv_backend *be, uintptr_t target)
{
	*be = (struct pv_backend){.table = pv_host_table};
	for (unsigned op = 0; op < PV_OP_COUNT; op++)
		be->direct[op] =
		    (struct pv_target){target, PV_CLOBBERS_CALLEE_SAVE};
}

void pv_host_set_rel(int32_t *field, const void *target)
{
	int64_t d = (const uint8_t *)target - (const uint8_t *)field;

	if (d != (int32_t)d) {
		fprintf(stderr, "pv_host: %p is out of rel32 reach of %p\n",
			target, (void *)field);
		abort();
	}
	*field = (int32_t)d;
}

unsigned pv_host_make_op_site(uint8_t *site, struct pv_patch_site *rec,
			      unsigned op, uint16_t clobbers)
{
	const struct pv_patchlet *t = &pv_tmpl_indirect_desc;
	int64_t disp = (const uint8_t *)&pv_host_table[op] - (site + t->len);
	int32_t d32 = (int32_t)disp;

	memcpy(site, pv_patchlet_bytes(t), t->len - 4u);
	memcpy(site + t->len - 4, &d32, 4);
	memset(rec, 0, sizeof(*rec));
	pv_host_set_rel(&rec->instr, site);
	pv_host_set_rel(&rec->repl, pv_host_table);
	rec->key = (uint16_t)op;
	rec->kind = PV_KIND_OP;
	rec->instr_len = t->len;
	rec->clobbers = clobbers;
	return t->len;
}
