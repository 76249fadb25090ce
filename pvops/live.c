// SPDX-License-Identifier: MIT
/*
 * live.c: the live switch of pv-op sites (docs/live-patching.md). Each
 * site whose bytes change goes one of two ways:
 *   - a single aligned 8-byte store, where the old bytes are one
 *     instruction (nobody can be stopped inside it) and every changed byte
 *     lies in one naturally aligned word: a CPU runs the old instruction
 *     or the new bytes, never a mix;
 *   - else the trap-byte protocol, batched over all such sites, after
 *     Linux's text_poke_bp. Sync 1: with the other CPUs stopped, each site
 *     gets the trap byte over its first byte, unless a CPU is stopped
 *     inside it (deferred to a later run, untouched, after a pause for
 *     that CPU to leave). Then every tail is
 *     written while the CPUs run: one that reaches a site meets the trap
 *     and runs an out-of-line copy of the new bytes, which jumps back to
 *     the site's end (pv_live_trap). Sync 2. Sync 3: with the others
 *     stopped, every first byte.
 * Three syncs per run, however many sites; the single stores go in the
 * first (one sync if there is nothing else). The one-store and one-byte
 * writes are made while the other CPUs are stopped because QEMU TCG
 * translates code byte by byte and can keep running a translation made
 * while a byte changed (the docs give the measurements); on hardware the
 * sync after them would do. Every byte of text or of a copy is written
 * through ctx->poke (the guest's text stays read-only: text_poke.c).
 * PV_LIVE_TOGGLE is the unsafe way, kept for
 * the stress test to prove it can fail: bytes in place, no trap, no sync,
 * no deferral.
 */
#include "live.h"

#include "insn.h"
#include "pv_bug.h"

#define JMP_REL32     0xe9
#define JMP_REL32_LEN 5

int pv_live_init(struct pv_live *lv)
{
	unsigned i = 0;

	for (const struct pv_patch_site *r = lv->begin; r < lv->end; r++, i++) {
		if (i >= PV_LIVE_MAX_RECORDS || r->instr_len > PV_MAX_SITE_LEN)
			return -PV_ENOSPC;
		__builtin_memcpy(lv->orig[i], pv_site_addr(r), r->instr_len);
	}
	lv->nrec = i;
	lv->nbatch = 0;
	return 0;
}

/* One instruction fills the whole (len) bytes: no boundary inside. */
static bool one_instruction(const uint8_t *b, unsigned len)
{
	struct pv_insn in;

	return pv_insn_decode(b, len, &in) == (int)len;
}

/*
 * The aligned word holding every byte where (old) and (new) differ, or
 * NULL if they spread over two.
 */
static uint64_t *single_word(uint8_t *site, const uint8_t *new, unsigned len)
{
	uintptr_t first = 0, last = 0, word;
	bool any = false;

	for (unsigned i = 0; i < len; i++)
		if (site[i] != new[i]) {
			last = (uintptr_t)site + i;
			if (!any)
				first = last;
			any = true;
		}
	word = first & ~(uintptr_t)7;
	return any && last < word + 8 ? (uint64_t *)word : NULL;
}

static void single_store(const struct pv_patch_ctx *ctx, uint8_t *site,
			 const uint8_t *new, unsigned len, uint64_t *word)
{
	uint64_t v = __atomic_load_n(word, __ATOMIC_RELAXED);
	uint8_t *b = (uint8_t *)&v;

	for (unsigned i = 0; i < len; i++) {
		uintptr_t a = (uintptr_t)site + i;

		if (a >= (uintptr_t)word && a < (uintptr_t)word + 8)
			b[a - (uintptr_t)word] = new[i];
	}
	pv_text_write(ctx, word, &v, sizeof(v));
}

/* The out-of-line copy of (new) for record (i) under (variant): written
 * once, before any CPU can be sent there, and never again. */
