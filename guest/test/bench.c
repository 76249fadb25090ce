// SPDX-License-Identifier: MIT
/*
 * bench.c: the guest side of `make bench` (`bench` on the command line).
 * Every op is measured on every path in the same boot, so the paths are
 * compared under the same conditions: cycles per call (the loop's own
 * cost subtracted), as repetitions the host turns into median and spread,
 * and the guest instructions one call executes (counted by single-step).
 * One line per measurement on the console, for bench/report.c to read.
 */
#include "test.h"
#include "pv_backend.h"
#include "x86.h"

#define BENCH_REPS   9
#define ITERS_NATIVE 2000u /* paths without an exit */
#define ITERS_EXIT   200u  /* paths with one exit per call */

/* The tables the benchmark sites call through (bench_loops.S). */
struct pv_ops bench_ops_np, bench_ops_nd, bench_ops_ni, bench_ops_hp,
    bench_ops_hi;

typedef uint64_t bench_fn(uint64_t iters, uint64_t arg);

#define PATHS(op)                                                              \
	bench_inline_##op, bench_native_patched_##op,                          \
	    bench_native_direct_##op, bench_native_indirect_##op,              \
	    bench_hypercall_patched_##op, bench_hypercall_indirect_##op
extern bench_fn bench_loop, bench_exit_null, PATHS(irq_pair);

/* The six paths of each op the list marks for the benchmark. */
#define BENCH_DECL_NOBENCH(name)
#define BENCH_DECL_ARG_NONE(name)  extern bench_fn PATHS(name);
#define BENCH_DECL_ARG_FLAGS(name) extern bench_fn PATHS(name);
#define BENCH_DECL_ARG_CR3(name)   extern bench_fn PATHS(name);
#define BENCH_DECL(name, NAME, contract, shape, bench, batch)                  \
	BENCH_DECL_##bench(name)
PV_OP_LIST(BENCH_DECL)
#undef BENCH_DECL

enum bench_arg { ARG_NONE, ARG_FLAGS, ARG_CR3 };

static const char *const path_names[6] = {
    "inline",	       "native_patched",    "native_direct",
    "native_indirect", "hypercall_patched", "hypercall_indirect",
};

static const struct bench_op {
	const char *name;
	enum bench_arg arg;
	bench_fn *paths[6];
} bench_ops[] = {
#define BENCH_ROW_NOBENCH(name)
#define BENCH_ROW_ARG_NONE(name)  {#name, ARG_NONE, {PATHS(name)}},
#define BENCH_ROW_ARG_FLAGS(name) {#name, ARG_FLAGS, {PATHS(name)}},
#define BENCH_ROW_ARG_CR3(name)	  {#name, ARG_CR3, {PATHS(name)}},
#define BENCH_ROW(name, NAME, contract, shape, bench, batch)                   \
	BENCH_ROW_##bench(name)
    PV_OP_LIST(BENCH_ROW)
#undef BENCH_ROW
	{"irq_disable_enable", ARG_NONE, {PATHS(irq_pair)}},
};

/* ---- the tables and what their sites become ---- */

extern const struct pv_patch_site __pv_patch_bench_start[],
    __pv_patch_bench_end[];

/* Before boot patching: the tables' backends join pv_ops'. */
static void bench_add_backends(const struct hvm_start_info *si)
{
	struct pv_backend native, hypercall, be[5];

	(void)si;
	pv_backend_offer(PV_MODE_NATIVE, &native);
	pv_backend_offer(PV_MODE_HYPERCALL, &hypercall);
	/* The same functions the modes put in pv_ops. */
	pv_ops_fill(&bench_ops_np, native.direct);
	pv_ops_fill(&bench_ops_nd, native.direct);
	pv_ops_fill(&bench_ops_ni, native.direct);
	pv_ops_fill(&bench_ops_hp, hypercall.direct);
	pv_ops_fill(&bench_ops_hi, hypercall.direct);

	be[0] = native; /* patchlets */
	be[0].table = &bench_ops_np;
	be[1] = native; /* direct calls only */
	be[1].table = &bench_ops_nd;
	memset(be[1].native, 0, sizeof(be[1].native));
	memset(be[1].native_fit, 0, sizeof(be[1].native_fit));
	be[2] = (struct pv_backend){.table = &bench_ops_ni};
	be[3] = hypercall;
	be[3].table = &bench_ops_hp;
	be[4] = (struct pv_backend){.table = &bench_ops_hi};
	for (unsigned i = 0; i < 5; i++)
		paravirt_add_backend(&be[i]);
}
BOOT_HOOK(BOOT_PREPATCH, 0, bench_add_backends);

/* The benchmark's own sites, only when it will run: they would cost
 * every boot about as much as the kernel's own. Before the self-tests,
 * which check them too. */
static void bench_patch(const struct hvm_start_info *si)
{
	struct pv_patch_stats st = {0};
	int r;

	(void)si;
	if (!cmdline_has("bench"))
		return;
	r = paravirt_patch(__pv_patch_bench_start, __pv_patch_bench_end, &st);
	if (r < 0)
		guest_fail("bench: patching stopped at a refused record "
			   "(error %d)",
			   -r);
	printf("bench: %u benchmark sites patched\n", st.records);
}
BOOT_HOOK(BOOT_READY, 0, bench_patch);

