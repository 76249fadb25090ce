// SPDX-License-Identifier: MIT
/*
 * test_live.c: the live switch (pvops/live.c) on sites in host memory,
 * with a fake cross-CPU sync that snapshots the sites at each sync and
 * reports made-up interrupted rips: three syncs per run however many
 * sites; the trap byte first, then the tail, then the first byte; a site
 * a CPU is stopped inside is deferred and retried, or given up with its
 * old bytes whole; single stores only for one instruction within one
 * aligned word; the trap handler's way out of line; the unsafe toggle.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "insn.h"
#include "live.h"
#include "pv_backend.h"
#include "pv_host.h"

#define FILL	 0xa5
#define MAX_SYNC 8

static uint8_t text[4096] __attribute__((aligned(4096)));
static uint8_t ool[PV_LIVE_VARIANTS * PV_LIVE_MAX_RECORDS * PV_LIVE_OOL_SLOT];
static struct pv_patch_site recs[16];
static struct pv_patch_ctx native, unpatched, direct;
static struct pv_backend be_native, be_none, be_direct;
static struct pv_live lv;

/* The fake sync: what the other CPUs "are doing". */
static uintptr_t fake_rip; /* 0: nobody is anywhere */
static bool rip_forever;   /* keep reporting it in every sync */
static unsigned nsyncs;
static uint8_t snap[MAX_SYNC][16]; /* the first site at each sync */
static bool (*in_sync)(void);	   /* run while "parked", or NULL */
static unsigned cut_syncs;	   /* the first N syncs: a stack cut short */
static uint64_t fake_now;	   /* the fake clock: 4096 cycles a call */
static uint64_t inside_until;	   /* report fake_rip until then, or 0 */

static uint64_t fake_clock(void)
{
	return fake_now += 4096;
}

static void fake_sync(void *env, uintptr_t *rips, unsigned max,
		      pv_live_parked_fn *parked, void *arg)
{
	unsigned n = 0;

	(void)env;
	(void)max;
	if (nsyncs < MAX_SYNC)
		memcpy(snap[nsyncs], pv_site_addr(&recs[0]), 16);
	if (fake_rip && (rip_forever || nsyncs == 0 ||
			 (inside_until && fake_now < inside_until)))
		rips[n++] = fake_rip;
	if (in_sync)
		in_sync();
	if (parked)
		parked(arg, rips, n, nsyncs >= cut_syncs);
	nsyncs++;
}

static void setup(void)
{
	memset(text, FILL, sizeof(text));
	memset(ool, 0, sizeof(ool));
	fake_rip = 0;
	rip_forever = false;
	nsyncs = 0;
	in_sync = NULL;
	cut_syncs = 0;
	fake_now = inside_until = 0;
	pv_host_ctx(&native);

	pv_host_native_backend(&be_native);
	native.backends = &be_native;
	native.nbackends = 1;
	unpatched = native;
	be_none = (struct pv_backend){.table = pv_host_table};
	unpatched.backends = &be_none;
	direct = native;
	pv_host_direct_backend(&be_direct, (uintptr_t)text + 2048);
	direct.backends = &be_direct;
}

TestSuite(live, .init = setup);

/* (n) save_fl sites, each at qword offset (misalign) of its own 32
 * bytes; then the live state, protocol (p). */
static unsigned make_sites(unsigned n, unsigned misalign,
			   enum pv_live_protocol p)
{
	unsigned len = 0;

	for (unsigned i = 0; i < n; i++)
		len = pv_host_make_op_site(text + 32 * i + misalign, &recs[i],
					   PV_OP_SAVE_FL,
					   PV_CLOBBERS_CALLEE_SAVE);
	memset(&lv, 0, sizeof(lv));
	lv.begin = recs;
	lv.end = recs + n;
	lv.sync = fake_sync;
	lv.trap_byte = PV_LIVE_TRAP_UD;
	lv.ool = ool;
	lv.protocol = p;
	cr_assert_eq(pv_live_init(&lv), 0);
	return len;
}

