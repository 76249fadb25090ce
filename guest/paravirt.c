// SPDX-License-Identifier: MIT
/*
 * paravirt.c: at boot, choose the pvops backend and patch every record of
 * .pv_patch once, interrupts off, before anything else runs through the
 * sites in anger. pvops=native|hypercall|unpatched on the command line;
 * default hypercall on minivmm, native elsewhere. pvops.debug prints every
 * site with its bytes before and after.
 */
#include "guest.h"
#include "minivmm_abi.h"
#include "pv_backend.h"
#include "pv_feature.h"
#include "x86.h"

extern const struct pv_patch_site __pv_patch_start[], __pv_patch_end[];

static enum pv_mode mode;
/* [0]: pv_ops, the mode's backend; then those added (the benchmark's). */
static struct pv_backend backends[1 + PARAVIRT_EXTRA_BACKENDS];
static unsigned nextra;
static struct pv_patch_ctx ctx;
static struct pv_patch_stats stats;
static uint32_t features[PV_FW_COUNT];
static struct pv_cb_data cb_data;

static enum pv_mode choose_mode(const struct guest_hv_info *hv)
{
	bool minivmm = hv->kind == HV_MINIVMM &&
		       (hv->features & MINIVMM_FEATURE_HYPERCALL);
	enum pv_mode m = minivmm ? PV_MODE_HYPERCALL : PV_MODE_NATIVE;
	const char *word;
	int n = cmdline_value("pvops", &word);
	char shown[32];

	if (n >= 0 && pv_mode_parse(word, (size_t)n, &m) < 0) {
		snprintf(shown, sizeof(shown), "%s", word);
		guest_fail("pvops=%s: want native, hypercall or unpatched",
			   shown);
	}
	if (m == PV_MODE_HYPERCALL && !minivmm)
		guest_fail("pvops=hypercall needs minivmm, found %s",
			   hv_name(hv));
	return m;
}

void paravirt_init(void)
{
	const struct guest_hv_info *hv = hv_detect();
	unsigned sites, others;
	uint64_t t0, t1;
	int r;

	mode = choose_mode(hv);
	cpu_features_read(features);
	cb_data.hypercall_port =
	    hv->kind == HV_MINIVMM ? hv->hypercall_port : 0;
	pv_backend_offer(mode, &backends[0]);
	pv_ctx_init_patchdata(&ctx);
	ctx.backends = backends;
	ctx.nbackends = 1 + nextra;
	ctx.features = features;
	ctx.nfeature_words = PV_FW_COUNT;
	ctx.cb_data = &cb_data;
	ctx.debug = cmdline_has("pvops.debug");
	ctx.vlog = vprintf;
	ctx.sync_core = cpu_sync_core;
	ctx.poke = text_poke; /* text is read-only (text_poke.c) */

	t0 = tsc_start();
	r = pv_apply(__pv_patch_start, __pv_patch_end, &ctx, &stats);
	t1 = tsc_start();
	if (r == 0)
		pv_backend_install(mode); /* the stubs have their port now */
	if (r < 0)
		guest_fail("pvops: patching stopped at a refused record "
			   "(error %d)",
			   -r);
	sites = stats.actions[PV_ACT_NATIVE] + stats.actions[PV_ACT_DIRECT] +
		stats.actions[PV_ACT_INDIRECT];
	others = stats.records - sites;
	printf("pvops: %u sites: %u native, %u direct, %u indirect\n", sites,
	       stats.actions[PV_ACT_NATIVE], stats.actions[PV_ACT_DIRECT],
	       stats.actions[PV_ACT_INDIRECT]);
	printf("pvops: mode %s; %u other records: %u callback, %u feature "
	       "(%u replaced); patched in %llu cycles\n",
	       pv_mode_name(mode), others, stats.actions[PV_ACT_CALLBACK],
	       stats.actions[PV_ACT_REPLACED] + stats.actions[PV_ACT_KEPT],
	       stats.actions[PV_ACT_REPLACED], (unsigned long long)(t1 - t0));
}

void paravirt_add_backend(const struct pv_backend *be)
{
	if (ctx.backends)
		guest_fail("pvops: a backend added after boot patching");
	if (nextra == PARAVIRT_EXTRA_BACKENDS)
		guest_fail("pvops: more than %u added backends",
			   PARAVIRT_EXTRA_BACKENDS);
	backends[1 + nextra++] = *be;
}

int paravirt_patch(const struct pv_patch_site *begin,
		   const struct pv_patch_site *end, struct pv_patch_stats *out)
{
	return pv_apply(begin, end, &ctx, out);
}

enum pv_mode paravirt_mode(void)
{
	return mode;
}

void paravirt_set_mode(enum pv_mode m)
{
	mode = m;
}

const struct pv_patch_ctx *paravirt_ctx(void)
{
	return &ctx;
}

const struct pv_patch_site *paravirt_op_site(uint64_t ip)
{
	for (const struct pv_patch_site *r = __pv_patch_start;
	     r < __pv_patch_end; r++) {
		uint64_t a = (uintptr_t)pv_site_addr(r);

		if (r->kind == PV_KIND_OP && ip >= a && ip < a + r->instr_len)
			return r;
	}
	return NULL;
}

bool paravirt_inside_op_site(uint64_t ip)
{
	const struct pv_patch_site *r = paravirt_op_site(ip);

	return r && ip != (uintptr_t)pv_site_addr(r);
}

const struct pv_backend *paravirt_backend(const void *table)
{
	for (unsigned i = 0; i < ctx.nbackends; i++)
		if (backends[i].table == table)
			return &backends[i];
	return NULL;
}
