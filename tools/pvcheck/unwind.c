// SPDX-License-Identifier: MIT
/*
 * unwind.c: pvcheck's pass that writes the guest's unwind table
 * (include/pv_unwind.h) from a linked image. Every byte of executable
 * code gets a rule: the code's rows come from unwind_rows.c (the
 * compiler's CFI and the assembly followed); the patch sites' rows from
 * here, since neither source knows what the engine writes there. At
 * every offset that is an instruction boundary of some stream, the row
 * is the site's own rule moved by the flattened depth (flatten.c proved
 * that one depth holds for every stream there), flagged PV_UW_SITE, and
 * saying where the caller's rbp is if a stream pushed it. A site in a
 * frame whose CFA is rbp gets no rows (rsp is moot there), but no stream
 * may change rbp in it.
 * Then compaction, the function names, and the bytes.
 * docs/unwind.md describes the table and its rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv_unwind.h"
#include "pvcheck.h"

struct site_depth {
	uint64_t addr;
	unsigned len;
	struct pvc_site_at at[PV_MAX_SITE_LEN];
};

static struct site_depth *sites;
static size_t nsites;
static struct pvc_row *rows;
static size_t nrows, rows_cap;

void pvc_unwind_add_site(uint64_t addr, unsigned len,
			 const struct pvc_site_at *at)
{
	struct site_depth *grown =
	    realloc(sites, (nsites + 1) * sizeof(*sites));

	if (!grown)
		exit(2);
	sites = grown;
	sites[nsites] = (struct site_depth){.addr = addr, .len = len};
	memcpy(sites[nsites].at, at, len * sizeof(*at));
	nsites++;
}

void pvc_unwind_reset(void)
{
	free(sites);
	free(rows);
	sites = NULL;
	rows = NULL;
	nsites = nrows = rows_cap = 0;
}

static void add_row(const struct pvc_row *from)
{
	struct pvc_row r = *from;

	if (nrows == rows_cap) {
		size_t cap = rows_cap ? 2 * rows_cap : 1024;
		struct pvc_row *grown = realloc(rows, cap * sizeof(*rows));

		if (!grown)
			exit(2);
		rows = grown;
		rows_cap = cap;
	}
	r.seq = nrows;
	rows[nrows++] = r;
}

static bool same_rule(const struct pvc_row *a, const struct pvc_row *b)
{
	return a->type == b->type && a->reg == b->reg &&
	       a->cfa_off == b->cfa_off && a->rbp_off == b->rbp_off &&
	       a->flags == b->flags;
}

/* ---- the table ---- */

