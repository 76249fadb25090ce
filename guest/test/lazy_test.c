// SPDX-License-Identifier: MIT
/*
 * lazy_test.c: the boot self-test of lazy mode (pvops/lazy.h), every edge
 * of its rule, in every mode and both VMMs. Under hypercall the BATCH ops
 * of a lazy section must wait in the queue (an entry read as memory still
 * holds its old value) and leave in one MULTICALL per full queue; a
 * NOBATCH op, a handler, a full queue, pv_lazy_flush() and the leave must
 * each flush first, and a handler's own ops run at once. Under native and
 * unpatched, nothing is ever queued: each op is done when it returns.
 * test=lazyfail queues an entry minivmm refuses: the flush must end the
 * run naming it.
 */
#include "test.h"
#include "lazy.h"
#include "pv_backend.h"
#include "x86.h"

#define LAZY_VA (2ull << 39) /* PML4 slot 2: this test's own mappings */
#define PAGES	4
#define MAGIC	0x1a2f00000000000ull

/* The tables that map LAZY_VA, and the frames they map. */
TEST_PAGE_TABLE(lazy_pdpt);
TEST_PAGE_TABLE(lazy_pd);
TEST_PAGE_TABLE(lazy_pt);
TEST_PAGE_TABLE(lazy_root);
static uint64_t frames[PAGES][512] __attribute__((aligned(4096)));

static bool batching; /* hypercall mode: BATCH ops wait in the queue */

/* The hardware's own CR3, to judge the section by (privileged.allow). */
__attribute__((noinline)) static uint64_t lazy_hw_cr3(void)
{
	return hw_read_cr3();
}

static const struct pv_lazy *q(void)
{
	return pv_lazy_this();
}

static uint64_t entry(unsigned i)
{
	return *(volatile uint64_t *)&lazy_pt[i];
}

static uint64_t maps(unsigned frame)
{
	return (uintptr_t)frames[frame] | TEST_PTE_P | TEST_PTE_W;
}

static uint64_t at(unsigned page)
{
	return *(volatile uint64_t *)(LAZY_VA + page * 4096ull);
}

/* Entry (i) must be (want) now if the op ran at once, or still (before)
 * while it waits in the queue. */
static void expect_waiting(const char *what, unsigned i, uint64_t before,
			   uint64_t want)
{
	uint64_t got = entry(i), now = batching ? before : want;

	if (got != now)
		guest_fail("lazy: %s: entry %u is %#llx, want %#llx (%s)", what,
			   i, (unsigned long long)got, (unsigned long long)now,
			   batching ? "queued" : "done at once");
}

static void expect_done(const char *what, unsigned i, uint64_t want)
{
	if (entry(i) != want)
		guest_fail("lazy: %s: entry %u is %#llx, want %#llx", what, i,
			   (unsigned long long)entry(i),
			   (unsigned long long)want);
}

static void expect_flushes(const char *what, enum pv_lazy_why why,
			   uint64_t before, uint64_t more)
{
	uint64_t got = q()->flushes[why] - before, want = batching ? more : 0;

	if (got != want)
		guest_fail("lazy: %s: %llu flushes, want %llu", what,
			   (unsigned long long)got, (unsigned long long)want);
}

/* PML4 slot 2 of the running root maps LAZY_VA: set once, at once. */
static void map_slot(void)
{
	for (unsigned i = 0; i < PAGES; i++)
		frames[i][0] = MAGIC + i;
	test_map_slot(2, lazy_pdpt, lazy_pd, lazy_pt);
}

