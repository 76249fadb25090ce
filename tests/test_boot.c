// SPDX-License-Identifier: MIT
/*
 * test_boot.c: the real guest, booted end to end: in minivmm (pass, forced
 * exceptions, a guest that never stops, bad images and options) and in
 * QEMU microvm with KVM and with TCG. Each run must print exactly one
 * RESULT line and exit with the status that line implies.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"
#include "vmm.h"

#define MINIVMM BUILD_DIR "/minivmm"
#define GUEST	BUILD_DIR "/guest.elf"

static struct spawn_result r;

static void minivmm(char *cmdline)
{
	boot_minivmm(&r, cmdline);
}

static void qemu(char *accel, char *cmdline)
{
	boot_qemu(&r, accel, cmdline);
}

static void assert_pass(const char *hypervisor)
{
	assert_guest_pass(&r, hypervisor);
}

static void assert_fail(const char *reason)
{
	assert_guest_fail(&r, reason);
}

TestSuite(boot, .timeout = 120);

Test(boot, minivmm_passes)
{
	SKIP_WITHOUT_KVM();
	minivmm("");
	assert_pass("minivmm");
	cr_assert_not_null(
	    strstr(r.out, "selftest: boot info, cpuid, exceptions"));
}

Test(boot, minivmm_passes_the_command_line)
{
	SKIP_WITHOUT_KVM();
	minivmm("hello=world x");
	assert_pass("minivmm");
	cr_assert_not_null(strstr(r.out, "cmdline \"hello=world x\""), "%s",
			   r.out);
}

Test(boot, minivmm_exit_leaves_before_printing)
{
	SKIP_WITHOUT_KVM();
	minivmm("exit");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_eq(r.len, 0, "printed: %s", r.out);
}

Test(boot, minivmm_reports_invalid_opcode)
{
	SKIP_WITHOUT_KVM();
	minivmm("test=ud2");
	assert_fail("exception #UD");
	cr_assert_not_null(strstr(r.out, "exception 6 (#UD) error 0x0 at rip"));
}

Test(boot, minivmm_reports_page_fault_with_cr2)
{
	SKIP_WITHOUT_KVM();
	minivmm("test=pf");
	assert_fail("exception #PF");
	cr_assert_not_null(strstr(r.out, "cr2 0x100000000000"), "%s", r.out);
}

Test(boot, minivmm_forced_failure)
{
	SKIP_WITHOUT_KVM();
	minivmm("test=fail");
	assert_fail("forced by test=fail");
}

Test(boot, minivmm_stops_a_guest_that_spins)
{
	char *argv[] = {MINIVMM,     "--timeout", "1", "--cmdline",
			"test=spin", GUEST,	  NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	cr_assert_eq(r.status, VMM_STATUS_TIMEOUT, "status %d:\n%s", r.status,
		     r.out);
	cr_assert_not_null(strstr(r.out, "still running after --timeout 1"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "  rip "), "no register dump");
	cr_assert_eq(spawn_count_lines(&r, "RESULT: "), 0);
}

/* Only minivmm's own timer is the timeout: a stray SIGALRM is ignored. */
Test(boot, minivmm_ignores_a_sigalrm_it_did_not_arm)
{
	char *argv[] = {MINIVMM,	  "--timeout", "60", "--cmdline",
			"hostile=7,5000", GUEST,       NULL};

	SKIP_WITHOUT_KVM();
	spawn_run_signal(argv, &r, "minivmm guest: hypervisor", SIGALRM);
	cr_assert_eq(r.status, 0, "status %d:\n%s", r.status, r.out);
	cr_assert_null(strstr(r.out, "--timeout"), "%s", r.out);
}

Test(boot, minivmm_stats_count_exits_and_hypercalls)
{
	char *argv[] = {MINIVMM, "--stats", GUEST, NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	assert_pass("minivmm");
	cr_assert_not_null(strstr(r.out, "stats: hypercalls: exit=1 "), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, " io="), "%s", r.out);
}

Test(boot, qemu_microvm_kvm_passes)
{
	SKIP_WITHOUT_KVM();
	qemu("kvm", "hello");
	assert_pass("KVM");
}

Test(boot, qemu_microvm_tcg_passes)
{
	qemu("tcg", "hello");
	cr_assert_eq(r.status, 0, "status %d:\n%s", r.status, r.out);
	cr_assert_eq(spawn_count_lines(&r, "RESULT: pass"), 1, "%s", r.out);
	cr_assert_eq(spawn_count_lines(&r, "RESULT: "), 1, "%s", r.out);
}

/* The guest uses no memory beyond its image: minivmm's smallest --mem. */
Test(boot, minivmm_passes_in_the_smallest_memory)
{
	char *argv[] = {MINIVMM, "--timeout", "60", "--mem", "2M", GUEST, NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	assert_pass("minivmm");
}

Test(boot, qemu_microvm_tcg_passes_in_2m)
{
	boot_qemu_image(&r, "tcg", "2M", GUEST, "");
	cr_assert_eq(r.status, 0, "status %d:\n%s", r.status, r.out);
	cr_assert_eq(spawn_count_lines(&r, "RESULT: pass"), 1, "%s", r.out);
}

Test(boot, qemu_microvm_tcg_reports_invalid_opcode)
{
	qemu("tcg", "test=ud2");
	assert_fail("exception #UD");
}

/* A fault in the report of a fault: one line for it, one RESULT line,
 * the guest's own exit (not a recursion down the stack until a triple
 * fault or the timeout). */
static void assert_nested_reported(void)
{
	assert_fail("RESULT: fail exception while reporting an exception");
	cr_assert_eq(spawn_count_lines(&r, "exception 6 (#UD) error 0x0 at "
					   "rip "),
		     1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, ", while reporting exception 6 (#UD) "
					 "at rip 0x"),
			   "%s", r.out);
}

Test(boot, qemu_microvm_tcg_ends_a_fault_in_a_fault_report)
{
	qemu("tcg", "pvops=unpatched test=nested");
	assert_nested_reported();
}

Test(boot, minivmm_ends_a_fault_in_a_fault_report)
{
	SKIP_WITHOUT_KVM();
	minivmm("pvops=unpatched test=nested");
	assert_nested_reported();
}

Test(boot, nested_needs_unpatched_sites)
{
	qemu("tcg", "test=nested");
	assert_fail("test=nested needs pvops=unpatched");
}

Test(boot, qemu_microvm_kvm_reports_page_fault)
{
	SKIP_WITHOUT_KVM();
	qemu("kvm", "test=pf");
	assert_fail("exception #PF");
}

Test(boot, minivmm_console_over_the_uart)
{
	char *argv[] = {MINIVMM,	"--stats", "--cmdline",
			"console=uart", GUEST,	   NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	assert_pass("minivmm");
	cr_assert_not_null(strstr(r.out, " console_write=0 "), "%s", r.out);
}

Test(boot, minivmm_console_over_hypercalls_by_default)
{
	char *argv[] = {MINIVMM, "--stats", GUEST, NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	assert_pass("minivmm");
	cr_assert_null(strstr(r.out, " console_write=0 "), "%s", r.out);
}
