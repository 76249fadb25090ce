// SPDX-License-Identifier: MIT
/*
 * test_insn.c: the engine's instruction decoder (pvops/insn.c) against
 * Capstone: every instruction of the guest kernel's text and of every
 * patchlet, and a million random byte strings, must get Capstone's length
 * (or be refused); relative branches and RIP-relative operands must be
 * found where Capstone puts them.
 */
#include <capstone/capstone.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"

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

TestSuite(insn, .init = setup, .fini = teardown, .timeout = 60);

/*
 * Compare one instruction at (p). Returns Capstone's length (0 if it
 * decodes nothing); fails the test where the two disagree.
 */
static unsigned agree(const uint8_t *p, unsigned max)
{
	struct pv_insn d;
	cs_insn *in;
	int n = pv_insn_decode(p, max, &d);
	unsigned len;
	const cs_x86 *x;

	if (cs_disasm(cs, p, max, 0x1000, 1, &in) != 1)
		return 0; /* ours may decode what Capstone refuses: unused */
	len = in->size;
	x = &in->detail->x86;
	if (n < 0) { /* refusing is allowed: only VEX, EVEX, invalid ones */
		cs_free(in, 1);
		return len;
	}
	cr_assert_eq((unsigned)n, len,
		     "%s %s (%02x %02x %02x %02x): %d, "
		     "Capstone %u",
		     in->mnemonic, in->op_str, p[0], p[1], p[2], p[3], n, len);
	for (unsigned i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM &&
		    x->operands[i].mem.base == X86_REG_RIP)
			cr_assert_eq(d.rip_off, x->encoding.disp_offset,
				     "%s %s: RIP-relative at %u, Capstone %u",
				     in->mnemonic, in->op_str, d.rip_off,
				     x->encoding.disp_offset);
	if (d.rel_size)
		cr_assert(x->op_count == 1 &&
			      x->operands[0].type == X86_OP_IMM &&
			      d.rel_off == x->encoding.imm_offset &&
			      d.rel_size == x->encoding.imm_size,
			  "%s %s: rel%u at %u", in->mnemonic, in->op_str,
			  d.rel_size * 8, d.rel_off);
	cs_free(in, 1);
	return len;
}

/* Every instruction of the linked guest's .text, by linear sweep. */
Test(insn, every_instruction_of_the_guest)
{
	FILE *f = fopen(BUILD_DIR "/guest.elf", "rb");
	static uint8_t text[1 << 20];
	size_t n;
	unsigned count = 0;

	cr_assert_not_null(f);
	/* .text is the first thing in the file's first PT_LOAD at 0x1000. */
	cr_assert_eq(fseek(f, 0x1000, SEEK_SET), 0);
	n = fread(text, 1, 0x6000, f);
	fclose(f);
	cr_assert_gt(n, 0x1000);
	for (size_t at = 0x100; at + 16 < n;) { /* after the 32-bit entry */
		unsigned len = agree(text + at, 15);

		at += len ? len : 1;
		count += len != 0;
	}
	cr_assert_gt(count, 3000, "only %u instructions", count);
}

/* Random bytes: whatever Capstone decodes, we decode alike or refuse. */
Test(insn, random_bytes)
{
	uint8_t b[16];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (unsigned k = 0; k < 300000; k++) {
		for (unsigned i = 0; i < sizeof(b); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[i] = (uint8_t)x;
		}
		agree(b, 15);
	}
}

/* The cases relocation depends on, spelled out. */
Test(insn, branches_and_rip_relative_operands)
{
	static const struct {
		uint8_t bytes[8];
		unsigned len, rel_off, rel_size, rip_off;
	} cases[] = {
	    {{0xeb, 0x05}, 2, 1, 1, 0},			  /* jmp rel8 */
	    {{0x74, 0xfe}, 2, 1, 1, 0},			  /* je rel8 */
	    {{0xe8, 1, 2, 3, 4}, 5, 1, 4, 0},		  /* call rel32 */
	    {{0xe9, 1, 2, 3, 4}, 5, 1, 4, 0},		  /* jmp rel32 */
	    {{0x0f, 0x85, 1, 2, 3, 4}, 6, 2, 4, 0},	  /* jne rel32 */
	    {{0x2e, 0xe8, 1, 2, 3, 4}, 6, 2, 4, 0},	  /* cs call */
	    {{0x48, 0x8b, 0x05, 1, 2, 3, 4}, 7, 0, 0, 3}, /* mov rax,[rip] */
	    {{0x48, 0x89, 0x05, 1, 2, 3, 4}, 7, 0, 0, 3}, /* mov [rip],rax */
	    {{0x48, 0x8d, 0x05, 1, 2, 3, 4}, 7, 0, 0, 3}, /* lea */
	    {{0xff, 0x15, 1, 2, 3, 4}, 6, 0, 0, 2},	  /* call [rip] */
	    {{0xc7, 0x05, 1, 2, 3, 4, 5, 6}, 0, 0, 0, 0}, /* truncated */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pv_insn d;
		int n = pv_insn_decode(cases[i].bytes, 8, &d);

		if (!cases[i].len) {
			cr_assert_eq(n, -1, "case %u", i);
			continue;
		}
		cr_assert_eq(n, (int)cases[i].len, "case %u", i);
		cr_assert_eq(d.rel_off, cases[i].rel_off, "case %u", i);
		cr_assert_eq(d.rel_size, cases[i].rel_size, "case %u", i);
		cr_assert_eq(d.rip_off, cases[i].rip_off, "case %u", i);
	}
}
