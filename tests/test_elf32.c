// SPDX-License-Identifier: MIT
/*
 * test_elf32.c: a PVH kernel built as ELF32 (tests/guests32/hello32.S)
 * boots in minivmm and in QEMU microvm (KVM and TCG), finds the debug
 * console at port 0xe9 and prints through it to the same console output
 * as the UART.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "spawn.h"
#include "vmm.h"

#define HELLO32 BUILD_DIR "/tests/guests32/hello32.elf"
#define LINE	"hello from a 32-bit PVH guest on port 0xe9\n"

static struct spawn_result r;

TestSuite(elf32, .timeout = 60);

Test(elf32, boots_in_minivmm)
{
	char *argv[] = {BUILD_DIR "/minivmm", "--timeout", "30", HELLO32, NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	/* isa-debug-exit: (MINIVMM_DEBUG_EXIT_BASE << 1) | 1 */
	cr_assert_eq(r.status, (MINIVMM_DEBUG_EXIT_BASE << 1) | 1,
		     "status %d:\n%s", r.status, r.out);
	cr_assert_str_eq(r.out, LINE);
}

static void boot_qemu32(char *accel)
{
	boot_qemu_image(&r, accel, "64M", HELLO32, "");
	cr_assert_eq(r.status, 0, "status %d:\n%s", r.status, r.out);
	cr_assert_not_null(strstr(r.out, LINE), "%s", r.out);
}

Test(elf32, boots_in_qemu_microvm_tcg)
{
	boot_qemu32("tcg");
}

Test(elf32, boots_in_qemu_microvm_kvm)
{
	SKIP_WITHOUT_KVM();
	boot_qemu32("kvm");
}
