// SPDX-License-Identifier: MIT
/*
 * test_pvops_boot.c: the pvops framework in the real guest: every mode in
 * minivmm, native and unpatched in QEMU microvm with KVM and TCG. Each
 * boot runs the guest's pvops self-tests; here we also check the summary
 * line, the per-site debug table, the hypercall counts minivmm reports,
 * and that bad choices fail clearly.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pv_op_list.h"
#include "spawn.h"

static struct spawn_result r;

/* "pvops: N sites: P native, D direct, I indirect", parsed. */
static void summary(unsigned *n, unsigned *p, unsigned *d, unsigned *i)
{
	const char *line = strstr(r.out, "pvops: ");

	for (; line; line = strstr(line + 1, "pvops: "))
		if (sscanf(line,
			   "pvops: %u sites: %u native, %u direct, %u "
			   "indirect",
			   n, p, d, i) == 4)
			return;
	cr_assert_fail("no pvops summary line in:\n%s", r.out);
}

static void assert_mode(const char *mode)
{
	unsigned n, p, d, i;
	char ok[96];

	summary(&n, &p, &d, &i);
	cr_assert_gt(n, 20, "only %u sites", n);
	cr_assert_eq(p + d + i, n);
	if (!strcmp(mode, "native"))
		cr_assert(p == n && d == 0 && i == 0, "%s", r.out);
	else if (!strcmp(mode, "hypercall"))
		cr_assert(d == n && p == 0 && i == 0, "%s", r.out);
	else
		cr_assert(i == n && p == 0 && d == 0, "%s", r.out);
	snprintf(ok, sizeof(ok), "selftest: pvops %s: ", mode);
	cr_assert_not_null(strstr(r.out, ok), "%s", r.out);
}

/*
 * Boot the guest with (cmdline) in (vmm): "minivmm", or QEMU microvm with
 * "kvm" or "tcg" (KVM ones skip loudly without /dev/kvm); it must pass,
 * with every site patched as (mode) says.
 */
static void boots_in_mode(const char *vmm, char *cmdline, const char *mode)
{
	if (strcmp(vmm, "tcg") != 0)
		SKIP_WITHOUT_KVM();
	if (strcmp(vmm, "minivmm") == 0) {
		boot_minivmm(&r, cmdline);
		assert_guest_pass(&r, "minivmm");
	} else {
		boot_qemu(&r, strcmp(vmm, "kvm") == 0 ? "kvm" : "tcg", cmdline);
		if (strcmp(vmm, "kvm") == 0)
			assert_guest_pass(&r, "KVM");
		else /* TCG's CPUID signature varies: no banner check */
			cr_assert_eq(r.status, 0, "%s", r.out);
	}
	assert_mode(mode);
}

/* Every op of the list, by name. */
static const char *const op_names[] = {
#define OP_NAME(name, NAME, contract, shape, bench, batch) #name,
    PV_OP_LIST(OP_NAME)
#undef OP_NAME
};
#define NOPS (sizeof(op_names) / sizeof(op_names[0]))

/* True if the --stats hypercall (line) counts no call of (op). */
static bool no_calls_of(const char *line, const char *op)
{
	char zero[32];

	snprintf(zero, sizeof(zero), " %s=0 ", op);
	return strstr(line, zero) != NULL;
}

TestSuite(pvops_boot, .timeout = 120);

Test(pvops_boot, minivmm_native)
{
	boots_in_mode("minivmm", "pvops=native", "native");
}

Test(pvops_boot, minivmm_hypercall_is_the_default)
{
	boots_in_mode("minivmm", "", "hypercall");
}

Test(pvops_boot, minivmm_unpatched)
{
	boots_in_mode("minivmm", "pvops=unpatched", "unpatched");
}

Test(pvops_boot, minivmm_hypercall_stats_count_every_op)
{
	char *argv[] = {
	    BUILD_DIR "/minivmm",   "--stats", "--cmdline", "pvops=hypercall",
	    BUILD_DIR "/guest.elf", NULL};
	const char *line;

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	assert_guest_pass(&r, "minivmm");
	line = strstr(r.out, "stats: hypercalls:");
	cr_assert_not_null(line, "%s", r.out);
	for (unsigned k = 0; k < NOPS; k++)
		cr_assert_not(no_calls_of(line, op_names[k]),
			      "no %s hypercall:\n%s", op_names[k], line);
	/* The one refusal is the self-test's get_info into page 0. */
	cr_assert_not_null(strstr(line, "unknown=0 refused=1"), "%s", line);
}

Test(pvops_boot, native_mode_makes_no_pvop_hypercall)
{
	char *argv[] = {
	    BUILD_DIR "/minivmm",   "--stats", "--cmdline", "pvops=native",
	    BUILD_DIR "/guest.elf", NULL};
	const char *line;

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	assert_guest_pass(&r, "minivmm");
	line = strstr(r.out, "stats: hypercalls: exit=1 null=0 ");
	cr_assert_not_null(line, "%s", r.out);
	for (unsigned k = 0; k < NOPS; k++)
		cr_assert(no_calls_of(line, op_names[k]), "a %s hypercall:\n%s",
			  op_names[k], line);
}

Test(pvops_boot, debug_prints_every_site)
{
	unsigned n, p, d, i, rows;

	SKIP_WITHOUT_KVM();
	boot_minivmm(&r, "pvops=native pvops.debug");
	assert_guest_pass(&r, "minivmm");
	summary(&n, &p, &d, &i);
	rows = spawn_count_lines(&r, "pvops: 0x");
	cr_assert_geq(rows, n, "%u rows for %u sites", rows, n);
	cr_assert_not_null(strstr(r.out, " native   ff 15 "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, " callback "), "%s", r.out);
}

Test(pvops_boot, unknown_mode_fails_clearly)
{
	SKIP_WITHOUT_KVM();
	boot_minivmm(&r, "pvops=turbo");
	assert_guest_fail(&r, "pvops=turbo: want native, hypercall or "
			      "unpatched");
}

Test(pvops_boot, qemu_kvm_native)
{
	boots_in_mode("kvm", "pvops=native", "native");
}

Test(pvops_boot, qemu_kvm_unpatched)
{
	boots_in_mode("kvm", "pvops=unpatched", "unpatched");
}

Test(pvops_boot, qemu_tcg_native_is_the_default)
{
	boots_in_mode("tcg", "", "native");
}

Test(pvops_boot, qemu_tcg_unpatched)
{
	boots_in_mode("tcg", "pvops=unpatched", "unpatched");
}

Test(pvops_boot, qemu_refuses_hypercall_mode)
{
	boot_qemu(&r, "tcg", "pvops=hypercall");
	assert_guest_fail(&r, "pvops=hypercall needs minivmm");
}

/*
 * Regression: with pvops.debug the engine prints while it patches, and in
 * hypercall mode that printing reached the hypercall stubs before their
 * port was written (an `out` to port 0). Callback records now come first
 * and pv_ops changes backend only after patching.
 */
Test(pvops_boot, debug_in_hypercall_mode)
{
	boots_in_mode("minivmm", "pvops=hypercall pvops.debug", "hypercall");
	cr_assert_not_null(strstr(r.out, " direct   ff 15 "), "%s", r.out);
}