static int ool_slot(struct pv_live *lv, const struct pv_patch_ctx *ctx,
		    unsigned variant, unsigned i, const uint8_t *site,
		    const uint8_t *new, unsigned len, uintptr_t *out)
{
	uint8_t *slot = lv->ool + ((size_t)variant * PV_LIVE_MAX_RECORDS + i) *
				      PV_LIVE_OOL_SLOT;
	uint8_t buf[PV_LIVE_OOL_SLOT];

	if (len + JMP_REL32_LEN > PV_LIVE_OOL_SLOT)
		return -PV_ENOSPC;
	if (pv_relocate(new, (uintptr_t)site, len, buf, (uintptr_t)slot) < 0 ||
	    pv_put_rel32(buf + len + 1, (uintptr_t)slot + len + JMP_REL32_LEN,
			 (uintptr_t)site + len) < 0)
		return -PV_ERANGE;
	buf[len] = JMP_REL32;
	if (!lv->ool_made[variant][i]) {
		pv_text_write(ctx, slot, buf, len + JMP_REL32_LEN);
		lv->ool_made[variant][i] = true;
	}
	/* Same target, same site: the same bytes, or a bug. */
	PV_BUG_ON(__builtin_memcmp(slot, buf, len + JMP_REL32_LEN) != 0);
	*out = (uintptr_t)slot;
	return 0;
}

/* ---- one run of the trap-byte protocol ---- */

/* A switch: each record's new bytes, planned once; then its runs. */
struct run {
	struct pv_live *lv;
	const struct pv_patch_ctx *ctx;
	uint8_t new[PV_LIVE_MAX_RECORDS][PV_MAX_SITE_LEN]; /* by record */
	unsigned n;			   /* trap sites in lv->batch */
	unsigned rec[PV_LIVE_MAX_RECORDS]; /* each one's record */
	bool deferred[PV_LIVE_MAX_RECORDS];
	/* Single stores, made while the others are stopped in sync 1. */
	unsigned nsingle;
	unsigned single[PV_LIVE_MAX_RECORDS]; /* their records */
	uint64_t *word[PV_LIVE_MAX_RECORDS];  /* and their words */
};

static unsigned rec_len(const struct run *r, unsigned i)
{
	return r->lv->begin[i].instr_len;
}

static uint8_t *rec_site(const struct run *r, unsigned i)
{
	return pv_site_addr(&r->lv->begin[i]);
}

/*
 * Sync 1, while the others are stopped: the single stores; then each
 * trap site gets its trap byte, unless one of them is stopped inside it
 * (strictly: at its start the trap catches it), which defers the site to
 * a later run, untouched.
 */
static void begin_run(void *arg, const uintptr_t *rips, unsigned n,
		      bool complete)
{
	struct run *r = arg;
	uint64_t t0 = r->lv->clock ? r->lv->clock() : 0;

	for (unsigned k = 0; k < r->nsingle; k++)
		single_store(r->ctx, rec_site(r, r->single[k]),
			     r->new[r->single[k]], rec_len(r, r->single[k]),
			     r->word[k]);
	if (r->lv->clock)
		r->lv->stats.single_cycles += r->lv->clock() - t0;

	for (unsigned k = 0; k < r->n; k++) {
		uintptr_t s = r->lv->batch[k].site;
		bool inside = !complete;

		for (unsigned j = 0; j < n && !inside; j++)
			inside =
			    rips[j] > s && rips[j] < s + rec_len(r, r->rec[k]);
		r->deferred[k] = inside;
		if (!inside)
			pv_text_write(r->ctx, (void *)s, &r->lv->trap_byte, 1);
	}
}

/* Sync 3, while the others are stopped: every first byte. */
static void write_first_bytes(void *arg, const uintptr_t *rips, unsigned n,
			      bool complete)
{
	struct run *r = arg;

	(void)rips;
	(void)n;
	(void)complete;
	for (unsigned k = 0; k < r->n; k++)
		if (!r->deferred[k])
			pv_text_write(r->ctx, (void *)r->lv->batch[k].site,
				      r->new[r->rec[k]], 1);
}

static void sync(struct pv_live *lv, pv_live_parked_fn *parked, void *arg)
{
	lv->stats.syncs++;
	lv->sync(lv->sync_env, lv->rips, PV_LIVE_RIPS, parked, arg);
}

static bool all_deferred(const struct run *r)
{
	for (unsigned k = 0; k < r->n; k++)
		if (!r->deferred[k])
			return false;
	return true;
}

