// SPDX-License-Identifier: MIT
/*
 * selftest.c: what the guest checks at every boot (the boot information,
 * exception delivery, its own printf), and the table of test= names: the
 * failures a test asks for on the command line (test=ud2|pf|spin|fail|
 * nested|textwrite|oolwrite) to prove that failures are seen, and the long
 * self-tests: test=unwind (unwind_test.c), test=repatch[,N] (repatch_test.c),
 * test=switchrace[,N] (switch_race.c), test=gdb (gdb_test.c). An unknown name fails the run.
 */
#include "test.h"
#include "minivmm_abi.h"
#include "pv_ops.h"
#include "pvh.h"
#include "x86.h"

#define UNMAPPED_ADDR 0x100000000000ull /* 16 TiB: beyond the 4 GiB map */

extern char __kernel_start[], __kernel_end[]; /* guest.ld */

/* The loaded kernel must sit inside one RAM entry of the memory map. */
static void check_start_info(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *map;
	uint64_t lo = (uintptr_t)__kernel_start, hi = (uintptr_t)__kernel_end;

	if (si->version < 1 || si->memmap_entries == 0 || !si->memmap_paddr)
		guest_fail("start_info version %u has no memory map",
			   si->version);
	map = (const void *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM &&
		    map[i].addr <= lo && hi - map[i].addr <= map[i].size)
			return;
	guest_fail("guest memory too small or a bad memory map: kernel [%#llx, "
		   "%#llx) is in no RAM entry",
		   (unsigned long long)lo, (unsigned long long)hi);
}

/* An expected #UD is delivered with the right vector and rip, and resumed. */
static void check_exceptions(void)
{
	struct trap_frame f;

	trap_expect(TRAP_UD, fault_ud2_resume);
	fault_ud2();
	if (!trap_taken(&f, NULL))
		guest_fail("ud2 raised no exception");
	if (f.vector != TRAP_UD || f.rip != (uintptr_t)fault_ud2_insn)
		guest_fail("ud2 at %p reported as vector %llu at %#llx",
			   (const void *)fault_ud2_insn,
			   (unsigned long long)f.vector,
			   (unsigned long long)f.rip);
}

static void check_printf(void)
{
	static const char want[] = "-42|  2a|0x1f|ok  |18446744073709551615";
	char buf[64];

	snprintf(buf, sizeof(buf), "%d|%4x|%#x|%-4s|%llu", -42, 42u, 31u, "ok",
		 ~0ull);
	if (memcmp(buf, want, sizeof(want)) != 0)
		guest_fail("snprintf gave \"%s\", want \"%s\"", buf, want);
}

/* On minivmm: the CPUID filter and get_info agree with what we see. */
static void check_minivmm(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	struct minivmm_info info = {0};
	uint64_t n;

	if (!hv_has_hypercalls())
		return;
	if ((r.ecx & (1u << 5)) || !(r.ecx & (1u << 31)))
		guest_fail(
		    "CPUID.1:ECX %#x: VMX shown or hypervisor bit hidden",
		    r.ecx);
	n = hv_hypercall(MINIVMM_HC_GET_INFO, (uintptr_t)&info, sizeof(info));
	if (n != sizeof(info) || info.abi_version != MINIVMM_ABI_VERSION ||
	    info.mem_bytes < (2u << 20))
		guest_fail("get_info: %llu bytes, ABI %u, %llu bytes of memory",
			   (unsigned long long)n, info.abi_version,
			   (unsigned long long)info.mem_bytes);
	if (hv_hypercall(MINIVMM_HC_GET_INFO, 0, sizeof(info)) !=
	    MINIVMM_EINVAL)
		guest_fail("get_info into page 0 was not refused");
}

static void selftest_run(const struct hvm_start_info *si)
{
	check_start_info(si);
	check_minivmm();
	check_exceptions();
	check_printf();
	text_selftest();
	printf("selftest: boot info, cpuid, exceptions, printf, text "
	       "read-only: ok\n");
}
BOOT_HOOK(BOOT_READY, 20, selftest_run);

/* ---- test=NAME[,ARGS]: a failure forced, or a long self-test ---- */

static void read_unmapped(void)
{
	(void)*(volatile uint64_t *)UNMAPPED_ADDR;
}

static void spin(void)
{
	printf("test=spin: spinning forever\n");
	for (;;)
		__asm__ volatile("" ::: "memory");
}

static void forced_fail(void)
{
	guest_fail("forced by test=fail");
}

/*
 * An exception whose report raises another: read_cr2, the first thing a
 * report reads, is made to fault. Only an unpatched site still calls
 * through the table, hence pvops=unpatched. traps.c must end the run with
 * one line, not report the report's fault in turn down the stack.
 */
static void nested_fault(void)
{
	if (paravirt_mode() != PV_MODE_UNPATCHED)
		guest_fail("test=nested needs pvops=unpatched");
	pv_ops.read_cr2 = (const void *)fault_ud2;
	fault_ud2();
}

/* The long self-tests return, and the usual checks follow. */
static const struct {
	const char *name;
	bool args; /* NAME,ARGS too: the test reads them itself */
	void (*fn)(void);
} tests[] = {
    {"ud2", false, fault_ud2},
    {"pf", false, read_unmapped},
    {"spin", false, spin},
    {"fail", false, forced_fail},
    {"nested", false, nested_fault},
    {"textwrite", false, text_stray_write},
    {"oolwrite", false, ool_stray_write},
    {"unwind", false, unwind_selftest},
    {"lazyfail", false, lazy_refused},
    {"gdb", false, gdb_selftest},
    {"repatch", true, repatch_selftest},	/* test=repatch[,N] */
    {"switchrace", true, switch_race_selftest}, /* test=switchrace[,N] */
};

static void selftest_forced(const struct hvm_start_info *si)
{
	const char *v;
	int n = cmdline_value("test", &v);
	char shown[32];

	(void)si;
	if (n < 0)
		return;
	for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		size_t len = strlen(tests[i].name);

		if (memcmp(v, tests[i].name, len) == 0 &&
		    ((size_t)n == len || (tests[i].args && v[len] == ','))) {
			tests[i].fn();
			return;
		}
	}
	if ((size_t)n >= sizeof(shown))
		n = sizeof(shown) - 1;
	memcpy(shown, v, (size_t)n);
	shown[n] = '\0';
	guest_fail("test=%s: no such test (ud2, pf, spin, fail, nested, "
		   "textwrite, oolwrite, unwind, lazyfail, gdb, repatch[,N], "
		   "switchrace[,N])",
		   shown);
}
BOOT_HOOK(BOOT_READY, 10, selftest_forced);
