// SPDX-License-Identifier: MIT
/*
 * elf_builder.c: a valid two-segment PVH ELF image with a Xen note, ELF64
 * or ELF32, described field by field and written out in either class, for
 * tests to damage one field at a time. Fields too wide for ELF32 are
 * truncated there, as a careless 32-bit tool would write them.
 */
#include <string.h>

#include "elf_builder.h"
#include "pvh.h"

size_t elf_ehdr_size(unsigned bits)
{
	return bits == 64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

size_t elf_phdr_size(unsigned bits)
{
	return bits == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

void elf_build(struct test_elf *t, unsigned bits)
{
	memset(t, 0, sizeof(*t));
	t->bits = bits;
	memcpy(t->ident, ELFMAG, SELFMAG);
	t->ident[EI_CLASS] = bits == 64 ? ELFCLASS64 : ELFCLASS32;
	t->ident[EI_DATA] = ELFDATA2LSB;
	t->ident[EI_VERSION] = EV_CURRENT;
	t->type = ET_EXEC;
	t->machine = bits == 64 ? EM_X86_64 : EM_386;
	t->phoff = elf_ehdr_size(bits);
	t->phentsize = (uint16_t)elf_phdr_size(bits);
	t->phnum = TEST_NPHDRS;

	t->ph[TEST_PH_TEXT] = (struct test_phdr){
	    .type = PT_LOAD,
	    .flags = PF_R | PF_X,
	    .offset = TEST_TEXT_OFF,
	    .paddr = TEST_TEXT_GPA,
	    .filesz = 16,
	    .memsz = 16,
	};
	t->ph[TEST_PH_DATA] = (struct test_phdr){
	    .type = PT_LOAD,
	    .flags = PF_R | PF_W,
	    .offset = TEST_DATA_OFF,
	    .paddr = TEST_DATA_GPA,
	    .filesz = 16,
	    .memsz = TEST_DATA_MEMSZ,
	};
	t->ph[TEST_PH_NOTE] = (struct test_phdr){
	    .type = PT_NOTE,
	    .flags = PF_R,
	    .offset = TEST_NOTE_OFF,
	    .filesz = sizeof(Elf64_Nhdr) + 4 + 4,
	};
	t->note_namesz = sizeof(PVH_NOTE_NAME);
	t->note_descsz = 4;
	t->note_type = XEN_ELFNOTE_PHYS32_ENTRY;
	memcpy(t->note_name, PVH_NOTE_NAME, sizeof(PVH_NOTE_NAME));
	t->note_desc = TEST_TEXT_GPA;
	elf_emit(t);
}

static void emit_headers64(struct test_elf *t)
{
	Elf64_Ehdr eh = {.e_type = t->type,
			 .e_machine = t->machine,
			 .e_version = EV_CURRENT,
			 .e_entry = TEST_TEXT_GPA,
			 .e_phoff = t->phoff,
			 .e_ehsize = sizeof(Elf64_Ehdr),
			 .e_phentsize = t->phentsize,
			 .e_phnum = t->phnum};

	memcpy(eh.e_ident, t->ident, EI_NIDENT);
	memcpy(t->bytes, &eh, sizeof(eh));
	for (unsigned i = 0; i < TEST_NPHDRS; i++) {
		const struct test_phdr *p = &t->ph[i];
		Elf64_Phdr ph = {.p_type = p->type,
				 .p_flags = p->flags,
				 .p_offset = p->offset,
				 .p_vaddr = p->paddr,
				 .p_paddr = p->paddr,
				 .p_filesz = p->filesz,
				 .p_memsz = p->memsz,
				 .p_align = p->type == PT_LOAD ? 0x1000 : 4};

		memcpy(t->bytes + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
	}
}

static void emit_headers32(struct test_elf *t)
{
	Elf32_Ehdr eh = {.e_type = t->type,
			 .e_machine = t->machine,
			 .e_version = EV_CURRENT,
			 .e_entry = (Elf32_Addr)TEST_TEXT_GPA,
			 .e_phoff = (Elf32_Off)t->phoff,
			 .e_ehsize = sizeof(Elf32_Ehdr),
			 .e_phentsize = t->phentsize,
			 .e_phnum = t->phnum};

	memcpy(eh.e_ident, t->ident, EI_NIDENT);
	memcpy(t->bytes, &eh, sizeof(eh));
	for (unsigned i = 0; i < TEST_NPHDRS; i++) {
		const struct test_phdr *p = &t->ph[i];
		Elf32_Phdr ph = {.p_type = p->type,
				 .p_flags = p->flags,
				 .p_offset = (Elf32_Off)p->offset,
				 .p_vaddr = (Elf32_Addr)p->paddr,
				 .p_paddr = (Elf32_Addr)p->paddr,
				 .p_filesz = (Elf32_Word)p->filesz,
				 .p_memsz = (Elf32_Word)p->memsz,
				 .p_align = p->type == PT_LOAD ? 0x1000 : 4};

		memcpy(t->bytes + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
	}
}

size_t elf_emit(struct test_elf *t)
{
	/* Elf32_Nhdr and Elf64_Nhdr are the same three 32-bit words. */
	Elf64_Nhdr nh = {.n_namesz = t->note_namesz,
			 .n_descsz = t->note_descsz,
			 .n_type = t->note_type};
	uint8_t *note = t->bytes + TEST_NOTE_OFF;

	memset(t->bytes, 0, sizeof(t->bytes));
	if (t->bits == 64)
		emit_headers64(t);
	else
		emit_headers32(t);
	memcpy(note, &nh, sizeof(nh));
	memcpy(note + sizeof(nh), t->note_name, 4);
	memcpy(note + sizeof(nh) + 4, &t->note_desc,
	       t->note_descsz == 8 ? 8 : 4);
	/* Recognisable contents (data to the loader, not instructions). */
	memset(t->bytes + TEST_TEXT_OFF, TEST_TEXT_FILL, 16);
	memset(t->bytes + TEST_DATA_OFF, TEST_DATA_FILL, 16);
	return sizeof(t->bytes);
}