static void assert_site(unsigned i, const struct pv_patch_ctx *c)
{
	uint8_t want[PV_MAX_SITE_LEN];
	enum pv_action act;

	cr_assert_eq(pv_plan_site_from(&recs[i], c, lv.orig[i], want, &act), 0);
	cr_assert_arr_eq(pv_site_addr(&recs[i]), want, recs[i].instr_len,
			 "site %u", i);
}

Test(live, a_switch_costs_three_syncs_however_many_sites)
{
	for (unsigned n = 1; n <= 8; n *= 8) {
		setup();
		make_sites(n, 4, PV_LIVE_SAFE); /* across two words */
		cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
		cr_assert_eq(nsyncs, 3, "%u sites: %u syncs", n, nsyncs);
		cr_assert_eq(lv.stats.trap_sites, n);
		cr_assert_eq(lv.stats.rounds, 1);
		for (unsigned i = 0; i < n; i++)
			assert_site(i, &native);
	}
}

Test(live, trap_byte_then_tail_then_first_byte)
{
	unsigned len = make_sites(1, 4, PV_LIVE_SAFE);
	uint8_t old[16], want[PV_MAX_SITE_LEN];
	enum pv_action act;

	memcpy(old, pv_site_addr(&recs[0]), len);
	cr_assert_eq(
	    pv_plan_site_from(&recs[0], &native, lv.orig[0], want, &act), 0);
	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	/* Sync 1 writes the trap byte while the others are stopped. */
	cr_assert_arr_eq(snap[0], old, len);
	/* Sync 2: the trap, the new tail written in between. */
	cr_assert_eq(snap[1][0], PV_LIVE_TRAP_UD);
	cr_assert_arr_eq(snap[1] + 1, want + 1, len - 1);
	/* Sync 3 writes the first byte while the others are stopped. */
	cr_assert_eq(snap[2][0], PV_LIVE_TRAP_UD);
	cr_assert_arr_eq(pv_site_addr(&recs[0]), want, len);
	cr_assert_eq(lv.nbatch, 0, "the batch outlived the switch");
}

Test(live, a_cpu_stopped_inside_defers_the_site)
{
	unsigned len = make_sites(1, 4, PV_LIVE_SAFE);
	uint8_t inline_bytes[16];

	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0); /* pushfq; pop */
	memcpy(inline_bytes, pv_site_addr(&recs[0]), len);
	nsyncs = 0;
	lv.stats = (struct pv_live_stats){0};
	fake_rip = (uintptr_t)pv_site_addr(&recs[0]) + len - 1; /* at pop */
	cr_assert_eq(pv_live_switch(&lv, &unpatched, 1), 0);
	cr_assert_eq(lv.stats.deferrals, 1);
	cr_assert_eq(lv.stats.rounds, 2);
	/* Run 1 wrote nothing: one sync. Run 2: three. */
	cr_assert_eq(lv.stats.idle_rounds, 1);
	cr_assert_eq(nsyncs, 4);
	/* Run 2, sync 1: the deferred site was left whole. */
	cr_assert_arr_eq(snap[1], inline_bytes, len);
	assert_site(0, &unpatched);
}

Test(live, a_cpu_that_never_leaves_is_given_up_with_the_site_whole)
{
	unsigned len = make_sites(1, 4, PV_LIVE_SAFE);
	uint8_t inline_bytes[16];

	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	memcpy(inline_bytes, pv_site_addr(&recs[0]), len);
	nsyncs = 0;
	fake_rip = (uintptr_t)pv_site_addr(&recs[0]) + len - 1;
	rip_forever = true;
	cr_assert_eq(pv_live_switch(&lv, &unpatched, 1), -PV_EBUSY);
	cr_assert_eq(lv.stats.given_up, 1);
	/* Every run found it occupied: one sync each, nothing written. */
	cr_assert_eq(lv.stats.idle_rounds, PV_LIVE_MAX_ROUNDS);
	cr_assert_eq(nsyncs, PV_LIVE_MAX_ROUNDS);
	cr_assert_arr_eq(pv_site_addr(&recs[0]), inline_bytes, len);
}

/* A CPU that stays inside for a while (10^6 cycles of the fake clock)
 * is waited for: each retry comes after a pause that doubles, so the site
 * goes in after a few runs. Retried at once, as before, every run would
 * find it there (each advances the clock by two reads) until given up. */
