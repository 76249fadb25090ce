// SPDX-License-Identifier: MIT
/*
 * pvswitch.c: the guest's side of switching the pv backend at run time
 * (pvops/live.c does the patching; docs/live-patching.md). It keeps the
 * sites' original bytes from before boot patching, gives the engine the
 * rendezvous as its cross-CPU sync, picks the trap byte, and sends CPUs
 * that meet it out of line from its #UD and #BP handlers; the unwinder
 * finds a copy's frame through its site's rules. pvswitch_init()
 * runs before boot patching, while the sites hold their original bytes.
 *   pvswitch=toggle       the unsafe protocol (the stress test's proof
 *                         that it can fail)
 *   pvswitch.trap=int3|ud the trap byte; default int3 under QEMU TCG
 *                         and under a minivmm that says int3 works
 *                         (MINIVMM_FEATURE_INT3), the #UD byte elsewhere
 *                         (docs say why)
 */
#include "guest.h"
#include "live.h"
#include "minivmm_abi.h"
#include "pv_backend.h"
#include "x86.h"

static struct pv_live live;
/* The out-of-line copies, run by trapped CPUs: in pages of their own
 * that are executable and read-only (guest.ld, text_poke.c), each copy
 * written once through text_poke. */
static uint8_t ool[PV_LIVE_VARIANTS * PV_LIVE_MAX_RECORDS * PV_LIVE_OOL_SLOT]
    __attribute__((aligned(4096), section(".pv_ool")));
static bool ready;

extern const struct pv_patch_site __pv_patch_start[], __pv_patch_end[];

/* The engine's clock, for its pauses before a retry and its cycle
 * counts, unless the benchmark gives its own (pvswitch_clock). */
static uint64_t tsc_clock(void)
{
	return rdtsc();
}

/* A CPU at a site under patching (the trap byte): resume out of line. */
static bool trapped(struct trap_frame *f)
{
	return ready && pv_live_trap(&live, &f->rip);
}

/* The unwinder's rules for an out-of-line copy: its site's. */
static bool ool_origin(uint64_t rip, uint64_t *at)
{
	uintptr_t site_rip;

	if (!ready || !pv_live_ool_origin(&live, (uintptr_t)rip, &site_rip))
		return false;
	*at = site_rip;
	return true;
}

static void rendezvous(void *env, uintptr_t *rips, unsigned max,
		       pv_live_parked_fn *parked, void *arg)
{
	(void)env;
	smp_rendezvous(rips, max, parked, arg);
}

void pvswitch_init(void)
{
	const struct guest_hv_info *hv = hv_detect();
	bool tcg = hv->kind == HV_OTHER &&
		   memcmp(hv->signature, "TCGTCGTCGTCG", 12) == 0;
	bool int3 = tcg || (hv->kind == HV_MINIVMM &&
			    (hv->features & MINIVMM_FEATURE_INT3));

	live.begin = __pv_patch_start;
	live.end = __pv_patch_end;
	live.sync = rendezvous;
	live.clock = tsc_clock;
	live.ool = ool;
	live.trap_byte = int3 ? PV_LIVE_TRAP_INT3 : PV_LIVE_TRAP_UD;
	if (cmdline_is("pvswitch.trap", "int3"))
		live.trap_byte = PV_LIVE_TRAP_INT3;
	else if (cmdline_is("pvswitch.trap", "ud"))
		live.trap_byte = PV_LIVE_TRAP_UD;
	live.protocol =
	    cmdline_is("pvswitch", "toggle") ? PV_LIVE_TOGGLE : PV_LIVE_SAFE;
	live.toggle_delay = 2000; /* a wide window: the race shows */
	if (pv_live_init(&live) < 0)
		guest_fail("pvswitch: more than %u patch records",
			   PV_LIVE_MAX_RECORDS);
	ready = true;
	unwind_set_alias(ool_origin);
	trap_set_handler(TRAP_UD, trapped);
	trap_set_handler(TRAP_BP, trapped);
}

/*
 * One switch at a time, on any CPU. A second one asked for meanwhile is
 * refused at once (-PV_EAGAIN: the caller may ask again) rather than
 * kept waiting: the switch in progress stops every other CPU in its
 * rendezvous, and a CPU spinning for the lock with interrupts off would
 * never answer it.
 */
static volatile bool switching;

/* The engine's context with (mode)'s backend alone, in (*be). */
static void mode_ctx(enum pv_mode mode, struct pv_patch_ctx *c,
		     struct pv_backend *be)
{
	*c = *paravirt_ctx();
	pv_backend_offer(mode, be);
	c->backends = be;
	c->nbackends = 1;
	c->debug = false;
}

int pv_switch(enum pv_mode mode)
{
	struct pv_patch_ctx c;
	struct pv_backend be;
	int r;

	if (mode == PV_MODE_HYPERCALL && !hv_has_hypercalls())
		return -PV_EINVAL;
	if (__atomic_exchange_n(&switching, true, __ATOMIC_ACQUIRE))
		return -PV_EAGAIN;
	mode_ctx(mode, &c, &be);
	/* Slots first: an indirect call may land in either backend. */
	pv_backend_install(mode);
	r = pv_live_switch(&live, &c, (unsigned)mode);
	if (r == 0)
		paravirt_set_mode(mode);
	__atomic_store_n(&switching, false, __ATOMIC_RELEASE);
	return r;
}

int pv_switch_verify(void)
{
	struct pv_patch_ctx c;
	struct pv_backend be;

	mode_ctx(paravirt_mode(), &c, &be);
	return pv_live_verify(&live, &c);
}

void pvswitch_clock(uint64_t (*clock)(void))
{
	live.clock = clock;
}

const struct pv_live_stats *pvswitch_stats(void)
{
	return &live.stats;
}

const char *pvswitch_trap_name(void)
{
	return live.trap_byte == PV_LIVE_TRAP_INT3 ? "int3" : "ud";
}
