// SPDX-License-Identifier: MIT
/*
 * switch_bench.c: `bench.switch` on the command line, with two or more
 * CPUs: what live switching costs (make bench; docs/live-patching.md).
 * BENCH lines for bench/report.c:
 *   ipi      an IPI to CPU 1 and its answer, cycles (median)
 *   sync     one rendezvous of every CPU, cycles (median)
 *   switch idle|busy
 *            one whole switch native <-> unpatched, cycles (median), its
 *            sites, single stores and trap-byte sites, syncs per switch,
 *            and cycles per site of each way; busy: while CPU 1 runs the
 *            stress test's worker, with the trap hits and deferrals seen.
 */
#include "test.h"
#include "live.h"
#include "pv_backend.h"
#include "x86.h"

#define REPS	 201 /* an odd count: the median is one of them */
#define SWITCHES 41

static volatile uint64_t pongs;

/* The ping's handler: answer. */
static bool pong(struct trap_frame *f)
{
	(void)f;
	__atomic_fetch_add(&pongs, 1, __ATOMIC_RELEASE);
	apic_eoi();
	return true;
}

static uint64_t median(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) /* insertion sort: n is small */
		for (unsigned j = i; j && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

static void bench_ipi(void)
{
	static uint64_t c[REPS];
	uint32_t id = smp_percpu(1)->apic_id;

	for (unsigned i = 0; i < REPS; i++) {
		uint64_t want = pongs + 1, t0 = rdtsc();

		apic_send(id, APIC_ICR_FIXED | SMP_PING_VECTOR);
		while (__atomic_load_n(&pongs, __ATOMIC_ACQUIRE) < want)
			cpu_relax();
		c[i] = rdtsc() - t0;
	}
	printf("BENCH ipi cycles=%llu reps=%u\n",
	       (unsigned long long)median(c, REPS), REPS);
}

static void bench_sync(void)
{
	static uint64_t c[REPS];
	static uintptr_t rips[64];

	for (unsigned i = 0; i < REPS; i++) {
		uint64_t t0 = rdtsc();

		smp_rendezvous(rips, 64, NULL, NULL);
		c[i] = rdtsc() - t0;
	}
	printf("BENCH sync cycles=%llu cpus=%u reps=%u\n",
	       (unsigned long long)median(c, REPS), smp_ncpus(), REPS);
}

static void bench_switches(const char *what)
{
	static uint64_t c[SWITCHES];
	const struct pv_live_stats *st = pvswitch_stats();
	struct pv_live_stats s0 = *st;
	unsigned long hits, defer;
	unsigned sites, single, trap, syncs;

	for (unsigned i = 0; i < SWITCHES; i++) {
		uint64_t t0 = rdtsc();

		if (pv_switch(i % 2 ? PV_MODE_NATIVE : PV_MODE_UNPATCHED) < 0)
			guest_fail("bench.switch: switch %u failed", i);
		c[i] = rdtsc() - t0;
	}
	sites = st->sites - s0.sites;
	single = st->single_stores - s0.single_stores;
	trap = st->trap_sites - s0.trap_sites;
	syncs = st->syncs - s0.syncs;
	hits = st->trap_hits - s0.trap_hits;
	defer = st->deferrals - s0.deferrals;
	printf(
	    "BENCH switch %s cycles=%llu sites=%u single=%u trap=%u "
	    "syncs_per_switch=%u.%02u single_cycles_per_site=%llu "
	    "trap_cycles_per_site=%llu deferred_cycles_per_site=%llu "
	    "trap_hits=%lu deferrals=%lu switches=%u\n",
	    what, (unsigned long long)median(c, SWITCHES), sites / SWITCHES,
	    single / SWITCHES, trap / SWITCHES, syncs / SWITCHES,
	    syncs * 100 / SWITCHES % 100,
	    (unsigned long long)(single
				     ? (st->single_cycles - s0.single_cycles) /
					   single
				     : 0),
	    (unsigned long long)(trap ? (st->trap_cycles - s0.trap_cycles -
					 (st->single_cycles -
					  s0.single_cycles)) /
					    trap
				      : 0),
	    (unsigned long long)(defer ? (st->retry_cycles - s0.retry_cycles) /
					     defer
				       : 0),
	    hits, defer, SWITCHES);
}

static void switch_bench_run(const struct hvm_start_info *si)
{
	enum pv_mode boot = paravirt_mode();

	(void)si;
	if (!cmdline_has("bench.switch"))
		return;
	if (smp_ncpus() < 2)
		guest_fail("bench.switch needs at least 2 CPUs, found %u",
			   smp_ncpus());
	pvswitch_clock(rdtsc);
	trap_set_handler(SMP_PING_VECTOR, pong);
	bench_ipi();
	bench_sync();
	bench_switches("idle");
	repatch_workers_start();
	bench_switches("busy");
	repatch_workers_stop();
	trap_set_handler(SMP_PING_VECTOR, NULL);
	if (pv_switch(boot) < 0)
		guest_fail("bench.switch: cannot switch back");
}
BOOT_HOOK(BOOT_READY, 50, switch_bench_run);
