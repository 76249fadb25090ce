// SPDX-License-Identifier: MIT
/*
 * test_guest_insn.c: the page walk and the string-I/O check run.c uses on
 * the hypercall and debug-exit ports, on made-up page tables: paging off,
 * 32-bit (4 KiB and 4 MiB pages), PAE, 4-level (4 KiB, 2 MiB, 1 GiB
 * pages), entries not present or outside memory, an instruction that
 * crosses a page, prefixes and REX.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "vmm.h"

#define P  0x1ull
#define RW 0x2ull
#define PS 0x80ull

static uint8_t backing[8 << 20];
static struct vmm_mem mem = {.host = backing, .size = sizeof(backing)};
static struct kvm_sregs sregs;

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(backing + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(backing + gpa, &v, 4);
}

static void long_mode(void)
{
	memset(backing, 0, sizeof(backing));
	sregs = (struct kvm_sregs){
	    .cr0 = 0x80000001, .cr3 = 0x1000, .cr4 = 0x20, .efer = 0x500};
	sregs.cs.l = 1;
	/* lin 0x7f0000201000 -> 4 KiB page at 0x100000 */
	put64(0x1000 + 0xfe * 8, 0x2000 | P | RW);
	put64(0x2000 + 0x0 * 8, 0x3000 | P | RW);
	put64(0x3000 + 0x1 * 8, 0x4000 | P | RW);
	put64(0x4000 + 0x1 * 8, 0x100000 | P | RW);
	put64(0x4000 + 0x2 * 8, 0x300000 | P | RW); /* the next page */
	put64(0x1000, 0x2000 | P | RW); /* the low 512 GiB: same PDPT */
	/* lin 0x40000000 (PDPT index 1): PD with a 2 MiB page at 0x200000 */
	put64(0x2000 + 0x1 * 8, 0x5000 | P | RW);
	put64(0x5000, 0x200000 | P | RW | PS);
	/* lin 0x80000000 (PDPT index 2): a 1 GiB page at 0 */
	put64(0x2000 + 0x2 * 8, 0x0 | P | RW | PS);
	/* lin 0xc0000000 (PDPT index 3): a table outside guest memory */
	put64(0x2000 + 0x3 * 8, 0x7ff000000ull | P | RW);
}

static uint64_t translate(uint64_t lin)
{
	uint64_t gpa = 0xbad;

	cr_assert(vmm_gva_to_gpa(&mem, &sregs, lin, &gpa), "lin %#llx",
		  (unsigned long long)lin);
	return gpa;
}

static void unmapped(uint64_t lin)
{
	uint64_t gpa;

	cr_assert_not(vmm_gva_to_gpa(&mem, &sregs, lin, &gpa), "lin %#llx",
		      (unsigned long long)lin);
}

Test(guest_insn, four_level_pages_of_every_size)
{
	long_mode();
	cr_assert_eq(translate(0x7f0000201234ull), 0x100234);
	cr_assert_eq(translate(0x40012345ull), 0x212345);
	cr_assert_eq(translate(0x80654321ull), 0x654321);
	unmapped(0x7f0000203000ull); /* PTE not present */
	unmapped(0x1000ull);	     /* PML4E not present */
	unmapped(0xc0000000ull);     /* table outside guest memory */
	sregs.cr4 |= 1ull << 12;     /* LA57: refused, not guessed */
	unmapped(0x7f0000201234ull);
}

Test(guest_insn, paging_off_is_physical)
{
	sregs = (struct kvm_sregs){.cr0 = 0x1};
	cr_assert_eq(translate(0x123456), 0x123456);
}

