// SPDX-License-Identifier: MIT
/*
 * pv_bug.c: what PV_BUG_ON() does in the guest: report the broken
 * invariant and end the run as a failure.
 */
#include "guest.h"
#include "pv_bug.h"

void pv_bug(const char *file, int line, const char *cond)
{
	guest_fail("PV_BUG_ON(%s) at %s:%d", cond, file, line);
}
