// SPDX-License-Identifier: MIT
/*
 * main.c: pvcheck FILE... | pvcheck --list FILE: the passes in order, per
 * image. Read it (image.c); check its patchlets (their length fits the
 * field; no branch or RIP-relative operand the engine would not
 * relocate); for every patch record (.pv_patch, .pv_patch_bench), none
 * overlapping another, build the streams (streams.c) and flatten them
 * (flatten.c): an instruction boundary that two streams share must have
 * one stack depth; with --audit ALLOWLIST, privileged instructions outside
 * the pv ops and the allowlist (audit.c); then the unwind table
 * (unwind_rows.c, unwind.c), checked against the one the image carries. Exit 0:
 * all proven; 1: a violation (each on stderr); 2: usage or an unreadable image.
 * docs/pvcheck.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvcheck.h"

static struct pvc_image img;
static bool listing;

static void check_site(const struct pv_patch_site *rec)
{
	static struct pvc_site s;

	if (!pvc_site_streams(rec, &s))
		return;
	pvc_flatten(&s);
	if (listing)
		pvc_list_site(&s);
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

	unsigned before = pvc_errors();

	if (!out && !print && !embedded)
		return;
	if (!pvc_unwind_build(&img, &blob, &len) || pvc_errors() != before) {
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
		bool bad_allowlist;

		pvc_report_image(argv[i]);
		if (!pvc_image_load(&img, argv[i])) {
			pvc_image_free(&img);
			return 2;
		}
		pvc_streams_init(&img);
		npl = check_patchlets();
		nrec = check_records();
		/* An unreadable allowlist is its own failure, not a violation.
		 */
		bad_allowlist = allowlist &&
				pvc_audit(&img, allowlist, &npriv) &&
				!pvc_errors();
		if (!pvc_errors() && !bad_allowlist)
			unwind_table(unwind_out, list_unwind);
		if (pvc_errors() || bad_allowlist)
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
