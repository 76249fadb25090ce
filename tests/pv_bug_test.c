// SPDX-License-Identifier: MIT
/*
 * pv_bug_test.c: what PV_BUG_ON() does in the host tests: the broken
 * invariant fails the running test.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "pv_bug.h"

void pv_bug(const char *file, int line, const char *cond)
{
	cr_assert_fail("PV_BUG_ON(%s) at %s:%d", cond, file, line);
	abort();
}
