// SPDX-License-Identifier: MIT
/*
 * loader_pvh.c: validate a PVH ELF image, ELF64 (x86-64) or ELF32 (i386),
 * and copy its PT_LOAD segments into guest memory. The file is untrusted: every
 * offset, size and count is checked (overflow-safe) before it is used, and
 * headers are copied out of the file first (it may be unaligned, as the fuzzer
 * found). Pure functions, no KVM, so the host tests drive them with malformed
 * images.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pvh.h"
#include "vmm.h"

#define PVH_MAX_PHDRS 64 /* more than any real kernel has */

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* True if [off, off + size) lies inside a file of (len) bytes. */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* What the loader needs of the ELF header, whatever the class. */
struct elf_hdr {
	unsigned bits;	/* 32 or 64 */
	uint16_t phnum; /* program headers */
	uint64_t phoff; /* their file offset */
};

/* The ELF identity: magic, a class we load, little-endian, version 1. */
static int check_ident(const uint8_t *file, size_t len, char *err,
		       size_t errlen)
{
	if (len < EI_NIDENT || memcmp(file, ELFMAG, SELFMAG) != 0)
		return fail(err, errlen, "not an ELF file (bad magic)");
	if (file[EI_CLASS] != ELFCLASS64 && file[EI_CLASS] != ELFCLASS32)
		return fail(err, errlen,
			    "ELF class %u is neither ELFCLASS32 nor ELFCLASS64",
			    file[EI_CLASS]);
	if (file[EI_DATA] != ELFDATA2LSB || file[EI_VERSION] != EV_CURRENT)
		return fail(err, errlen,
			    "not a little-endian ELF version 1 image");
	return 0;
}

/*
 * The header fields of either class, checked the same way: the machine
 * the class implies (x86-64 for ELF64, i386 for ELF32), an executable,
 * program headers of the class's size, and all of them inside the file.
 */
static int check_fields(size_t len, struct elf_hdr *h, uint16_t machine,
			uint16_t type, uint16_t phentsize, char *err,
			size_t errlen)
{
	uint16_t want_machine = h->bits == 64 ? EM_X86_64 : EM_386;
	size_t want_phent =
	    h->bits == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

	if (machine != want_machine)
		return fail(err, errlen, "e_machine %u is not %s (%u)", machine,
			    h->bits == 64 ? "x86-64" : "i386", want_machine);
	if (type != ET_EXEC)
		return fail(err, errlen, "e_type %u is not ET_EXEC", type);
	if (phentsize != want_phent)
		return fail(err, errlen, "e_phentsize %u, expected %zu",
			    phentsize, want_phent);
	if (h->phnum == 0 || h->phnum > PVH_MAX_PHDRS)
		return fail(err, errlen,
			    "e_phnum %u: need 1 to %u program headers",
			    h->phnum, PVH_MAX_PHDRS);
	if (!in_file(h->phoff, (uint64_t)h->phnum * phentsize, len))
		return fail(err, errlen,
			    "program headers at offset %#llx (%u of them) run "
			    "past the end of the %zu-byte file",
			    (unsigned long long)h->phoff, h->phnum, len);
	return 0;
}

/*
 * Check the ELF header and copy the program headers out into (phs), as
 * ELF64 ones whatever the class (a 32-bit field always fits a 64-bit one,
 * so every later check is the same for both).
 */
