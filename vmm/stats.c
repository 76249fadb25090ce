// SPDX-License-Identifier: MIT
/*
 * stats.c: the --stats report: how many exits of each KVM reason the run
 * took, how many hypercalls of each number the guest made, and how long
 * minivmm held each hypercall (median, p99, max), from a histogram.
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

/* In the BSS: no allocation, nothing to free once the sandbox is on. */
static uint32_t histogram[VMM_HIST_BUCKETS];

uint32_t *vmm_stats_histogram(void)
{
	return histogram;
}

void vmm_stats_time_hypercall(struct vmm_stats *st, uint64_t ns)
{
	uint64_t b = ns / VMM_HIST_NS;

	st->hc_hist[b < VMM_HIST_BUCKETS ? b : VMM_HIST_BUCKETS - 1]++;
	st->hc_timed++;
	if (ns > st->hc_max_ns)
		st->hc_max_ns = ns;
}

/* The upper edge of the bucket holding the (q)-quantile, in ns. */
static uint64_t quantile_ns(const struct vmm_stats *st, double q)
{
	uint64_t want = (uint64_t)(q * (double)st->hc_timed), seen = 0;

	for (unsigned b = 0; b < VMM_HIST_BUCKETS; b++) {
		uint64_t edge = (uint64_t)(b + 1) * VMM_HIST_NS;

		seen += st->hc_hist[b];
		if (seen > want)
			return edge < st->hc_max_ns ? edge : st->hc_max_ns;
	}
	return st->hc_max_ns;
}

/* "stats: multicalls: M, E entries: set_pte=.. ..." (the exits saved are
 * E - M: each entry would have been an exit of its own). */
static void print_multicalls(const struct vmm_stats *st)
{
	uint64_t entries = 0;

	for (unsigned i = 0; i < MINIVMM_HC_COUNT; i++)
		entries += st->mc_entries[i];
	fprintf(stderr, "stats: multicalls: %llu, %llu entries:",
		(unsigned long long)st->multicalls,
		(unsigned long long)entries);
	for (unsigned i = 0; i < MINIVMM_HC_COUNT; i++)
		if (st->mc_entries[i])
			fprintf(stderr, " %s=%llu", vmm_hypercall_name(i),
				(unsigned long long)st->mc_entries[i]);
	fputc('\n', stderr);
}

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
		if (vmm_hypercall_name(i))
			fprintf(stderr, " %s=%llu", vmm_hypercall_name(i),
				(unsigned long long)st->hypercalls[i]);
	fprintf(stderr, " unknown=%llu refused=%llu\n",
		(unsigned long long)st->unknown_hypercalls,
		(unsigned long long)st->refused_hypercalls);
	print_multicalls(st);
	if (st->hc_hist && st->hc_timed)
		fprintf(stderr,
			"stats: hypercall handling: %llu timed, median %llu "
			"ns, p99 %llu ns, max %llu ns (console_write not "
			"timed)\n",
			(unsigned long long)st->hc_timed,
			(unsigned long long)quantile_ns(st, 0.5),
			(unsigned long long)quantile_ns(st, 0.99),
			(unsigned long long)st->hc_max_ns);
	fprintf(stderr, "stats: tsc_khz=%u\n", st->tsc_khz);
}
