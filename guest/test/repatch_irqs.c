// SPDX-License-Identifier: MIT
/*
 * repatch_irqs.c: what test=repatch throws at the live switch besides
 * its workers' rounds (docs/live-patching.md):
 *   - NMIs, at irregular times, on every CPU, the patching CPU included:
 *     each worker's timer tick sends one to every other CPU now and then,
 *     and CPU 0 sends one to the others between switches. The NMI handler
 *     runs every GET op's C site and checks its result, except on a CPU
 *     parked in a sync (on_nmi says why). NMIs cannot be held off: they
 *     come while a CPU is parked, while the patching CPU writes, and
 *     inside the trap's own handler.
 *   - A nested interrupt: a tick that lands strictly inside a site turns
 *     interrupts back on and runs sites itself, waiting a while, so that
 *     the sync's IPI stops the CPU in the handler, with the interrupted
 *     context inside the site two frames down. Ticks land there by
 *     chance, and by design: CPU 1, single-stepped to inside a site
 *     (repatch_test.c), lets a pending tick in right there after a sync.
 * Any wrong result fails the run, as a worker's does.
 */
#include "test.h"
#include "pv_ops.h"
#include "x86.h"

#define NMI_EVERY    7		     /* ticks of a worker between its NMIs */
#define NMI_SWITCHES 3		     /* switches of CPU 0 between its NMIs */
#define NESTED_WAIT  20000000ull     /* TSC: a nested handler's wait */
#define FIRST_WAIT   100000000000ull /* TSC: until one has met a sync */

static struct {
	volatile uint64_t nmis, on_patcher, parked, sites;
	volatile uint64_t nested, nested_met;
	volatile unsigned waiting; /* nested handlers waiting now */
	volatile bool failed;
	char why[160];
	trap_fn timer; /* the tick handler we wrap */
	bool on;
} irq;

static struct percpu *me(void)
{
	return smp_percpu(smp_cpu());
}

static void failed(const char *where, const char *why)
{
	if (__atomic_exchange_n(&irq.failed, true, __ATOMIC_ACQ_REL))
		return;
	snprintf(irq.why, sizeof(irq.why), "%u, in %s: %s", smp_cpu(), where,
		 why);
}

/* Every GET op through its C site, each checked (op_checks.c). */
static void run_get_sites(const char *where)
{
	char why[128];

#define IRQ_SITE_GET(NAME)                                                     \
	if (!op_check_site(PV_OP_##NAME, why, sizeof(why)))                    \
		failed(where, why);                                            \
	__atomic_fetch_add(&irq.sites, 1, __ATOMIC_RELAXED);
#define IRQ_SITE_SET(NAME)
#define IRQ_SITE_SET2(NAME)
#define IRQ_SITE_DO(NAME)
#define IRQ_SITE(name, NAME, contract, shape, bench, batch)                    \
	IRQ_SITE_##shape(NAME)
	PV_OP_LIST(IRQ_SITE)
#undef IRQ_SITE
#undef IRQ_SITE_GET
#undef IRQ_SITE_SET
#undef IRQ_SITE_SET2
#undef IRQ_SITE_DO
}

/*
 * The rule for NMI handlers (docs/live-patching.md): no pv site while
 * this CPU is parked in a sync. Its stack was recorded when it stopped;
 * a site entered from an NMI after that could be half run when the tails
 * are written, and no sync would know. So a parked CPU's NMI only counts;
 * anywhere else, the handler runs every GET site.
 */
static bool on_nmi(struct trap_frame *f)
{
	(void)f;
	__atomic_fetch_add(&irq.nmis, 1, __ATOMIC_RELAXED);
	if (smp_cpu() == 0)
		__atomic_fetch_add(&irq.on_patcher, 1, __ATOMIC_RELAXED);
	if (me()->parked) {
		__atomic_fetch_add(&irq.parked, 1, __ATOMIC_RELAXED);
		return true;
	}
	run_get_sites("an NMI handler");
	return true;
}

static bool on_tick(struct trap_frame *f)
{
	static volatile uint64_t ticks[SMP_MAX_CPUS];
	static volatile bool nesting[SMP_MAX_CPUS];
	unsigned cpu = smp_cpu();
	bool ok = irq.timer(f); /* counts the tick, EOI */

	if (!irq.on)
		return ok;
	if (++ticks[cpu] % NMI_EVERY == 0)
		apic_send(0, APIC_ICR_NMI | APIC_ICR_ALL_BUT_SELF);
	if (paravirt_inside_op_site(f->rip) && !nesting[cpu]) {
		uint64_t t0 = rdtsc(), syncs = smp_rendezvous_count();
		uint64_t wait = irq.nested_met ? NESTED_WAIT : FIRST_WAIT;

		nesting[cpu] = true;
		__atomic_fetch_add(&irq.nested, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&irq.waiting, 1, __ATOMIC_ACQ_REL);
		pv_irq_enable();
		run_get_sites("a nested interrupt handler");
		/* Until one has met a sync, as long as a sync takes to come
		 * (CPU 0 holds its first phase until someone waits). */
		while (__atomic_load_n(&irq.on, __ATOMIC_ACQUIRE) &&
		       smp_rendezvous_count() == syncs && rdtsc() - t0 < wait)
			cpu_relax();
		pv_irq_disable();
		__atomic_fetch_sub(&irq.waiting, 1, __ATOMIC_ACQ_REL);
		if (smp_rendezvous_count() != syncs)
			__atomic_fetch_add(&irq.nested_met, 1,
					   __ATOMIC_RELAXED);
		nesting[cpu] = false;
	}
	return ok;
}

unsigned repatch_irqs_waiting(void)
{
	return __atomic_load_n(&irq.waiting, __ATOMIC_ACQUIRE);
}

void repatch_irqs_start(void)
{
	irq.on = false;
	irq.timer = trap_set_handler(APIC_TIMER_VECTOR, on_tick);
	trap_set_handler(TRAP_NMI, on_nmi);
	__atomic_store_n(&irq.on, true, __ATOMIC_RELEASE);
}

void repatch_irqs_poke(uint64_t switches)
{
	unsigned long flags;

	if (switches % NMI_SWITCHES)
		return;
	flags = pv_irq_save(); /* no tick between the ICR's two writes */
	apic_send(0, APIC_ICR_NMI | APIC_ICR_ALL_BUT_SELF);
	pv_restore_fl(flags);
}

void repatch_irqs_stop(void)
{
	__atomic_store_n(&irq.on, false, __ATOMIC_RELEASE);
	trap_set_handler(APIC_TIMER_VECTOR, irq.timer);
}

bool repatch_irqs_report(char *why, size_t len)
{
	printf("repatch: %llu NMIs (%llu on the patching CPU, %llu while "
	       "parked in a sync), %llu sites run in handlers; %llu nested "
	       "interrupts inside a site (%llu met a sync)\n",
	       (unsigned long long)irq.nmis, (unsigned long long)irq.on_patcher,
	       (unsigned long long)irq.parked, (unsigned long long)irq.sites,
	       (unsigned long long)irq.nested,
	       (unsigned long long)irq.nested_met);
	if (irq.failed)
		snprintf(why, len, "%s", irq.why);
	return !irq.failed;
}