static int read_headers(const uint8_t *file, size_t len, struct elf_hdr *h,
			Elf64_Phdr *phs, char *err, size_t errlen)
{
	if (check_ident(file, len, err, errlen) < 0)
		return -1;
	h->bits = file[EI_CLASS] == ELFCLASS64 ? 64 : 32;
	if (h->bits == 64) {
		Elf64_Ehdr eh;

		if (len < sizeof(eh))
			return fail(
			    err, errlen,
			    "truncated: %zu bytes, the ELF header needs "
			    "%zu",
			    len, sizeof(eh));
		memcpy(&eh, file, sizeof(eh));
		h->phnum = eh.e_phnum;
		h->phoff = eh.e_phoff;
		if (check_fields(len, h, eh.e_machine, eh.e_type,
				 eh.e_phentsize, err, errlen) < 0)
			return -1;
		memcpy(phs, file + h->phoff, h->phnum * sizeof(phs[0]));
		return 0;
	}
	Elf32_Ehdr eh;

	if (len < sizeof(eh))
		return fail(err, errlen,
			    "truncated: %zu bytes, the ELF header needs %zu",
			    len, sizeof(eh));
	memcpy(&eh, file, sizeof(eh));
	h->phnum = eh.e_phnum;
	h->phoff = eh.e_phoff;
	if (check_fields(len, h, eh.e_machine, eh.e_type, eh.e_phentsize, err,
			 errlen) < 0)
		return -1;
	for (unsigned i = 0; i < h->phnum; i++) {
		Elf32_Phdr p;

		memcpy(&p, file + h->phoff + i * sizeof(p), sizeof(p));
		phs[i] = (Elf64_Phdr){.p_type = p.p_type,
				      .p_flags = p.p_flags,
				      .p_offset = p.p_offset,
				      .p_vaddr = p.p_vaddr,
				      .p_paddr = p.p_paddr,
				      .p_filesz = p.p_filesz,
				      .p_memsz = p.p_memsz,
				      .p_align = p.p_align};
	}
	return 0;
}

/*
 * Look for the XEN_ELFNOTE_PHYS32_ENTRY note in one PT_NOTE segment.
 * Returns 1 and sets (entry) if found, 0 if not, -1 on a malformed note.
 */
static int find_pvh_note(const uint8_t *file, const Elf64_Phdr *ph,
			 uint32_t *entry, char *err, size_t errlen)
{
	const uint8_t *p = file + ph->p_offset;
	uint64_t left = ph->p_filesz;

	while (left >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_sz, desc_sz;

		memcpy(&nh, p, sizeof(nh));
		name_sz = ((uint64_t)nh.n_namesz + 3) & ~3ull;
		desc_sz = ((uint64_t)nh.n_descsz + 3) & ~3ull;
		if (name_sz > left - sizeof(nh) ||
		    desc_sz > left - sizeof(nh) - name_sz)
			return fail(err, errlen,
				    "ELF note at offset %#llx runs past its "
				    "PT_NOTE segment",
				    (unsigned long long)(p - file));
		const uint8_t *name = p + sizeof(nh);
		const uint8_t *desc = name + name_sz;

		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY &&
		    nh.n_namesz == sizeof(PVH_NOTE_NAME) &&
		    memcmp(name, PVH_NOTE_NAME, sizeof(PVH_NOTE_NAME)) == 0) {
			uint64_t v = 0;

			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return fail(err, errlen,
					    "PVH entry note has a %u-byte "
					    "value, expected 4 or 8",
					    nh.n_descsz);
			memcpy(&v, desc, nh.n_descsz);
			if (v > UINT32_MAX)
				return fail(err, errlen,
					    "PVH entry %#llx is above 4 GiB",
					    (unsigned long long)v);
			*entry = (uint32_t)v;
			return 1;
		}
		p += sizeof(nh) + name_sz + desc_sz;
		left -= sizeof(nh) + name_sz + desc_sz;
	}
	return 0;
}

/* Check one PT_LOAD against the file, guest memory and earlier segments. */
static int check_load(const Elf64_Phdr *phs, unsigned i, size_t len,
		      const struct vmm_mem *mem, char *err, size_t errlen)
{
	const Elf64_Phdr *ph = &phs[i];

	if (ph->p_filesz > ph->p_memsz)
		return fail(err, errlen,
			    "segment %u: p_filesz %#llx exceeds p_memsz %#llx",
			    i, (unsigned long long)ph->p_filesz,
			    (unsigned long long)ph->p_memsz);
	if (!in_file(ph->p_offset, ph->p_filesz, len))
		return fail(err, errlen,
			    "segment %u: file range %#llx+%#llx runs past the "
			    "end of the %zu-byte file",
			    i, (unsigned long long)ph->p_offset,
			    (unsigned long long)ph->p_filesz, len);
	if (ph->p_paddr > UINT64_MAX - ph->p_memsz)
		return fail(err, errlen,
			    "segment %u: address %#llx + size %#llx overflows",
			    i, (unsigned long long)ph->p_paddr,
			    (unsigned long long)ph->p_memsz);
	if (ph->p_paddr < VMM_LOAD_MIN_GPA ||
	    !vmm_mem_ptr(mem, ph->p_paddr, ph->p_memsz))
		return fail(err, errlen,
			    "segment %u: [%#llx, %#llx) is outside guest "
			    "memory [%#llx, %#llx)",
			    i, (unsigned long long)ph->p_paddr,
			    (unsigned long long)(ph->p_paddr + ph->p_memsz),
			    (unsigned long long)VMM_LOAD_MIN_GPA,
			    (unsigned long long)mem->size);
	for (unsigned j = 0; j < i; j++) {
		const Elf64_Phdr *o = &phs[j];

		if (o->p_type != PT_LOAD || o->p_memsz == 0)
			continue;
		if (ph->p_paddr < o->p_paddr + o->p_memsz &&
		    o->p_paddr < ph->p_paddr + ph->p_memsz)
			return fail(
			    err, errlen,
			    "segment %u [%#llx, %#llx) overlaps "
			    "segment %u [%#llx, %#llx)",
			    i, (unsigned long long)ph->p_paddr,
			    (unsigned long long)(ph->p_paddr + ph->p_memsz), j,
			    (unsigned long long)o->p_paddr,
			    (unsigned long long)(o->p_paddr + o->p_memsz));
	}
	return 0;
}