Test(live, a_retry_waits_for_the_cpu_to_leave)
{
	unsigned len = make_sites(1, 4, PV_LIVE_SAFE);

	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	lv.stats = (struct pv_live_stats){0};
	lv.clock = fake_clock;
	fake_rip = (uintptr_t)pv_site_addr(&recs[0]) + len - 1;
	inside_until = 1u << 20;
	cr_assert_eq(pv_live_switch(&lv, &unpatched, 1), 0);
	cr_assert_leq(lv.stats.rounds, 8, "%u runs", lv.stats.rounds);
	cr_assert_eq(lv.stats.idle_rounds, lv.stats.rounds - 1);
	cr_assert_geq(lv.stats.wait_cycles, (1u << 20) - 2 * 4096 * 8);
	/* The first pause is the shortest, and each one at least doubles. */
	cr_assert_geq(lv.stats.wait_cycles,
		      PV_LIVE_WAIT_FIRST * ((1u << (lv.stats.rounds - 1)) - 1));
	assert_site(0, &unpatched);
}

/* With a clock, the bound is the time paused, not the count of runs. */
Test(live, a_cpu_that_never_leaves_is_given_up_after_the_wait_budget)
{
	make_sites(1, 4, PV_LIVE_SAFE);
	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	lv.stats = (struct pv_live_stats){0};
	lv.clock = fake_clock;
	fake_rip = (uintptr_t)pv_site_addr(&recs[0]) + 1;
	rip_forever = true;
	cr_assert_eq(pv_live_switch(&lv, &unpatched, 1), -PV_EBUSY);
	cr_assert_eq(lv.stats.given_up, 1);
	cr_assert_geq(lv.stats.wait_cycles, PV_LIVE_WAIT_BUDGET);
	cr_assert_lt(lv.stats.wait_cycles,
		     PV_LIVE_WAIT_BUDGET + PV_LIVE_WAIT_MAX + 4096);
	cr_assert_lt(lv.stats.rounds, PV_LIVE_MAX_ROUNDS);
}

/* A stack the sync could not unwind to its end may hide a rip inside
 * any site: every site waits for the next run. */
Test(live, an_incomplete_stack_defers_every_site)
{
	unsigned len = make_sites(3, 4, PV_LIVE_SAFE);
	uint8_t old[16];

	memcpy(old, pv_site_addr(&recs[0]), len);
	cut_syncs = 1;
	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	cr_assert_eq(lv.stats.deferrals, 3);
	cr_assert_eq(lv.stats.rounds, 2);
	cr_assert_arr_eq(snap[1], old, len, "run 1 touched a site");
	for (unsigned i = 0; i < 3; i++)
		assert_site(i, &native);
}

/* The unwinder's way through an out-of-line copy: its site's rules. */
Test(live, an_out_of_line_rip_maps_back_to_its_site)
{
	unsigned len = make_sites(2, 4, PV_LIVE_SAFE);
	uintptr_t slot = (uintptr_t)ool, at = 0;
	uintptr_t site = (uintptr_t)pv_site_addr(&recs[0]);

	cr_assert(!pv_live_ool_origin(&lv, slot, &at), "no copy yet");
	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	for (unsigned k = 0; k <= len; k++) {
		cr_assert(pv_live_ool_origin(&lv, slot + k, &at), "+%u", k);
		cr_assert_eq(at, site + k, "+%u", k);
	}
	cr_assert(!pv_live_ool_origin(&lv, slot + len + 1, &at),
		  "inside the jmp back");
	cr_assert(pv_live_ool_origin(&lv, slot + PV_LIVE_OOL_SLOT, &at));
	cr_assert_eq(at, (uintptr_t)pv_site_addr(&recs[1]));
	cr_assert(!pv_live_ool_origin(&lv, slot + 2 * PV_LIVE_OOL_SLOT, &at),
		  "record 2 has no copy");
	cr_assert(!pv_live_ool_origin(&lv, slot - 1, &at));
	cr_assert(!pv_live_ool_origin(&lv, site, &at), "the site itself");
}

