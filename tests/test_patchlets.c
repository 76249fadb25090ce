// SPDX-License-Identifier: MIT
/*
 * test_patchlets.c: the patchlet tables against the NASM objects and an
 * independent decoder. Each descriptor must agree with its global start
 * and end labels; each patchlet must decode, with Capstone, to exactly the
 * instructions its name says; every relative branch Capstone finds must
 * be in the descriptor's relocations; and every general register the
 * instructions write (per Capstone) must be in the declared clobbers.
 */
#include <capstone/capstone.h>
#include <criterion/criterion.h>
#include <string.h>

#include "pv_host.h"

#define PATCHLET(name) extern const uint8_t name##_start[], name##_end[]

/*
 * What each op's native patchlet is, as Capstone renders it ("mnemonic
 * op_str; ..."): the one line per op here. Its plain and CS-padded
 * patchlets are checked against it (the padding's CS override, which
 * 64-bit mode ignores, may show on a memory operand as "cs:"). A missing
 * line is a compile error naming the op.
 */
#define INSNS_save_fl	    "pushfq ; pop rax"
#define INSNS_restore_fl    "push rdi; popfq "
#define INSNS_irq_disable   "cli "
#define INSNS_irq_enable    "sti "
#define INSNS_safe_halt	    "sti ; hlt "
#define INSNS_read_cr2	    "mov rax, cr2"
#define INSNS_read_cr3	    "mov rax, cr3"
#define INSNS_write_cr3	    "mov cr3, rdi"
#define INSNS_flush_tlb_one "invlpg byte ptr [rdi]"
#define INSNS_wbinvd	    "wbinvd "
#define INSNS_read_cr0	    "mov rax, cr0"
#define INSNS_read_cr4	    "mov rax, cr4"
#define INSNS_set_pte	    "mov qword ptr [rdi], rsi"

