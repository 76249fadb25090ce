// SPDX-License-Identifier: MIT
/*
 * test_pages.c: page tables of the tests' own (test.h): a PML4 slot of
 * the running root linked to a chain of tables, through set_pte, for the
 * lazy-mode self-test and the map/unmap benchmark.
 */
#include "test.h"
#include "pv_ops.h"

void test_map_slot(unsigned slot, uint64_t *pdpt, uint64_t *pd, uint64_t *pt)
{
	uint64_t *root = (uint64_t *)(pv_read_cr3() & ~0xfffull);

	pv_set_pte((uintptr_t)&pd[0], (uintptr_t)pt | TEST_PTE_P | TEST_PTE_W);
	pv_set_pte((uintptr_t)&pdpt[0],
		   (uintptr_t)pd | TEST_PTE_P | TEST_PTE_W);
	pv_set_pte((uintptr_t)&root[slot],
		   (uintptr_t)pdpt | TEST_PTE_P | TEST_PTE_W);
	pv_flush_tlb_one((uint64_t)slot << 39);
}
