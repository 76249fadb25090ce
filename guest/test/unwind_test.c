// SPDX-License-Identifier: MIT
/*
 * unwind_test.c: test=unwind. A chain of three functions, uw_level1 ->
 * uw_level2 -> uw_level3, called from uw_driver, where uw_level3 runs one
 * site of every pv op. The driver sets RFLAGS.TF and the whole chain runs
 * one instruction at a time: at every #DB the unwinder walks from the
 * exception frame, and the chain must be exactly the expected one (any
 * callee of uw_level3, the contract probes among them, then uw_level3,
 * uw_level2, uw_level1, uw_driver,
 * down to the end of the stack), each frame with the stack pointer it had
 * when it made its call. The file is built without frame pointers
 * (Makefile), so rsp alone locates each frame and inside a patched site
 * only pvcheck's flattened rows are right: between `pushfq` and `pop rax`
 * the stack is 8 bytes deeper than the compiler thinks.
 */
#include "test.h"
#include "pv_backend.h"
#include "pv_ops.h"
#include "pv_site.h"
#include "x86.h"

#define CHAIN	    4 /* uw_level3, uw_level2, uw_level1, uw_driver */
#define MAX_CALLEES 3 /* contract_check, a probe, the op's function */
#define MAX_FRAMES  32

extern const struct pv_patch_site __pv_patch_start[], __pv_patch_end[];

static void uw_level3(void);
static uint64_t uw_level2(uint64_t x);
static uint64_t uw_level1(uint64_t x);
static void uw_driver(void);

static void (*const chain[CHAIN])(void) = {
    uw_level3,
    (void (*)(void))uw_level2,
    (void (*)(void))uw_level1,
    uw_driver,
};

static struct {
	bool stepping, failed, in_level3;
	char why[192];
	uint64_t
	    frame_rsp[CHAIN]; /* each frame's rsp at its call, once known */
	uint64_t steps, site_starts, inside, deeper, callee_steps;
	uint64_t site_rsp; /* rsp at the start of the last site stepped */
} st;

static volatile uint64_t sink;

/* Which chain function holds (ip): 0..3, or -1. */
static int chain_index(uint64_t ip)
{
	uint64_t start;

	if (!unwind_symbol(ip, &start))
		return -1;
	for (int i = 0; i < CHAIN; i++)
		if (start == (uintptr_t)chain[i])
			return i;
	return -1;
}

static const char *name_of(uint64_t ip)
{
	uint64_t start;
	const char *n = unwind_symbol(ip, &start);

	return n ? n : "?";
}

static void fail(struct trap_frame *f, const char *what, uint64_t ip)
{
	if (!st.failed)
		snprintf(st.why, sizeof(st.why),
			 "at rip %#llx (%s): %s (frame at %#llx, %s)",
			 (unsigned long long)f->rip, name_of(f->rip), what,
			 (unsigned long long)ip, name_of(ip));
	st.failed = true;
	f->rflags &= ~X86_EFLAGS_TF; /* stop stepping: the driver reports it */
}

/* A site of uw_level3 that holds (ip), or NULL. */
static const struct pv_patch_site *site_at(uint64_t ip)
{
	const struct pv_patch_site *r = paravirt_op_site(ip);

	return r && chain_index((uintptr_t)pv_site_addr(r)) == 0 ? r : NULL;
}

static void count_site(const struct trap_frame *f)
{
	const struct pv_patch_site *r = site_at(f->rip);

	if (!r)
		return;
	if (f->rip == (uintptr_t)pv_site_addr(r)) {
		st.site_starts++;
		st.site_rsp = f->rsp;
		return;
	}
	st.inside++;
	if (f->rsp != st.site_rsp)
		st.deeper++; /* e.g. between pushfq and pop rax */
}