/* Map, leave, touch, unmap: the queue holds them until the leave. */
static void check_section(void)
{
	uint64_t leaves = q()->flushes[PV_LAZY_LEAVE], calls = q()->multicalls;

	pv_lazy_enter();
	for (unsigned i = 0; i < PAGES; i++) {
		pv_set_pte((uintptr_t)&lazy_pt[i], maps(PAGES - 1 - i));
		pv_flush_tlb_one(LAZY_VA + i * 4096ull);
		expect_waiting("set_pte in a section", i, 0,
			       maps(PAGES - 1 - i));
	}
	pv_lazy_leave();
	expect_flushes("leave", PV_LAZY_LEAVE, leaves, 1);
	if (batching && q()->multicalls - calls != 1)
		guest_fail("lazy: %u maps and flushes left in %llu "
			   "MULTICALLs, not one",
			   PAGES,
			   (unsigned long long)(q()->multicalls - calls));
	for (unsigned i = 0; i < PAGES; i++)
		if (at(i) != MAGIC + PAGES - 1 - i)
			guest_fail("lazy: page %u reads %#llx after the leave",
				   i, (unsigned long long)at(i));
	pv_lazy_enter();
	for (unsigned i = 0; i < PAGES; i++) {
		pv_set_pte((uintptr_t)&lazy_pt[i], 0);
		pv_flush_tlb_one(LAZY_VA + i * 4096ull);
	}
	pv_lazy_leave();
	for (unsigned i = 0; i < PAGES; i++)
		expect_done("unmapped", i, 0);
}

/* A NOBATCH op flushes first: save_fl after a set_pte, read_cr3 after a
 * write_cr3 of another root (the same kernel mappings). */
static void check_nobatch(void)
{
	uint64_t before = q()->flushes[PV_LAZY_NOBATCH];
	uint64_t *root = (uint64_t *)(pv_read_cr3() & ~0xfffull), old, got;

	pv_lazy_enter();
	pv_set_pte((uintptr_t)&lazy_pt[0], maps(0));
	expect_waiting("set_pte before save_fl", 0, 0, maps(0));
	(void)pv_save_fl();
	expect_done("save_fl after set_pte", 0, maps(0));
	expect_flushes("save_fl", PV_LAZY_NOBATCH, before, 1);

	old = pv_read_cr3();
	for (unsigned i = 0; i < 512; i++)
		lazy_root[i] = root[i];
	pv_write_cr3((uintptr_t)lazy_root);
	got = pv_read_cr3();
	if (got != (uintptr_t)lazy_root)
		guest_fail("lazy: read_cr3 after a queued write_cr3 gave "
			   "%#llx, want %#llx",
			   (unsigned long long)got,
			   (unsigned long long)(uintptr_t)lazy_root);
	pv_write_cr3(old);
	pv_set_pte((uintptr_t)&lazy_pt[0], 0);
	pv_flush_tlb_one(LAZY_VA);
	pv_lazy_leave();
	got = lazy_hw_cr3();
	if (got != old)
		guest_fail("lazy: CR3 is %#llx after the section, want %#llx",
			   (unsigned long long)got, (unsigned long long)old);
	expect_flushes("save_fl and read_cr3", PV_LAZY_NOBATCH, before, 2);
}

/* A full queue is flushed before the next entry: PV_LAZY_MAX + 1. */
static void check_full(void)
{
	uint64_t before = q()->flushes[PV_LAZY_FULL];

	pv_lazy_enter();
	for (unsigned i = 0; i <= PV_LAZY_MAX; i++)
		pv_set_pte((uintptr_t)&lazy_pt[i % 2], maps(i % PAGES));
	expect_flushes("a full queue", PV_LAZY_FULL, before, 1);
	/* the last op (i = PV_LAZY_MAX, entry 0) waits alone; the one before
	 * it on entry 0 left with the full queue */
	expect_waiting("the entry after a full queue", 0,
		       maps((PV_LAZY_MAX - 2) % PAGES),
		       maps(PV_LAZY_MAX % PAGES));
	pv_lazy_leave();
	expect_done("after the leave", 0, maps(PV_LAZY_MAX % PAGES));
	pv_lazy_enter();
	pv_set_pte((uintptr_t)&lazy_pt[0], 0);
	pv_set_pte((uintptr_t)&lazy_pt[1], 0);
	pv_lazy_leave();
}

/*
 * A handler starts with the queue flushed, and its own ops run at once
 * though its CPU is in a lazy section. The #UD of fault_ud2 is the
 * handler's occasion.
 */
static volatile uint64_t seen_in_handler, set_in_handler;