#define OP_PATCHLETS(name, NAME, contract, shape, bench, batch)                \
	PATCHLET(pv_native_##name);                                            \
	PATCHLET(pv_fit_##name);
PV_OP_LIST(OP_PATCHLETS)
#undef OP_PATCHLETS
PATCHLET(pv_nop1);
PATCHLET(pv_nop2);
PATCHLET(pv_nop3);
PATCHLET(pv_nop4);
PATCHLET(pv_nop5);
PATCHLET(pv_nop6);
PATCHLET(pv_nop7);
PATCHLET(pv_nop8);
PATCHLET(pv_tmpl_call);
PATCHLET(pv_tmpl_call_fit);
PATCHLET(pv_tmpl_indirect);
PATCHLET(pv_tmpl_mov_edx);
PATCHLET(pv_alt_rdtscp);
PATCHLET(pv_test_reloc_call);

struct expect {
	const char *name;
	const struct pv_patchlet *desc;
	const uint8_t *start, *end;
	unsigned op;
	const char *insns; /* Capstone's text, "mnemonic op_str; ..." */
};

#define E(name, op, insns)                                                     \
	{                                                                      \
#name, &name##_desc, name##_start, name##_end, op, insns       \
	}

static const struct expect expected[] = {
#define OP_EXPECTED(name, NAME, contract, shape, bench, batch)                 \
	E(pv_native_##name, PV_OP_##NAME, INSNS_##name),                       \
	    E(pv_fit_##name, PV_OP_##NAME, INSNS_##name),
    PV_OP_LIST(OP_EXPECTED)
#undef OP_EXPECTED
	E(pv_nop1, PV_PATCHLET_NOP, "nop "),
    E(pv_nop2, PV_PATCHLET_NOP, "nop "),
    E(pv_nop3, PV_PATCHLET_NOP, "nop dword ptr [rax]"),
    E(pv_nop4, PV_PATCHLET_NOP, "nop dword ptr [rax]"),
    E(pv_nop5, PV_PATCHLET_NOP, "nop dword ptr [rax + rax]"),
    E(pv_nop6, PV_PATCHLET_NOP, "nop word ptr [rax + rax]"),
    E(pv_nop7, PV_PATCHLET_NOP, "nop dword ptr [rax]"),
    E(pv_nop8, PV_PATCHLET_NOP, "nop dword ptr [rax + rax]"),
    E(pv_tmpl_call, PV_PATCHLET_CALL, "call *"),
    E(pv_tmpl_call_fit, PV_PATCHLET_CALL, "call *"),
    E(pv_tmpl_indirect, PV_PATCHLET_INDIRECT, "call qword ptr [rip]"),
    E(pv_tmpl_mov_edx, PV_PATCHLET_TEST, "mov edx, 0"),
    E(pv_alt_rdtscp, PV_PATCHLET_ALT, "rdtscp ; lfence "),
    E(pv_test_reloc_call, PV_PATCHLET_TEST, "call *; inc rax; ret "),
};

#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static csh cs;

static void setup(void)
{
	cr_assert_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &cs), CS_ERR_OK);
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
}

static void teardown(void)
{
	cs_close(&cs);
}

TestSuite(patchlets, .init = setup, .fini = teardown);

Test(patchlets, descriptors_agree_with_the_labels)
{
	for (unsigned i = 0; i < NEXPECTED; i++) {
		const struct expect *e = &expected[i];

		cr_assert_eq(pv_patchlet_bytes(e->desc), e->start,
			     "%s: start is not %s_start", e->name, e->name);
		cr_assert_eq(e->desc->len, (size_t)(e->end - e->start),
			     "%s: len %u, labels say %td", e->name,
			     e->desc->len, e->end - e->start);
		cr_assert_eq(e->desc->op, e->op, "%s: op %u", e->name,
			     e->desc->op);
	}
}

/*
 * The native backend's direct-call target is the patchlet's own bytes and
 * a ret (patchdata/native.S): no C function, no thunk.
 */
Test(patchlets, every_native_function_is_its_patchlet_and_ret)
{
	static const uint8_t *const fns[PV_OP_COUNT] = {
#define FN(name, NAME, contract, shape, bench, batch)                          \
	[PV_OP_##NAME] = (const uint8_t *)pv_native_##name##_fn,
	    PV_OP_LIST(FN)
#undef FN
	};

	for (unsigned op = 0; op < PV_OP_COUNT; op++) {
		const struct pv_patchlet *p = pv_native_patchlets[op];

		cr_assert_eq(memcmp(fns[op], pv_patchlet_bytes(p), p->len), 0,
			     "%s", pv_op_name(op));
		cr_assert_eq(fns[op][p->len], 0xc3, "%s: no ret after it",
			     pv_op_name(op));
	}
}

Test(patchlets, every_op_has_a_native_patchlet_that_fits_a_site)
{
	for (unsigned op = 0; op < PV_OP_COUNT; op++) {
		const struct pv_patchlet *p = pv_native_patchlets[op];

		cr_assert_not_null(p, "op %u", op);
		cr_assert_eq(p->op, op, "op %u has %s's patchlet", op,
			     pv_op_name(p->op));
		cr_assert_leq(p->len, pv_tmpl_indirect_desc.len,
			      "%s: longer than a call site", pv_op_name(op));
	}
}

/* Render (p) as Capstone sees it, "mnemonic op_str; ..."; relative call
 * targets become "*" since they depend on where the bytes are. */
static void render(const struct pv_patchlet *p, char *out, size_t size,
		   cs_insn **insn, size_t *count)
{
	size_t n = cs_disasm(cs, pv_patchlet_bytes(p), p->len, 0x1000, 0, insn);
	size_t used = 0, bytes = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		cs_insn *in = &(*insn)[i];
		bool rel = cs_insn_group(cs, in, CS_GRP_BRANCH_RELATIVE);

		used += (size_t)snprintf(out + used, size - used, "%s%s %s",
					 i ? "; " : "", in->mnemonic,
					 rel ? "*" : in->op_str);
		bytes += in->size;
	}
	cr_assert_eq(bytes, p->len, "%s: only %zu of %u bytes decode", out,
		     bytes, p->len);
	*count = n;
}

Test(patchlets, decode_to_what_their_names_say)
{
	for (unsigned i = 0; i < NEXPECTED; i++) {
		const struct expect *e = &expected[i];
		char text[256];
		cs_insn *insn;
		size_t n;

		render(e->desc, text, sizeof(text), &insn, &n);
		if (e->op < PV_OP_COUNT &&
		    e->desc == pv_native_fit_patchlets[e->op]) {
			char *cs_override = strstr(text, "cs:");

			if (cs_override) /* the padding's override, ignored */
				memmove(cs_override, cs_override + 3,
					strlen(cs_override + 3) + 1);
		}
		cr_assert_str_eq(text, e->insns, "%s", e->name);
		if (e->op == PV_PATCHLET_NOP)
			cr_assert_eq(n, 1, "%s: one instruction", e->name);
		cs_free(insn, n);
	}
}

/*
 * Every patchlet can be copied elsewhere (relocation by decoding): after
 * the move, each relative branch and RIP-relative operand that left the
 * patchlet aims at the same address (Capstone's reading of both copies).
 */
Test(patchlets, relative_targets_survive_a_move)
{
	static uint8_t elsewhere[256];

	for (unsigned i = 0; i < NEXPECTED; i++) {
		const struct pv_patchlet *p = expected[i].desc;
		const uint8_t *src = pv_patchlet_bytes(p);
		cs_insn *a, *b;
		size_t na, nb;

		if (p->op == PV_PATCHLET_CALL || p->op == PV_PATCHLET_INDIRECT)
			continue; /* a template: C writes its displacement */
		cr_assert_eq(
		    pv_copy_patchlet(p, elsewhere, (uintptr_t)elsewhere), 0,
		    "%s", expected[i].name);
		na = cs_disasm(cs, src, p->len, (uintptr_t)src, 0, &a);
		nb = cs_disasm(cs, elsewhere, p->len, (uintptr_t)elsewhere, 0,
			       &b);
		cr_assert_eq(na, nb, "%s", expected[i].name);
		for (size_t k = 0; k < na; k++) {
			const cs_x86 *xa = &a[k].detail->x86,
				     *xb = &b[k].detail->x86;

			for (unsigned o = 0; o < xa->op_count; o++) {
				uint64_t ta = 0, tb = 0;

				if (xa->operands[o].type == X86_OP_IMM &&
				    cs_insn_group(cs, &a[k],
						  CS_GRP_BRANCH_RELATIVE)) {
					ta = (uint64_t)xa->operands[o].imm;
					tb = (uint64_t)xb->operands[o].imm;
				} else if (xa->operands[o].type == X86_OP_MEM &&
					   xa->operands[o].mem.base ==
					       X86_REG_RIP) {
					ta = a[k].address + a[k].size +
					     (uint64_t)xa->operands[o].mem.disp;
					tb = b[k].address + b[k].size +
					     (uint64_t)xb->operands[o].mem.disp;
				} else {
					continue;
				}
				if (ta < (uintptr_t)src ||
				    ta >= (uintptr_t)src + p->len)
					cr_assert_eq(ta, tb,
						     "%s: %s %s aims elsewhere "
						     "once moved",
						     expected[i].name,
						     a[k].mnemonic,
						     a[k].op_str);
			}
		}
		cs_free(a, na);
		cs_free(b, nb);
	}
}

/* Capstone register id -> pv_reg bit, for the 64/32-bit GPR names. */
static int gpr_bit(unsigned reg)
{
	static const struct {
		unsigned r64, r32;
	} map[16] = {
	    {X86_REG_RAX, X86_REG_EAX},	 {X86_REG_RCX, X86_REG_ECX},
	    {X86_REG_RDX, X86_REG_EDX},	 {X86_REG_RBX, X86_REG_EBX},
	    {X86_REG_RSP, X86_REG_ESP},	 {X86_REG_RBP, X86_REG_EBP},
	    {X86_REG_RSI, X86_REG_ESI},	 {X86_REG_RDI, X86_REG_EDI},
	    {X86_REG_R8, X86_REG_R8D},	 {X86_REG_R9, X86_REG_R9D},
	    {X86_REG_R10, X86_REG_R10D}, {X86_REG_R11, X86_REG_R11D},
	    {X86_REG_R12, X86_REG_R12D}, {X86_REG_R13, X86_REG_R13D},
	    {X86_REG_R14, X86_REG_R14D}, {X86_REG_R15, X86_REG_R15D},
	};

	for (int i = 0; i < 16; i++)
		if (map[i].r64 == reg || map[i].r32 == reg)
			return i;
	return -1;
}

Test(patchlets, written_registers_are_declared_clobbers)
{
	for (unsigned i = 0; i < NEXPECTED; i++) {
		const struct expect *e = &expected[i];
		char text[256];
		cs_insn *insn;
		size_t n;

		if (e->op == PV_PATCHLET_CALL || strstr(e->insns, "call"))
			continue; /* calls: the callee's clobbers count */
		render(e->desc, text, sizeof(text), &insn, &n);
		for (size_t k = 0; k < n; k++) {
			cs_regs rd, wr;
			uint8_t nrd, nwr;

			cr_assert_eq(
			    cs_regs_access(cs, &insn[k], rd, &nrd, wr, &nwr),
			    CS_ERR_OK);
			for (unsigned w = 0; w < nwr; w++) {
				int bit = gpr_bit(wr[w]);

				if (bit < 0 || bit == PV_REG_RSP)
					continue; /* flags; push/pop balance */
				cr_assert(e->desc->clobbers & (1u << bit),
					  "%s: writes %s, declares %#x",
					  e->name, cs_reg_name(cs, wr[w]),
					  e->desc->clobbers);
			}
		}
		cs_free(insn, n);
	}
}

/*
 * The stack at shared instruction boundaries: a site's only boundaries
 * that every alternative shares are its start and its end, where the
 * original (a call that returns) leaves rsp as it found it. So every
 * patchlet must end with rsp where it started: push/pop and pushfq/popfq
 * in pairs, calls that return, no other write to rsp.
 */
static int stack_delta(const struct expect *e)
{
	char text[256];
	cs_insn *insn;
	size_t n;
	int delta = 0;

	render(e->desc, text, sizeof(text), &insn, &n);
	for (size_t k = 0; k < n; k++) {
		const char *m = insn[k].mnemonic;
		cs_regs rd, wr;
		uint8_t nrd, nwr;
		bool writes_rsp = false;

		if (!strcmp(m, "push") || !strcmp(m, "pushfq")) {
			delta -= 8;
			continue;
		}
		if (!strcmp(m, "pop") || !strcmp(m, "popfq")) {
			delta += 8;
			continue;
		}
		if (!strcmp(m, "call") || !strcmp(m, "ret"))
			continue; /* returns to us / ends the function */
		cr_assert_eq(cs_regs_access(cs, &insn[k], rd, &nrd, wr, &nwr),
			     CS_ERR_OK);
		for (unsigned w = 0; w < nwr; w++)
			writes_rsp |= wr[w] == X86_REG_RSP;
		cr_assert(!writes_rsp, "%s: %s %s moves rsp", e->name, m,
			  insn[k].op_str);
	}
	cs_free(insn, n);
	return delta;
}

Test(patchlets, leave_the_stack_where_they_found_it)
{
	for (unsigned i = 0; i < NEXPECTED; i++)
		cr_assert_eq(stack_delta(&expected[i]), 0,
			     "%s: rsp moves by %d", expected[i].name,
			     stack_delta(&expected[i]));
}

/*
 * The padded variants: as long as an op site, and the same instructions
 * as the plain patchlet, only the first one carrying CS prefixes (which
 * 64-bit mode ignores) and nothing else.
 */
Test(patchlets, padded_variants_are_the_plain_ones_with_cs_prefixes)
{
	for (unsigned op = 0; op < PV_OP_COUNT; op++) {
		const struct pv_patchlet *fit = pv_native_fit_patchlets[op];
		const struct pv_patchlet *plain = pv_native_patchlets[op];
		unsigned pad = fit->len - plain->len;
		cs_insn *insn;
		size_t n;

		cr_assert_eq(fit->len, PV_OP_SITE_LEN, "%s", pv_op_name(op));
		cr_assert_eq(fit->op, op);
		cr_assert_eq(fit->clobbers, plain->clobbers);
		cr_assert_eq(memcmp(pv_patchlet_bytes(fit) + pad,
				    pv_patchlet_bytes(plain), plain->len),
			     0, "%s: not the plain bytes after the prefixes",
			     pv_op_name(op));
		n = cs_disasm(cs, pv_patchlet_bytes(fit), fit->len, 0, 1,
			      &insn);
		cr_assert_eq(n, 1);
		cr_assert_eq(insn[0].detail->x86.prefix[1], X86_PREFIX_CS,
			     "%s: the padding is not a CS prefix",
			     pv_op_name(op));
		cs_free(insn, n);
	}
	cr_assert_eq(pv_tmpl_call_fit_desc.len, PV_OP_SITE_LEN);
	cr_assert_eq(pv_tmpl_indirect_desc.len, PV_OP_SITE_LEN);
}