static void trap_run(struct pv_live *lv, struct run *r)
{
	lv->stats.rounds++;
	/* The batch is visible before any trap byte is. */
	__atomic_store_n(&lv->nbatch, r->n, __ATOMIC_RELEASE);
	sync(lv, begin_run, r);
	if (all_deferred(r)) {
		/* No trap byte, no tail: nothing for syncs 2 and 3 to do. */
		lv->stats.idle_rounds++;
		__atomic_store_n(&lv->nbatch, 0, __ATOMIC_RELEASE);
		return;
	}
	for (unsigned k = 0; k < r->n; k++)
		if (!r->deferred[k])
			pv_text_write(r->ctx, (uint8_t *)lv->batch[k].site + 1,
				      r->new[r->rec[k]] + 1,
				      rec_len(r, r->rec[k]) - 1);
	sync(lv, NULL, NULL);
	sync(lv, write_first_bytes, r);
	/* No trap byte is left, and no CPU is in the handler: each took
	 * the last sync's interrupt after it. */
	__atomic_store_n(&lv->nbatch, 0, __ATOMIC_RELEASE);
}

/*
 * Before retry (round) >= 1: a CPU was stopped inside a deferred site, and
 * another sync at once could catch it where it was (under TCG, before it
 * ran one instruction). It gets a pause to leave, bounded, doubling with
 * each retry, up to a short cap: a long pause lets more interrupts land
 * inside sites meanwhile. The switch gives up once its pauses reach
 * PV_LIVE_WAIT_BUDGET. Without a clock (the host tests) there is nothing
 * to wait for, and PV_LIVE_MAX_ROUNDS is the bound.
 */
static uint64_t wait_to_leave(struct pv_live *lv, unsigned round)
{
	unsigned shift = round - 1 < 16 ? round - 1 : 16;
	uint64_t pause = PV_LIVE_WAIT_FIRST << shift, t0, t;

	if (!lv->clock)
		return 0;
	if (pause > PV_LIVE_WAIT_MAX)
		pause = PV_LIVE_WAIT_MAX;
	t0 = lv->clock();
	do {
		__builtin_ia32_pause();
		t = lv->clock();
	} while (t - t0 < pause);
	lv->stats.wait_cycles += t - t0;
	return t - t0;
}

/* One run, its cycles counted as a first run or as a retry. */
static void timed_run(struct pv_live *lv, struct run *r, unsigned round)
{
	uint64_t t0 = lv->clock ? lv->clock() : 0;

	trap_run(lv, r);
	if (lv->clock)
		*(round ? &lv->stats.retry_cycles : &lv->stats.trap_cycles) +=
		    lv->clock() - t0;
}

static void toggle_write(struct pv_live *lv, const struct pv_patch_ctx *ctx,
			 uint8_t *site, const uint8_t *new, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		pv_text_write(ctx, site + i, new + i, 1);
		for (volatile unsigned d = 0; d < lv->toggle_delay; d++)
			;
	}
}