Test(guest_insn, thirty_two_bit_paging)
{
	memset(backing, 0, sizeof(backing));
	sregs =
	    (struct kvm_sregs){.cr0 = 0x80000001, .cr3 = 0x1000, .cr4 = 0x10};
	put32(0x1000 + 1 * 4, 0x2000 | P | RW); /* lin 0x400000.. */
	put32(0x2000 + 5 * 4, 0x345000 | P | RW);
	put32(0x1000 + 2 * 4, 0x400000 | P | RW | PS); /* 4 MiB page */
	cr_assert_eq(translate(0x405abc), 0x345abc);
	cr_assert_eq(translate(0x812345), 0x412345);
	unmapped(0x406000);
	sregs.cr4 = 0; /* without PSE, PS is ignored: an empty table */
	unmapped(0x800000);
}

Test(guest_insn, pae_paging)
{
	memset(backing, 0, sizeof(backing));
	sregs =
	    (struct kvm_sregs){.cr0 = 0x80000001, .cr3 = 0x1020, .cr4 = 0x20};
	put64(0x1020 + 1 * 8, 0x3000 | P); /* lin 0x40000000.. */
	put64(0x3000 + 0 * 8, 0x4000 | P | RW);
	put64(0x4000 + 3 * 8, 0x567000 | P | RW);
	put64(0x3000 + 1 * 8, 0x600000 | P | RW | PS);
	cr_assert_eq(translate(0x40003111), 0x567111);
	cr_assert_eq(translate(0x40212345), 0x612345);
	unmapped(0x80000000);
}

static struct vmm_io_insn io;

static int decode_with(const uint8_t *code, size_t n, uint64_t rip)
{
	memcpy(backing + 0x100000 + (rip & 0xfff), code, n);
	memset(&io, 0xa5, sizeof(io));
	return vmm_insn_decode_io(&mem, &sregs, rip, &io);
}

/* (code) decodes as port I/O: string or not, direction, size, port. */
static void expect_io(const uint8_t *code, size_t n, bool string, bool out,
		      unsigned size, int port)
{
	static const uint64_t rip = 0x7f0000201100ull;

	cr_assert_eq(decode_with(code, n, rip), 1, "%02x", code[0]);
	cr_assert_eq(io.string, string, "%02x", code[0]);
	cr_assert_eq(io.out, out, "%02x", code[0]);
	cr_assert_eq(io.size, size, "%02x", code[0]);
	cr_assert_eq(io.port, port, "%02x", code[0]);
}

Test(guest_insn, string_io_is_told_from_plain_io)
{
	static const uint8_t rep_outsd[] = {0xf3, 0x6f};
	static const uint8_t outsb[] = {0x6e};
	static const uint8_t insw[] = {0x66, 0xf3, 0x6d};
	static const uint8_t rex_outs[] = {0x2e, 0xf3, 0x48, 0x6f};
	static const uint8_t out_dx_eax[] = {0xef};
	static const uint8_t out_dx_ax[] = {0x66, 0xef};
	static const uint8_t rex_w_out[] = {0x48, 0xef};
	static const uint8_t in_al_dx[] = {0xec};
	static const uint8_t out_imm[] = {0xe6, 0xf4};
	static const uint8_t in_eax_imm[] = {0xe5, 0x71};

	long_mode();
	expect_io(rep_outsd, 2, true, true, 4, -1);
	expect_io(outsb, 1, true, true, 1, -1);
	expect_io(insw, 3, true, false, 2, -1);
	expect_io(rex_outs, 4, true, true, 4, -1);
	expect_io(out_dx_eax, 1, false, true, 4, -1);
	expect_io(out_dx_ax, 2, false, true, 2, -1);
	expect_io(rex_w_out, 2, false, true, 4, -1);
	expect_io(in_al_dx, 1, false, false, 1, -1);
	expect_io(out_imm, 2, false, true, 1, 0xf4);
	expect_io(in_eax_imm, 2, false, false, 4, 0x71);
	cr_assert_eq(vmm_insn_decode_io(&mem, &sregs, 0x1000, &io), -1,
		     "unmapped rip");
}

