// SPDX-License-Identifier: MIT
/*
 * lazy.c: lazy mode's queues (lazy.h). How a queue stays exact when a
 * handler on its own CPU interrupts it anywhere:
 *   - append: entry n is written in full (slot MINIVMM_MC_PENDING) before
 *     the store n + 1 makes it count. A handler that comes before that
 *     store flushes [0, n) and leaves entry n to its op, which has not
 *     returned yet; one that comes after it flushes it too;
 *   - flush: MULTICALL over [0, n), then n = 0. minivmm runs only entries
 *     still pending and marks each it runs, so a handler that flushes
 *     the same entries again, before or after the exit, runs nothing
 *     twice; and an append that read n before a handler's flush set it to
 *     0 writes n + 1 back, recounting entries already run: they are
 *     skipped again, and cost room, not correctness;
 *   - a live switch: it rewrites sites only while every other CPU is
 *     stopped in a rendezvous, whose IPI handler flushes what is counted.
 *     An op already on its way through a hypercall stub when one came
 *     must not wait in the queue afterwards, while the next op may be a
 *     native site. So every handler marks its CPU's queue disturbed, and
 *     an append that finds the mark flushes its own entry at once and
 *     clears it: the mark was set after the previous append's check, so
 *     no handler since the op entered its stub goes unseen. The price is
 *     one extra MULTICALL for an interrupt in a lazy section.
 */
#include <stddef.h>

#include "lazy.h"

volatile uint32_t pv_lazy_cpus;
static struct pv_lazy_env env;

/* BATCH ops, by hypercall number (the null call too: a harmless entry). */
static const bool batch[MINIVMM_HC_COUNT] = {[MINIVMM_HC_NULL] = true,
#define LAZY_BATCH_BATCH(NAME)				  [MINIVMM_HC_##NAME] = true,
#define LAZY_BATCH_NOBATCH(NAME)			  /* runs at once */
#define LAZY_BATCH(name, NAME, contract, shape, bench, b) LAZY_BATCH_##b(NAME)
					     PV_OP_LIST(LAZY_BATCH)
#undef LAZY_BATCH
#undef LAZY_BATCH_BATCH
#undef LAZY_BATCH_NOBATCH
};

void pv_lazy_init(const struct pv_lazy_env *e)
{
	env = *e;
}

static void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static void flush(struct pv_lazy *q, enum pv_lazy_why why)
{
	uint32_t n = q->n;
	uint64_t done;

	if (!n)
		return;
	/*
	 * Entries run in order, so if the last one ran, all did: a flush
	 * this one interrupted got as far as its exit. Common, not rare: an
	 * interrupt that came during that exit is injected on the very next
	 * instruction. No second MULTICALL for nothing.
	 */
	if (q->e[n - 1].result != MINIVMM_MC_PENDING) {
		q->n = 0;
		return;
	}
	q->multicalls++;
	q->flushes[why]++;
	done = env.hypercall(MINIVMM_HC_MULTICALL, env.gpa(q->e), n);
	if (done != n) { /* an entry, or the whole call, was refused */
		env.failed(q, done);
		return;
	}
	barrier();
	q->n = 0;
}

void pv_lazy_flush(void)
{
	flush(env.queue(), PV_LAZY_ASKED);
}

void pv_lazy_enter(void)
{
	struct pv_lazy *q = env.queue();

	if (q->depth++ == 0) {
		/* No op is on its way through a stub here: the handlers
		 * before the section are no reason to flush in it. */
		q->disturbed = false;
		__atomic_fetch_add(&pv_lazy_cpus, 1, __ATOMIC_SEQ_CST);
	}
}

void pv_lazy_leave(void)
{
	struct pv_lazy *q = env.queue();

	if (!q->depth)
		return;
	flush(q, PV_LAZY_LEAVE);
	if (--q->depth == 0)
		__atomic_fetch_sub(&pv_lazy_cpus, 1, __ATOMIC_SEQ_CST);
}

/* This CPU's queue, or NULL before pv_lazy_init() (an early trap). */
static struct pv_lazy *queue_or_null(void)
{
	return env.queue ? env.queue() : NULL;
}

const struct pv_lazy *pv_lazy_this(void)
{
	return queue_or_null();
}

void pv_lazy_handler_enter(void)
{
	struct pv_lazy *q = queue_or_null();

	if (!q)
		return;
	q->handlers++;
	q->disturbed = true;
	barrier();
	flush(q, PV_LAZY_HANDLER);
}

void pv_lazy_handler_exit(void)
{
	struct pv_lazy *q = queue_or_null();

	if (!q)
		return;
	barrier();
	q->handlers--;
}

/* Queue (nr) on a lazy CPU: the op's result, 0 (BATCH ops have none). */
static uint64_t queue(struct pv_lazy *q, uint32_t nr, uint64_t a0, uint64_t a1)
{
	uint32_t n = q->n;

	if (n == PV_LAZY_MAX) {
		flush(q, PV_LAZY_FULL);
		n = q->n;
		if (n == PV_LAZY_MAX) /* refused, and env.failed returned */
			return env.hypercall(nr, a0, a1);
	}
	q->e[n] = (struct minivmm_mc_entry){
	    .nr = nr, .args = {a0, a1}, .result = MINIVMM_MC_PENDING};
	barrier();
	q->n = n + 1;
	q->queued++;
	barrier();
	/* A handler since the last check: a switch may have come. */
	if (q->disturbed) {
		q->disturbed = false;
		barrier();
		flush(q, PV_LAZY_SYNC);
	}
	return 0;
}

uint64_t pv_lazy_hypercall(uint32_t nr, uint64_t a0, uint64_t a1)
{
	struct pv_lazy *q = env.queue();

	if (nr < MINIVMM_HC_COUNT && batch[nr] && q->depth && !q->handlers)
		return queue(q, nr, a0, a1);
	flush(q, PV_LAZY_NOBATCH);
	return env.hypercall(nr, a0, a1);
}
