// SPDX-License-Identifier: MIT
/*
 * streams.c: pvcheck's pass that builds the streams of a patch record:
 * every instruction stream the patch engine can put at its site, by
 * asking the engine itself (pv_plan_site) under every backend the site's
 * table can get, with the image's own patchlets, templates and NOPs: the
 * original, native (CS-padded and plain), direct calls to the native
 * functions and to the hypercall stubs; a feature absent and present;
 * what the hypercall-port callback writes. A site the engine refuses is
 * a violation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv_backend.h"
#include "pv_feature.h"
#include "pvcheck.h"

static const struct pvc_image *img;
static struct pv_patch_ctx ctx;
static char refusal[256]; /* the engine's last refusal */

static int capture(const char *fmt, va_list ap)
{
	size_t n = strlen(refusal);

	if (n < sizeof(refusal) - 1)
		vsnprintf(refusal + n, sizeof(refusal) - n, fmt, ap);
	return 0;
}

/* ---- the engine's context, from the image's own patchlets ---- */

static const struct pv_patchlet *desc(const char *name)
{
	return pvc_sym_ptr(img, name);
}

void pvc_streams_init(const struct pvc_image *image)
{
	static const uint32_t none[PV_FW_COUNT];
	char name[32];

	img = image;
	ctx = (struct pv_patch_ctx){
	    .features = none, .nfeature_words = PV_FW_COUNT, .vlog = capture};
	for (unsigned n = 1; n <= 8; n++) {
		snprintf(name, sizeof(name), "pv_nop%u_desc", n);
		ctx.nops[n] = desc(name);
	}
	ctx.call_tmpl = desc("pv_tmpl_call_desc");
	ctx.call_fit_tmpl = desc("pv_tmpl_call_fit_desc");
	ctx.indirect_tmpl = desc("pv_tmpl_indirect_desc");
}

/* ---- the backends a table's sites can get ---- */

enum variant {
	V_NATIVE,	/* patchlets, CS-padded where they fit exactly */
	V_NATIVE_PLAIN, /* patchlets and NOPs (no padded variant) */
	V_DIRECT,	/* direct calls to the native functions */
	V_HYPERCALL,	/* direct calls to the hypercall stubs */
	V_COUNT,
};

static const char *const variant_names[V_COUNT] = {
    "native", "native+nops", "direct call (native)", "direct call (hypercall)"};

/* The address of symbol (prefix)(op)(suffix), or 0. */
static uintptr_t target(const char *prefix, const char *op, const char *suffix)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s%s", prefix, op, suffix);
	return (uintptr_t)pvc_sym_ptr(img, name);
}