/* ---- measuring ---- */

static volatile uint64_t db_count;

/* While counting: each single-step #DB counts, and RFLAGS.TF stays set. */
static bool count_step(struct trap_frame *f)
{
	(void)f;
	db_count++;
	return true;
}

uint64_t test_step_count(void (*fn)(void *), void *arg)
{
	trap_fn old = trap_set_handler(TRAP_DB, count_step);

	db_count = 0;
	step_on();
	fn(arg);
	step_off();
	trap_set_handler(TRAP_DB, old);
	return db_count;
}

struct loop_call {
	bench_fn *fn;
	uint64_t iters, arg;
};

static void run_loop(void *p)
{
	const struct loop_call *c = p;

	c->fn(c->iters, c->arg);
}

/* Single-step (fn) for (iters) iterations; the #DB count. */
static uint64_t steps(bench_fn *fn, uint64_t iters, uint64_t arg)
{
	struct loop_call c = {fn, iters, arg};

	return test_step_count(run_loop, &c);
}

/*
 * Guest instructions one call executes: the second iteration's steps, less
 * the loop's own (dec, jnz) measured the same way. Comparing two runs of
 * the same function leaves out everything outside the loop. (arg) carries
 * RFLAGS.TF for restore_fl, whose popfq would otherwise end the stepping.
 */
static uint64_t count_insns(bench_fn *fn, uint64_t arg)
{
	uint64_t body, loop;

	body = steps(fn, 2, arg) - steps(fn, 1, arg);
	loop = steps(bench_loop, 2, 0) - steps(bench_loop, 1, 0);
	pv_irq_disable();
	return body - loop;
}

/*
 * Each repetition times (fn) and then the empty loop with the same
 * iteration count, so the loop's cost is subtracted pairwise, under the
 * same conditions (this host's speed drifts by more than a cheap op).
 */
static void measure(const char *what, bench_fn *fn, uint64_t iters,
		    uint64_t arg, uint64_t insns)
{
	uint64_t c[BENCH_REPS], l[BENCH_REPS];

	fn(iters / 10 + 1, arg); /* warm up */
	for (int i = 0; i < BENCH_REPS; i++) {
		c[i] = fn(iters, arg);
		l[i] = bench_loop(iters, 0);
	}
	pv_irq_disable(); /* irq pairs leave interrupts enabled */
	printf("BENCH %s iters=%llu insns=%llu cycles=", what,
	       (unsigned long long)iters, (unsigned long long)insns);
	for (int i = 0; i < BENCH_REPS; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)c[i]);
	printf(" loop=");
	for (int i = 0; i < BENCH_REPS; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)l[i]);
	printf("\n");
}

static void bench_run(const struct hvm_start_info *si)
{
	const struct guest_hv_info *hv = hv_detect();
	bool exits = hv->kind == HV_MINIVMM;
	char what[64];

	(void)si;
	if (!cmdline_has("bench"))
		return;
	pv_irq_disable();
	printf("BENCH begin reps=%d hypervisor=%s\n", BENCH_REPS, hv_name(hv));
	measure("loop", bench_loop, ITERS_NATIVE, 0, 0); /* loop vs loop */
	if (exits)
		measure("exit_null", bench_exit_null, ITERS_EXIT,
			hv->hypercall_port,
			count_insns(bench_exit_null, hv->hypercall_port));
	for (unsigned o = 0; o < sizeof(bench_ops) / sizeof(bench_ops[0]);
	     o++) {
		const struct bench_op *op = &bench_ops[o];
		uint64_t arg = op->arg == ARG_FLAGS ? pv_save_fl()
			       : op->arg == ARG_CR3 ? pv_read_cr3()
						    : 0;

		for (unsigned p = 0; p < 6; p++) {
			bool hc = p >= 4;

			if (hc && !exits)
				continue;
			snprintf(what, sizeof(what), "op=%s path=%s", op->name,
				 path_names[p]);
			measure(
			    what, op->paths[p], hc ? ITERS_EXIT : ITERS_NATIVE,
			    arg,
			    count_insns(op->paths[p], op->arg == ARG_FLAGS
							  ? arg | X86_EFLAGS_TF
							  : arg));
		}
	}
	printf("BENCH end\n");
}
BOOT_HOOK(BOOT_READY, 40, bench_run);

/* hcloop=N: N null hypercalls as fast as possible (minivmm only), then
 * leave: the host counts syscalls per hypercall. Before the console. */
static void bench_null_hypercalls(const struct hvm_start_info *si)
{
	const struct guest_hv_info *hv;
	uint64_t n;

	(void)si;
	if (!cmdline_number("hcloop", &n))
		return;
	hv = hv_detect();
	if (hv->kind == HV_MINIVMM && n)
		bench_exit_null(n, hv->hypercall_port);
	guest_exit(0);
}
BOOT_HOOK(BOOT_CMDLINE, 0, bench_null_hypercalls);
