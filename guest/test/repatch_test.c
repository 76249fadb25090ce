// SPDX-License-Identifier: MIT
/*
 * repatch_test.c: test=repatch[,N], the stress test of live switching.
 * CPUs 1.. run every op in a loop, each through a site of its own probe
 * (contract.S: a canary in every register, checked after) and through the
 * C wrappers, and a lazy section (lazy_round), checking every result
 * against the hardware, with their
 * LAPIC timer firing every TICK_PERIOD so that they are often interrupted
 * inside a site, and NMIs and nested interrupts on top (repatch_irqs.c).
 * CPU 0 switches native <-> (hypercall, on minivmm) <-> unpatched N
 * times. Any torn execution fails the run: an exception that is not the
 * protocol's own trap (traps.c reports it with its CPU and backtrace), a
 * wrong result or a clobbered register; so does a stack a sync recorded
 * that did not reach its end. pvswitch=toggle must fail it
 * (tests/test_repatch.c). docs/live-patching.md.
 */
#include "test.h"
#include "lazy.h"
#include "live.h"
#include "pv_backend.h"
#include "pv_ops.h"
#include "x86.h"

#define DEFAULT_SWITCHES    100
#define TICK_PERIOD	    100000u	   /* bus clocks between worker ticks */
#define STOP_CYCLES	    20000000000ull /* TSC: a worker must stop by then */
#define LOITER_CYCLES	    200000000ull   /* TSC: a wait inside a site */
#define LOITER_EVERY	    2		   /* rounds between two loiters */
#define FIRST_LOITER_CYCLES 100000000000ull /* TSC: the first one's wait */

static volatile bool stop;
static struct worker {
	volatile uint64_t loops;
	volatile bool failed;
	char why[160];
} workers[SMP_MAX_CPUS];
static bool native_now; /* the sites are native: CPU 0 sets it */
static volatile uint64_t loiters, caught, in_handler;

/*
 * The IPI pending, with interrupts still off: take it here, in the trap
 * handler, whose frame holds the site's inside one frame down (the sync
 * walks the stack to it), and return once the sync is over.
 */
static __attribute__((noinline)) void take_the_ipi_here(void)
{
	__asm__ volatile("sti" ::: "memory");
	for (uint64_t t0 = rdtsc();
	     apic_irr(SMP_IPI_VECTOR) && rdtsc() - t0 < LOITER_CYCLES;)
		cpu_relax();
	__asm__ volatile("cli" ::: "memory");
}

/*
 * CPU 1 single-steps one save_fl site now and then. Stopped strictly
 * inside it (native: between pushfq and pop rax), it waits, interrupts
 * off, until the next rendezvous IPI is pending, and then (bounded) until
 * a timer tick is pending too: the IPI, of higher priority, then stops it
 * right there, the case a switch must defer; and once released, the tick
 * comes in right there as well, and its handler, finding its interrupted
 * context inside a site, runs as a nested handler with interrupts on
 * until the next sync stops it in turn (repatch_irqs.c). Until one wait
 * has met an IPI, a wait lasts as long as the first native phase (CPU 0
 * holds that phase until a wait begins, then switches; the safe protocol
 * cannot finish the switch without this CPU), bounded by
 * FIRST_LOITER_CYCLES: a fixed LOITER_CYCLES could end before CPU 0,
 * slow under nested emulation, had even sent the IPI, and with worker
 * rounds far longer than a switch there may be no second wait in the
 * native phases. Where a catch made no deferral (the host delivered the
 * IPI later than the iret), the next ones take the IPI in this handler
 * instead, with the site's inside in the frame below
 * (take_the_ipi_here).
 */
static bool loiter_hook(struct trap_frame *f)
{
	uint64_t t0 = rdtsc();
	bool first = !caught;

	if (!paravirt_inside_op_site(f->rip))
		return true;
	loiters++;
	while (!stop) {
		if (apic_irr(SMP_IPI_VECTOR)) {
			caught++;
			/* A host that delivers no interrupt at the iret back
			 * into the site (kvm_pvm: the IPI came instructions
			 * later) made no deferral of an earlier catch; from
			 * then on, every catch is taken here. */
			if (in_handler ||
			    (caught > 1 && !pvswitch_stats()->deferrals)) {
				in_handler++;
				take_the_ipi_here();
				return true;
			}
			for (t0 = rdtsc(); !apic_irr(APIC_TIMER_VECTOR) &&
					   rdtsc() - t0 < LOITER_CYCLES;)
				cpu_relax();
			return true;
		}
		if (first ? !__atomic_load_n(&native_now, __ATOMIC_ACQUIRE) ||
				rdtsc() - t0 >= FIRST_LOITER_CYCLES
			  : rdtsc() - t0 >= LOITER_CYCLES)
			break;
		cpu_relax();
	}
	return true;
}

static void loiter(void)
{
	step_on();
	(void)pv_save_fl();
	step_off();
}

