// SPDX-License-Identifier: MIT
/*
 * pv_bug.c: what PV_BUG_ON() does in the guest: report the broken
 * invariant with the backtrace of who broke it, and end the run as a
 * failure.
 */
#include "guest.h"
#include "pv_bug.h"

void pv_bug(const char *file, int line, const char *cond)
{
	struct unwind_frame here;

	unwind_here(&here);
	printf("PV_BUG_ON(%s) at %s:%d\n", cond, file, line);
	unwind_print(&here);
	guest_fail("PV_BUG_ON(%s) at %s:%d", cond, file, line);
}
