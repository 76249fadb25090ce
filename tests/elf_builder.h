/* SPDX-License-Identifier: MIT */
/*
 * elf_builder.h: build small PVH ELF images, ELF64 (x86-64) or ELF32
 * (i386), in memory for the loader tests and the fuzz corpus. The image is
 * described class-free (fields at their widest), valid by default, so a
 * test breaks exactly one field and elf_emit() writes the bytes.
 */
#ifndef ELF_BUILDER_H
#define ELF_BUILDER_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

/* Layout of the image elf_emit() writes. */
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

/* A program header at its widest; elf_emit() narrows it for ELF32. */
struct test_phdr {
	uint32_t type, flags;
	uint64_t offset, paddr, filesz, memsz;
};

struct test_elf {
	unsigned bits; /* 64 or 32 */
	uint8_t ident[EI_NIDENT];
	uint16_t type, machine, phentsize, phnum;
	uint64_t phoff;
	struct test_phdr ph[TEST_NPHDRS];
	uint32_t note_namesz, note_descsz, note_type;
	char note_name[4];
	uint64_t note_desc; /* the entry address (4 or 8 bytes written) */
	uint8_t bytes[TEST_IMG_SIZE]; /* what elf_emit() wrote */
};

/* Describe a valid image of (bits) 64 or 32: two PT_LOADs, the note. */
void elf_build(struct test_elf *t, unsigned bits);

/* Write the described image into t->bytes; returns sizeof(t->bytes). */
size_t elf_emit(struct test_elf *t);

/* Sizes of the ELF header and of one program header in the class. */
size_t elf_ehdr_size(unsigned bits);
size_t elf_phdr_size(unsigned bits);

#endif /* ELF_BUILDER_H */