static bool on_ud(struct trap_frame *f)
{
	if (f->rip != (uintptr_t)fault_ud2_insn)
		return false;
	seen_in_handler = entry(0);
	pv_set_pte((uintptr_t)&lazy_pt[1], maps(1));
	set_in_handler = entry(1);
	f->rip = (uintptr_t)fault_ud2_resume;
	return true;
}

static void check_handler(void)
{
	uint64_t before = q()->flushes[PV_LAZY_HANDLER];
	trap_fn old = trap_set_handler(TRAP_UD, on_ud);

	pv_lazy_enter();
	pv_set_pte((uintptr_t)&lazy_pt[0], maps(0));
	fault_ud2();
	trap_set_handler(TRAP_UD, old);
	if (seen_in_handler != maps(0))
		guest_fail("lazy: the handler saw entry 0 as %#llx: the queue "
			   "was not flushed on entry",
			   (unsigned long long)seen_in_handler);
	if (set_in_handler != maps(1))
		guest_fail("lazy: a set_pte in a handler waited (%#llx)",
			   (unsigned long long)set_in_handler);
	expect_flushes("a handler", PV_LAZY_HANDLER, before, 1);
	pv_set_pte((uintptr_t)&lazy_pt[0], 0);
	pv_set_pte((uintptr_t)&lazy_pt[1], 0);
	pv_lazy_leave();
}

/* pv_lazy_flush() on demand; and sections nest: each leave flushes, the
 * outermost ends the section. */
static void check_flush_and_nesting(void)
{
	uint64_t asked = q()->flushes[PV_LAZY_ASKED];

	pv_lazy_enter();
	pv_set_pte((uintptr_t)&lazy_pt[0], maps(2));
	pv_lazy_flush();
	expect_done("pv_lazy_flush", 0, maps(2));
	expect_flushes("pv_lazy_flush", PV_LAZY_ASKED, asked, 1);
	pv_lazy_enter();
	pv_set_pte((uintptr_t)&lazy_pt[0], maps(3));
	pv_lazy_leave();
	expect_done("an inner leave", 0, maps(3));
	pv_set_pte((uintptr_t)&lazy_pt[0], 0);
	expect_waiting("after an inner leave", 0, maps(3), 0);
	pv_lazy_leave();
	expect_done("the outer leave", 0, 0);
	if (q()->depth)
		guest_fail("lazy: depth %u after the outermost leave",
			   q()->depth);
}

static void lazy_selftest(const struct hvm_start_info *si)
{
	uint64_t queued = q()->queued, calls = q()->multicalls;

	unsigned long flags = pv_irq_save(); /* no tick flushes a queue */

	(void)si;
	batching = paravirt_mode() == PV_MODE_HYPERCALL;
	map_slot();
	check_section();
	check_nobatch();
	check_full();
	check_handler();
	check_flush_and_nesting();
	if (!batching && q()->queued != queued)
		guest_fail("lazy: %s queued %llu ops",
			   pv_mode_name(paravirt_mode()),
			   (unsigned long long)(q()->queued - queued));
	pv_restore_fl(flags);
	printf("selftest: lazy %s: sections, leave, full queue, NOBATCH "
	       "ops, handlers, flush, nesting: ok (%llu ops queued, %llu "
	       "MULTICALLs)\n",
	       pv_mode_name(paravirt_mode()),
	       (unsigned long long)(q()->queued - queued),
	       (unsigned long long)(q()->multicalls - calls));
}
BOOT_HOOK(BOOT_READY, 35, lazy_selftest);

/* test=lazyfail: a queued set_pte whose frame lies past guest memory. */
void lazy_refused(void)
{
	if (paravirt_mode() != PV_MODE_HYPERCALL)
		guest_fail("test=lazyfail needs pvops=hypercall");
	pv_lazy_enter();
	pv_set_pte((uintptr_t)&lazy_pt[0], maps(0));
	pv_set_pte((uintptr_t)&lazy_pt[1], (1ull << 51) | TEST_PTE_P);
	pv_lazy_leave();
	guest_fail("test=lazyfail: the refused entry went unnoticed");
}
