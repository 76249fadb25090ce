// SPDX-License-Identifier: MIT
/*
 * test_unwind.c: the unwinder. The guest's test=unwind (single-stepping a
 * chain around every op's site, every chain checked) in every mode of
 * minivmm and in QEMU microvm; the backtrace an exception report prints;
 * and pvcheck's side: the table it emits, and refusing a table that is
 * not the one the image needs (docs/unwind.md).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

#define PVCHECK BUILD_DIR "/tools/pvcheck"
#define GUEST	BUILD_DIR "/guest.elf"

static struct spawn_result r;

/* The guest's "unwind: mode M: N instruction boundaries unwound: ..."
 * line, parsed: boundaries, steps inside sites with rsp moved. */
static void assert_unwound(const char *mode, unsigned long *steps,
			   unsigned long *moved)
{
	char want[64];
	const char *line;
	unsigned long starts, inside, callees;

	snprintf(want, sizeof(want), "unwind: mode %s: ", mode);
	line = strstr(r.out, want);
	cr_assert_not_null(line, "no \"%s\" line in:\n%s", want, r.out);
	cr_assert_eq(sscanf(line + strlen(want),
			    "%lu instruction boundaries unwound: %lu site "
			    "starts, %lu inside sites (%lu with rsp moved), "
			    "%lu in callees; every chain exact",
			    steps, &starts, &inside, moved, &callees),
		     5, "%s", line);
	cr_assert_geq(starts, 11, "%lu site starts stepped", starts);
	cr_assert_not_null(strstr(line, ", and through a stub's entry\n"), "%s",
			   line);
	cr_assert_gt(*steps, starts, "%s", line);
}

static void unwinds_in(const char *vmm, char *cmdline, const char *mode)
{
	unsigned long steps, moved;

	if (strcmp(vmm, "tcg") != 0)
		SKIP_WITHOUT_KVM();
	if (strcmp(vmm, "minivmm") == 0)
		boot_minivmm(&r, cmdline);
	else
		boot_qemu(&r, strcmp(vmm, "kvm") == 0 ? "kvm" : "tcg", cmdline);
	cr_assert_eq(r.status, 0, "status %d:\n%s", r.status, r.out);
	cr_assert_eq(spawn_count_lines(&r, "RESULT: pass"), 1, "%s", r.out);
	assert_unwound(mode, &steps, &moved);
	/* Native patchlets stop between pushfq and pop rax: the rows
	 * pvcheck flattened are what the unwinder must have used there. */
	if (strcmp(mode, "native") == 0)
		cr_assert_gt(moved, 0, "%s", r.out);
}

TestSuite(unwind, .timeout = 120);

Test(unwind, minivmm_native)
{
	unwinds_in("minivmm", "pvops=native test=unwind", "native");
}

Test(unwind, minivmm_hypercall)
{
	unwinds_in("minivmm", "pvops=hypercall test=unwind", "hypercall");
}

Test(unwind, minivmm_unpatched)
{
	unwinds_in("minivmm", "pvops=unpatched test=unwind", "unpatched");
}

Test(unwind, qemu_kvm_native)
{
	unwinds_in("kvm", "pvops=native test=unwind", "native");
}

Test(unwind, qemu_tcg_native)
{
	unwinds_in("tcg", "pvops=native test=unwind", "native");
}

Test(unwind, qemu_tcg_unpatched)
{
	unwinds_in("tcg", "pvops=unpatched test=unwind", "unpatched");
}

/* The report of an exception: the caller chain down to the boot code. */
static void assert_ud2_backtrace(void)
{
	const char *bt = strstr(r.out, "backtrace:\n");

	cr_assert_not_null(bt, "%s", r.out);
	cr_assert_not_null(strstr(bt, "  #0  0x"), "%s", bt);
	cr_assert_not_null(strstr(bt, " fault_ud2+0x0\n"), "%s", bt);
	/* through the test= table and the boot hook that ran it */
	cr_assert_not_null(strstr(bt, " selftest_forced+0x"), "%s", bt);
	cr_assert_not_null(strstr(bt, " run_hooks+0x"), "%s", bt);
	cr_assert_not_null(strstr(bt, " guest_main+0x"), "%s", bt);
	cr_assert_not_null(strstr(bt, " start64+0x"), "%s", bt);
	cr_assert_not_null(strstr(bt, "  (end of stack)\n"), "%s", bt);
	cr_assert_lt(bt - strstr(r.out, "exception 6 (#UD)"), 200, "%s", r.out);
}

Test(unwind, minivmm_ud2_report_has_a_backtrace)
{
	SKIP_WITHOUT_KVM();
	boot_minivmm(&r, "test=ud2");
	assert_guest_fail(&r, "exception #UD");
	assert_ud2_backtrace();
}

Test(unwind, qemu_tcg_ud2_report_has_a_backtrace)
{
	boot_qemu(&r, "tcg", "test=ud2");
	assert_guest_fail(&r, "exception #UD");
	assert_ud2_backtrace();
}

/* ---- pvcheck's table ---- */

Test(unwind, the_table_has_site_rows_and_the_trap_frame)
{
	char *argv[] = {PVCHECK, "--list-unwind", GUEST, NULL};

	spawn_run(argv, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "unwind table: "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, " site\n"), "no site row");
	cr_assert_not_null(strstr(r.out, " regs  cfa=rbp+0"), "no regs row");
	cr_assert_not_null(strstr(r.out, " iret  cfa=rsp+0\n"),
			   "no row for a stub's entry");
	cr_assert_not_null(strstr(r.out, " iret  cfa=rsp+8\n"),
			   "no row past an error code");
	cr_assert_not_null(strstr(r.out, " end  \n"), "no end row");
}

/*
 * The image's own table, one byte changed, put back with objcopy: pvcheck
 * must refuse it, as it would a table from another link.
 */
Test(unwind, a_stale_table_is_refused)
{
	char bin[] = "/tmp/minivmm-unwind-XXXXXX";
	char elf[] = "/tmp/minivmm-stale-XXXXXX";
	char sec[96];
	int fd = mkstemp(bin), fe = mkstemp(elf);
	char *dump[] = {"/usr/bin/objcopy",
			"-O",
			"binary",
			"--only-section=.pv_unwind",
			GUEST,
			bin,
			NULL};
	char *put[] = {
	    "/usr/bin/objcopy", "--update-section", sec, GUEST, elf, NULL};
	char *check[] = {PVCHECK, elf, NULL};
	unsigned char b;

	cr_assert(fd >= 0 && fe >= 0);
	close(fe);
	spawn_run(dump, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	/* A row's CFA offset: the first row starts at byte 40. */
	cr_assert_eq(pread(fd, &b, 1, 44), 1);
	b ^= 8;
	cr_assert_eq(pwrite(fd, &b, 1, 44), 1);
	close(fd);
	snprintf(sec, sizeof(sec), ".pv_unwind=%s", bin);
	spawn_run(put, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	spawn_run(check, &r);
	unlink(bin);
	unlink(elf);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "the unwind table in .pv_unwind"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "is not the one this image needs"),
			   "%s", r.out);
}
