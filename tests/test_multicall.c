// SPDX-License-Identifier: MIT
/*
 * test_multicall.c: MINIVMM_HC_MULTICALL on made-up vCPU state: entries
 * run in order through the single calls' handlers, results written to
 * their slots, the stop at the first failing entry with the ones before
 * it applied, entries already run skipped, and every refusal of
 * minivmm_abi.h (count, array, nested, non-batchable, unknown, pad).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "vmm.h"

#define ARRAY 0x2000 /* the entries, in guest memory */
#define TABLE 0x3000 /* a page-table page */

static uint8_t backing[16 * 4096];
static const struct vmm_mem mem = {.host = backing, .size = sizeof(backing)};
static struct kvm_regs regs;
static struct kvm_sregs sregs;
static struct vmm_hc hc;
static uint64_t counts[MINIVMM_HC_COUNT];

static struct minivmm_mc_entry *entries(void)
{
	return (struct minivmm_mc_entry *)(backing + ARRAY);
}

static void entry(unsigned i, uint32_t nr, uint64_t a0, uint64_t a1)
{
	entries()[i] = (struct minivmm_mc_entry){
	    .nr = nr, .args = {a0, a1}, .result = MINIVMM_MC_PENDING};
}

static uint64_t pte(unsigned i)
{
	return ((uint64_t *)(backing + TABLE))[i];
}

/* MULTICALL over (count) entries at (gpa): its rax. */
static uint64_t multicall(uint64_t gpa, uint64_t count)
{
	regs = (struct kvm_regs){
	    .rdi = gpa, .rsi = count, .rip = 0x1000, .rbx = 0xb0b};
	sregs = (struct kvm_sregs){.cr3 = 0x5000};
	memset(counts, 0, sizeof(counts));
	hc = (struct vmm_hc){.nr = MINIVMM_HC_MULTICALL,
			     .regs = &regs,
			     .sregs = &sregs,
			     .mem = &mem,
			     .mc_counts = counts};
	vmm_hypercall(&hc);
	cr_assert(!hc.stop);
	cr_assert(hc.regs_dirty);
	cr_assert_eq(regs.rbx, 0xb0b);
	return regs.rax;
}

static void setup(void)
{
	memset(backing, 0, sizeof(backing));
}

TestSuite(multicall, .init = setup);

/* The same array run entry by entry: order kept (the same entry written
 * twice ends with the second value), each effect as a single call's. */
Test(multicall, runs_the_entries_in_order)
{
	entry(0, MINIVMM_HC_SET_PTE, TABLE, 0x5003);
	entry(1, MINIVMM_HC_SET_PTE, TABLE + 8, 0x6003);
	entry(2, MINIVMM_HC_SET_PTE, TABLE, 0x7003);
	entry(3, MINIVMM_HC_WRITE_CR3, 0x4000, 0);
	entry(4, MINIVMM_HC_FLUSH_TLB_ONE, 0x400000, 0);
	entry(5, MINIVMM_HC_NULL, 0, 0);
	cr_assert_eq(multicall(ARRAY, 6), 6);
	cr_assert_eq(pte(0), 0x7003);
	cr_assert_eq(pte(1), 0x6003);
	cr_assert_eq(sregs.cr3, 0x4000);
	cr_assert(hc.sregs_dirty && hc.flush_tlb && !hc.refused);
	for (unsigned i = 0; i < 6; i++)
		cr_assert_eq(entries()[i].result, 0, "entry %u", i);
	cr_assert_eq(counts[MINIVMM_HC_SET_PTE], 3);
	cr_assert_eq(counts[MINIVMM_HC_WRITE_CR3], 1);
	cr_assert_eq(hc.mc_run, 6);
}

Test(multicall, stops_at_the_first_failing_entry)
{
	entry(0, MINIVMM_HC_SET_PTE, TABLE, 0x5003);
	entry(1, MINIVMM_HC_SET_PTE, TABLE + 8, sizeof(backing) | 1);
	entry(2, MINIVMM_HC_SET_PTE, TABLE + 16, 0x6003);
	cr_assert_eq(multicall(ARRAY, 3), 1, "the failing entry's index");
	cr_assert_eq(pte(0), 0x5003, "the entry before it stays applied");
	cr_assert_eq(pte(1), 0);
	cr_assert_eq(pte(2), 0, "the entry after it ran");
	cr_assert_eq(entries()[0].result, 0);
	cr_assert_eq(entries()[1].result, MINIVMM_EINVAL);
	cr_assert_eq(entries()[2].result, MINIVMM_MC_PENDING);
	cr_assert(hc.refused);
}

/* An entry whose slot is no longer pending was run before (an interrupt
 * handler flushed the queue): skipped, and counted as done. */
Test(multicall, skips_entries_already_run)
{
	entry(0, MINIVMM_HC_SET_PTE, TABLE, 0x5003);
	entry(1, MINIVMM_HC_SET_PTE, TABLE + 8, 0x6003);
	entries()[0].result = 0;
	cr_assert_eq(multicall(ARRAY, 2), 2);
	cr_assert_eq(pte(0), 0, "an entry already run ran again");
	cr_assert_eq(pte(1), 0x6003);
	cr_assert_eq(hc.mc_run, 1);
	cr_assert_eq(counts[MINIVMM_HC_SET_PTE], 1);
	/* the same array again: nothing left to run */
	cr_assert_eq(multicall(ARRAY, 2), 2);
	cr_assert_eq(hc.mc_run, 0);
}

