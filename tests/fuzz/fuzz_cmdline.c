// SPDX-License-Identifier: MIT
/*
 * fuzz_cmdline.c: libFuzzer harness for minivmm's command line: the input
 * is split at NUL bytes into argv. Parsing must accept with every value
 * in range, or stop with a usage status; never crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

#define MAX_ARGS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct vmm_opts o;
	int argc = 1, r;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "minivmm";
	for (char *p = copy; p < copy + size && argc <= MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	r = vmm_parse_args(argc, argv, &o);
	if (r == -1 &&
	    (o.mem_size < VMM_MEM_MIN || o.mem_size > VMM_MEM_MAX ||
	     o.mem_size % 4096 || o.timeout < 0 || !o.guest_path || !o.cmdline))
		abort();
	if (r != -1 && r != 0 && r != VMM_STATUS_USAGE)
		abort();
	free(copy);
	return 0;
}
