/* SPDX-License-Identifier: MIT */
/*
 * lazy.h: lazy mode, Xen's and Linux's batching of pv MMU ops. Between
 * pv_lazy_enter() and pv_lazy_leave(), the hypercall backend queues the
 * BATCH ops of the op list (set_pte, flush_tlb_one, write_cr3) in a
 * per-CPU queue instead of leaving the guest for each, and one MULTICALL
 * (include/minivmm_abi.h) runs the queue. Under native nothing is queued:
 * the ops are instructions, lazy mode costs a counter. Freestanding C: the
 * guest links it (guest/lazy_cpu.c gives it its per-CPU queues and its
 * hypercall), the host tests drive it with a model minivmm.
 *
 * The rule (docs/pvops.md, "Lazy mode"): no reader sees a stale value.
 *   - a queue is flushed on leave, when it is full, before any NOBATCH op
 *     (read_cr3 after a queued write_cr3, safe_halt, ...), on entry to
 *     every interrupt, exception and NMI handler (which run with lazy mode
 *     paused; a single-step #DB is no handler here: stepping through a
 *     section must not change it), and so in every rendezvous of a live
 *     switch (its IPI is
 *     an interrupt); an op being queued when a handler came is flushed
 *     before it returns;
 *   - memory read through a mapping a queued set_pte changes, or the
 *     entry itself read as memory, needs pv_lazy_flush() first, as with
 *     Linux's arch_flush_lazy_mmu_mode().
 */
#ifndef PV_LAZY_H
#define PV_LAZY_H

#include <stdbool.h>
#include <stdint.h>

#include "minivmm_abi.h"

#define PV_LAZY_MAX MINIVMM_MC_MAX /* entries a queue holds: one MULTICALL */

/* Why a queue was flushed, for the statistics. */
enum pv_lazy_why {
	PV_LAZY_LEAVE,	 /* pv_lazy_leave() */
	PV_LAZY_FULL,	 /* the next entry had no room */
	PV_LAZY_NOBATCH, /* an op that runs at once came (NOBATCH, or any
			    op in a handler or outside a lazy section) */
	PV_LAZY_HANDLER, /* an interrupt, exception or NMI handler began */
	PV_LAZY_ASKED,	 /* pv_lazy_flush() */
	PV_LAZY_SYNC,	 /* a handler came since the last append: perhaps
			    a live switch's rendezvous */
	PV_LAZY_WHY_COUNT,
};

/*
 * One CPU's queue. Only its CPU touches it, but handlers interrupt it
 * anywhere: entry n is written before n counts it, and a MULTICALL skips
 * entries already run (their slot is no longer MINIVMM_MC_PENDING), so a
 * handler's flush in the middle of an append or of a flush runs nothing
 * twice (lazy.c says how).
 */
struct pv_lazy {
	volatile uint32_t depth;    /* pv_lazy_enter() nesting; > 0: lazy */
	volatile uint32_t handlers; /* handlers running: lazy paused */
	volatile uint32_t n;	    /* entries [0, n) queued */
	volatile bool disturbed;    /* a handler ran since the last append */
	struct minivmm_mc_entry e[PV_LAZY_MAX];
	/* statistics */
	uint64_t queued;		     /* ops queued */
	uint64_t multicalls;		     /* MULTICALLs made */
	uint64_t flushes[PV_LAZY_WHY_COUNT]; /* non-empty flushes, by why */
};

/* What the engine needs from its kernel (or from a host test). */
struct pv_lazy_env {
	struct pv_lazy *(*queue)(void); /* this CPU's */
	/* A hypercall, (nr) with (a0, a1): its rax. */
	uint64_t (*hypercall)(uint32_t nr, uint64_t a0, uint64_t a1);
	/* The address minivmm knows entry array (e) by (identity: itself). */
	uint64_t (*gpa)(const void *e);
	/* A flush's MULTICALL returned (done), not the queue's length: entry
	 * q->e[done] failed and holds its error, or, if done is an errno, the
	 * call itself was refused. A bug of ours: the kernel's is fatal. */
	void (*failed)(const struct pv_lazy *q, uint64_t done);
};

/* Set once, before the first op is patched to a hypercall stub. */
void pv_lazy_init(const struct pv_lazy_env *env);

/* CPUs in a lazy section now: the hypercall stubs' fast-path test. */
extern volatile uint32_t pv_lazy_cpus;

/* Begin, end (flushing) a lazy section on this CPU; they nest. */
void pv_lazy_enter(void);
void pv_lazy_leave(void);
/* Run this CPU's queue now (see the rule above). */
void pv_lazy_flush(void);
/* Around every interrupt, exception and NMI handler: flush, and pause. */
void pv_lazy_handler_enter(void);
void pv_lazy_handler_exit(void);

/*
 * The hypercall stubs' slow path (pvops/hypercall.S), taken while some
 * CPU is lazy: queue op hypercall (nr) if this CPU is lazy and it is a
 * BATCH op, else flush this CPU's queue and make the call. Its rax.
 */
uint64_t pv_lazy_hypercall(uint32_t nr, uint64_t a0, uint64_t a1);

/* This CPU's queue, for statistics and tests. */
const struct pv_lazy *pv_lazy_this(void);

#endif /* PV_LAZY_H */
