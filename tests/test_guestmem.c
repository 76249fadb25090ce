// SPDX-License-Identifier: MIT
/*
 * test_guestmem.c: the one bounds check for guest-physical ranges, at the
 * edges and with sums that would wrap around 2^64.
 */
#include <criterion/criterion.h>

#include "vmm.h"

static uint8_t backing[4096];
static const struct vmm_mem mem = {.host = backing, .size = 4096};

Test(guestmem, inside_and_at_the_edges)
{
	cr_assert_eq(vmm_mem_ptr(&mem, 0, 4096), backing);
	cr_assert_eq(vmm_mem_ptr(&mem, 4095, 1), backing + 4095);
	cr_assert_eq(vmm_mem_ptr(&mem, 4096, 0), backing + 4096);
	cr_assert_eq(vmm_mem_ptr(&mem, 100, 0), backing + 100);
}

Test(guestmem, past_the_end)
{
	cr_assert_null(vmm_mem_ptr(&mem, 4096, 1));
	cr_assert_null(vmm_mem_ptr(&mem, 4095, 2));
	cr_assert_null(vmm_mem_ptr(&mem, 0, 4097));
	cr_assert_null(vmm_mem_ptr(&mem, 4097, 0));
}

Test(guestmem, wrapping_sums)
{
	cr_assert_null(vmm_mem_ptr(&mem, UINT64_MAX, 1));
	cr_assert_null(vmm_mem_ptr(&mem, 1, UINT64_MAX));
	cr_assert_null(vmm_mem_ptr(&mem, 16, UINT64_MAX - 8));
	cr_assert_null(vmm_mem_ptr(&mem, UINT64_MAX - 8, 16));
}
