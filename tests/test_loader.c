// SPDX-License-Identifier: MIT
/*
 * test_loader.c: the PVH ELF loader, ELF64 and ELF32, on a valid generated
 * image and on images broken one field at a time. One table lists every
 * way to break an image and the reason the loader must give; it runs for
 * both classes. Nothing may be read outside the file or written before
 * the whole image is checked.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "elf_builder.h"
#include "vmm.h"

static struct test_elf t;
static struct vmm_mem mem;
static struct pvh_image img;
static char why[256];

static void reset(unsigned bits)
{
	elf_build(&t, bits);
	memset(mem.host, 0xaa, mem.size); /* prove the loader clears BSS */
	why[0] = '\0';
}

static void setup(void)
{
	mem.size = TEST_MEM_SIZE;
	mem.host = malloc(mem.size);
	cr_assert_not_null(mem.host);
	reset(64);
}

static void teardown(void)
{
	free(mem.host);
}

TestSuite(loader, .init = setup, .fini = teardown);

static int load(size_t len)
{
	return pvh_load_elf(t.bytes, len, &mem, &img, why, sizeof(why));
}

/* ---- the valid image, both classes ---- */

static void loads_segments_and_entry(unsigned bits)
{
	reset(bits);
	cr_assert_eq(load(sizeof(t.bytes)), 0, "ELF%u: %s", bits, why);
	cr_assert_eq(img.bits, bits);
	cr_assert_eq(img.entry, TEST_TEXT_GPA);
	cr_assert_eq(img.nsegs, 2);
	cr_assert_eq(img.load_lo, TEST_TEXT_GPA);
	cr_assert_eq(img.load_hi, TEST_DATA_GPA + TEST_DATA_MEMSZ);
	cr_assert_eq(mem.host[TEST_TEXT_GPA], TEST_TEXT_FILL);
	cr_assert_eq(mem.host[TEST_TEXT_GPA + 15], TEST_TEXT_FILL);
	cr_assert_eq(mem.host[TEST_TEXT_GPA + 16], 0xaa, "wrote past memsz");
	cr_assert_eq(mem.host[TEST_DATA_GPA + 15], TEST_DATA_FILL);
	for (uint64_t i = 16; i < TEST_DATA_MEMSZ; i++)
		cr_assert_eq(mem.host[TEST_DATA_GPA + i], 0, "BSS byte %llu",
			     (unsigned long long)i);
}

Test(loader, valid_images_load_segments_and_entry)
{
	loads_segments_and_entry(64);
	loads_segments_and_entry(32);
}

Test(loader, eight_byte_note_value_is_accepted)
{
	for (unsigned bits = 32; bits <= 64; bits += 32) {
		reset(bits);
		t.note_descsz = 8;
		t.ph[TEST_PH_NOTE].filesz += 4;
		elf_emit(&t);
		cr_assert_eq(load(sizeof(t.bytes)), 0, "ELF%u: %s", bits, why);
		cr_assert_eq(img.entry, TEST_TEXT_GPA);
	}
}

/* ---- every refusal, for both classes ---- */

