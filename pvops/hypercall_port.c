// SPDX-License-Identifier: MIT
/*
 * hypercall_port.c: a callback alternative. Each hypercall stub loads the
 * port with `mov edx, imm32`, assembled with 0 because the port is only
 * known at boot (CPUID 0x40000001.ebx). This callback checks that the site
 * really is that instruction and writes the port into its immediate.
 */
#include "pv_backend.h"

int pv_patch_hypercall_port(const struct pv_patch_site *rec,
			    const uint8_t *orig, unsigned len, uint8_t *buf,
			    const struct pv_patch_ctx *ctx)
{
	const struct pv_patchlet *tmpl = &pv_tmpl_mov_edx_desc;
	const struct pv_cb_data *cb = ctx->cb_data;
	uint32_t port;

	(void)rec;
	/* The opcode must be the template's; the immediate is ours. */
	if (len != tmpl->len ||
	    __builtin_memcmp(orig, pv_patchlet_bytes(tmpl), len - 4) != 0)
		return -PV_EINVAL;
	__builtin_memcpy(buf, orig, len);
	if (!cb || !cb->hypercall_port)
		return (int)len; /* not on minivmm: the stubs are never used */
	port = cb->hypercall_port;
	__builtin_memcpy(buf + len - 4, &port, sizeof(port));
	return (int)len;
}
