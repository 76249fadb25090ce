/* SPDX-License-Identifier: MIT */
/*
 * pvh.h: the PVH boot protocol (Xen's "HVM direct boot") as minivmm writes
 * it and the guest reads it. Self-contained C99, shared by host and guest;
 * every address in here is guest-physical, never a host pointer.
 */
#ifndef PVH_H
#define PVH_H

#include <stdint.h>

/* ELF note (name "Xen") whose descriptor is the 32-bit entry address. */
#define PVH_NOTE_NAME		 "Xen"
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define XEN_HVM_START_MAGIC_VALUE 0x336ec578u
#define XEN_HVM_START_VERSION	  1u /* version 1 adds the memory map */

/* hvm_start_info: the loader leaves its guest-physical address in %ebx. */
struct hvm_start_info {
	uint32_t magic;		 /* XEN_HVM_START_MAGIC_VALUE */
	uint32_t version;	 /* 1: memmap_* fields are valid */
	uint32_t flags;		 /* SIF_* flags, none used here */
	uint32_t nr_modules;	 /* entries at modlist_paddr */
	uint64_t modlist_paddr;	 /* struct hvm_modlist_entry[nr_modules] */
	uint64_t cmdline_paddr;	 /* NUL-terminated command line, or 0 */
	uint64_t rsdp_paddr;	 /* ACPI RSDP, or 0 */
	uint64_t memmap_paddr;	 /* struct hvm_memmap_table_entry[] */
	uint32_t memmap_entries; /* number of memory map entries */
	uint32_t reserved;	 /* must be zero */
};

/* One memory map entry; types follow the E820 numbering. */
struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

#define XEN_HVM_MEMMAP_TYPE_RAM	     1
#define XEN_HVM_MEMMAP_TYPE_RESERVED 2

#endif /* PVH_H */