static void no_change(struct test_elf *e)
{
	(void)e;
}
static void bad_magic(struct test_elf *e)
{
	e->ident[1] = 'X';
}
static void unknown_class(struct test_elf *e)
{
	e->ident[EI_CLASS] = 3;
}
static void big_endian(struct test_elf *e)
{
	e->ident[EI_DATA] = ELFDATA2MSB;
}
static void wrong_machine(struct test_elf *e)
{
	e->machine = EM_AARCH64;
}
/* The other class's machine: an ELF32 x86-64 (x32) or ELF64 i386 image. */
static void class_machine_mismatch(struct test_elf *e)
{
	e->machine = e->bits == 64 ? EM_386 : EM_X86_64;
}
static void not_executable(struct test_elf *e)
{
	e->type = ET_REL;
}
static void wrong_phentsize(struct test_elf *e)
{
	e->phentsize = (uint16_t)elf_phdr_size(e->bits == 64 ? 32 : 64);
}
static void no_phdrs(struct test_elf *e)
{
	e->phnum = 0;
}
static void too_many_phdrs(struct test_elf *e)
{
	e->phnum = 65;
}
static void overflowing_phoff(struct test_elf *e)
{
	e->phoff = UINT64_MAX - 8; /* ELF32: 0xfffffff7 */
}
static void no_note(struct test_elf *e)
{
	e->note_type = 1;
}
static void note_other_name(struct test_elf *e)
{
	memcpy(e->note_name, "Zen", 4);
}
static void note_name_past_segment(struct test_elf *e)
{
	e->note_namesz = 0x7ffffff0;
}
static void note_desc_past_segment(struct test_elf *e)
{
	e->note_descsz = 0xfffffffc;
}
static void note_segment_outside_file(struct test_elf *e)
{
	e->ph[TEST_PH_NOTE].offset = UINT64_MAX - 4;
}
static void note_value_of_odd_size(struct test_elf *e)
{
	e->note_descsz = 2;
}
static void entry_above_4g(struct test_elf *e)
{
	e->note_descsz = 8;
	e->ph[TEST_PH_NOTE].filesz += 4;
	e->note_desc = 1ull << 32;
}
static void entry_outside_segments(struct test_elf *e)
{
	e->note_desc = 0x300000;
}
static void segment_outside_memory(struct test_elf *e)
{
	e->ph[TEST_PH_DATA].paddr = TEST_MEM_SIZE - 0x100;
}
static void segment_below_1m(struct test_elf *e)
{
	e->ph[TEST_PH_DATA].paddr = 0x1000; /* over start_info */
}
static void segment_address_overflows(struct test_elf *e)
{
	e->ph[TEST_PH_DATA].paddr = UINT64_MAX - 0x10; /* ELF32: 4 GiB */
}
static void segment_offset_overflows(struct test_elf *e)
{
	e->ph[TEST_PH_DATA].offset = UINT64_MAX - 4;
}
static void filesz_over_memsz(struct test_elf *e)
{
	e->ph[TEST_PH_DATA].filesz = TEST_DATA_MEMSZ + 1;
}
static void overlapping_segments(struct test_elf *e)
{
	e->ph[TEST_PH_DATA].paddr = TEST_TEXT_GPA + 8;
}
/* Found by fuzz_loader: a PT_LOAD of p_memsz 0 (never checked, never
 * loaded) must not count as holding the entry. */
static void entry_in_empty_segment(struct test_elf *e)
{
	e->ph[TEST_PH_TEXT].memsz = 0; /* filesz 16 > memsz: unchecked */
}

/* Lengths that depend on the class (beyond any real length). */
enum { LEN_WHOLE = 1 << 20, LEN_EHDR_MINUS_1, LEN_ONE_PHDR };

static const struct refusal {
	const char *name;
	void (*damage)(struct test_elf *);
	size_t len;	   /* bytes of the file, or one of LEN_* */
	const char *why;   /* what the reason must contain */
	const char *why32; /* for ELF32, if it differs */
} refusals[] = {
    {"empty file", no_change, 0, "not an ELF", NULL},
    {"three bytes", no_change, 3, "not an ELF", NULL},
    {"truncated identity", no_change, EI_NIDENT + 4, "truncated", NULL},
    {"truncated header", no_change, LEN_EHDR_MINUS_1, "truncated", NULL},
    {"truncated program headers", no_change, LEN_ONE_PHDR, "program headers",
     NULL},
    {"truncated segment data", no_change, TEST_DATA_OFF + 8, "past the end",
     NULL},
    {"bad magic", bad_magic, LEN_WHOLE, "not an ELF", NULL},
    {"unknown class", unknown_class, LEN_WHOLE,
     "neither ELFCLASS32 nor ELFCLASS64", NULL},
    {"big-endian", big_endian, LEN_WHOLE, "little-endian", NULL},
    {"wrong machine", wrong_machine, LEN_WHOLE, "e_machine", NULL},
    {"machine of the other class", class_machine_mismatch, LEN_WHOLE,
     "is not x86-64", "is not i386"},
    {"not executable", not_executable, LEN_WHOLE, "ET_EXEC", NULL},
    {"wrong phentsize", wrong_phentsize, LEN_WHOLE, "e_phentsize", NULL},
    {"no program headers", no_phdrs, LEN_WHOLE, "e_phnum", NULL},
    {"too many program headers", too_many_phdrs, LEN_WHOLE, "e_phnum", NULL},
    {"overflowing e_phoff", overflowing_phoff, LEN_WHOLE, "program headers",
     NULL},
    {"no PVH note", no_note, LEN_WHOLE, "no PVH entry note", NULL},
    {"note of another name", note_other_name, LEN_WHOLE, "no PVH entry note",
     NULL},
    {"note name past its segment", note_name_past_segment, LEN_WHOLE,
     "runs past its PT_NOTE", NULL},
    {"note value past its segment", note_desc_past_segment, LEN_WHOLE,
     "runs past its PT_NOTE", NULL},
    {"note segment outside the file", note_segment_outside_file, LEN_WHOLE,
     "PT_NOTE", NULL},
    {"note value of odd size", note_value_of_odd_size, LEN_WHOLE,
     "expected 4 or 8", NULL},
    {"entry above 4 GiB", entry_above_4g, LEN_WHOLE, "above 4 GiB", NULL},
    {"entry outside the segments", entry_outside_segments, LEN_WHOLE,
     "not inside any loaded segment", NULL},
    {"entry in an empty segment", entry_in_empty_segment, LEN_WHOLE,
     "not inside any loaded segment", NULL},
    {"segment outside memory", segment_outside_memory, LEN_WHOLE,
     "outside guest memory", NULL},
    {"segment below 1 MiB", segment_below_1m, LEN_WHOLE, "outside guest memory",
     NULL},
    {"segment address overflows", segment_address_overflows, LEN_WHOLE,
     "overflows", "runs past 4 GiB"},
    {"segment file offset overflows", segment_offset_overflows, LEN_WHOLE,
     "past the end", NULL},
    {"filesz larger than memsz", filesz_over_memsz, LEN_WHOLE,
     "exceeds p_memsz", NULL},
    {"overlapping segments", overlapping_segments, LEN_WHOLE, "overlaps", NULL},
};