static int row_by_ip(const void *a, const void *b)
{
	const struct pvc_row *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The last row at or before (ip), in the sorted rows. */
static struct pvc_row *row_at(uint64_t ip)
{
	size_t lo = 0, hi = nrows;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (rows[mid].ip <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &rows[lo - 1] : NULL;
}

/*
 * Every branch the assembly follower met must land where the rows have a
 * rule: code after a ret or jmp that only a branch reaches gets none from
 * a follower that goes straight on, and a CPU stopped there would have a
 * backtrace that stops at once (the live switch then counts its stack as
 * cut). The fix is in the code: put it where the flow reaches it, or make
 * the branch a tail jump to a label of its own.
 */
static bool branch_targets_have_rules(const struct pvc_image *img)
{
	const struct pvc_branch *b;
	size_t n = pvc_code_branches(&b);
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		const struct pvc_row *r = row_at(b[i].to);
		char from[96], to[96];

		if (r && r->type != PV_UW_UNDEF)
			continue;
		pvc_where(img, b[i].from, from, sizeof(from));
		pvc_where(img, b[i].to, to, sizeof(to));
		pvc_violation("unwind: the jump at %s lands on %s, which has "
			      "no unwind rule: code only a branch reaches; "
			      "put it where the flow goes on, or jump to a "
			      "label of its own",
			      from, to);
		ok = false;
	}
	return ok;
}

static void sort_rows(void)
{
	qsort(rows, nrows, sizeof(*rows), row_by_ip);
}

/* Keep a row only where the rule changes; at one ip, the later one. */
static void compact(void)
{
	size_t out = 0;

	for (size_t i = 0; i < nrows; i++) {
		if (out && rows[out - 1].ip == rows[i].ip) {
			rows[out - 1] = rows[i]; /* the later source wins */
			continue;
		}
		if (out && same_rule(&rows[out - 1], &rows[i]))
			continue;
		rows[out++] = rows[i];
	}
	nrows = out;
}

/* The rows of the sites: their own rule moved by the flattened depth. */
static bool add_site_rows(const struct pvc_image *img)
{
	size_t ncode = nrows;
	bool ok = true;

	for (size_t i = 0; i < nsites; i++) {
		const struct site_depth *s = &sites[i];
		const struct pvc_row *base = row_at(s->addr), *next;
		char where[96];

		/* row_at() searches the code's rows only: ncode. */
		next = base ? base + 1 : rows;
		if (next < rows + ncode && next->ip < s->addr + s->len) {
			pvc_violation(
			    "unwind: the site at %s (%#llx): its unwind rule "
			    "changes inside it, at +%llu",
			    pvc_where(img, s->addr, where, sizeof(where)),
			    (unsigned long long)s->addr,
			    (unsigned long long)(next->ip - s->addr));
			ok = false;
			continue;
		}
		if (!base || base->type != PV_UW_CALL)
			continue; /* no rule: nothing to move */
		if (base->reg != PV_UW_RSP) {
			/* CFA from rbp: rsp is moot, rbp must stay. */
			for (unsigned off = 1; off < s->len; off++)
				if (s->at[off].rbp_moved) {
					pvc_violation(
					    "unwind: the site at %s (%#llx) "
					    "is in a frame whose CFA is rbp, "
					    "and a stream changes rbp at +%u",
					    pvc_where(img, s->addr, where,
						      sizeof(where)),
					    (unsigned long long)s->addr, off);
					ok = false;
					break;
				}
			continue;
		}
		for (unsigned off = 1; off < s->len; off++) {
			struct pvc_row r = *base;

			if (!s->at[off].boundary)
				continue;
			r.ip = s->addr + off;
			r.cfa_off -= s->at[off].depth;
			r.flags |= PV_UW_SITE;
			/* The caller's rbp still in rbp, and a stream saved
			 * it: it is in that slot now (rbp_off from the CFA,
			 * which is rsp0 + the base's cfa_off). */
			if (!(base->flags & PV_UW_RBP_SAVED) &&
			    s->at[off].rbp_slot < 0) {
				r.flags |= PV_UW_RBP_SAVED;
				r.rbp_off = s->at[off].rbp_slot - base->cfa_off;
			}
			add_row(&r);
		}
		if (!(next < rows + ncode && next->ip == s->addr + s->len)) {
			struct pvc_row r = *base;

			r.ip = s->addr + s->len;
			add_row(&r);
		}
	}
	return ok;
}

/* ---- functions, for names ---- */

struct func {
	uint64_t ip, size;
	const char *name;
};

static bool names_code(const struct pvc_symbol *s)
{
	return s->exec && (s->func || (!strchr(s->name, '.') &&
				       strncmp(s->name, "__", 2) != 0));
}

static int func_by_ip(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static size_t collect_funcs(const struct pvc_image *img, struct func **out)
{
	struct func *f = calloc(img->nsyms + 1, sizeof(*f));
	size_t n = 0, kept = 0;

	if (!f)
		exit(2);
	for (size_t i = 0; i < img->nsyms; i++)
		if (names_code(&img->syms[i]))
			f[n++] =
			    (struct func){img->syms[i].addr, img->syms[i].size,
					  img->syms[i].name};
	qsort(f, n, sizeof(*f), func_by_ip);
	for (size_t i = 0; i < n; i++) {
		if (kept && f[kept - 1].ip == f[i].ip)
			continue; /* an alias: the first name */
		f[kept++] = f[i];
	}
	for (size_t i = 0; i < kept; i++)
		if (!f[i].size && i + 1 < kept)
			f[i].size = f[i + 1].ip - f[i].ip;
	*out = f;
	return kept;
}

/* ---- serializing ---- */

static void serialize(const struct pvc_image *img, uint64_t text_base,
		      uint8_t **blob, size_t *len)
{
	struct func *funcs;
	size_t nfuncs = collect_funcs(img, &funcs), strsize = 0;
	struct pv_unwind_header h = {.magic = PV_UNWIND_MAGIC,
				     .version = PV_UNWIND_VERSION,
				     .text_base = text_base};
	uint8_t *b;

	for (size_t i = 0; i < nfuncs; i++)
		strsize += strlen(funcs[i].name) + 1;
	h.nrows = (uint32_t)nrows;
	h.rows = sizeof(h);
	h.nfuncs = (uint32_t)nfuncs;
	h.funcs = h.rows + h.nrows * (uint32_t)sizeof(struct pv_unwind_row);
	h.strtab = h.funcs + h.nfuncs * (uint32_t)sizeof(struct pv_unwind_func);
	h.strsize = (uint32_t)strsize;
	*len = h.strtab + strsize;
	b = calloc(1, *len);
	if (!b)
		exit(2);
	memcpy(b, &h, sizeof(h));
	for (size_t i = 0; i < nrows; i++) {
		struct pv_unwind_row r = {
		    .ip = (uint32_t)(rows[i].ip - text_base),
		    .cfa_off = (int16_t)rows[i].cfa_off,
		    .rbp_off = (int16_t)rows[i].rbp_off,
		    .type = rows[i].type,
		    .reg = rows[i].reg,
		    .flags = rows[i].flags,
		};
		memcpy(b + h.rows + i * sizeof(r), &r, sizeof(r));
	}
	strsize = 0;
	for (size_t i = 0; i < nfuncs; i++) {
		struct pv_unwind_func f = {
		    .ip = (uint32_t)(funcs[i].ip - text_base),
		    .size = (uint32_t)funcs[i].size,
		    .name = (uint32_t)strsize};

		memcpy(b + h.funcs + i * sizeof(f), &f, sizeof(f));
		memcpy(b + h.strtab + strsize, funcs[i].name,
		       strlen(funcs[i].name) + 1);
		strsize += strlen(funcs[i].name) + 1;
	}
	free(funcs);
	*blob = b;
}

bool pvc_unwind_build(const struct pvc_image *img, uint8_t **blob, size_t *len)
{
	struct pvc_section sec;
	uint64_t text_base = UINT64_MAX;
	bool ok;

	for (unsigned s = 0; pvc_exec_section(img, s, &sec); s++)
		if (pvc_addr(img, sec.start) < text_base)
			text_base = pvc_addr(img, sec.start);
	if (text_base == UINT64_MAX || !pvc_hints_load(img)) {
		pvc_violation("unwind: no executable section, or bad hints");
		return false;
	}
	nrows = 0;
	ok = pvc_code_rows(img, add_row);
	sort_rows();
	compact();
	ok = branch_targets_have_rules(img) && ok;
	ok = add_site_rows(img) && ok;
	sort_rows();
	compact();
	pvc_hints_free();
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].ip - text_base > UINT32_MAX ||
		    rows[i].cfa_off != (int16_t)rows[i].cfa_off) {
			pvc_violation("unwind: a row at %#llx does not fit the "
				      "table's fields",
				      (unsigned long long)rows[i].ip);
			return false;
		}
	if (ok)
		serialize(img, text_base, blob, len);
	return ok;
}

void pvc_unwind_print(const uint8_t *blob, size_t len)
{
	static const char *const types[] = {"undef", "end", "call", "regs",
					    "iret",  "?",   "?",    "?"};
	struct pv_unwind_header h;

	if (len < sizeof(h))
		return;
	memcpy(&h, blob, sizeof(h));
	printf("unwind table: %u rows, %u functions, %zu bytes\n", h.nrows,
	       h.nfuncs, len);
	for (uint32_t i = 0; i < h.nrows; i++) {
		struct pv_unwind_row r;

		memcpy(&r, blob + h.rows + i * sizeof(r), sizeof(r));
		printf("  %#llx %-5s", (unsigned long long)(h.text_base + r.ip),
		       types[r.type & 7]);
		if (r.type == PV_UW_CALL || r.type == PV_UW_REGS ||
		    r.type == PV_UW_IRET)
			printf(" cfa=%s%+d", r.reg == PV_UW_RSP ? "rsp" : "rbp",
			       r.cfa_off);
		if (r.flags & PV_UW_RBP_SAVED)
			printf(" rbp=[cfa%+d]", r.rbp_off);
		if (r.flags & PV_UW_SITE)
			printf(" site");
		printf("\n");
	}
}
