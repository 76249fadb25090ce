// SPDX-License-Identifier: MIT
/*
 * main.c: pvcheck FILE... | pvcheck --list FILE. For every patch record of
 * a guest image (.pv_patch, .pv_patch_bench) it builds every instruction
 * stream the patch engine can put at the site, by asking the engine
 * itself (pv_plan_site) under every backend; follows rsp through each
 * (cfa.c) and flattens them: an instruction boundary that two streams
 * share must have one stack depth. It also refuses overlapping records,
 * sites the engine refuses, patchlets whose length does not fit its field
 * or that hold a branch or RIP-relative operand the engine would not
 * relocate; with --audit ALLOWLIST, privileged instructions outside the pv
 * ops and the allowlist (audit.c). Exit 0: all proven; 1: a violation
 * (each on stderr); 2: usage or an unreadable image. docs/pvcheck.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv_backend.h"
#include "pv_bug.h"
#include "pv_feature.h"
#include "pvcheck.h"

/* Environment of the engine's host build: an invariant broke. */
void pv_bug(const char *file, int line, const char *cond)
{
	fprintf(stderr, "pvcheck: PV_BUG_ON(%s) at %s:%d\n", cond, file, line);
	exit(2);
}

static struct pvc_image img;
static struct pv_patch_ctx ctx;
static unsigned errors;
static bool listing;
static char refusal[256]; /* the engine's last refusal */

static int capture(const char *fmt, va_list ap)
{
	size_t n = strlen(refusal);

	if (n < sizeof(refusal) - 1)
		vsnprintf(refusal + n, sizeof(refusal) - n, fmt, ap);
	return 0;
}

void pvc_violation(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pvcheck: %s: ", img.path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	errors++;
}

/* ---- the engine's context, from the image's own patchlets ---- */

static const struct pv_patchlet *desc(const char *name)
{
	return pvc_sym_ptr(&img, name);
}

static void ctx_init(void)
{
	static const uint32_t none[PV_FW_COUNT];
	char name[32];

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
	return (uintptr_t)pvc_sym_ptr(&img, name);
}