/* The whole chain from (f) must be exactly the expected one. */
static void check_chain(struct trap_frame *f)
{
	struct unwind_frame u = {
	    .rip = f->rip, .rsp = f->rsp, .rbp = f->rbp, .exact = true};
	enum unwind_stop s = UNWIND_MORE;
	unsigned n, callees = 0;
	int k = -1;

	for (n = 0; n < MAX_FRAMES; n++) {
		int i = chain_index(u.rip);

		if (k < 0 && i < 0) {
			if (++callees > MAX_CALLEES)
				return fail(f,
					    "too many frames before the chain",
					    u.rip);
		} else if (k < 0) {
			if (callees && i != 0)
				return fail(f,
					    "a callee not called by uw_level3",
					    u.rip);
			k = i;
		} else if (i != ++k) {
			return fail(f, "the wrong function in the chain",
				    u.rip);
		}
		/* A frame that made a call: its rsp is the one it had. */
		if (k >= 0 && !u.exact && st.frame_rsp[k] &&
		    u.rsp != st.frame_rsp[k])
			return fail(f, "a frame's rsp is wrong", u.rip);
		if (k == CHAIN - 1)
			break;
		s = unwind_step(&u);
		if (s != UNWIND_MORE)
			return fail(f, "the unwinder stopped inside the chain",
				    u.rip);
	}
	while (n++ < MAX_FRAMES && (s = unwind_step(&u)) == UNWIND_MORE)
		;
	if (s != UNWIND_END)
		fail(f, "no clean end of stack below the chain", u.rip);
}

/*
 * From the hook itself: up through trap_handler into trap_common, whose
 * row (an UNWIND_HINT) says rbp holds the trap frame, and from that frame
 * into the stepped code: the frame found must be the one the CPU pushed.
 */
static void check_through_trap(struct trap_frame *f)
{
	struct unwind_frame u;
	unsigned n;

	unwind_here(&u);
	for (n = 0; n < 4 && !u.exact; n++)
		if (unwind_step(&u) != UNWIND_MORE)
			return fail(f, "no way out of the #DB handler", u.rip);
	if (!u.exact || u.rip != f->rip || u.rsp != f->rsp)
		fail(f, "the handler's backtrace missed the trap frame", u.rip);
}

static bool on_step(struct trap_frame *f)
{
	int i = chain_index(f->rip);

	if (!st.stepping) { /* in uw_driver before its call */
		if (i != 2)
			return true;
		st.stepping = true;
	} else if (i == CHAIN - 1) { /* back in uw_driver: done */
		f->rflags &= ~X86_EFLAGS_TF;
		return true;
	}
	/* At a chain function's first instruction, its caller's rsp is
	 * known: what the unwinder must find for the caller from now on. */
	if (i >= 0 && f->rip == (uintptr_t)chain[i])
		st.frame_rsp[i + 1] = f->rsp + 8;
	else if (i < 0 && st.in_level3) /* uw_level3 just made a call */
		st.frame_rsp[0] = f->rsp + 8;
	st.in_level3 = i == 0;
	st.steps++;
	if (i < 0)
		st.callee_steps++;
	count_site(f);
	check_chain(f);
	check_through_trap(f);
	return true;
}

/* ---- the chain: no frame pointers, stack frames of their own ---- */

/* Prepare op (op) as op_checks.c says, and give its argument: inline, as
 * a call would make the preparation's callees one frame deeper than the
 * chain allows (MAX_CALLEES). */
static inline uint64_t uw_prepare(unsigned op)
{
	if (op_checks[op].prepare)
		op_checks[op].prepare();
	return op_checks[op].arg ? op_checks[op].arg() : 0;
}

/*
 * One site of every op of the list, in list order, each prepared and
 * given its argument by op_checks.c (safe_halt: a tick due; restore_fl:
 * the flags as they are, TF included, so stepping goes on): a new op is
 * in the chain without a line here. After each site something that is no
 * site: the instruction after irq_enable's sti is never stepped. Then the
 * op's contract probe, through contract_check (built with a frame
 * pointer, so its CFA is rbp): the probe (contract.S) saves rbp and loads
 * a canary into it around its site, and only the rbp saved in the
 * probe's rows leads back into contract_check's frame.
 */
