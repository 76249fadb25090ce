// SPDX-License-Identifier: MIT
/*
 * elf_builder.c: a valid two-segment PVH ELF64 image with a Xen note,
 * built field by field, for tests to damage one field at a time.
 */
#include <string.h>

#include "elf_builder.h"
#include "pvh.h"

void elf_build(struct test_elf *t)
{
	memset(t, 0, sizeof(*t));
	t->eh = (Elf64_Ehdr *)t->bytes;
	t->ph = (Elf64_Phdr *)(t->bytes + sizeof(Elf64_Ehdr));
	t->note = (Elf64_Nhdr *)(t->bytes + TEST_NOTE_OFF);

	memcpy(t->eh->e_ident, ELFMAG, SELFMAG);
	t->eh->e_ident[EI_CLASS] = ELFCLASS64;
	t->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	t->eh->e_ident[EI_VERSION] = EV_CURRENT;
	t->eh->e_type = ET_EXEC;
	t->eh->e_machine = EM_X86_64;
	t->eh->e_version = EV_CURRENT;
	t->eh->e_entry = TEST_TEXT_GPA;
	t->eh->e_phoff = sizeof(Elf64_Ehdr);
	t->eh->e_ehsize = sizeof(Elf64_Ehdr);
	t->eh->e_phentsize = sizeof(Elf64_Phdr);
	t->eh->e_phnum = TEST_NPHDRS;

	t->ph[TEST_PH_TEXT] = (Elf64_Phdr){
	    .p_type = PT_LOAD,
	    .p_flags = PF_R | PF_X,
	    .p_offset = TEST_TEXT_OFF,
	    .p_paddr = TEST_TEXT_GPA,
	    .p_vaddr = TEST_TEXT_GPA,
	    .p_filesz = 16,
	    .p_memsz = 16,
	    .p_align = 0x1000,
	};
	t->ph[TEST_PH_DATA] = (Elf64_Phdr){
	    .p_type = PT_LOAD,
	    .p_flags = PF_R | PF_W,
	    .p_offset = TEST_DATA_OFF,
	    .p_paddr = TEST_DATA_GPA,
	    .p_vaddr = TEST_DATA_GPA,
	    .p_filesz = 16,
	    .p_memsz = TEST_DATA_MEMSZ,
	    .p_align = 0x1000,
	};
	t->ph[TEST_PH_NOTE] = (Elf64_Phdr){
	    .p_type = PT_NOTE,
	    .p_flags = PF_R,
	    .p_offset = TEST_NOTE_OFF,
	    .p_filesz = sizeof(Elf64_Nhdr) + 4 + 4,
	    .p_align = 4,
	};

	t->note->n_namesz = sizeof(PVH_NOTE_NAME);
	t->note->n_descsz = 4;
	t->note->n_type = XEN_ELFNOTE_PHYS32_ENTRY;
	memcpy(t->note + 1, PVH_NOTE_NAME, sizeof(PVH_NOTE_NAME));
	t->note_desc = (uint32_t *)((uint8_t *)(t->note + 1) + 4);
	*t->note_desc = (uint32_t)TEST_TEXT_GPA;

	/* Recognisable contents (data to the loader, not instructions). */
	memset(t->bytes + TEST_TEXT_OFF, TEST_TEXT_FILL, 16);
	memset(t->bytes + TEST_DATA_OFF, TEST_DATA_FILL, 16);
}
