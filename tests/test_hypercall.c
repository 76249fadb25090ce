// SPDX-License-Identifier: MIT
/*
 * test_hypercall.c: the hypercall dispatcher with guest-controlled numbers
 * and arguments: exit in range, exit out of range, unknown numbers.
 */
#include <criterion/criterion.h>

#include "vmm.h"

static uint8_t backing[4096];
static struct vmm_mem mem = { .host = backing, .size = sizeof(backing) };

Test(hypercall, exit_passes_the_status_through)
{
	for (uint64_t st = 0; st <= MINIVMM_EXIT_MAX; st++) {
		struct vmm_hc_result r =
			vmm_hypercall(&mem, MINIVMM_HC_EXIT, st, 0, 0x1000);

		cr_assert(r.stop);
		cr_assert_eq(r.status, (int)st);
	}
}

Test(hypercall, exit_status_out_of_range_stops_with_its_own_status)
{
	static const uint64_t bad[] = { MINIVMM_EXIT_MAX + 1, 255, 256,
					1ull << 32, UINT64_MAX };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vmm_hc_result r =
			vmm_hypercall(&mem, MINIVMM_HC_EXIT, bad[i], 0, 0x1000);

		cr_assert(r.stop);
		cr_assert_eq(r.status, VMM_STATUS_HYPERCALL);
	}
}

Test(hypercall, unknown_numbers_return_enosys)
{
	static const uint32_t bad[] = { MINIVMM_HC_COUNT, 1000, UINT32_MAX };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vmm_hc_result r = vmm_hypercall(&mem, bad[i], 0, 0, 0);

		cr_assert(!r.stop);
		cr_assert_eq(r.rax, MINIVMM_ENOSYS);
	}
}
