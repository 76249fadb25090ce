// SPDX-License-Identifier: MIT
/*
 * unwind.c: build the guest's unwind table (include/pv_unwind.h) from a
 * linked image. Every byte of executable code gets a rule:
 *   - C: the compiler's CFI (.eh_frame, read with libdw), one row per
 *     change of its rule;
 *   - assembly: pvcheck follows rsp from each global label (a function
 *     entry: the return address at [rsp]) as objtool does, instruction by
 *     instruction; an UNWIND_HINT (guest/unwind_hint.inc) says what it
 *     cannot know (32-bit code, exception stubs, a trap frame);
 *   - patch sites: neither source knows what the engine writes there. At
 *     every offset that is an instruction boundary of some stream, the
 *     row is the site's own rule moved by the flattened depth (main.c
 *     proved that one depth holds for every stream there), flagged
 *     PV_UW_SITE.
 * docs/unwind.md describes the table and its rules.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv_unwind.h"
#include "pvcheck.h"

#define DW_REG_RBP 6
#define DW_REG_RSP 7
#define DW_REG_RA  16

struct row {
	uint64_t ip;
	size_t seq; /* order added: at one ip, the later row wins */
	int cfa_off, rbp_off;
	uint8_t type, reg, flags;
};

struct site_depth {
	uint64_t addr;
	unsigned len;
	int depth[PV_MAX_SITE_LEN];
	bool boundary[PV_MAX_SITE_LEN];
};

static struct site_depth *sites;
static size_t nsites;
static struct row *rows;
static size_t nrows, rows_cap;

void pvc_unwind_add_site(uint64_t addr, unsigned len, const int *depth,
			 const bool *boundary)
{
	struct site_depth *grown =
	    realloc(sites, (nsites + 1) * sizeof(*sites));

	if (!grown)
		exit(2);
	sites = grown;
	sites[nsites] = (struct site_depth){.addr = addr, .len = len};
	memcpy(sites[nsites].depth, depth, len * sizeof(*depth));
	memcpy(sites[nsites].boundary, boundary, len * sizeof(*boundary));
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

static void add_row(struct row r)
{
	if (nrows == rows_cap) {
		size_t cap = rows_cap ? 2 * rows_cap : 1024;
		struct row *grown = realloc(rows, cap * sizeof(*rows));

		if (!grown)
			exit(2);
		rows = grown;
		rows_cap = cap;
	}
	r.seq = nrows;
	rows[nrows++] = r;
}

static bool same_rule(const struct row *a, const struct row *b)
{
	return a->type == b->type && a->reg == b->reg &&
	       a->cfa_off == b->cfa_off && a->rbp_off == b->rbp_off &&
	       a->flags == b->flags;
}

/* ---- the compiler's CFI ---- */

/* "CFA + k" as libdw gives a register rule; false for anything else. */
static bool cfa_plus(const Dwarf_Op *ops, size_t n, int *k)
{
	if (n < 1 || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (n == 1) {
		*k = 0;
		return true;
	}
	if (n == 2 && ops[1].atom == DW_OP_plus_uconst) {
		*k = (int)ops[1].number;
		return true;
	}
	if (n == 3 && ops[1].atom == DW_OP_consts &&
	    ops[2].atom == DW_OP_plus) {
		*k = (int)(int64_t)ops[1].number;
		return true;
	}
	return false;
}

/* The row of (fr), the CFI frame at (ip); false (reported) if the rule is
 * not one the table can hold. */
static bool cfi_row(Dwarf_Frame *fr, uint64_t ip, struct row *r,
		    const struct pvc_image *img)
{
	Dwarf_Op *ops, mem[3];
	size_t n;
	int reg, k;
	char where[96];

	*r = (struct row){.ip = ip, .type = PV_UW_CALL};
	pvc_where(img, ip, where, sizeof(where));
	if (dwarf_frame_cfa(fr, &ops, &n) != 0 || n != 1) {
		pvc_violation("unwind: %s (%#llx): the CFA is not a register "
			      "plus an offset",
			      where, (unsigned long long)ip);
		return false;
	}
	if (ops[0].atom == DW_OP_bregx) {
		reg = (int)ops[0].number;
		r->cfa_off = (int)(int64_t)ops[0].number2;
	} else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		reg = ops[0].atom - DW_OP_breg0;
		r->cfa_off = (int)(int64_t)ops[0].number;
	} else {
		reg = -1;
	}
	if (reg != DW_REG_RSP && reg != DW_REG_RBP) {
		pvc_violation(
		    "unwind: %s (%#llx): the CFA is based on DWARF "
		    "register %d, not rsp or rbp (stack realignment?)",
		    where, (unsigned long long)ip, reg);
		return false;
	}
	r->reg = reg == DW_REG_RSP ? PV_UW_RSP : PV_UW_RBP;
	if (dwarf_frame_register(fr, DW_REG_RA, mem, &ops, &n) != 0 ||
	    !cfa_plus(ops, n, &k) || k != -8) {
		pvc_violation("unwind: %s (%#llx): the return address is not "
			      "at CFA-8",
			      where, (unsigned long long)ip);
		return false;
	}
	if (dwarf_frame_register(fr, DW_REG_RBP, mem, &ops, &n) != 0) {
		pvc_violation("unwind: %s (%#llx): no rule for rbp", where,
			      (unsigned long long)ip);
		return false;
	}
	if (n == 0 && ops == NULL)
		return true; /* same value: the caller's rbp is still in rbp */
	if (!cfa_plus(ops, n, &k)) {
		pvc_violation("unwind: %s (%#llx): rbp is saved in a way the "
			      "table cannot hold",
			      where, (unsigned long long)ip);
		return false;
	}
	r->flags = PV_UW_RBP_SAVED;
	r->rbp_off = k;
	return true;
}

/* ---- following rsp through assembly ---- */

struct hint {
	uint64_t addr;
	struct row rule;
};

static struct hint *hints;
static size_t nhints;

static int hint_by_addr(const void *a, const void *b)
{
	const struct hint *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool load_hints(const struct pvc_image *img)
{
	Elf *elf = pvc_image_elf();
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	nhints = 0;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".pv_unwind_hints") != 0)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || d->d_size % sizeof(struct pv_unwind_hint)) {
			pvc_violation("unwind: .pv_unwind_hints is not a whole "
				      "number of hints");
			return false;
		}
		nhints = d->d_size / sizeof(struct pv_unwind_hint);
		hints = calloc(nhints + 1, sizeof(*hints));
		if (!hints)
			exit(2);
		for (size_t i = 0; i < nhints; i++) {
			struct pv_unwind_hint h;

			memcpy(&h, (const uint8_t *)d->d_buf + i * sizeof(h),
			       sizeof(h));
			if (h.type > PV_UW_REGS || h.reg > PV_UW_RBP ||
			    !pvc_ptr(img, h.addr)) {
				pvc_violation("unwind: hint %zu (at %#llx) is "
					      "malformed",
					      i, (unsigned long long)h.addr);
				return false;
			}
			hints[i] = (struct hint){h.addr,
						 {.type = h.type,
						  .reg = h.reg,
						  .cfa_off = h.cfa_off}};
		}
		qsort(hints, nhints, sizeof(*hints), hint_by_addr);
	}
	return true;
}

