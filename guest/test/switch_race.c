// SPDX-License-Identifier: MIT
/*
 * switch_race.c: test=switchrace[,N], two CPUs asking for live switches at
 * once. CPU 0 and CPU 1 each make N switches, through every mode in
 * turn, with interrupts on (each must answer the other's rendezvous),
 * asking again while refused. pv_switch takes one at a time and refuses
 * the other at once (-PV_EAGAIN). At the end every op site must hold what the
 * final mode plans, and every op must still work; then back to the boot mode,
 * for the usual checks. Without the lock, two rendezvous at once wait for each
 * other with interrupts off: the run hangs (tests/test_repatch.c).
 * docs/live-patching.md.
 */
#include "test.h"
#include "pv_ops.h"
#include "x86.h"

#define DEFAULT_SWITCHES 100
#define STOP_CYCLES	 100000000000ull /* TSC: CPU 1 must be done by then */

static struct racer {
	uint64_t asked, done, refused;
	int error; /* the first result that was neither 0 nor -PV_EAGAIN */
} racers[2];

static enum pv_mode modes[PV_MODE_COUNT];
static unsigned nmodes;

/*
 * (me->asked) switches done, each asked for again while refused; after
 * each, a pause as long as a switch took, so that the other CPU gets
 * its turn (a spinlock's fairness is not the point here).
 */
static void race(struct racer *me, unsigned cpu)
{
	while (me->done < me->asked && !me->error) {
		uint64_t t0 = rdtsc(), took;
		int r = pv_switch(modes[(me->done + cpu) % nmodes]);

		if (r == -PV_EAGAIN) {
			me->refused++;
			continue;
		}
		if (r < 0) {
			me->error = r;
			break;
		}
		me->done++;
		took = rdtsc() - t0;
		for (t0 = rdtsc(); rdtsc() - t0 < took;)
			cpu_relax();
	}
}

static void race_on_cpu1(void *arg)
{
	(void)arg;
	pv_irq_enable();
	race(&racers[1], 1);
	pv_irq_disable();
}

void switch_race_selftest(void)
{
	uint64_t n = test_count(DEFAULT_SWITCHES);
	enum pv_mode boot = paravirt_mode();
	char why[160];
	int wrong;

	if (smp_ncpus() < 2)
		guest_fail("test=switchrace needs at least 2 CPUs, found %u",
			   smp_ncpus());
	nmodes = 0;
	modes[nmodes++] = PV_MODE_NATIVE;
	if (hv_has_hypercalls())
		modes[nmodes++] = PV_MODE_HYPERCALL;
	modes[nmodes++] = PV_MODE_UNPATCHED;
	racers[0] = racers[1] = (struct racer){.asked = n};
	smp_run_on(1, race_on_cpu1, NULL);
	pv_irq_enable();
	race(&racers[0], 0);
	/* Interrupts still on: CPU 1's switches stop this CPU too. */
	if (!smp_wait_for(1, STOP_CYCLES))
		guest_fail("test=switchrace: CPU 1 did not finish");
	for (unsigned c = 0; c < 2; c++)
		if (racers[c].error)
			guest_fail("test=switchrace: CPU %u: a switch failed "
				   "(%d)",
				   c, racers[c].error);
	wrong = pv_switch_verify();
	if (wrong)
		guest_fail("test=switchrace: %d op sites do not hold what mode "
			   "%s plans",
			   wrong, pv_mode_name(paravirt_mode()));
	for (unsigned op = 0; op < PV_OP_COUNT; op++)
		if (!op_check_probe(op, why, sizeof(why)) ||
		    !op_check_site(op, why, sizeof(why)))
			guest_fail("test=switchrace: after the race: %s", why);
	printf("switchrace: CPU 0 made %llu switches, refused %llu times; "
	       "CPU 1 made %llu, refused %llu times; final mode %s, every "
	       "site as it plans\n",
	       (unsigned long long)racers[0].done,
	       (unsigned long long)racers[0].refused,
	       (unsigned long long)racers[1].done,
	       (unsigned long long)racers[1].refused,
	       pv_mode_name(paravirt_mode()));
	if (!racers[0].refused && !racers[1].refused)
		guest_fail("test=switchrace: no switch was ever asked for "
			   "during another: the race was not run");
	if (pv_switch(boot) < 0)
		guest_fail("test=switchrace: cannot switch back to %s",
			   pv_mode_name(boot));
	pv_irq_disable(); /* as at boot, for the usual checks */
}