/* What follows an emulated outs: any other instruction is not port I/O. */
Test(guest_insn, other_instructions_are_not_port_io)
{
	static const uint8_t hlt[] = {0xf4};
	static const uint8_t mov_al[] = {0xb0, 0x6e};
	static const uint8_t rep_nop[] = {0xf3, 0x90};

	long_mode();
	cr_assert_eq(decode_with(hlt, 1, 0x7f0000201100ull), 0);
	cr_assert_eq(decode_with(mov_al, 2, 0x7f0000201100ull), 0);
	cr_assert_eq(decode_with(rep_nop, 2, 0x7f0000201100ull), 0);
}

Test(guest_insn, an_immediate_port_past_the_mapping_cannot_be_read)
{
	long_mode();
	backing[0x300fff] =
	    0xe6; /* out imm8, al: its port on an unmapped page */
	cr_assert_eq(vmm_insn_decode_io(&mem, &sregs, 0x7f0000202fffull, &io),
		     -1);
}

Test(guest_insn, an_instruction_across_two_pages)
{
	long_mode();
	backing[0x100fff] = 0xf3; /* rep, last byte of the first page */
	backing[0x300000] = 0x6f; /* outsd, first byte of the next */
	cr_assert_eq(vmm_insn_decode_io(&mem, &sregs, 0x7f0000201fffull, &io),
		     1);
	cr_assert(io.string);
}

/* In 16-bit code the operand size is 16 unless 0x66 makes it 32. */
Test(guest_insn, operand_size_in_16_bit_code)
{
	static const uint8_t out_dx_ax[] = {0xef};
	static const uint8_t out_dx_eax[] = {0x66, 0xef};

	memset(backing, 0, sizeof(backing));
	sregs = (struct kvm_sregs){.cr0 = 0x1};
	sregs.cs.base = 0x100000;
	memcpy(backing + 0x100010, out_dx_ax, 1);
	cr_assert_eq(vmm_insn_decode_io(&mem, &sregs, 0x10, &io), 1);
	cr_assert_eq(io.size, 2);
	memcpy(backing + 0x100020, out_dx_eax, 2);
	cr_assert_eq(vmm_insn_decode_io(&mem, &sregs, 0x20, &io), 1);
	cr_assert_eq(io.size, 4);
	sregs.cs.db = 1; /* 32-bit code: the other way round */
	cr_assert_eq(vmm_insn_decode_io(&mem, &sregs, 0x10, &io), 1);
	cr_assert_eq(io.size, 4);
}

Test(guest_insn, rex_is_dec_outside_long_mode)
{
	static const uint8_t dec_then_outs[] = {0x48, 0x6f};

	memset(backing, 0, sizeof(backing));
	sregs = (struct kvm_sregs){.cr0 = 0x1};
	sregs.cs.base = 0x100000;
	memcpy(backing + 0x100010, dec_then_outs, 2);
	cr_assert_eq(vmm_insn_decode_io(&mem, &sregs, 0x10, &io), 0,
		     "0x48 is dec eax in 32-bit code");
}

/* ---- vmm_io_not_plain(): the hypercall and debug-exit ports' check ---- */

/* The check on (code) placed so that rip is (at) bytes into it. */
static const char *io_check(const uint8_t *code, size_t n, size_t at, bool out,
			    unsigned size, uint16_t port, unsigned count,
			    uint64_t rax, uint64_t data)
{
	static const uint64_t rip = 0x7f0000201100ull;
	struct kvm_regs regs = {.rip = rip, .rax = rax, .rdx = port};
	struct vmm_io_exit exit = {
	    .out = out, .size = size, .port = port, .count = count};
	uint8_t *page = backing + 0x100000;

	memset(page + (rip & 0xfff) - 32, 0, 64);
	memcpy(page + (rip & 0xfff) - at, code, n);
	return vmm_io_not_plain(&mem, &regs, &sregs, &exit,
				(const uint8_t *)&data);
}

