// SPDX-License-Identifier: MIT
/*
 * result.c: how every run ends: exactly one RESULT line, then the exit:
 * minivmm's exit hypercall, or QEMU's isa-debug-exit port.
 */
#include "guest.h"
#include "minivmm_abi.h"
#include "x86.h"

NORETURN void guest_exit(int status)
{
	if (hv_has_hypercalls())
		hv_hypercall(MINIVMM_HC_EXIT, (uint64_t)status, 0);
	outb(MINIVMM_DEBUG_EXIT_PORT,
	     (uint8_t)(MINIVMM_DEBUG_EXIT_BASE | (unsigned)status));
	for (;;) /* no VMM took the exit: stop here */
		__asm__ volatile("cli; hlt");
}

NORETURN void guest_fail(const char *fmt, ...)
{
	va_list ap;

	printf("RESULT: fail ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	guest_exit(1);
}

NORETURN void guest_pass(void)
{
	printf("RESULT: pass\n");
	guest_exit(0);
}
