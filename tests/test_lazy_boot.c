// SPDX-License-Identifier: MIT
/*
 * test_lazy_boot.c: lazy mode in the real guest. Every boot runs its
 * self-test (guest/test/lazy_test.c); here the guest's own count of ops
 * queued and MULTICALLs made must match what minivmm's --stats counted,
 * exactly, under hypercall; under native, unpatched and in QEMU nothing
 * is queued and no MULTICALL made; and a queued op minivmm refuses ends
 * the run naming it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "spawn.h"

static struct spawn_result r;

TestSuite(lazy_boot, .timeout = 120);

/* The guest's "N ops queued, M MULTICALLs" for (mode). */
static void guest_counts(const char *mode, unsigned long long *ops,
			 unsigned long long *calls)
{
	char want[64];
	const char *line, *ok;

	snprintf(want, sizeof(want), "selftest: lazy %s: ", mode);
	line = strstr(r.out, want);
	cr_assert_not_null(line, "no lazy self-test line:\n%s", r.out);
	ok = strstr(line, ": ok (");
	cr_assert_not_null(ok, "%s", line);
	cr_assert_eq(
	    sscanf(ok, ": ok (%llu ops queued, %llu MULTICALLs)", ops, calls),
	    2, "%s", line);
}

/* minivmm's "stats: multicalls: M, E entries:". */
static void vmm_counts(unsigned long long *calls, unsigned long long *entries)
{
	const char *line = strstr(r.out, "stats: multicalls: ");

	cr_assert_not_null(line, "%s", r.out);
	cr_assert_eq(sscanf(line, "stats: multicalls: %llu, %llu entries:",
			    calls, entries),
		     2, "%s", line);
}

static void boot_stats(char *cmdline)
{
	char *argv[] = {BUILD_DIR "/minivmm",	"--stats", "--cmdline", cmdline,
			BUILD_DIR "/guest.elf", NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	assert_guest_pass(&r, "minivmm");
}

Test(lazy_boot, hypercall_batches_and_minivmm_counts_the_same)
{
	unsigned long long ops, calls, vcalls, entries;

	boot_stats("pvops=hypercall");
	guest_counts("hypercall", &ops, &calls);
	vmm_counts(&vcalls, &entries);
	cr_assert_gt(calls, 0);
	cr_assert_gt(ops, 2 * calls, "%llu ops in %llu MULTICALLs", ops, calls);
	cr_assert_eq(vcalls, calls, "minivmm %llu, the guest %llu", vcalls,
		     calls);
	cr_assert_eq(entries, ops, "minivmm %llu, the guest %llu", entries,
		     ops);
	cr_assert_not_null(strstr(r.out, " set_pte="), "%s", r.out);
}

static void queues_nothing(char *cmdline, const char *mode)
{
	unsigned long long ops, calls, vcalls, entries;

	boot_stats(cmdline);
	guest_counts(mode, &ops, &calls);
	vmm_counts(&vcalls, &entries);
	cr_assert(ops == 0 && calls == 0 && vcalls == 0 && entries == 0, "%s",
		  r.out);
}

Test(lazy_boot, native_queues_nothing)
{
	queues_nothing("pvops=native", "native");
}

Test(lazy_boot, unpatched_queues_nothing)
{
	queues_nothing("pvops=unpatched", "unpatched");
}

/* QEMU: no minivmm, so native, and lazy sections cost nothing. */
Test(lazy_boot, qemu_tcg_queues_nothing)
{
	unsigned long long ops, calls;

	boot_qemu(&r, "tcg", "");
	cr_assert_eq(r.status, 0, "%s", r.out);
	guest_counts("native", &ops, &calls);
	cr_assert(ops == 0 && calls == 0, "%s", r.out);
}

Test(lazy_boot, a_refused_queued_op_ends_the_run_naming_it)
{
	SKIP_WITHOUT_KVM();
	boot_minivmm(&r, "pvops=hypercall test=lazyfail");
	assert_guest_fail(&r, "lazy: minivmm refused queued entry 1, "
			      "hypercall 28 ");
	cr_assert_not_null(strstr(r.out, ": 0xffffffffffffffea"), "%s", r.out);
}