static const char *plain_check(const uint8_t *code, size_t n, bool out,
			       unsigned size, uint16_t port, unsigned count,
			       uint64_t rax, uint64_t data)
{
	return io_check(code, n, 0, out, size, port, count, rax, data);
}

Test(guest_insn, a_plain_out_passes_and_everything_else_is_named)
{
	static const uint8_t out_dx_eax[] = {0xef};
	static const uint8_t outsd[] = {0x6f};
	static const uint8_t out_dx_al[] = {0xee};
	static const uint8_t hlt[] = {0xf4};
	const char *why;

	long_mode();
	cr_assert_null(plain_check(out_dx_eax, 1, true, 4, 0xb00, 1, 7, 7));
	why = plain_check(out_dx_eax, 1, true, 4, 0xb00, 2, 7, 7);
	cr_assert(why && strstr(why, "rep ins/outs"), "%s", why);
	why = plain_check(outsd, 1, true, 4, 0xb00, 1, 7, 7);
	cr_assert(why && strstr(why, "a string instruction"), "%s", why);
	/* rip past an emulated outs: the next instruction is no in/out, or
	 * another one, or the same one with other data */
	why = plain_check(hlt, 1, true, 4, 0xb00, 1, 7, 7);
	cr_assert(why && strstr(why, "no in/out"), "%s", why);
	why = plain_check(out_dx_al, 1, true, 4, 0xb00, 1, 7, 7);
	cr_assert(why && strstr(why, "another in/out"), "%s", why);
	why = plain_check(out_dx_eax, 1, true, 4, 0xb00, 1, 7, 8);
	cr_assert(why && strstr(why, "other data"), "%s", why);
	/* an in: its data is not yet the accumulator's */
	cr_assert_null(
	    plain_check((const uint8_t[]){0xed}, 1, false, 4, 0xb00, 1, 7, 8));
}

/* kvm_pvm emulates every out: the exit comes with rip past it. */
Test(guest_insn, an_emulated_out_ends_at_rip)
{
	static const uint8_t out_dx_eax_hlt[] = {0xef, 0xf4};
	static const uint8_t out_dx_ax_hlt[] = {0x66, 0xef, 0xf4};
	static const uint8_t out_imm_al_hlt[] = {0xe6, 0xf4, 0xf4};
	static const uint8_t outsd_hlt[] = {0x6f, 0xf4};
	static const uint8_t out_then_outsd[] = {0xef, 0x6f};
	static const uint8_t out_then_rep_outsd[] = {0xef, 0xf3, 0x6f};
	const char *why;

	long_mode();
	cr_assert_null(io_check(out_dx_eax_hlt, 2, 1, true, 4, 0xb00, 1, 7, 7));
	cr_assert_null(io_check(out_dx_ax_hlt, 3, 2, true, 2, 0xb00, 1, 7, 7));
	cr_assert_null(io_check(out_imm_al_hlt, 3, 2, true, 1, 0xf4, 1, 7, 7));
	why = io_check(out_dx_eax_hlt, 2, 1, true, 4, 0xb00, 1, 7, 8);
	cr_assert(why && strstr(why, "no in/out"), "other data: %s", why);
	why = io_check(out_imm_al_hlt, 3, 2, true, 1, 0xf5, 1, 7, 7);
	cr_assert(why && strstr(why, "no in/out"), "another port: %s", why);
	/* an emulated outs, rip past it */
	why = io_check(outsd_hlt, 2, 1, true, 4, 0xb00, 1, 7, 7);
	cr_assert(why && strstr(why, "no in/out"), "%s", why);
	/* an out just before an outs or a rep outs at rip: the exit may be
	 * the string instruction's */
	why = io_check(out_then_outsd, 2, 1, true, 4, 0xb00, 1, 7, 7);
	cr_assert(why && strstr(why, "a string instruction"), "%s", why);
	why = io_check(out_then_rep_outsd, 3, 1, true, 4, 0xb00, 1, 7, 7);
	cr_assert(why && strstr(why, "a string instruction"), "%s", why);
}
