// SPDX-License-Identifier: MIT
/*
 * test_start_info.c: the hvm_start_info block minivmm writes: magic,
 * version, memory map covering guest memory, the command line; and the
 * refusals (command line too long, memory too small).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pvh.h"
#include "vmm.h"

static struct vmm_mem mem;
static char why[256];

static void setup(void)
{
	mem.size = 8ull << 20;
	mem.host = calloc(1, mem.size);
	cr_assert_not_null(mem.host);
}

static void teardown(void)
{
	free(mem.host);
}

TestSuite(start_info, .init = setup, .fini = teardown);

Test(start_info, header_memmap_and_cmdline)
{
	uint64_t gpa =
	    pvh_write_start_info(&mem, "pvops=native test=x", why, sizeof(why));
	const struct hvm_start_info *si;
	const struct hvm_memmap_table_entry *map;
	uint64_t ram = 0;

	cr_assert_neq(gpa, 0, "%s", why);
	si = vmm_mem_ptr(&mem, gpa, sizeof(*si));
	cr_assert_not_null(si);
	cr_assert_eq(si->magic, XEN_HVM_START_MAGIC_VALUE);
	cr_assert_eq(si->version, 1);
	cr_assert_eq(si->nr_modules, 0);
	cr_assert_str_eq((const char *)vmm_mem_ptr(&mem, si->cmdline_paddr, 20),
			 "pvops=native test=x");
	map = vmm_mem_ptr(&mem, si->memmap_paddr,
			  si->memmap_entries * sizeof(*map));
	cr_assert_not_null(map);
	cr_assert_geq(si->memmap_entries, 2);
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (i > 0)
			cr_assert_eq(map[i].addr,
				     map[i - 1].addr + map[i - 1].size,
				     "memory map has a gap before entry %u", i);
		if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
			ram += map[i].size;
	}
	cr_assert_eq(map[si->memmap_entries - 1].addr +
			 map[si->memmap_entries - 1].size,
		     mem.size, "memory map does not end at the end of memory");
	cr_assert_lt(ram, mem.size, "the legacy hole must not be RAM");
	cr_assert_gt(ram, mem.size - (1u << 20));
	/* The boot data must not overlap where the kernel is loaded. */
	cr_assert_lt(si->cmdline_paddr + VMM_CMDLINE_MAX, VMM_LOAD_MIN_GPA);
	cr_assert_lt(si->memmap_paddr + si->memmap_entries * sizeof(*map),
		     si->cmdline_paddr);
}

Test(start_info, empty_cmdline)
{
	uint64_t gpa = pvh_write_start_info(&mem, "", why, sizeof(why));
	const struct hvm_start_info *si = vmm_mem_ptr(&mem, gpa, sizeof(*si));

	cr_assert_not_null(si);
	cr_assert_eq(*(const char *)vmm_mem_ptr(&mem, si->cmdline_paddr, 1),
		     '\0');
}

Test(start_info, longest_cmdline_fits_and_one_more_is_refused)
{
	char *cmd = malloc(VMM_CMDLINE_MAX + 1);

	memset(cmd, 'a', VMM_CMDLINE_MAX);
	cmd[VMM_CMDLINE_MAX - 1] = '\0';
	cr_assert_neq(pvh_write_start_info(&mem, cmd, why, sizeof(why)), 0,
		      "%s", why);
	cmd[VMM_CMDLINE_MAX - 1] = 'a';
	cmd[VMM_CMDLINE_MAX] = '\0';
	cr_assert_eq(pvh_write_start_info(&mem, cmd, why, sizeof(why)), 0);
	cr_assert_not_null(strstr(why, "command line"), "%s", why);
	free(cmd);
}

Test(start_info, memory_too_small)
{
	mem.size = 1u << 20;
	cr_assert_eq(pvh_write_start_info(&mem, "x", why, sizeof(why)), 0);
	cr_assert_not_null(strstr(why, "too small"), "%s", why);
}
