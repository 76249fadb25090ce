// SPDX-License-Identifier: MIT
/*
 * map_bench.c: what batching buys (`bench.map=N` on the command line,
 * `bench.lazy` for lazy sections; bench/bench.sh runs it per N and mode).
 * One iteration maps N pages (N set_pte), touches each, and unmaps them
 * (N set_pte, N flush_tlb_one): 3N ops. With bench.lazy the maps and the
 * unmaps each run in a lazy section, so under hypercall they leave the
 * guest in MULTICALLs of up to PV_LAZY_MAX entries. Printed: the TSC
 * cycles of each repetition, the guest instructions of one iteration
 * (single-stepped, up to STEP_MAX_N), and every op the workload ran, for
 * the host to divide minivmm's own exit counts by.
 */
#include "test.h"
#include "lazy.h"
#include "pv_backend.h"
#include "x86.h"

#define MAP_VA	    (3ull << 39) /* PML4 slot 3: the workload's own */
#define MAP_MAX	    512		 /* one page table */
#define FRAMES	    64		 /* page i maps frame i % FRAMES */
#define MAP_REPS    5
#define OPS_PER_REP 6144u /* at least: iterations = this / 3N */
#define STEP_MAX_N  64	  /* single-stepping 3 * 512 ops takes too long */

TEST_PAGE_TABLE(map_pdpt);
TEST_PAGE_TABLE(map_pd);
TEST_PAGE_TABLE(map_pt);
static uint64_t frames[FRAMES][512] __attribute__((aligned(4096)));
static uint64_t ops; /* every op the workload ran */
static void maps(unsigned n, bool lazy)
{
	if (lazy)
		pv_lazy_enter();
	for (unsigned i = 0; i < n; i++)
		pv_set_pte((uintptr_t)&map_pt[i],
			   (uintptr_t)frames[i % FRAMES] | TEST_PTE_P |
			       TEST_PTE_W);
	if (lazy)
		pv_lazy_leave();
}

static void unmaps(unsigned n, bool lazy)
{
	if (lazy)
		pv_lazy_enter();
	for (unsigned i = 0; i < n; i++) {
		pv_set_pte((uintptr_t)&map_pt[i], 0);
		pv_flush_tlb_one(MAP_VA + i * 4096ull);
	}
	if (lazy)
		pv_lazy_leave();
}

/* One iteration: map, touch every page (write, read back), unmap. */
static void iteration(unsigned n, bool lazy)
{
	maps(n, lazy);
	for (unsigned i = 0; i < n; i++) {
		volatile uint64_t *p =
		    (volatile uint64_t *)(MAP_VA + i * 4096ull +
					  8 * (i / FRAMES));

		*p = i;
		if (*p != i)
			guest_fail("bench.map: page %u does not hold what was "
				   "written",
				   i);
	}
	unmaps(n, lazy);
	ops += 3ull * n;
}

struct map_args {
	unsigned n;
	bool lazy;
};

static void stepped_iteration(void *p)
{
	const struct map_args *a = p;

	iteration(a->n, a->lazy);
}

static void map_bench_run(const struct hvm_start_info *si)
{
	uint64_t n, iters, cycles[MAP_REPS], insns = 0, mc;
	bool lazy = cmdline_has("bench.lazy");
	const struct pv_lazy *q;
	unsigned long flags;
	uint64_t *root;

	(void)si;
	if (!cmdline_number("bench.map", &n))
		return;
	if (n > MAP_MAX)
		guest_fail("bench.map=%llu: at most %u pages",
			   (unsigned long long)n, MAP_MAX);
	q = pv_lazy_this();
	mc = q->multicalls;
	flags = pv_irq_save(); /* no tick flushes a queue */
	root = (uint64_t *)(pv_read_cr3() & ~0xfffull);
	test_map_slot(3, map_pdpt, map_pd, map_pt);
	ops = 4; /* its three entries and its flush */
	iters = n ? OPS_PER_REP / (3 * n) + 1 : 0;
	if (n)
		iteration((unsigned)n, lazy); /* warm up */
	if (n && n <= STEP_MAX_N)
		insns = test_step_count(stepped_iteration,
					&(struct map_args){(unsigned)n, lazy});
	for (int r = 0; r < MAP_REPS; r++) {
		uint64_t t0 = rdtsc();

		for (uint64_t i = 0; i < iters; i++)
			iteration((unsigned)n, lazy);
		cycles[r] = rdtsc() - t0;
	}
	pv_set_pte((uintptr_t)&root[3], 0);
	pv_flush_tlb_one(MAP_VA);
	ops += 2;
	pv_restore_fl(flags);
	printf("BENCH map n=%llu mode=%s%s iters=%llu ops_per_iter=%llu "
	       "insns=%llu ops=%llu multicalls=%llu cycles=",
	       (unsigned long long)n, pv_mode_name(paravirt_mode()),
	       lazy ? "+lazy" : "", (unsigned long long)iters,
	       (unsigned long long)(3 * n), (unsigned long long)insns,
	       (unsigned long long)ops,
	       (unsigned long long)(q->multicalls - mc));
	for (int r = 0; r < MAP_REPS; r++)
		printf("%s%llu", r ? "," : "", (unsigned long long)cycles[r]);
	printf("\n");
}
BOOT_HOOK(BOOT_READY, 45, map_bench_run);
