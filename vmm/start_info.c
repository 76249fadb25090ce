// SPDX-License-Identifier: MIT
/*
 * start_info.c: build the PVH hvm_start_info block, its memory map and the
 * command line in the low memory minivmm reserves for them (docs/boot.md).
 */
#include <stdio.h>
#include <string.h>

#include "pvh.h"
#include "vmm.h"

enum { PVH_MEMMAP_ENTRIES = 3 };

uint64_t pvh_write_start_info(struct vmm_mem *mem, const char *cmdline,
			      char *err, size_t errlen)
{
	size_t cmd_len = strlen(cmdline) + 1;
	size_t info_len =
	    sizeof(struct hvm_start_info) +
	    PVH_MEMMAP_ENTRIES * sizeof(struct hvm_memmap_table_entry);
	struct hvm_start_info *si;
	struct hvm_memmap_table_entry *map;
	char *cmd;

	if (cmd_len > VMM_CMDLINE_MAX) {
		snprintf(err, errlen,
			 "guest command line is %zu bytes, the limit is %u",
			 cmd_len - 1, VMM_CMDLINE_MAX - 1);
		return 0;
	}
	si = vmm_mem_ptr(mem, VMM_START_INFO_GPA, info_len);
	cmd = vmm_mem_ptr(mem, VMM_CMDLINE_GPA, cmd_len);
	if (!si || !cmd || mem->size < VMM_MEM_MIN) {
		snprintf(err, errlen, "guest memory of %llu bytes is too small",
			 (unsigned long long)mem->size);
		return 0;
	}
	memcpy(cmd, cmdline, cmd_len);

	/* The map follows start_info directly (same page). */
	map = (struct hvm_memmap_table_entry *)(si + 1);
	map[0] = (struct hvm_memmap_table_entry){
	    .addr = 0,
	    .size = VMM_LEGACY_HOLE_GPA,
	    .type = XEN_HVM_MEMMAP_TYPE_RAM,
	};
	map[1] = (struct hvm_memmap_table_entry){
	    .addr = VMM_LEGACY_HOLE_GPA,
	    .size = VMM_LOAD_MIN_GPA - VMM_LEGACY_HOLE_GPA,
	    .type = XEN_HVM_MEMMAP_TYPE_RESERVED,
	};
	map[2] = (struct hvm_memmap_table_entry){
	    .addr = VMM_LOAD_MIN_GPA,
	    .size = mem->size - VMM_LOAD_MIN_GPA,
	    .type = XEN_HVM_MEMMAP_TYPE_RAM,
	};
	*si = (struct hvm_start_info){
	    .magic = XEN_HVM_START_MAGIC_VALUE,
	    .version = XEN_HVM_START_VERSION,
	    .cmdline_paddr = VMM_CMDLINE_GPA,
	    .memmap_paddr = VMM_START_INFO_GPA + sizeof(*si),
	    .memmap_entries = PVH_MEMMAP_ENTRIES,
	};
	return VMM_START_INFO_GPA;
}