static size_t length(size_t len, unsigned bits)
{
	switch (len) {
	case LEN_WHOLE:
		return sizeof(t.bytes);
	case LEN_EHDR_MINUS_1:
		return elf_ehdr_size(bits) - 1;
	case LEN_ONE_PHDR:
		return elf_ehdr_size(bits) + elf_phdr_size(bits);
	default:
		return len;
	}
}

static void every_refusal(unsigned bits)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *c = &refusals[i];
		const char *want = bits == 32 && c->why32 ? c->why32 : c->why;

		reset(bits);
		c->damage(&t);
		elf_emit(&t);
		cr_assert_eq(load(length(c->len, bits)), -1,
			     "ELF%u, %s: loaded", bits, c->name);
		cr_assert_not_null(strstr(why, want),
				   "ELF%u, %s: reason \"%s\" lacks \"%s\"",
				   bits, c->name, why, want);
		cr_assert_eq(mem.host[TEST_TEXT_GPA], 0xaa,
			     "ELF%u, %s: wrote before refusing", bits, c->name);
	}
}

Test(loader, every_refusal_elf64)
{
	every_refusal(64);
}

Test(loader, every_refusal_elf32)
{
	every_refusal(32);
}

/* Found by fuzz_loader: program headers at an odd offset are read with
 * memcpy, not through a misaligned pointer (UBSan). Both classes. */
static void unaligned_program_headers_load(unsigned bits)
{
	static uint8_t shifted[TEST_IMG_SIZE + 1];
	size_t eh = elf_ehdr_size(bits);

	reset(bits);
	t.phoff += 1;
	for (unsigned i = 0; i < TEST_NPHDRS; i++)
		t.ph[i].offset += 1; /* the contents moved by one byte too */
	elf_emit(&t);
	memcpy(shifted, t.bytes, eh);
	shifted[eh] = 0;
	memcpy(shifted + eh + 1, t.bytes + eh, sizeof(t.bytes) - eh);
	/* elf_emit() put the headers at eh: the copy moved them to eh + 1 */
	cr_assert_eq(pvh_load_elf(shifted, sizeof(shifted), &mem, &img, why,
				  sizeof(why)),
		     0, "ELF%u: %s", bits, why);
	cr_assert_eq(img.entry, TEST_TEXT_GPA);
	cr_assert_eq(mem.host[TEST_TEXT_GPA], TEST_TEXT_FILL);
}

Test(loader, unaligned_program_headers_load)
{
	unaligned_program_headers_load(64);
	unaligned_program_headers_load(32);
}
