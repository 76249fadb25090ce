// SPDX-License-Identifier: MIT
/*
 * image.c: load a guest ELF image with libelf: its PT_LOAD segments into
 * one buffer at their places relative to the lowest (so the patch
 * records' self-relative offsets work on the host as in the guest), its
 * section headers and its symbol table.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvcheck.h"

#define PVC_IMAGE_MAX (256u << 20) /* a guest image spans less than this */

static Elf *elf;
static int elf_fd = -1;

static bool load_segments(struct pvc_image *img)
{
	size_t n;
	uint64_t lo = UINT64_MAX, hi = 0;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    ph.p_memsz) {
			lo = ph.p_vaddr < lo ? ph.p_vaddr : lo;
			hi = ph.p_vaddr + ph.p_memsz > hi
				 ? ph.p_vaddr + ph.p_memsz
				 : hi;
		}
	if (lo >= hi || hi - lo > PVC_IMAGE_MAX) {
		fprintf(stderr,
			"pvcheck: %s: no loadable segment, or they "
			"span more than 256 MiB\n",
			img->path);
		return false;
	}
	img->base = lo;
	img->size = hi - lo;
	img->mem = calloc(1, img->size);
	if (!img->mem)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !ph.p_filesz)
			continue;
		if (ph.p_filesz > ph.p_memsz ||
		    pread(elf_fd, img->mem + (ph.p_vaddr - lo), ph.p_filesz,
			  (off_t)ph.p_offset) != (ssize_t)ph.p_filesz) {
			fprintf(stderr,
				"pvcheck: %s: segment %zu cannot be "
				"read\n",
				img->path, i);
			return false;
		}
	}
	return true;
}

static bool in_exec_section(size_t index)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_getscn(elf, index);

	return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR) &&
	       (sh.sh_flags & SHF_ALLOC);
}

static void load_symbols(struct pvc_image *img)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		size_t count;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		count = sh.sh_size / sh.sh_entsize;
		img->syms = calloc(count, sizeof(*img->syms));
		if (!d || !img->syms)
			return;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(d, (int)i, &s) || !s.st_name ||
			    s.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			/* NASM's macro-local labels (..@N.x) name nothing. */
			if (!name || !*name || strncmp(name, "..@", 3) == 0 ||
			    GELF_ST_TYPE(s.st_info) == STT_SECTION ||
			    GELF_ST_TYPE(s.st_info) == STT_FILE)
				continue;
			img->syms[img->nsyms++] = (struct pvc_symbol){
			    .name = strdup(name),
			    .addr = s.st_value,
			    .size = s.st_size,
			    .func = GELF_ST_TYPE(s.st_info) == STT_FUNC,
			    .global = GELF_ST_BIND(s.st_info) != STB_LOCAL,
			    .exec = in_exec_section(s.st_shndx)};
		}
		return;
	}
}

bool pvc_image_load(struct pvc_image *img, const char *path)
{
	*img = (struct pvc_image){.path = path};
	if (elf_version(EV_CURRENT) == EV_NONE)
		return false;
	elf_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (elf_fd < 0) {
		perror(path);
		return false;
	}
	elf = elf_begin(elf_fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		fprintf(stderr, "pvcheck: %s: not an ELF file\n", path);
		return false;
	}
	if (!load_segments(img))
		return false;
	load_symbols(img);
	return true;
}

Elf *pvc_image_elf(void)
{
	return elf;
}

void pvc_image_free(struct pvc_image *img)
{
	for (size_t i = 0; i < img->nsyms; i++)
		free(img->syms[i].name);
	free(img->syms);
	free(img->mem);
	if (elf)
		elf_end(elf);
	if (elf_fd >= 0)
		close(elf_fd);
	elf = NULL;
	elf_fd = -1;
}

struct pvc_section pvc_section(const struct pvc_image *img, const char *name)
{
	struct pvc_section none = {NULL, NULL};
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return none;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && strcmp(n, name) == 0 && sh.sh_addr >= img->base &&
		    sh.sh_size <= img->size &&
		    sh.sh_addr - img->base <= img->size - sh.sh_size)
			return (struct pvc_section){
			    img->mem + (sh.sh_addr - img->base),
			    img->mem + (sh.sh_addr - img->base) + sh.sh_size};
	}
	return none;
}

bool pvc_exec_section(const struct pvc_image *img, unsigned n,
		      struct pvc_section *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) ||
		    !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (sh.sh_addr < img->base || sh.sh_size > img->size ||
		    sh.sh_addr - img->base > img->size - sh.sh_size)
			continue;
		if (n-- == 0) {
			out->start = img->mem + (sh.sh_addr - img->base);
			out->end = out->start + sh.sh_size;
			return true;
		}
	}
	return false;
}

uint8_t *pvc_ptr(const struct pvc_image *img, uint64_t addr)
{
	if (addr < img->base || addr - img->base >= img->size)
		return NULL;
	return img->mem + (addr - img->base);
}

uint64_t pvc_addr(const struct pvc_image *img, const void *p)
{
	return img->base + (uint64_t)((const uint8_t *)p - img->mem);
}

const char *pvc_sym_ending(const struct pvc_image *img, uint64_t addr,
			   const char *suffix)
{
	size_t k = strlen(suffix);

	for (size_t i = 0; i < img->nsyms; i++) {
		size_t n = strlen(img->syms[i].name);

		if (img->syms[i].addr == addr && n > k &&
		    strcmp(img->syms[i].name + n - k, suffix) == 0)
			return img->syms[i].name;
	}
	return NULL;
}

void *pvc_sym_ptr(const struct pvc_image *img, const char *name)
{
	for (size_t i = 0; i < img->nsyms; i++)
		if (strcmp(img->syms[i].name, name) == 0)
			return pvc_ptr(img, img->syms[i].addr);
	return NULL;
}

const char *pvc_where(const struct pvc_image *img, uint64_t addr, char *buf,
		      size_t len)
{
	const struct pvc_symbol *best = NULL;

	for (size_t i = 0; i < img->nsyms; i++) {
		const struct pvc_symbol *s = &img->syms[i];

		if (s->addr > addr ||
		    (s->size && addr - s->addr >= s->size && s->addr != addr))
			continue;
		/* The nearest below; at one address, ours over the
		 * linker's (__kernel_start, __pv_patchlets_start). */
		if (!best || s->addr > best->addr ||
		    (s->addr == best->addr && best->name[0] == '_' &&
		     best->name[1] == '_' && s->name[0] != '_'))
			best = s;
	}
	if (best)
		snprintf(buf, len, "%s+%#llx", best->name,
			 (unsigned long long)(addr - best->addr));
	else
		snprintf(buf, len, "%#llx", (unsigned long long)addr);
	return buf;
}
