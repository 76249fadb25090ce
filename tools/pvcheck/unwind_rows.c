// SPDX-License-Identifier: MIT
/*
 * unwind_rows.c: pvcheck's pass that follows the CFA through the code:
 * a row for every change of the unwind rule in the executable sections.
 *   - C: the compiler's CFI (.eh_frame, read with libdw), one row per
 *     change of its rule;
 *   - assembly: rsp followed from each global label (a function entry:
 *     the return address at [rsp]) as objtool does, instruction by
 *     instruction; an UNWIND_HINT (guest/unwind_hint.inc) says what it
 *     cannot know (32-bit code, exception stubs, a trap frame). The
 *     follower goes straight on, not along branches: it keeps each
 *     jump's target for unwind.c, which refuses a target that only a
 *     branch reaches (code after a ret or jmp with no label or hint).
 * The rows go to the caller's emit function (unwind.c keeps them).
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
static bool cfi_row(Dwarf_Frame *fr, uint64_t ip, struct pvc_row *r,
		    const struct pvc_image *img)
{
	Dwarf_Op *ops, mem[3];
	size_t n;
	int reg, k;
	char where[96];

	*r = (struct pvc_row){.ip = ip, .type = PV_UW_CALL};
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
	struct pvc_row rule;
};

static struct hint *hints;
static size_t nhints;

static int hint_by_addr(const void *a, const void *b)
{
	const struct hint *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

bool pvc_hints_load(const struct pvc_image *img)
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
			if (h.type > PV_UW_IRET || h.reg > PV_UW_RBP ||
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

void pvc_hints_free(void)
{
	free(hints);
	hints = NULL;
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

static bool is_pop_rbp(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	return in->id == X86_INS_POP && x->op_count == 1 &&
	       x->operands[0].type == X86_OP_REG &&
	       x->operands[0].reg == X86_REG_RBP;
}

/* CFA from rbp: only leave (rsp = rbp, pop rbp) or a write to rbp
 * changes the rule. */
static void step_rbp_based(const cs_insn *in, struct pvc_row *r)
{
	if (in->id == X86_INS_LEAVE) {
		r->reg = PV_UW_RSP;
		if (r->flags & PV_UW_RBP_SAVED && r->rbp_off == -r->cfa_off)
			r->flags &= (uint8_t)~PV_UW_RBP_SAVED;
		r->cfa_off -= 8;
	} else if (pvc_writes_reg(in, X86_REG_RBP)) {
		r->type = PV_UW_UNDEF;
	}
}

/* CFA from rsp: the frame model (frame.c) says how rsp moves, whether
 * the caller's rbp was pushed or popped back, and whether rbp became the
 * frame pointer. */
static void step_rsp_based(const cs_insn *in, struct pvc_row *r)
{
	struct pvc_frame f;
	char why[128];
	bool saved = r->flags & PV_UW_RBP_SAVED;

	if (saved && is_pop_rbp(in) && r->rbp_off == -r->cfa_off) {
		r->flags &= (uint8_t)~PV_UW_RBP_SAVED; /* back in rbp */
		r->cfa_off -= 8;
		return;
	}
	pvc_frame_start(&f);
	if (pvc_frame_step(&f, in, why, sizeof(why))) {
		r->type = PV_UW_UNDEF; /* mov rsp, ...; and rsp, ... */
		return;
	}
	if (!saved && f.saved[PV_REG_RBP]) {
		r->flags |= PV_UW_RBP_SAVED;
		r->rbp_off = (int16_t)(f.saved[PV_REG_RBP] - r->cfa_off);
	}
	if (f.rbp == PVC_RBP_FRAME) {
		/* mov rbp, rsp (or enter): the CFA is as far from rbp, and
		 * rsp's further moves are moot */
		r->reg = PV_UW_RBP;
		r->cfa_off -= f.rbp_frame;
	} else {
		r->cfa_off -= f.depth; /* rsp down: the CFA further from it */
	}
}

