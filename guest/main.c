// SPDX-License-Identifier: MIT
/*
 * main.c: guest_main(), where entry.S hands over in long mode: console,
 * command line, hypervisor detection, the one banner line, exceptions and
 * the LAPIC, pvops patching, self-tests, and the one RESULT line.
 */
#include "guest.h"
#include "pvh.h"

NORETURN void guest_main(uint32_t start_info);

NORETURN void guest_main(uint32_t start_info)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info;
	const struct guest_hv_info *hv;
	uint64_t n;

	cmdline_init(si->cmdline_paddr && si->cmdline_paddr < (1ull << 32)
			 ? (const char *)(uintptr_t)si->cmdline_paddr
			 : NULL);
	if (cmdline_has("exit"))
		guest_exit(0); /* launch timing: leave as soon as C runs */
	if (cmdline_number("hcloop", &n)) {
		bench_null_hypercalls(n); /* syscalls per hypercall */
		guest_exit(0);
	}

	console_init();
	hv = hv_detect();
	printf("minivmm guest: hypervisor %s, cmdline \"%s\"\n", hv_name(hv),
	       cmdline_get());
	traps_init();
	hostile_run(); /* only with hostile=: does not return then */
	if (!apic_init(hv->kind != HV_MINIVMM))
		guest_fail("no usable local APIC");
	smp_init(si);
	paravirt_init();
	selftest_forced();
	selftest_run(si);
	pvops_selftest();
	if (cmdline_has("bench"))
		bench_run();
	if (cmdline_has("bench.switch"))
		switch_bench_run();
	guest_pass();
}