__attribute__((noinline)) static void uw_level3(void)
{
	unsigned long flags = pv_save_fl();
	uint64_t arg;

#define UW_SITE_GET(name, NAME)	 sink += pv_##name();
#define UW_SITE_SET(name, NAME)	 pv_##name(arg);
#define UW_SITE_SET2(name, NAME) pv_##name(arg, op_check_arg2(PV_OP_##NAME, 0));
#define UW_SITE_DO(name, NAME)	 pv_##name();
#define UW_SITE(name, NAME, contract, shape, bench, batch)                     \
	arg = uw_prepare(PV_OP_##NAME);                                        \
	UW_SITE_##shape(name, NAME) sink += arg;                               \
	arg = uw_prepare(PV_OP_##NAME);                                        \
	sink += contract_check(PV_OP_##NAME, arg,                              \
			       op_check_arg2(PV_OP_##NAME, 0), NULL);
	PV_OP_LIST(UW_SITE)
#undef UW_SITE
#undef UW_SITE_GET
#undef UW_SITE_SET
#undef UW_SITE_SET2
#undef UW_SITE_DO
	pv_restore_fl(flags);
}

__attribute__((noinline)) static uint64_t uw_level2(uint64_t x)
{
	volatile uint64_t pad[3] = {x, x + 1, x + 2};

	uw_level3();
	return pad[0] + pad[2];
}

__attribute__((noinline)) static uint64_t uw_level1(uint64_t x)
{
	volatile uint64_t pad[5] = {x, x, x, x, x};
	uint64_t r = uw_level2(pad[1]);

	return r + pad[4];
}

__attribute__((noinline)) static void uw_driver(void)
{
	trap_set_handler(TRAP_DB, on_step);
	step_on();
	sink += uw_level1(sink);
	step_off();
	trap_set_handler(TRAP_DB, NULL);
}

/* The op sites in uw_level3, from the records; every op of the list must
 * have one there, or the run fails naming the op. */
static unsigned level3_sites(void)
{
	unsigned n = 0, per_op[PV_OP_COUNT] = {0};

	for (const struct pv_patch_site *r = __pv_patch_start;
	     r < __pv_patch_end; r++)
		if (r->kind == PV_KIND_OP &&
		    chain_index((uintptr_t)pv_site_addr(r)) == 0) {
			n++;
			if (r->key < PV_OP_COUNT)
				per_op[r->key]++;
		}
	for (unsigned op = 0; op < PV_OP_COUNT; op++)
		if (!per_op[op])
			guest_fail("test=unwind: op %s has no site in the "
				   "chain (uw_level3)",
				   pv_op_name(op));
	return n;
}

/*
 * An interrupt stub's first instruction, stopped there (an NMI there, or
 * an interrupt delivered twice, as nested KVM was seen to do): the CPU's
 * frame at rsp is all there is, and the unwinder must go through it into
 * the interrupted code (the IRET rows of trap_entry.S).
 */
static void check_stub_entry(void)
{
	extern const char irq_stub_ipi[]; /* trap_entry.S */
	volatile uint64_t fr[8] = {(uintptr_t)uw_driver, 0x08, 0x2, 0, 0x10};
	struct unwind_frame u = {.rip = (uintptr_t)irq_stub_ipi,
				 .rsp = (uintptr_t)fr,
				 .rbp = 0x1234,
				 .exact = true};

	fr[3] = (uintptr_t)&fr[7]; /* the interrupted rsp, above */
	if (unwind_step(&u) != UNWIND_MORE || u.rip != (uintptr_t)uw_driver ||
	    u.rsp != (uintptr_t)&fr[7] || u.rbp != 0x1234 || !u.exact)
		guest_fail("test=unwind: no way through an interrupt stub's "
			   "entry (at %#llx, rsp %#llx)",
			   (unsigned long long)u.rip,
			   (unsigned long long)u.rsp);
}

void unwind_selftest(void)
{
	bool native = paravirt_mode() == PV_MODE_NATIVE;
	unsigned sites = level3_sites();

	check_stub_entry();
	uw_driver();
	if (st.failed)
		guest_fail("test=unwind: %s", st.why);
	/* Every site's start was a step (safe_halt's is the last one
	 * before the tick; see docs/unwind.md). */
	if (!st.stepping || sites < PV_OP_COUNT || st.site_starts != sites)
		guest_fail("test=unwind: stepped %llu site starts of %u",
			   (unsigned long long)st.site_starts, sites);
	/* Native patchlets such as save_fl's stop inside their site with a
	 * deeper stack: the case the flattened rows exist for. */
	if (native && !st.deeper)
		guest_fail("test=unwind: no step inside a site with the stack "
			   "moved; the patchlets were not stepped");
	printf("unwind: mode %s: %llu instruction boundaries unwound: %llu "
	       "site starts, %llu inside sites (%llu with rsp moved), %llu in "
	       "callees; every chain exact, and through a stub's entry\n",
	       pv_mode_name(paravirt_mode()), (unsigned long long)st.steps,
	       (unsigned long long)st.site_starts,
	       (unsigned long long)st.inside, (unsigned long long)st.deeper,
	       (unsigned long long)st.callee_steps);
}