static void backend_of(enum variant v, const void *table, struct pv_backend *be)
{
	static const uint16_t contract[PV_OP_COUNT] = {
#define PVC_CONTRACT(name, NAME, c, shape, bench)                              \
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

#define PVC_MAX_STREAMS (V_COUNT + 2)

struct site {
	const struct pv_patch_site *rec;
	uint64_t addr;
	char where[96];
	struct pvc_stream streams[PVC_MAX_STREAMS];
	unsigned nstreams;
};

static void add_stream(struct site *s, const char *name, const uint8_t *bytes)
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
static bool plan(struct site *s, const struct pv_patch_ctx *c, const char *name)
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

static void op_streams(struct site *s)
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

static void feature_streams(struct site *s)
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
static void callback_streams(struct site *s)
{
	static const struct pv_cb_data port = {.hypercall_port = 0xb00};
	const void *fn = pv_rel(&s->rec->repl);
	struct pv_patch_ctx c = ctx;
	uint8_t buf[PV_MAX_SITE_LEN];
	int n;

	if (fn != pvc_sym_ptr(&img, "pv_patch_hypercall_port")) {
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

/* ---- following and flattening ---- */

static int depth_at(const struct pvc_stream *st, unsigned off, bool *found)
{
	*found = false;
	for (unsigned i = 0; i < st->ninsns; i++)
		if (st->insns[i].off == off) {
			*found = true;
			return st->insns[i].depth;
		}
	return 0;
}

/*
 * The unwinder's view of a proven site (unwind.c): one depth at each
 * offset that some stream stops at. A call in a site must be at the
 * site's own depth: the unwinder looks a return address up without the
 * site's rows (docs/unwind.md says why).
 */
static void record_depths(const struct site *s, const char *kind)
{
	int depth[PV_MAX_SITE_LEN] = {0};
	bool boundary[PV_MAX_SITE_LEN] = {false};
	unsigned before = errors;

	for (unsigned i = 0; i < s->nstreams; i++)
		for (unsigned k = 0; k < s->streams[i].ninsns; k++) {
			const struct pvc_insn *in = &s->streams[i].insns[k];

			boundary[in->off] = true;
			depth[in->off] = in->depth;
			if (in->call && in->depth != 0)
				pvc_violation(
				    "%s site at %s (%#llx): stream '%s' calls "
				    "at +%u with rsp%+d: a return address "
				    "into a site must be at the site's depth",
				    kind, s->where, (unsigned long long)s->addr,
				    s->streams[i].name, in->off, in->depth);
		}
	if (errors == before)
		pvc_unwind_add_site(s->addr, s->rec->instr_len, depth,
				    boundary);
}

static void flatten(struct site *s)
{
	unsigned before = errors;

	const char *kind = s->rec->kind == PV_KIND_OP ? pv_op_name(s->rec->key)
			   : s->rec->kind == PV_KIND_FEATURE ? "alternative"
							     : "callback";

	for (unsigned i = 0; i < s->nstreams; i++) {
		struct pvc_stream *st = &s->streams[i];
		const char *why = pvc_follow(st, s->addr);

		if (why)
			pvc_violation("%s site at %s (%#llx): stream '%s': %s",
				      kind, s->where,
				      (unsigned long long)s->addr, st->name,
				      why);
		else if (st->end_depth != 0)
			pvc_violation(
			    "%s site at %s (%#llx): stream '%s' leaves rsp "
			    "%+d at the site's end",
			    kind, s->where, (unsigned long long)s->addr,
			    st->name, st->end_depth);
	}
	/* Offset 0 and the end are boundaries of all, at depth 0. */
	for (unsigned off = 1; off < s->rec->instr_len; off++)
		for (unsigned a = 0; a < s->nstreams; a++)
			for (unsigned b = a + 1; b < s->nstreams; b++) {
				bool fa, fb;
				int da = depth_at(&s->streams[a], off, &fa);
				int db = depth_at(&s->streams[b], off, &fb);

				if (fa && fb && da != db)
					pvc_violation(
					    "%s site at %s (%#llx): stack "
					    "layout conflict in "
					    "alternatives at +%u: '%s' has "
					    "rsp%+d, '%s' has rsp%+d",
					    kind, s->where,
					    (unsigned long long)s->addr, off,
					    s->streams[a].name, da,
					    s->streams[b].name, db);
			}
	if (errors == before)
		record_depths(s, kind);
}

static void list_site(const struct site *s)
{
	static const char *const kinds[] = {"op", "feature", "callback"};

	printf("%#llx %s len %u %s %s\n", (unsigned long long)s->addr, s->where,
	       s->rec->instr_len, s->rec->kind < 3 ? kinds[s->rec->kind] : "?",
	       s->rec->kind == PV_KIND_OP ? pv_op_name(s->rec->key) : "");
	for (unsigned i = 0; i < s->nstreams; i++) {
		const struct pvc_stream *st = &s->streams[i];

		printf("  %s:\n", st->name);
		for (unsigned k = 0; k < st->ninsns; k++) {
			const struct pvc_insn *in = &st->insns[k];
			char hex[3 * 16] = "";

			for (unsigned b = 0; b < in->len && b < 15; b++)
				sprintf(hex + 3 * b, "%02x ",
					st->bytes[in->off + b]);
			printf("    +%-2u  rsp%-+4d %-30s %s\n", in->off,
			       in->depth, hex, in->text);
		}
		printf("    +%-2u  rsp%-+4d (end)\n", st->len, st->end_depth);
	}
}

static void check_site(const struct pv_patch_site *rec)
{
	static struct site s;

	s = (struct site){.rec = rec};
	s.addr = pvc_addr(&img, pv_site_addr(rec));
	pvc_where(&img, s.addr, s.where, sizeof(s.where));
	if (!pvc_ptr(&img, s.addr) || !rec->instr_len ||
	    rec->instr_len > PV_MAX_SITE_LEN ||
	    !pvc_ptr(&img, s.addr + rec->instr_len - 1)) {
		pvc_violation(
		    "record at %#llx: site %#llx, %u bytes, is not in the "
		    "image",
		    (unsigned long long)pvc_addr(&img, rec),
		    (unsigned long long)s.addr, rec->instr_len);
		return;
	}
	if (!ctx.nops[1] || !ctx.call_tmpl || !ctx.indirect_tmpl) {
		pvc_violation(
		    "site at %s (%#llx): the image has patch records but not "
		    "the engine's NOPs and templates (patchdata/)",
		    s.where, (unsigned long long)s.addr);
		return;
	}
	add_stream(&s, "original", pv_site_addr(rec));
	if (rec->kind == PV_KIND_OP)
		op_streams(&s);
	else if (rec->kind == PV_KIND_FEATURE)
		feature_streams(&s);
	else if (rec->kind == PV_KIND_CALLBACK)
		callback_streams(&s);
	else
		pvc_violation("record at %#llx: unknown kind %u",
			      (unsigned long long)pvc_addr(&img, rec),
			      rec->kind);
	flatten(&s);
	if (listing)
		list_site(&s);
}

/* ---- the records: each site once, none overlapping another ---- */

struct span {
	uint64_t addr;
	unsigned len;
};

static int by_addr(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static unsigned check_records(void)
{
	static const char *const tables[] = {".pv_patch", ".pv_patch_bench"};
	struct span *spans = NULL;
	size_t n = 0;

	for (unsigned t = 0; t < 2; t++) {
		struct pvc_section sec = pvc_section(&img, tables[t]);
		const struct pv_patch_site *r;

		for (r = (const void *)sec.start;
		     sec.start && (const uint8_t *)(r + 1) <= sec.end; r++) {
			struct span *grown =
			    realloc(spans, (n + 1) * sizeof(*spans));

			if (!grown)
				exit(2);
			spans = grown;
			spans[n++] = (struct span){
			    pvc_addr(&img, pv_site_addr(r)), r->instr_len};
			check_site(r);
		}
	}
	if (n)
		qsort(spans, n, sizeof(*spans), by_addr);
	for (size_t i = 1; i < n; i++)
		if (spans[i].addr < spans[i - 1].addr + spans[i - 1].len) {
			char a[96], b[96];

			pvc_violation(
			    "records overlap: the site at %s (%#llx, %u "
			    "bytes) and the one at %s (%#llx)",
			    pvc_where(&img, spans[i - 1].addr, a, sizeof(a)),
			    (unsigned long long)spans[i - 1].addr,
			    spans[i - 1].len,
			    pvc_where(&img, spans[i].addr, b, sizeof(b)),
			    (unsigned long long)spans[i].addr);
		}
	free(spans);
	return (unsigned)n;
}

/* ---- the patchlets ---- */

static unsigned check_patchlets(void)
{
	struct pvc_section sec = pvc_section(&img, ".pv_patchlets");
	unsigned n = 0;

	for (const uint8_t *d = sec.start; d && d + PV_PATCHLET_SIZE <= sec.end;
	     d += PV_PATCHLET_SIZE, n++) {
		const struct pv_patchlet *p = (const void *)d;
		uint64_t at = pvc_addr(&img, d);
		const char *sym = pvc_sym_ending(&img, at, "_desc");
		char name[96], label[128], why[192];
		const uint8_t *start, *end;

		pvc_where(&img, at, name, sizeof(name));
		if (sym) {
			snprintf(name, sizeof(name), "%.*s",
				 (int)(strlen(sym) - 5), sym);
			snprintf(label, sizeof(label), "%s_start", name);
			start = pvc_sym_ptr(&img, label);
			snprintf(label, sizeof(label), "%s_end", name);
			end = pvc_sym_ptr(&img, label);
			if (start && end && end - start != p->len)
				pvc_violation(
				    "patchlet %s: %td bytes between its "
				    "labels, its descriptor says %u: the "
				    "length does not fit its 8-bit field",
				    name, end - start, p->len);
		}
		if (!pvc_ptr(&img, pvc_addr(&img, pv_patchlet_bytes(p)))) {
			pvc_violation(
			    "patchlet %s: its bytes are not in the image",
			    name);
			continue;
		}
		/* A template's rel32 or disp32 is the engine's to compute. */
		if (p->op != PV_PATCHLET_CALL &&
		    p->op != PV_PATCHLET_INDIRECT &&
		    pvc_check_patchlet(p, pvc_addr(&img, pv_patchlet_bytes(p)),
				       why, sizeof(why)))
			pvc_violation("patchlet %s: %s", name, why);
	}
	return n;
}

/*
 * The unwind table (unwind.c): built when asked (--unwind-out, to be
 * linked in; --list-unwind), and always when the image carries one in
 * .pv_unwind, which must then be exactly the table this image needs: a
 * second link that moved anything, or a stale table, fails here.
 */
static void unwind_table(const char *out, bool print)
{
	struct pvc_section have = pvc_section(&img, ".pv_unwind");
	bool embedded = have.start && have.end > have.start;
	uint8_t *blob = NULL;
	size_t len = 0;
	FILE *f;

	unsigned before = errors;

	if (!out && !print && !embedded)
		return;
	if (!pvc_unwind_build(&img, &blob, &len) || errors != before) {
		free(blob);
		return;
	}
	if (embedded && ((size_t)(have.end - have.start) != len ||
			 memcmp(have.start, blob, len) != 0))
		pvc_violation("the unwind table in .pv_unwind (%td bytes) is "
			      "not the one this image needs (%zu bytes): the "
			      "second link moved code, or the table is stale",
			      have.end - have.start, len);
	if (print)
		pvc_unwind_print(blob, len);
	if (out) {
		f = fopen(out, "wb");
		if (!f || fwrite(blob, 1, len, f) != len || fclose(f) != 0) {
			perror(out);
			exit(2);
		}
	}
	free(blob);
}

int main(int argc, char **argv)
{
	const char *allowlist = NULL, *unwind_out = NULL;
	bool list_unwind = false;
	int first = 1, status = 0;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "--list") == 0)
			listing = true;
		else if (strcmp(argv[first], "--audit") == 0 &&
			 first + 1 < argc)
			allowlist = argv[++first];
		else if (strcmp(argv[first], "--unwind-out") == 0 &&
			 first + 1 < argc)
			unwind_out = argv[++first];
		else if (strcmp(argv[first], "--list-unwind") == 0)
			list_unwind = true;
		else
			break;
	}
	if (first >= argc || argv[first][0] == '-') {
		fprintf(stderr,
			"usage: pvcheck [--list] [--list-unwind] [--audit "
			"ALLOWLIST] [--unwind-out TABLE] GUEST.elf...\n");
		return 2;
	}
	if (unwind_out && argc - first != 1) {
		fprintf(stderr, "pvcheck: --unwind-out takes one image\n");
		return 2;
	}
	if (!pvc_cfa_init())
		return 2;
	for (int i = first; i < argc; i++) {
		unsigned nrec, npl, npriv = 0;

		errors = 0;
		if (!pvc_image_load(&img, argv[i])) {
			pvc_image_free(&img);
			return 2;
		}
		ctx_init();
		npl = check_patchlets();
		nrec = check_records();
		if (allowlist)
			errors += pvc_audit(&img, allowlist, &npriv);
		if (!errors)
			unwind_table(unwind_out, list_unwind);
		if (errors)
			status = 1;
		else if (!listing)
			printf("pvcheck: %s: %u records, %u patchlets: every "
			       "alternative keeps one stack layout%s\n",
			       argv[i], nrec, npl,
			       allowlist ? "; privileged instructions only "
					   "where allowed"
					 : "");
		if (listing && allowlist) {
			printf("audit: %u privileged instructions, allowed "
			       "in (function, count, reason):\n",
			       npriv);
			pvc_audit_list();
		}
		pvc_image_free(&img);
		pvc_unwind_reset();
	}
	return status;
}
