/* SPDX-License-Identifier: MIT */
/*
 * elf_builder.h: build small PVH ELF64 images in memory for the loader
 * tests, valid by default, so that each test breaks exactly one thing.
 */
#ifndef ELF_BUILDER_H
#define ELF_BUILDER_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

/* Layout of the image elf_build() makes. */
#define TEST_IMG_SIZE	0x400
#define TEST_NOTE_OFF	0x100
#define TEST_TEXT_OFF	0x200
#define TEST_DATA_OFF	0x300
#define TEST_TEXT_GPA	0x100000ull /* also the PVH entry */
#define TEST_DATA_GPA	0x200000ull
#define TEST_DATA_MEMSZ 0x1000ull /* 16 bytes of data, then "BSS" */
#define TEST_MEM_SIZE	(4ull << 20)
#define TEST_TEXT_FILL	0x7e /* what the segments hold */
#define TEST_DATA_FILL	0x5a

enum { TEST_PH_TEXT, TEST_PH_DATA, TEST_PH_NOTE, TEST_NPHDRS };

struct test_elf {
	uint8_t bytes[TEST_IMG_SIZE];
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph; /* TEST_NPHDRS entries */
	Elf64_Nhdr *note;
	uint32_t *note_desc; /* the entry address in the note */
};

/* Fill (t) with a valid image: two PT_LOAD segments and the PVH note. */
void elf_build(struct test_elf *t);

#endif /* ELF_BUILDER_H */