/* A rip at the site's start is not inside: the trap catches it there. */
Test(live, a_cpu_at_the_start_is_not_inside)
{
	make_sites(1, 4, PV_LIVE_SAFE);
	fake_rip = (uintptr_t)pv_site_addr(&recs[0]);
	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	cr_assert_eq(lv.stats.deferrals, 0);
	cr_assert_eq(nsyncs, 3);
}

/* One store, made while the others are stopped in the one sync: QEMU
 * TCG reads code byte by byte and could see half of it otherwise. */
Test(live, one_instruction_in_one_word_is_a_single_store)
{
	uint8_t old[16];
	unsigned len = make_sites(1, 0, PV_LIVE_SAFE); /* bytes 0..5 */

	memcpy(old, pv_site_addr(&recs[0]), len);
	cr_assert_eq(pv_live_switch(&lv, &direct, 2), 0);
	cr_assert_eq(lv.stats.single_stores, 1);
	cr_assert_eq(lv.stats.trap_sites, 0);
	cr_assert_eq(nsyncs, 1);
	cr_assert_arr_eq(snap[0], old, len, "written before the sync");
	assert_site(0, &direct);
}

/* Back from pushfq; pop rax (two instructions) is never one store, even
 * within one word: a CPU could be stopped between them. */
Test(live, two_instructions_in_one_word_take_the_trap)
{
	make_sites(1, 0, PV_LIVE_SAFE);
	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	cr_assert_eq(lv.stats.single_stores, 1); /* indirect call: one insn */
	cr_assert_eq(nsyncs, 1);
	nsyncs = 0;
	cr_assert_eq(pv_live_switch(&lv, &unpatched, 1), 0);
	cr_assert_eq(lv.stats.single_stores, 1);
	cr_assert_eq(lv.stats.trap_sites, 1);
	cr_assert_eq(nsyncs, 3);
}

/* During a switch, a CPU at the trap goes to the copy of the new bytes,
 * which jumps back to the site's end. */
static unsigned site_len;
static bool trap_checked;

static bool check_trap(void)
{
	uint64_t site = (uintptr_t)pv_site_addr(&recs[0]), rip = site;
	const uint8_t *o;
	struct pv_insn in;
	int32_t rel;

	if (nsyncs != 0)
		return false;
	cr_assert(pv_live_trap(&lv, &rip));
	cr_assert_neq(rip, site);
	o = (const uint8_t *)(uintptr_t)rip;
	/* The copy of the indirect call still reaches the table's slot. */
	cr_assert_eq(pv_insn_decode(o, site_len, &in), (int)site_len);
	cr_assert_eq(o[site_len], 0xe9);
	memcpy(&rel, o + site_len + 1, 4);
	cr_assert_eq(rip + site_len + 5 + (uint64_t)(int64_t)rel,
		     site + site_len);
	rip = site + 1;
	cr_assert_not(pv_live_trap(&lv, &rip), "a rip past the trap");
	trap_checked = true;
	return true;
}

Test(live, the_trap_sends_a_cpu_out_of_line)
{
	uint64_t rip;

	site_len = make_sites(1, 4, PV_LIVE_SAFE);
	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	in_sync = check_trap;
	trap_checked = false;
	nsyncs = 0;
	cr_assert_eq(pv_live_switch(&lv, &unpatched, 1), 0);
	cr_assert(trap_checked);
	rip = (uintptr_t)pv_site_addr(&recs[0]);
	cr_assert_not(pv_live_trap(&lv, &rip), "no switch in progress");
}

Test(live, int3_traps_are_found_one_byte_back)
{
	uint64_t site, rip;

	make_sites(1, 4, PV_LIVE_SAFE);
	lv.trap_byte = PV_LIVE_TRAP_INT3;
	site = (uintptr_t)pv_site_addr(&recs[0]);
	lv.batch[0] = (struct pv_live_batch){site, (uintptr_t)ool};
	lv.nbatch = 1;
	rip = site + 1;
	cr_assert(pv_live_trap(&lv, &rip));
	cr_assert_eq(rip, (uintptr_t)ool);
	cr_assert_eq(lv.stats.trap_hits, 1);
}

Test(live, toggle_writes_in_place_without_a_sync)
{
	make_sites(4, 4, PV_LIVE_TOGGLE);
	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	cr_assert_eq(nsyncs, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_site(i, &native);
}
