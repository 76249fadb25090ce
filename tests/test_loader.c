// SPDX-License-Identifier: MIT
/*
 * test_loader.c: the PVH ELF loader on a valid generated image and on
 * images broken one field at a time: each must be refused with a reason
 * that names the problem, and nothing may be read outside the file.
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

static void setup(void)
{
	elf_build(&t);
	mem.size = TEST_MEM_SIZE;
	mem.host = malloc(mem.size);
	cr_assert_not_null(mem.host);
	memset(mem.host, 0xaa, mem.size); /* prove the loader clears BSS */
	why[0] = '\0';
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

/* The load must fail and the reason must contain (what). */
static void refused(size_t len, const char *what)
{
	cr_assert_eq(load(len), -1, "loaded although %s", what);
	cr_assert_not_null(strstr(why, what), "reason \"%s\" lacks \"%s\"", why,
			   what);
}

Test(loader, valid_image_loads_segments_and_entry)
{
	cr_assert_eq(load(sizeof(t.bytes)), 0, "%s", why);
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

Test(loader, eight_byte_note_value_is_accepted)
{
	t.note->n_descsz = 8;
	t.ph[TEST_PH_NOTE].p_filesz += 4;
	cr_assert_eq(load(sizeof(t.bytes)), 0, "%s", why);
	cr_assert_eq(img.entry, TEST_TEXT_GPA);
}

Test(loader, empty_and_tiny_files)
{
	refused(0, "not an ELF");
	refused(3, "not an ELF");
}

Test(loader, truncated_header)
{
	refused(EI_NIDENT + 4, "truncated");
	refused(sizeof(Elf64_Ehdr) - 1, "truncated");
}

Test(loader, truncated_program_headers)
{
	refused(sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr), "program headers");
}

Test(loader, truncated_segment_data)
{
	refused(TEST_DATA_OFF + 8, "past the end");
}

Test(loader, bad_magic)
{
	t.bytes[1] = 'X';
	refused(sizeof(t.bytes), "not an ELF");
}

Test(loader, wrong_class)
{
	t.eh->e_ident[EI_CLASS] = ELFCLASS32;
	refused(sizeof(t.bytes), "ELFCLASS64");
}

Test(loader, big_endian)
{
	t.eh->e_ident[EI_DATA] = ELFDATA2MSB;
	refused(sizeof(t.bytes), "little-endian");
}

Test(loader, wrong_machine)
{
	t.eh->e_machine = EM_AARCH64;
	refused(sizeof(t.bytes), "e_machine");
}

Test(loader, not_executable)
{
	t.eh->e_type = ET_REL;
	refused(sizeof(t.bytes), "ET_EXEC");
}

Test(loader, wrong_phentsize)
{
	t.eh->e_phentsize = 32;
	refused(sizeof(t.bytes), "e_phentsize");
}

Test(loader, no_program_headers)
{
	t.eh->e_phnum = 0;
	refused(sizeof(t.bytes), "e_phnum");
}

Test(loader, overflowing_phoff)
{
	t.eh->e_phoff = UINT64_MAX - 8;
	refused(sizeof(t.bytes), "program headers");
}

Test(loader, no_pvh_note)
{
	t.note->n_type = 1;
	refused(sizeof(t.bytes), "no PVH entry note");
}

Test(loader, note_with_other_name)
{
	memcpy(t.note + 1, "Zen", 4);
	refused(sizeof(t.bytes), "no PVH entry note");
}

Test(loader, note_running_past_its_segment)
{
	t.note->n_namesz = 0x7ffffff0;
	refused(sizeof(t.bytes), "runs past its PT_NOTE");
}

Test(loader, note_desc_running_past_its_segment)
{
	t.note->n_descsz = 0xfffffffc;
	refused(sizeof(t.bytes), "runs past its PT_NOTE");
}

Test(loader, note_segment_outside_file)
{
	t.ph[TEST_PH_NOTE].p_offset = UINT64_MAX - 4;
	refused(sizeof(t.bytes), "PT_NOTE");
}