int pvh_load_elf(const uint8_t *file, size_t len, struct vmm_mem *mem,
		 struct pvh_image *img, char *err, size_t errlen)
{
	struct elf_hdr hdr, *eh = &hdr;
	Elf64_Phdr phs[PVH_MAX_PHDRS];
	bool have_entry = false, entry_loaded = false;
	uint32_t entry = 0;

	if (read_headers(file, len, eh, phs, err, errlen) < 0)
		return -1;
	memset(img, 0, sizeof(*img));
	img->bits = eh->bits;
	img->load_lo = UINT64_MAX;

	/* Pass 1: check every header before writing a byte. */
	for (unsigned i = 0; i < eh->phnum; i++) {
		const Elf64_Phdr *ph = &phs[i];

		if (ph->p_type == PT_NOTE && !have_entry) {
			if (!in_file(ph->p_offset, ph->p_filesz, len))
				return fail(err, errlen,
					    "PT_NOTE %u runs past the end of "
					    "the file",
					    i);
			int r = find_pvh_note(file, ph, &entry, err, errlen);
			if (r < 0)
				return -1;
			have_entry = r == 1;
		}
		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		if (eh->bits == 32 && ph->p_paddr + ph->p_memsz > (1ull << 32))
			return fail(
			    err, errlen,
			    "segment %u: [%#llx, %#llx) runs past 4 GiB "
			    "in an ELF32 image",
			    i, (unsigned long long)ph->p_paddr,
			    (unsigned long long)(ph->p_paddr + ph->p_memsz));
		if (check_load(phs, i, len, mem, err, errlen) < 0)
			return -1;
		img->nsegs++;
		if (ph->p_paddr < img->load_lo)
			img->load_lo = ph->p_paddr;
		if (ph->p_paddr + ph->p_memsz > img->load_hi)
			img->load_hi = ph->p_paddr + ph->p_memsz;
	}
	if (img->nsegs == 0)
		return fail(err, errlen, "no PT_LOAD segment to load");
	if (!have_entry)
		return fail(err, errlen,
			    "no PVH entry note (name \"Xen\", type %u): not a "
			    "PVH kernel",
			    XEN_ELFNOTE_PHYS32_ENTRY);
	for (unsigned i = 0; i < eh->phnum; i++) {
		const Elf64_Phdr *ph = &phs[i];

		/* Only the segments pass 1 checked (p_memsz > 0) count. */
		if (ph->p_type == PT_LOAD && ph->p_memsz != 0 &&
		    entry >= ph->p_paddr && entry - ph->p_paddr < ph->p_filesz)
			entry_loaded = true;
	}
	if (!entry_loaded)
		return fail(err, errlen,
			    "PVH entry %#x is not inside any loaded segment",
			    entry);

	/* Pass 2: copy. Guest memory starts zeroed; still clear the tail. */
	for (unsigned i = 0; i < eh->phnum; i++) {
		const Elf64_Phdr *ph = &phs[i];
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		dst = vmm_mem_ptr(mem, ph->p_paddr, ph->p_memsz);
		memcpy(dst, file + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	img->entry = entry;
	return 0;
}
