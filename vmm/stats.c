// SPDX-License-Identifier: MIT
/*
 * stats.c: the --stats report: how many exits of each KVM reason the run
 * took, and how many hypercalls of each number the guest made.
 */
#include <linux/kvm.h>
#include <stdio.h>

#include "vmm.h"

static const char *const exit_names[64] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[63] = "other",
};

void vmm_stats_print(const struct vmm_stats *st)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < 64; i++)
		total += st->exits[i];
	fprintf(stderr, "stats: %llu exits:", (unsigned long long)total);
	for (unsigned i = 0; i < 64; i++) {
		if (!st->exits[i])
			continue;
		if (exit_names[i])
			fprintf(stderr, " %s=%llu", exit_names[i],
				(unsigned long long)st->exits[i]);
		else
			fprintf(stderr, " reason%u=%llu", i,
				(unsigned long long)st->exits[i]);
	}
	fprintf(stderr, "\nstats: hypercalls:");
	for (unsigned i = 0; i < MINIVMM_HC_COUNT; i++)
		fprintf(stderr, " %s=%llu", vmm_hypercall_name(i),
			(unsigned long long)st->hypercalls[i]);
	fprintf(stderr, " unknown=%llu refused=%llu\n",
		(unsigned long long)st->unknown_hypercalls,
		(unsigned long long)st->refused_hypercalls);
}