static void backend_of(enum variant v, const void *table, struct pv_backend *be)
{
	static const uint16_t contract[PV_OP_COUNT] = {
#define PVC_CONTRACT(name, NAME, c, shape, bench, batch)                       \
	[PV_OP_##NAME] = PV_CLOBBERS_##c,
	    PV_OP_LIST(PVC_CONTRACT)
#undef PVC_CONTRACT
	};
	char name[64];

	*be = (struct pv_backend){.table = table};
	for (unsigned op = 0; op < PV_OP_COUNT; op++) {
		const char *n = pv_op_name(op);

		if (v == V_NATIVE || v == V_NATIVE_PLAIN) {
			snprintf(name, sizeof(name), "pv_native_%s_desc", n);
			be->native[op] = desc(name);
			snprintf(name, sizeof(name), "pv_fit_%s_desc", n);
			be->native_fit[op] = v == V_NATIVE ? desc(name) : NULL;
		}
		if (v == V_HYPERCALL)
			be->direct[op] = (struct pv_target){
			    target("pv_hc_", n, ""), PV_CLOBBERS_CALLEE_SAVE};
		else
			be->direct[op] = (struct pv_target){
			    target("pv_native_", n, "_fn"), contract[op]};
	}
}

/* ---- the streams of one record ---- */

_Static_assert(PVC_MAX_STREAMS >= V_COUNT + 2, "the streams of a site");

static void add_stream(struct pvc_site *s, const char *name,
		       const uint8_t *bytes)
{
	unsigned len = s->rec->instr_len;

	for (unsigned i = 0; i < s->nstreams; i++)
		if (memcmp(s->streams[i].bytes, bytes, len) == 0)
			return; /* the same bytes: the same stream */
	s->streams[s->nstreams] = (struct pvc_stream){.name = name, .len = len};
	memcpy(s->streams[s->nstreams].bytes, bytes, len);
	s->nstreams++;
}

/* What the engine makes of the site under (c); false if it refuses. */
static bool plan(struct pvc_site *s, const struct pv_patch_ctx *c,
		 const char *name)
{
	uint8_t buf[PV_MAX_SITE_LEN];
	enum pv_action act;

	refusal[0] = '\0';
	if (pv_plan_site(s->rec, c, buf, &act) < 0) {
		char *nl = strchr(refusal, '\n'), *why = strstr(refusal, "): ");

		if (nl)
			*nl = '\0';
		/* The engine's log names the host address: keep its why. */
		if (why)
			memmove(refusal, why + 3, strlen(why + 3) + 1);
		pvc_violation(
		    "site at %s (%#llx): the engine refuses it (%s): %s",
		    s->where, (unsigned long long)s->addr, name, refusal);
		return false;
	}
	add_stream(s, name, buf);
	return true;
}

static void op_streams(struct pvc_site *s)
{
	struct pv_patch_ctx c = ctx;
	struct pv_backend be;

	c.backends = &be;
	c.nbackends = 1;
	for (unsigned v = 0; v < V_COUNT; v++) {
		backend_of(v, pv_rel(&s->rec->repl), &be);
		if (!plan(s, &c, variant_names[v]))
			return;
	}
}

static void feature_streams(struct pvc_site *s)
{
	static uint32_t all[PV_FW_COUNT];
	struct pv_patch_ctx c = ctx;
	const struct pv_patchlet *repl = pv_rel(&s->rec->repl);

	memset(all, 0xff, sizeof(all));
	if (!plan(s, &c, "feature absent"))
		return;
	c.features = all;
	if (!plan(s, &c, "feature present"))
		return;
	if (repl->len > s->rec->instr_len)
		pvc_violation(
		    "alternative at %s (%#llx): replacement of %u bytes is "
		    "longer than the %u-byte site",
		    s->where, (unsigned long long)s->addr, repl->len,
		    s->rec->instr_len);
}

/* Callbacks run in the guest; the ones pvcheck knows it runs here. */
static void callback_streams(struct pvc_site *s)
{
	static const struct pv_cb_data port = {.hypercall_port = 0xb00};
	const void *fn = pv_rel(&s->rec->repl);
	struct pv_patch_ctx c = ctx;
	uint8_t buf[PV_MAX_SITE_LEN];
	int n;

	if (fn != pvc_sym_ptr(img, "pv_patch_hypercall_port")) {
		pvc_violation(
		    "callback site at %s (%#llx): pvcheck cannot compute "
		    "what its callback writes",
		    s->where, (unsigned long long)s->addr);
		return;
	}
	c.cb_data = &port;
	n = pv_patch_hypercall_port(s->rec, pv_site_addr(s->rec),
				    s->rec->instr_len, buf, &c);
	if (n < 0 || (unsigned)n > s->rec->instr_len) {
		pvc_violation(
		    "callback site at %s (%#llx): the callback refuses it",
		    s->where, (unsigned long long)s->addr);
		return;
	}
	pv_fill_nops(&ctx, buf + n, s->rec->instr_len - (unsigned)n);
	add_stream(s, "callback (port 0xb00)", buf);
}

bool pvc_site_streams(const struct pv_patch_site *rec, struct pvc_site *s)
{
	*s = (struct pvc_site){.rec = rec};
	s->addr = pvc_addr(img, pv_site_addr(rec));
	pvc_where(img, s->addr, s->where, sizeof(s->where));
	if (!pvc_ptr(img, s->addr) || !rec->instr_len ||
	    rec->instr_len > PV_MAX_SITE_LEN ||
	    !pvc_ptr(img, s->addr + rec->instr_len - 1)) {
		pvc_violation(
		    "record at %#llx: site %#llx, %u bytes, is not in the "
		    "image",
		    (unsigned long long)pvc_addr(img, rec),
		    (unsigned long long)s->addr, rec->instr_len);
		return false;
	}
	if (!ctx.nops[1] || !ctx.call_tmpl || !ctx.indirect_tmpl) {
		pvc_violation(
		    "site at %s (%#llx): the image has patch records but not "
		    "the engine's NOPs and templates (patchdata/)",
		    s->where, (unsigned long long)s->addr);
		return false;
	}
	add_stream(s, "original", pv_site_addr(rec));
	if (rec->kind == PV_KIND_OP)
		op_streams(s);
	else if (rec->kind == PV_KIND_FEATURE)
		feature_streams(s);
	else if (rec->kind == PV_KIND_CALLBACK)
		callback_streams(s);
	else
		pvc_violation("record at %#llx: unknown kind %u",
			      (unsigned long long)pvc_addr(img, rec),
			      rec->kind);
	return true;
}