int pv_live_switch(struct pv_live *lv, const struct pv_patch_ctx *ctx,
		   unsigned variant)
{
	static struct run r;
	bool pending[PV_LIVE_MAX_RECORDS] = {false};
	uintptr_t ool[PV_LIVE_MAX_RECORDS];
	unsigned left = 0, i, round = 0;
	uint64_t waited = 0;
	const struct pv_patch_site *rec;

	if (variant >= PV_LIVE_VARIANTS)
		return -PV_EINVAL;
	lv->stats.switches++;
	r.lv = lv;
	r.ctx = ctx;
	r.nsingle = 0;
	/* Plan every op site from its original bytes, once; sort them. */
	for (rec = lv->begin, i = 0; rec < lv->end; rec++, i++) {
		uint8_t *site = pv_site_addr(rec), *buf = r.new[i];
		unsigned len = rec->instr_len;
		enum pv_action act;
		uint64_t *word;
		int e;

		if (rec->kind != PV_KIND_OP)
			continue;
		e = pv_plan_site_from(rec, ctx, lv->orig[i], buf, &act);
		if (e < 0)
			return e;
		if (__builtin_memcmp(site, buf, len) == 0)
			continue;
		lv->stats.sites++;
		if (lv->protocol == PV_LIVE_TOGGLE) {
			toggle_write(lv, ctx, site, buf, len);
			continue;
		}
		word = single_word(site, buf, len);
		if (word && one_instruction(site, len)) {
			r.word[r.nsingle] = word;
			r.single[r.nsingle++] = i;
			lv->stats.single_stores++;
			continue;
		}
		e = ool_slot(lv, ctx, variant, i, site, buf, len, &ool[i]);
		if (e < 0)
			return e;
		pending[i] = true;
		left++;
	}
	/* Only single stores: one sync, in which they are made. */
	r.n = 0;
	if (!left && r.nsingle && lv->protocol == PV_LIVE_SAFE)
		sync(lv, begin_run, &r);
	/* The trap-byte protocol for the rest, in runs until none waits;
	 * the single stores go in the first run's first sync. */
	for (round = 0;
	     left && round < PV_LIVE_MAX_ROUNDS && waited < PV_LIVE_WAIT_BUDGET;
	     round++) {
		if (round)
			r.nsingle = 0;
		r.n = 0;
		for (i = 0; i < lv->nrec; i++)
			if (pending[i]) {
				lv->batch[r.n] = (struct pv_live_batch){
				    (uintptr_t)rec_site(&r, i), ool[i]};
				r.deferred[r.n] = false;
				r.rec[r.n++] = i;
			}
		if (round)
			waited += wait_to_leave(lv, round);
		timed_run(lv, &r, round);
		left = 0;
		for (unsigned k = 0; k < r.n; k++) {
			if (r.deferred[k]) {
				lv->stats.deferrals++;
				left++;
			} else {
				lv->stats.trap_sites++;
				pending[r.rec[k]] = false;
			}
		}
	}
	if (round > lv->stats.most_rounds)
		lv->stats.most_rounds = round;
	if (left) {
		lv->stats.given_up += left;
		return -PV_EBUSY;
	}
	if (lv->protocol == PV_LIVE_TOGGLE && ctx->sync_core)
		ctx->sync_core();
	return 0;
}

bool pv_live_trap(struct pv_live *lv, uint64_t *rip)
{
	unsigned n = __atomic_load_n(&lv->nbatch, __ATOMIC_ACQUIRE);
	uint64_t at = lv->trap_byte == PV_LIVE_TRAP_INT3 ? *rip - 1 : *rip;

	/* No look at the byte: by the time the handler runs, the site's new
	 * first byte may be there already, and the copy is right then too. */
	for (unsigned k = 0; k < n; k++)
		if (lv->batch[k].site == at) {
			__atomic_fetch_add(&lv->stats.trap_hits, 1,
					   __ATOMIC_RELAXED);
			*rip = lv->batch[k].ool;
			return true;
		}
	return false;
}

bool pv_live_ool_origin(const struct pv_live *lv, uintptr_t rip,
			uintptr_t *site_rip)
{
	uintptr_t base = (uintptr_t)lv->ool, off, slot;
	unsigned variant, i;

	if (!lv->ool || rip < base ||
	    rip - base >= (uintptr_t)PV_LIVE_VARIANTS * PV_LIVE_MAX_RECORDS *
			      PV_LIVE_OOL_SLOT)
		return false;
	slot = (rip - base) / PV_LIVE_OOL_SLOT;
	off = (rip - base) % PV_LIVE_OOL_SLOT;
	variant = (unsigned)(slot / PV_LIVE_MAX_RECORDS);
	i = (unsigned)(slot % PV_LIVE_MAX_RECORDS);
	if (i >= lv->nrec || !lv->ool_made[variant][i] ||
	    off > lv->begin[i].instr_len)
		return false;
	*site_rip = (uintptr_t)pv_site_addr(&lv->begin[i]) + off;
	return true;
}

int pv_live_verify(const struct pv_live *lv, const struct pv_patch_ctx *ctx)
{
	unsigned i = 0;
	int wrong = 0;

	for (const struct pv_patch_site *rec = lv->begin; rec < lv->end;
	     rec++, i++) {
		uint8_t want[PV_MAX_SITE_LEN];
		enum pv_action act;
		int e;

		if (rec->kind != PV_KIND_OP)
			continue;
		e = pv_plan_site_from(rec, ctx, lv->orig[i], want, &act);
		if (e < 0)
			return e;
		if (__builtin_memcmp(pv_site_addr(rec), want, rec->instr_len))
			wrong++;
	}
	return wrong;
}