static const struct hint *hint_at(uint64_t addr)
{
	struct hint key = {.addr = addr};

	return nhints
		   ? bsearch(&key, hints, nhints, sizeof(*hints), hint_by_addr)
		   : NULL;
}

static const struct pvc_symbol *global_at(const struct pvc_image *img,
					  uint64_t addr)
{
	for (size_t i = 0; i < img->nsyms; i++)
		if (img->syms[i].addr == addr && img->syms[i].global &&
		    img->syms[i].exec)
			return &img->syms[i];
	return NULL;
}

static bool ends_flow(const cs_insn *in)
{
	return in->id == X86_INS_JMP || in->id == X86_INS_RET ||
	       in->id == X86_INS_IRETQ || in->id == X86_INS_IRET ||
	       in->id == X86_INS_UD2 || in->id == X86_INS_LJMP;
}

/* The rule after (in), given the rule (r) before it. */
static void step(const cs_insn *in, struct row *r)
{
	int delta;

	if (ends_flow(in))
		r->type = PV_UW_UNDEF;
	else if (r->type == PV_UW_UNDEF || r->type == PV_UW_END)
		return;
	else if (r->reg == PV_UW_RBP)
		r->type =
		    pvc_writes_reg(in, X86_REG_RBP) ? PV_UW_UNDEF : r->type;
	else if (pvc_rsp_delta(in, &delta))
		r->cfa_off -= delta; /* rsp down: the CFA is further from it */
	else
		r->type = PV_UW_UNDEF; /* mov rsp, ...; and rsp, ...; leave */
	if (r->type == PV_UW_UNDEF)
		*r = (struct row){.ip = r->ip, .type = PV_UW_UNDEF};
}

/*
 * Follow one instruction of assembly at (*addr), which no CFI covers: its
 * row, then the rule after it. (*r) is the rule flowing in and out.
 */
