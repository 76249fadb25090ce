/* SPDX-License-Identifier: MIT */
/*
 * pv_bug.h: PV_BUG_ON(cond), for invariants of the framework itself (not
 * for bad records, which get an error code). pv_bug() is provided by the
 * environment: the guest reports and halts, the host tests fail the test.
 */
#ifndef PV_BUG_H
#define PV_BUG_H

__attribute__((noreturn)) void pv_bug(const char *file, int line,
				      const char *cond);

#define PV_BUG_ON(cond)                                                        \
	do {                                                                   \
		if (__builtin_expect(!!(cond), 0))                             \
			pv_bug(__FILE__, __LINE__, #cond);                     \
	} while (0)

#endif /* PV_BUG_H */
