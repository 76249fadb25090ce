// SPDX-License-Identifier: MIT
/*
 * test_args.c: the argument of a test= word, for the long self-tests
 * that take one (test=repatch,N; test=switchrace,N). Apart from
 * selftest.c, which calls those tests: they call this.
 */
#include "test.h"

uint64_t test_count(uint64_t fallback)
{
	const char *v;
	int n = cmdline_value("test", &v), i = 0;
	uint64_t k = 0;

	while (i < n && v[i] != ',')
		i++;
	if (i + 1 >= n)
		return fallback;
	for (int j = i + 1; j < n; j++) {
		if (v[j] < '0' || v[j] > '9' || k > 100000000) {
			char name[32];
			size_t len = (size_t)i < sizeof(name) - 1
					 ? (size_t)i
					 : sizeof(name) - 1;

			memcpy(name, v, len);
			name[len] = '\0';
			guest_fail("test=%s,N: N must be a number", name);
		}
		k = k * 10 + (uint64_t)(v[j] - '0');
	}
	return k;
}
