// SPDX-License-Identifier: MIT
/*
 * gdb_test.c: test=gdb, what tests/test_gdb.c debugs with the real gdb
 * through minivmm's stub: a patched save_fl site to stop in and step
 * through (gdb_save_fl), a variable the guest writes for a watchpoint
 * (gdb_watched), and a spin the debugger interrupts and ends by writing
 * gdb_release. The run passes only if the debugger wrote GDB_RELEASE
 * there: without a debugger, test=gdb spins until --timeout.
 */
#include "test.h"
#include "x86.h"

#define GDB_RELEASE 0x600du

volatile uint64_t gdb_watched;
volatile uint32_t gdb_release;

/* One save_fl site, patched like every other: native, a direct call to
 * the hypercall stub, or the indirect call. */
__attribute__((noinline)) unsigned long gdb_save_fl(void)
{
	return pv_save_fl();
}

/* The spin gdb interrupts: until the debugger writes gdb_release. */
__attribute__((noinline)) static void gdb_spin(void)
{
	while (!gdb_release)
		cpu_relax();
}

void gdb_selftest(void)
{
	unsigned long flags = gdb_save_fl();

	for (uint64_t i = 1; i <= 3; i++)
		gdb_watched = i * 0x1111;
	printf("test=gdb: flags %#lx; spinning until the debugger writes "
	       "gdb_release\n",
	       flags);
	gdb_spin();
	if (gdb_release != GDB_RELEASE)
		guest_fail("test=gdb: gdb_release is %#x, not %#x", gdb_release,
			   GDB_RELEASE);
	printf("test=gdb: released by the debugger\n");
}
