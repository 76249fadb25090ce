/* SPDX-License-Identifier: MIT */
/*
 * live.h: switching the pv-op sites at run time while other CPUs execute
 * them (docs/live-patching.md). Freestanding, like the engine: the guest
 * gives it the cross-CPU sync (its rendezvous); the host tests give it a
 * fake one and check the protocol step by step.
 */
#ifndef PV_LIVE_H
#define PV_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "patch.h"

#define PV_LIVE_MAX_RECORDS 256
#define PV_LIVE_VARIANTS    4  /* targets with out-of-line copies */
#define PV_LIVE_OOL_SLOT    48 /* bytes: a site's new bytes, then jmp back */
#define PV_LIVE_RIPS	    256
#define PV_LIVE_MAX_ROUNDS  4096 /* runs per switch, the first included */
/*
 * Before each retry, the CPUs get time to leave the deferred sites: a
 * pause in lv->clock cycles that doubles from the first to the cap, kept
 * short because a longer one lets more interrupts land inside sites
 * meanwhile. A switch gives up once its pauses add up to the budget
 * (about 0.7 s at 3 GHz): the stress test's loitering CPU, whose ticks
 * wait inside a site for each next sync, held one for 174 runs, about
 * 1.7 * 10^8 cycles of pauses, under nested KVM (docs/live-patching.md).
 */
#define PV_LIVE_WAIT_FIRST  (1ull << 14)
#define PV_LIVE_WAIT_MAX    (1ull << 20)
#define PV_LIVE_WAIT_BUDGET (1ull << 31)

/* The two one-byte traps: int3, and an opcode invalid in 64-bit mode
 * (PUSH ES) that raises #UD where int3 cannot be used. */
#define PV_LIVE_TRAP_INT3 0xcc
#define PV_LIVE_TRAP_UD	  0x06

enum pv_live_protocol {
	PV_LIVE_SAFE,	/* single store or trap byte, syncs, deferral */
	PV_LIVE_TOGGLE, /* unsafe, test only: bytes written in place */
};

/*
 * One cross-CPU sync: every other CPU stopped with interrupts off, each
 * having recorded every rip it will return to; parked() runs on this CPU
 * meanwhile (complete: false if some rips did not fit); then each CPU
 * executes a serialising instruction and goes on.
 */
typedef void pv_live_parked_fn(void *arg, const uintptr_t *rips, unsigned n,
			       bool complete);
typedef void pv_live_sync_fn(void *env, uintptr_t *rips, unsigned max,
			     pv_live_parked_fn *parked, void *arg);

struct pv_live_stats {
	unsigned switches;	/* calls of pv_live_switch */
	unsigned sites;		/* sites whose bytes changed */
	unsigned single_stores; /* of them, written with one aligned store */
	unsigned trap_sites;	/* of them, written with the trap byte */
	unsigned deferrals;	/* a site put off: a CPU was inside it */
	unsigned rounds;	/* runs of the protocol */
	unsigned idle_rounds;	/* of them, runs in which every trap site
				   was still occupied: one sync, no trap */
	unsigned syncs;		/* cross-CPU syncs */
	unsigned given_up;	/* sites still deferred after the last round */
	unsigned most_rounds;	/* the most runs one switch took */
	/* With (clock): cycles spent in each way, for `make bench`. */
	uint64_t single_cycles;	 /* making the single stores (in a sync) */
	uint64_t trap_cycles;	 /* first runs of the trap-byte protocol,
				    the single stores' sync included */
	uint64_t retry_cycles;	 /* later runs: deferred sites */
	uint64_t wait_cycles;	 /* pauses before them, for CPUs to leave */
	unsigned long trap_hits; /* CPUs sent out of line by the trap */
};

struct pv_live {
	/* Set by the caller before pv_live_init. */
	const struct pv_patch_site *begin, *end; /* the records */
	pv_live_sync_fn *sync;
	void *sync_env;
	uint8_t trap_byte; /* PV_LIVE_TRAP_INT3 or PV_LIVE_TRAP_UD */
	uint8_t *ool;	   /* PV_LIVE_VARIANTS * PV_LIVE_MAX_RECORDS *
			      PV_LIVE_OOL_SLOT executable bytes */
	enum pv_live_protocol protocol;
	unsigned toggle_delay;	 /* TOGGLE: spins between written bytes */
	uint64_t (*clock)(void); /* a cycle counter, or NULL */
	struct pv_live_stats stats;

	/* Kept by live.c. */
	unsigned nrec;
	uint8_t orig[PV_LIVE_MAX_RECORDS][PV_MAX_SITE_LEN];
	bool ool_made[PV_LIVE_VARIANTS][PV_LIVE_MAX_RECORDS];
	struct pv_live_batch {
		uintptr_t site, ool;
	} batch[PV_LIVE_MAX_RECORDS];
	volatile unsigned nbatch; /* published to the trap handler */
	uintptr_t rips[PV_LIVE_RIPS];
};

/* Keep every op record's original bytes; before the first pv_apply. */
int pv_live_init(struct pv_live *lv);

/*
 * Rewrite every op record's site as the engine plans it under (ctx),
 * the backend of target (variant) < PV_LIVE_VARIANTS, while other CPUs may
 * execute them. Batched: all sites go through one run of the protocol
 * (three syncs); sites a CPU was stopped inside are retried in further
 * runs, each after a pause for the CPU to leave (one sync only if every
 * site is still occupied), until the pauses reach PV_LIVE_WAIT_BUDGET
 * (at most PV_LIVE_MAX_ROUNDS runs). Returns 0, a
 * negative PV_E* code if the engine refuses a site, or -PV_EBUSY if some sites
 * stayed deferred (counted in stats.given_up).
 */
#define PV_EBUSY 16
int pv_live_switch(struct pv_live *lv, const struct pv_patch_ctx *ctx,
		   unsigned variant);

/*
 * From the trap handler, interrupts off: if (*rip) is a site under
 * patching whose first byte is the trap (int3: *rip is past it; #UD: at
 * it), send the CPU to the site's out-of-line copy of its new bytes, which
 * jumps back to the site's end; returns true. False: not ours.
 */
bool pv_live_trap(struct pv_live *lv, uint64_t *rip);

/*
 * (rip) in an out-of-line copy that was written: the address in the site
 * it copies that has the same frame (the copy is the site's new bytes,
 * relocated in place, instruction for instruction, then a jmp back at the
 * site's length, which maps to the site's end), and true. False if (rip)
 * is in no written copy, or inside its jmp.
 */
bool pv_live_ool_origin(const struct pv_live *lv, uintptr_t rip,
			uintptr_t *site_rip);

/* How many op sites do not hold what (ctx) plans from their original
 * bytes (0: all do), or a negative PV_E* code. */
int pv_live_verify(const struct pv_live *lv, const struct pv_patch_ctx *ctx);

#endif /* PV_LIVE_H */