static void follow_insn(const struct pvc_image *img, uint64_t *addr,
			uint64_t end, struct row *r)
{
	const struct hint *h = hint_at(*addr);
	const struct pvc_symbol *g = global_at(img, *addr);
	cs_insn *in;

	if (h) {
		*r = h->rule;
	} else if (g) {
		/* A global label: where callers come in. Reached from above
		 * with a deeper stack, it is no function entry, and only a
		 * hint can say what it is. */
		if (r->type == PV_UW_CALL &&
		    !(r->reg == PV_UW_RSP && r->cfa_off == 8))
			pvc_violation("unwind: global label %s (%#llx) is "
				      "reached with CFA %s%+d: not a function "
				      "entry; add an UNWIND_HINT",
				      g->name, (unsigned long long)*addr,
				      r->reg == PV_UW_RSP ? "rsp" : "rbp",
				      r->cfa_off);
		*r = (struct row){
		    .type = PV_UW_CALL, .reg = PV_UW_RSP, .cfa_off = 8};
	}
	r->ip = *addr;
	add_row(*r);
	if (cs_disasm(pvc_cs(), pvc_ptr(img, *addr), end - *addr, *addr, 1,
		      &in) != 1) {
		*r = (struct row){.type = PV_UW_UNDEF};
		(*addr)++;
		return;
	}
	step(in, r);
	*addr += in->size;
	cs_free(in, 1);
}

/* ---- the table ---- */

static int row_by_ip(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The last row at or before (ip), in the sorted rows. */
static struct row *row_at(uint64_t ip)
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

/* Cover every executable section: CFI where there is some, else asm. */
static bool cover_code(const struct pvc_image *img, Dwarf_CFI *cfi)
{
	struct pvc_section sec;
	bool ok = true;

	for (unsigned s = 0; pvc_exec_section(img, s, &sec); s++) {
		uint64_t addr = pvc_addr(img, sec.start);
		uint64_t end = pvc_addr(img, sec.end);
		struct row flow = {.type = PV_UW_UNDEF};

		while (addr < end) {
			Dwarf_Frame *fr;
			Dwarf_Addr lo, hi;
			struct row r;

			if (!cfi || dwarf_cfi_addrframe(cfi, addr, &fr) != 0) {
				follow_insn(img, &addr, end, &flow);
				continue;
			}
			if (dwarf_frame_info(fr, &lo, &hi, NULL) < 0 ||
			    hi <= addr)
				hi = addr + 1;
			if (cfi_row(fr, addr, &r, img))
				add_row(r);
			else
				ok = false;
			free(fr);
			addr = hi < end ? hi : end;
			flow = (struct row){.type = PV_UW_UNDEF};
		}
		/* Past the section: nothing. */
		add_row((struct row){.ip = end, .type = PV_UW_UNDEF});
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
		const struct row *base = row_at(s->addr), *next;
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
		if (!base || base->type != PV_UW_CALL || base->reg != PV_UW_RSP)
			continue; /* CFA from rbp, or no rule: rsp is moot */
		for (unsigned off = 1; off < s->len; off++) {
			struct row r = *base;

			if (!s->boundary[off])
				continue;
			r.ip = s->addr + off;
			r.cfa_off -= s->depth[off];
			r.flags |= PV_UW_SITE;
			add_row(r);
		}
		if (!(next < rows + ncode && next->ip == s->addr + s->len)) {
			struct row r = *base;

			r.ip = s->addr + s->len;
			add_row(r);
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
	Dwarf_CFI *cfi = dwarf_getcfi_elf(pvc_image_elf());
	struct pvc_section sec;
	uint64_t text_base = UINT64_MAX;
	bool ok;

	for (unsigned s = 0; pvc_exec_section(img, s, &sec); s++)
		if (pvc_addr(img, sec.start) < text_base)
			text_base = pvc_addr(img, sec.start);
	if (text_base == UINT64_MAX || !load_hints(img)) {
		pvc_violation("unwind: no executable section, or bad hints");
		return false;
	}
	nrows = 0;
	ok = cover_code(img, cfi);
	if (cfi)
		dwarf_cfi_end(cfi);
	sort_rows();
	compact();
	ok = add_site_rows(img) && ok;
	sort_rows();
	compact();
	free(hints);
	hints = NULL;
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
	static const char *const types[] = {"undef", "end", "call", "regs"};
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
		       types[r.type & 3]);
		if (r.type == PV_UW_CALL || r.type == PV_UW_REGS)
			printf(" cfa=%s%+d", r.reg == PV_UW_RSP ? "rsp" : "rbp",
			       r.cfa_off);
		if (r.flags & PV_UW_RBP_SAVED)
			printf(" rbp=[cfa%+d]", r.rbp_off);
		if (r.flags & PV_UW_SITE)
			printf(" site");
		printf("\n");
	}
}
