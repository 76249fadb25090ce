// SPDX-License-Identifier: MIT
/*
 * lazy_cpu.c: what lazy mode (pvops/lazy.c) needs from this kernel: one
 * queue per CPU, the hypercall, and a fatal report when minivmm refuses a
 * queued op.
 * traps.c flushes and pauses the queue around every handler.
 */
#include "guest.h"
#include "lazy.h"

static struct pv_lazy queues[SMP_MAX_CPUS];

static struct pv_lazy *this_queue(void)
{
	return &queues[smp_cpu()];
}

const struct pv_lazy *lazy_queue(unsigned cpu)
{
	return cpu < SMP_MAX_CPUS ? &queues[cpu] : NULL;
}

static uint64_t identity(const void *p)
{
	return (uintptr_t)p; /* RAM is identity-mapped */
}

static void refused(const struct pv_lazy *q, uint64_t done)
{
	const struct minivmm_mc_entry *e = &q->e[done];

	if (done >= q->n)
		guest_fail("lazy: minivmm refused the MULTICALL of %u entries "
			   "at %p: %#llx",
			   q->n, (const void *)q->e, (unsigned long long)done);
	guest_fail(
	    "lazy: minivmm refused queued entry %llu, hypercall %u "
	    "(%#llx, %#llx): %#llx",
	    (unsigned long long)done, e->nr, (unsigned long long)e->args[0],
	    (unsigned long long)e->args[1], (unsigned long long)e->result);
}

void lazy_init(void)
{
	static const struct pv_lazy_env env = {
	    .queue = this_queue,
	    .hypercall = hv_hypercall,
	    .gpa = identity,
	    .failed = refused,
	};

	pv_lazy_init(&env);
}