/*
 * A lazy section per round: this CPU's two entries written three times
 * each, in order, then left. Whatever the switches did meanwhile, the
 * last value of each must be there after the leave: an op queued under
 * hypercall and flushed after a later one ran natively would leave an
 * older value. (Values with the present bit clear: no frame to check.)
 */
#define LAZY_WRITES 6

static uint64_t lazy_slots[SMP_MAX_CPUS][2] __attribute__((aligned(64)));
static volatile uint64_t lazy_sections;

static uint64_t lazy_value(uint64_t loops, unsigned i)
{
	return (loops << 8 | i) << 1;
}

static bool lazy_round(struct worker *w)
{
	uint64_t *slot = lazy_slots[smp_cpu()];

	pv_lazy_enter();
	for (unsigned i = 0; i < LAZY_WRITES; i++) {
		pv_set_pte((uintptr_t)&slot[i & 1], lazy_value(w->loops, i));
		pv_flush_tlb_one((uintptr_t)&slot[i & 1]);
	}
	pv_lazy_leave();
	__atomic_fetch_add(&lazy_sections, 1, __ATOMIC_RELAXED);
	for (unsigned k = 0; k < 2; k++) {
		uint64_t want = lazy_value(w->loops, LAZY_WRITES - 2 + k);

		if (*(volatile uint64_t *)&slot[k] != want) {
			snprintf(w->why, sizeof(w->why),
				 "lazy section: entry %u is %#llx after the "
				 "leave, its last write %#llx",
				 k, (unsigned long long)slot[k],
				 (unsigned long long)want);
			w->failed = true;
			stop = true;
			return false;
		}
	}
	return true;
}

/*
 * One round of every op of the list, through its probe and its C site,
 * each prepared and checked by op_checks.c: a new op is in the round
 * without a line here. Interrupts are on at its start and end.
 */
static bool one_round(struct worker *w)
{
	for (unsigned op = 0; op < PV_OP_COUNT; op++)
		if (!op_check_probe(op, w->why, sizeof(w->why)) ||
		    !op_check_site(op, w->why, sizeof(w->why))) {
			w->failed = true;
			stop = true;
			return false;
		}
	pv_irq_enable();
	return lazy_round(w);
}

static void repatch_worker(void *arg)
{
	struct worker *w = arg;

	pv_irq_enable();
	apic_timer_periodic(TICK_PERIOD);
	/* Only a native site has an inside to stop in (in the other modes a
	 * site is one call); until the first loiter, every native round. */
	while (!stop && one_round(w)) {
		w->loops++;
		if (w == &workers[1] &&
		    __atomic_load_n(&native_now, __ATOMIC_RELAXED) &&
		    (w->loops % LOITER_EVERY == 0 || !loiters))
			loiter();
	}
	apic_timer_stop();
	pv_irq_disable();
}

void repatch_workers_start(void)
{
	stop = false;
	trap_set_handler(TRAP_DB, loiter_hook); /* only CPU 1 sets TF */
	for (unsigned c = 1; c < smp_ncpus(); c++)
		smp_run_on(c, repatch_worker, &workers[c]);
}

/* Stop them; (done): switches so far, for the messages. Their rounds. */
static uint64_t workers_stop(uint64_t done)
{
	uint64_t loops = 0;

	stop = true;
	for (unsigned c = 1; c < smp_ncpus(); c++) {
		if (!smp_wait_for(c, STOP_CYCLES))
			guest_fail(
			    "test=repatch: CPU %u did not stop after %llu "
			    "switches: a torn execution left it stuck",
			    c, (unsigned long long)done);
		loops += workers[c].loops;
		if (workers[c].failed)
			guest_fail("test=repatch: torn execution on CPU %u "
				   "after %llu switches: %s",
				   c, (unsigned long long)done, workers[c].why);
	}
	trap_set_handler(TRAP_DB, NULL);
	return loops;
}

void repatch_workers_stop(void)
{
	(void)workers_stop(0);
}

/* The workers' lazy sections, from every CPU's queue. */
static void repatch_lazy_report(void)
{
	uint64_t queued = 0, calls = 0, by_handler = 0, after_handler = 0;

	for (unsigned c = 0; c < smp_ncpus(); c++) {
		const struct pv_lazy *q = lazy_queue(c);

		queued += q->queued;
		calls += q->multicalls;
		by_handler += q->flushes[PV_LAZY_HANDLER];
		after_handler += q->flushes[PV_LAZY_SYNC];
	}
	printf("repatch: %llu lazy sections, each entry's last write there "
	       "after the leave; %llu ops queued, %llu MULTICALLs (%llu "
	       "flushes on a handler's entry, %llu at the first append after "
	       "one)\n",
	       (unsigned long long)lazy_sections, (unsigned long long)queued,
	       (unsigned long long)calls, (unsigned long long)by_handler,
	       (unsigned long long)after_handler);
}