Test(loader, note_value_of_odd_size)
{
	t.note->n_descsz = 2;
	refused(sizeof(t.bytes), "expected 4 or 8");
}

Test(loader, entry_outside_loaded_segments)
{
	*t.note_desc = 0x300000;
	refused(sizeof(t.bytes), "not inside any loaded segment");
}

Test(loader, segment_outside_memory)
{
	t.ph[TEST_PH_DATA].p_paddr = TEST_MEM_SIZE - 0x100;
	refused(sizeof(t.bytes), "outside guest memory");
}

Test(loader, segment_below_one_mib)
{
	t.ph[TEST_PH_DATA].p_paddr = 0x1000; /* over start_info */
	refused(sizeof(t.bytes), "outside guest memory");
}

Test(loader, segment_address_overflows)
{
	t.ph[TEST_PH_DATA].p_paddr = UINT64_MAX - 0x10;
	refused(sizeof(t.bytes), "overflows");
}

Test(loader, segment_file_offset_overflows)
{
	t.ph[TEST_PH_DATA].p_offset = UINT64_MAX - 4;
	refused(sizeof(t.bytes), "past the end");
}

Test(loader, filesz_larger_than_memsz)
{
	t.ph[TEST_PH_DATA].p_filesz = TEST_DATA_MEMSZ + 1;
	refused(sizeof(t.bytes), "exceeds p_memsz");
}

Test(loader, overlapping_segments)
{
	t.ph[TEST_PH_DATA].p_paddr = TEST_TEXT_GPA + 8;
	refused(sizeof(t.bytes), "overlaps");
}

Test(loader, refused_image_writes_nothing)
{
	t.eh->e_machine = EM_AARCH64;
	cr_assert_eq(load(sizeof(t.bytes)), -1);
	cr_assert_eq(mem.host[TEST_TEXT_GPA], 0xaa);
	t.eh->e_machine = EM_X86_64;
	t.ph[TEST_PH_DATA].p_paddr = TEST_TEXT_GPA + 8; /* checked last */
	cr_assert_eq(load(sizeof(t.bytes)), -1);
	cr_assert_eq(mem.host[TEST_TEXT_GPA], 0xaa, "wrote before checking");
}

/* Found by fuzz_loader: an entry inside a PT_LOAD of p_memsz 0 (never
 * checked, never loaded) must not count as loaded. */
Test(loader, entry_in_an_empty_segment_is_refused)
{
	t.ph[TEST_PH_TEXT].p_memsz = 0; /* filesz 16 > memsz: unchecked */
	refused(sizeof(t.bytes), "not inside any loaded segment");
}

/* Found by fuzz_loader: program headers at an odd offset are read with
 * memcpy, not through a misaligned pointer (UBSan). */
Test(loader, unaligned_program_headers_load)
{
	static uint8_t shifted[sizeof(t.bytes) + 1];

	memcpy(shifted, t.bytes, sizeof(Elf64_Ehdr));
	memcpy(shifted + sizeof(Elf64_Ehdr) + 1, t.bytes + sizeof(Elf64_Ehdr),
	       sizeof(t.bytes) - sizeof(Elf64_Ehdr));
	((Elf64_Ehdr *)shifted)->e_phoff += 1;
	for (unsigned i = 0; i < TEST_NPHDRS; i++) {
		Elf64_Phdr ph;
		uint8_t *at = shifted + sizeof(Elf64_Ehdr) + 1 + i * sizeof(ph);

		memcpy(&ph, at, sizeof(ph));
		ph.p_offset += 1; /* the contents moved by one byte too */
		memcpy(at, &ph, sizeof(ph));
	}
	cr_assert_eq(pvh_load_elf(shifted, sizeof(shifted), &mem, &img, why,
				  sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(img.entry, TEST_TEXT_GPA);
	cr_assert_eq(mem.host[TEST_TEXT_GPA], TEST_TEXT_FILL);
}
