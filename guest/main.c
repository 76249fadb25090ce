// SPDX-License-Identifier: MIT
/*
 * main.c: guest_main(), where entry.S hands over in long mode: command
 * line, console, hypervisor detection, the one banner line, exceptions,
 * text made read-only, the LAPIC and the other CPUs, pvops patching, and
 * the one RESULT line.
 * Between those stages it runs the boot hooks that code registered with
 * BOOT_HOOK (guest.h): the self-tests, benchmarks and hostile mode
 * (guest/test/) are found that way, never called by name.
 */
#include "guest.h"
#include "pvh.h"

NORETURN void guest_main(uint32_t start_info);

extern const struct boot_hook __boot_hooks_start[], __boot_hooks_end[];

/* Every hook registered for (stage), lowest order first. */
static void run_hooks(enum boot_stage stage, const struct hvm_start_info *si)
{
	for (unsigned order = 0; order < BOOT_HOOK_ORDERS; order++)
		for (const struct boot_hook *h = __boot_hooks_start;
		     h < __boot_hooks_end; h++)
			if (h->stage == stage && h->order == order)
				h->fn(si);
}

NORETURN void guest_main(uint32_t start_info)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info;
	const struct guest_hv_info *hv;

	cmdline_init(si->cmdline_paddr && si->cmdline_paddr < (1ull << 32)
			 ? (const char *)(uintptr_t)si->cmdline_paddr
			 : NULL);
	if (cmdline_has("exit"))
		guest_exit(0); /* launch timing: leave as soon as C runs */
	run_hooks(BOOT_CMDLINE, si);

	console_init();
	hv = hv_detect();
	lazy_init();
	printf("minivmm guest: hypervisor %s, cmdline \"%s\"\n", hv_name(hv),
	       cmdline_get());
	traps_init();
	text_protect(); /* a stray write to text is now a reported fault */
	run_hooks(BOOT_TRAPS, si);
	if (!apic_init(hv->kind != HV_MINIVMM))
		guest_fail("no usable local APIC");
	smp_init(si);
	pvswitch_init(); /* while the sites hold their original bytes */
	run_hooks(BOOT_PREPATCH, si);
	paravirt_init();
	run_hooks(BOOT_READY, si);
	guest_pass();
}