Test(multicall, an_empty_call_runs_nothing)
{
	cr_assert_eq(multicall(ARRAY, 0), 0);
	cr_assert(!hc.refused);
}

/* Refused as a whole, with nothing run. */
Test(multicall, refuses_bad_counts_and_arrays)
{
	const uint64_t size = sizeof(struct minivmm_mc_entry);
	static const struct {
		uint64_t gpa, count, rax;
		const char *why;
	} bad[] = {
	    {ARRAY, MINIVMM_MC_MAX + 1, MINIVMM_E2BIG, "over the bound"},
	    {ARRAY, UINT64_MAX, MINIVMM_E2BIG, "a huge count"},
	    {ARRAY + 4, 1, MINIVMM_EINVAL, "a misaligned array"},
	    {0, 1, MINIVMM_EINVAL, "an array in page 0"},
	    {sizeof(backing) - size, 2, MINIVMM_EINVAL, "across the end"},
	    {sizeof(backing), 1, MINIVMM_EINVAL, "past the end"},
	    {UINT64_MAX - 7, 1, MINIVMM_EINVAL, "at the top of the range"},
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup();
		if (bad[i].gpa < sizeof(backing) - size)
			for (unsigned e = 0; e < 2; e++)
				memcpy(backing + bad[i].gpa + e * size,
				       &(struct minivmm_mc_entry){
					   .nr = MINIVMM_HC_SET_PTE,
					   .args = {TABLE, 0x5003},
					   .result = MINIVMM_MC_PENDING},
				       size);
		cr_assert_eq(multicall(bad[i].gpa, bad[i].count), bad[i].rax,
			     "%s", bad[i].why);
		cr_assert(hc.refused, "%s", bad[i].why);
		cr_assert_eq(pte(0), 0, "%s: an entry ran", bad[i].why);
		cr_assert_eq(hc.mc_run, 0);
	}
}

/* An entry that cannot be batched, each with its documented error. */
Test(multicall, refuses_entries_that_cannot_be_batched)
{
	static const struct {
		uint32_t nr, pad;
		uint64_t result;
	} bad[] = {
	    {MINIVMM_HC_MULTICALL, 0, MINIVMM_EOPNOTSUPP},
	    {MINIVMM_HC_EXIT, 0, MINIVMM_EOPNOTSUPP},
	    {MINIVMM_HC_CONSOLE_WRITE, 0, MINIVMM_EOPNOTSUPP},
	    {MINIVMM_HC_READ_CR3, 0, MINIVMM_EOPNOTSUPP},
	    {MINIVMM_HC_SAFE_HALT, 0, MINIVMM_EOPNOTSUPP},
	    {MINIVMM_HC_IRQ_ENABLE, 0, MINIVMM_EOPNOTSUPP},
	    {MINIVMM_HC_SANDBOX_PROBE, 0, MINIVMM_EOPNOTSUPP},
	    {MINIVMM_HC_OWN_COUNT, 0, MINIVMM_ENOSYS},
	    {MINIVMM_HC_COUNT, 0, MINIVMM_ENOSYS},
	    {UINT32_MAX, 0, MINIVMM_ENOSYS},
	    {MINIVMM_HC_NULL, 1, MINIVMM_EINVAL},
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup();
		entry(0, MINIVMM_HC_SET_PTE, TABLE, 0x5003);
		entry(1, bad[i].nr, ARRAY, 1);
		entries()[1].pad = bad[i].pad;
		entry(2, MINIVMM_HC_SET_PTE, TABLE + 8, 0x6003);
		cr_assert_eq(multicall(ARRAY, 3), 1, "nr %u", bad[i].nr);
		cr_assert_eq(entries()[1].result, bad[i].result, "nr %u: %#llx",
			     bad[i].nr,
			     (unsigned long long)entries()[1].result);
		cr_assert_eq(pte(0), 0x5003);
		cr_assert_eq(pte(1), 0, "nr %u: ran past it", bad[i].nr);
		cr_assert(!hc.halt && !hc.stop, "nr %u", bad[i].nr);
	}
}

/* The largest call: every entry run, one exit. */
Test(multicall, runs_the_largest_batch)
{
	for (unsigned i = 0; i < MINIVMM_MC_MAX; i++)
		entry(i, MINIVMM_HC_SET_PTE, TABLE + 8 * i,
		      0x5003 | (uint64_t)i << 52);
	cr_assert_eq(multicall(ARRAY, MINIVMM_MC_MAX), MINIVMM_MC_MAX);
	for (unsigned i = 0; i < MINIVMM_MC_MAX; i++)
		cr_assert_eq(pte(i), 0x5003 | (uint64_t)i << 52, "entry %u", i);
	cr_assert_eq(counts[MINIVMM_HC_SET_PTE], MINIVMM_MC_MAX);
}
