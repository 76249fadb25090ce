// SPDX-License-Identifier: MIT
/*
 * test_hostile.c: the hostile guest against minivmm. Several seeds of
 * random hypercalls with hostile arguments: minivmm answers each as the
 * ABI says (the guest checks every answer), never crashes or hangs, and
 * its --stats count exactly the unknown numbers and refused arguments the
 * guest saw. Then every way a run ends by the ABI, after such a barrage.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "spawn.h"
#include "vmm.h"

static struct spawn_result r;

static void hostile(const char *spec)
{
	char cmdline[64];
	char *argv[] = {BUILD_DIR "/minivmm",
			"--stats",
			"--timeout",
			"120",
			"--cmdline",
			cmdline,
			BUILD_DIR "/guest.elf",
			NULL};

	snprintf(cmdline, sizeof(cmdline), "hostile=%s", spec);
	spawn_run(argv, &r);
}

/* The guest's count of MULTICALLs that ran entries, and of the entries
 * run, equal minivmm's. */
static void assert_multicalls_match(void)
{
	unsigned long long calls, entries, s_calls, s_entries;
	const char *g = strstr(r.out, "hostile: "), *s;

	for (; g; g = strstr(g + 1, "hostile: "))
		if (sscanf(g,
			   "hostile: %llu MULTICALLs ran entries, %llu "
			   "entries run",
			   &calls, &entries) == 2)
			break;
	cr_assert_not_null(g, "no MULTICALL tally from the guest:\n%s", r.out);
	cr_assert_gt(calls, 0);
	s = strstr(r.out, "stats: multicalls: ");
	cr_assert_not_null(s, "no --stats:\n%s", r.out);
	cr_assert_eq(sscanf(s, "stats: multicalls: %llu, %llu entries",
			    &s_calls, &s_entries),
		     2);
	cr_assert_eq(s_calls, calls, "minivmm counted %llu MULTICALLs",
		     s_calls);
	cr_assert_eq(s_entries, entries, "minivmm counted %llu entries",
		     s_entries);
}

/* The guest's tallies equal minivmm's counts. */
static void assert_tallies_match(unsigned long long calls)
{
	unsigned long long n, unknown, refused, answered, s_unknown, s_refused;
	const char *g = strstr(r.out, "hostile: "), *s;

	for (; g; g = strstr(g + 1, "hostile: "))
		if (sscanf(g,
			   "hostile: %llu calls: %llu unknown (ENOSYS), "
			   "%llu refused (EINVAL), %llu answered",
			   &n, &unknown, &refused, &answered) == 4)
			break;
	cr_assert_not_null(g, "no tally from the guest:\n%s", r.out);
	cr_assert_eq(n, calls);
	cr_assert_eq(unknown + refused + answered, n);
	cr_assert_gt(unknown, 0);
	cr_assert_gt(refused, 0);
	s = strstr(r.out, " unknown=");
	cr_assert_not_null(s, "no --stats:\n%s", r.out);
	cr_assert_eq(
	    sscanf(s, " unknown=%llu refused=%llu", &s_unknown, &s_refused), 2);
	cr_assert_eq(s_unknown, unknown, "minivmm counted %llu unknown",
		     s_unknown);
	cr_assert_eq(s_refused, refused, "minivmm counted %llu refused",
		     s_refused);
	assert_multicalls_match();
}

TestSuite(hostile, .timeout = 180);

Test(hostile, three_seeds_answered_as_documented)
{
	static const char *const seeds[] = {"1,5000", "2,5000", "3,5000"};

	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < 3; i++) {
		hostile(seeds[i]);
		assert_guest_pass(&r, "minivmm");
		assert_tallies_match(5000);
	}
}

static void ends_with(const char *end, int status, const char *msg)
{
	char spec[32];

	snprintf(spec, sizeof(spec), "7,300,%s", end);
	hostile(spec);
	cr_assert_eq(r.status, status, "%s: status %d:\n%s", end, r.status,
		     r.out);
	cr_assert_not_null(strstr(r.out, msg), "%s: no \"%s\" in:\n%s", end,
			   msg, r.out);
	assert_tallies_match(300);
}

Test(hostile, every_documented_ending)
{
	SKIP_WITHOUT_KVM();
	ends_with("port", VMM_STATUS_GUEST_IO, "unhandled port I/O: out to");
	ends_with("portin", VMM_STATUS_GUEST_IO, "unhandled port I/O: in from");
	ends_with("mmio", VMM_STATUS_GUEST_MMIO, "unhandled MMIO: write of");
	ends_with("triple", VMM_STATUS_SHUTDOWN, "triple-faulted");
	ends_with("exit", VMM_STATUS_HYPERCALL, "is out of range 0..63");
}

Test(hostile, bad_spec_fails_clearly)
{
	SKIP_WITHOUT_KVM();
	hostile("x,1");
	assert_guest_fail(&r, "hostile=SEED,COUNT[,END] expected");
}