/* The rule after (in), given the rule (r) before it. */
static void step(const cs_insn *in, struct pvc_row *r)
{
	if (ends_flow(in))
		r->type = PV_UW_UNDEF;
	else if (r->type == PV_UW_UNDEF || r->type == PV_UW_END)
		return;
	else if (r->reg == PV_UW_RBP)
		step_rbp_based(in, r);
	else
		step_rsp_based(in, r);
	if (r->type == PV_UW_UNDEF)
		*r = (struct pvc_row){.ip = r->ip, .type = PV_UW_UNDEF};
}

static struct pvc_branch *branches;
static size_t nbranches, branches_cap;

size_t pvc_code_branches(const struct pvc_branch **out)
{
	*out = branches;
	return nbranches;
}

/* (in) jumps to a fixed address (jmp or jcc rel): keep it. */
static void note_branch(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	bool jump = false;

	for (unsigned g = 0; g < in->detail->groups_count; g++)
		jump |= in->detail->groups[g] == CS_GRP_JUMP;
	if (!jump || x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return;
	if (nbranches == branches_cap) {
		size_t cap = branches_cap ? 2 * branches_cap : 256;
		struct pvc_branch *grown =
		    realloc(branches, cap * sizeof(*branches));

		if (!grown)
			exit(2);
		branches = grown;
		branches_cap = cap;
	}
	branches[nbranches++] =
	    (struct pvc_branch){in->address, (uint64_t)x->operands[0].imm};
}

/*
 * Follow one instruction of assembly at (*addr), which no CFI covers: its
 * row, then the rule after it. (*r) is the rule flowing in and out.
 */
static void follow_insn(const struct pvc_image *img, pvc_emit_row *emit,
			uint64_t *addr, uint64_t end, struct pvc_row *r)
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
		*r = (struct pvc_row){
		    .type = PV_UW_CALL, .reg = PV_UW_RSP, .cfa_off = 8};
	}
	r->ip = *addr;
	emit(r);
	if (cs_disasm(pvc_cs(), pvc_ptr(img, *addr), end - *addr, *addr, 1,
		      &in) != 1) {
		*r = (struct pvc_row){.type = PV_UW_UNDEF};
		(*addr)++;
		return;
	}
	if (r->type != PV_UW_UNDEF && r->type != PV_UW_END)
		note_branch(in);
	step(in, r);
	*addr += in->size;
	cs_free(in, 1);
}

/* Cover every executable section: CFI where there is some, else asm. */
bool pvc_code_rows(const struct pvc_image *img, pvc_emit_row *emit)
{
	Dwarf_CFI *cfi = dwarf_getcfi_elf(pvc_image_elf());
	struct pvc_section sec;
	bool ok = true;

	nbranches = 0;
	for (unsigned s = 0; pvc_exec_section(img, s, &sec); s++) {
		uint64_t addr = pvc_addr(img, sec.start);
		uint64_t end = pvc_addr(img, sec.end);
		struct pvc_row flow = {.type = PV_UW_UNDEF};

		while (addr < end) {
			Dwarf_Frame *fr;
			Dwarf_Addr lo, hi;
			struct pvc_row r;

			if (!cfi || dwarf_cfi_addrframe(cfi, addr, &fr) != 0) {
				follow_insn(img, emit, &addr, end, &flow);
				continue;
			}
			if (dwarf_frame_info(fr, &lo, &hi, NULL) < 0 ||
			    hi <= addr)
				hi = addr + 1;
			if (cfi_row(fr, addr, &r, img))
				emit(&r);
			else
				ok = false;
			free(fr);
			addr = hi < end ? hi : end;
			flow = (struct pvc_row){.type = PV_UW_UNDEF};
		}
		/* Past the section: nothing. */
		emit(&(struct pvc_row){.ip = end, .type = PV_UW_UNDEF});
	}
	if (cfi)
		dwarf_cfi_end(cfi);
	return ok;
}