void repatch_selftest(void)
{
	const struct pv_live_stats *st = pvswitch_stats();
	unsigned ncpus = smp_ncpus(), nmodes = 0, from;
	enum pv_mode modes[PV_MODE_COUNT], boot = paravirt_mode();
	uint64_t n = test_count(DEFAULT_SWITCHES), done = 0, loops, stacks, cut;
	char why[160];
	unsigned busy = 0;

	if (ncpus < 2)
		guest_fail("test=repatch needs at least 2 CPUs, found %u",
			   ncpus);
	modes[nmodes++] = PV_MODE_NATIVE;
	if (hv_has_hypercalls())
		modes[nmodes++] = PV_MODE_HYPERCALL;
	modes[nmodes++] = PV_MODE_UNPATCHED;
	/* The switches go round from the boot mode: none to the mode the
	 * sites are in already, which would rewrite nothing. */
	for (from = 0; from < nmodes && modes[from] != boot; from++)
		;
	printf("repatch begins: %llu switches on %u CPUs (%s)\n",
	       (unsigned long long)n, ncpus,
	       cmdline_is("pvswitch", "toggle") ? "toggle" : "safe");
	repatch_irqs_start();
	repatch_workers_start();
	for (; done < n && !stop; done++) {
		int r;

		/*
		 * The first native phase lasts until CPU 1 waits inside a
		 * site (bounded): every run takes the deferral path, however
		 * slow a worker round is against a switch (under nested KVM
		 * a round spans many switches). Later phases do not wait.
		 */
		__atomic_store_n(&native_now, paravirt_mode() == PV_MODE_NATIVE,
				 __ATOMIC_RELAXED);
		for (uint64_t t0 = rdtsc(); native_now && !loiters &&
					    !repatch_irqs_waiting() && !stop &&
					    rdtsc() - t0 < FIRST_LOITER_CYCLES;)
			cpu_relax();
		r = pv_switch(modes[(from + done + 1) % nmodes]);
		__atomic_store_n(&native_now, false, __ATOMIC_RELAXED);

		repatch_irqs_poke(done);
		if (r == -PV_EBUSY)
			busy++;
		else if (r < 0)
			guest_fail("test=repatch: switch %llu refused (%d)",
				   (unsigned long long)done, r);
	}
	repatch_irqs_stop(); /* a nested handler's wait ends */
	loops = workers_stop(done);
	if (pv_switch(boot) < 0)
		guest_fail("test=repatch: cannot switch back to %s",
			   pv_mode_name(boot));
	printf("repatch: %llu switches on %u CPUs (%s, trap %s): %u sites "
	       "rewritten, %u single stores, %u with the trap byte, %u "
	       "deferrals, %lu trap hits, %u syncs in %u runs, %u switches "
	       "incomplete; %llu worker rounds, %llu waits inside a site (%llu "
	       "met a sync); torn executions: 0\n",
	       (unsigned long long)done, ncpus,
	       cmdline_is("pvswitch", "toggle") ? "toggle" : "safe",
	       pvswitch_trap_name(), st->sites, st->single_stores,
	       st->trap_sites, st->deferrals, st->trap_hits, st->syncs,
	       st->rounds, busy, (unsigned long long)loops,
	       (unsigned long long)loiters, (unsigned long long)caught);
	if (!repatch_irqs_report(why, sizeof(why)))
		guest_fail("test=repatch: torn execution on CPU %s", why);
	printf("repatch: retries: %u of the %u runs found every site they "
	       "had still occupied (one sync each); %llu cycles of pauses "
	       "for CPUs to leave; at most %u runs in one switch\n",
	       st->idle_rounds, st->rounds, (unsigned long long)st->wait_cycles,
	       st->most_rounds);
	printf(
	    "repatch: %llu of the waits that met a sync took its IPI in "
	    "the trap handler over the site, the rest at the site's inside\n",
	    (unsigned long long)in_handler);
	repatch_lazy_report();
	smp_stacks_recorded(&stacks, &cut);
	printf("repatch: %llu stacks recorded in syncs, %llu cut short\n",
	       (unsigned long long)stacks, (unsigned long long)cut);
	if (cut) {
		struct unwind_frame at;
		int stop_why;

		smp_first_cut(&at, &stop_why);
		printf("repatch: the first stopped at rip %#llx rsp %#llx "
		       "(%s, reason %d):\n",
		       (unsigned long long)at.rip, (unsigned long long)at.rsp,
		       at.exact ? "interrupted" : "a return address", stop_why);
		unwind_print(&at);
		guest_fail("test=repatch: %llu recorded stacks did not reach "
			   "their end: a rip below the cut could be inside a "
			   "site",
			   (unsigned long long)cut);
	}
	printf("smp: %llu spurious rendezvous IPIs; stack high water:",
	       (unsigned long long)smp_spurious_ipis());
	for (unsigned c = 0; c < ncpus; c++)
		printf(" CPU %u %llu", c,
		       (unsigned long long)smp_stack_high_water(c));
	printf(" of %u bytes\n", SMP_STACK_SIZE);
}
