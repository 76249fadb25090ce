// SPDX-License-Identifier: MIT
/*
 * test_lazy.c: lazy mode's engine (pvops/lazy.c) on the host, against
 * minivmm's own hypercall handlers (vmm/hypercall.c) as its VMM: the
 * queue and its flushes, every flush rule, and the interleavings a
 * handler on the same CPU can cause (a flush inside a flush, before and
 * after the exit; a handler between or inside appends, as a live switch's
 * rendezvous; entries recounted after a handler's flush), each op run
 * exactly once and in order.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lazy.h"
#include "vmm.h"

#define TABLE 0x3000 /* a page-table page in guest memory */

/* Guest memory, with the queue in it: its address is its gpa. */
static union {
	uint8_t bytes[64 * 4096];
	struct {
		uint8_t low[0x8000];
		struct pv_lazy q;
	};
} guest __attribute__((aligned(4096)));
static const struct vmm_mem mem = {.host = guest.bytes,
				   .size = sizeof(guest.bytes)};
static struct kvm_regs regs;
static struct kvm_sregs sregs;
static uint64_t counts[MINIVMM_HC_COUNT]; /* entries run, by number */
static unsigned exits, failures;
static uint64_t failed_done;
/* Run once, inside the next hypercall: before or after minivmm. */
static void (*inject_before)(void), (*inject_after)(void);

static struct pv_lazy *queue(void)
{
	return &guest.q;
}

static uint64_t hypercall(uint32_t nr, uint64_t a0, uint64_t a1)
{
	struct vmm_hc hc = {.nr = nr,
			    .regs = &regs,
			    .sregs = &sregs,
			    .mem = &mem,
			    .mc_counts = counts};
	void (*before)(void) = inject_before, (*after)(void) = inject_after;

	inject_before = inject_after = NULL;
	if (before)
		before();
	regs.rdi = a0;
	regs.rsi = a1;
	exits++;
	vmm_hypercall(&hc);
	if (after)
		after();
	return regs.rax;
}

static uint64_t gpa(const void *p)
{
	return (uint64_t)((const uint8_t *)p - guest.bytes);
}

static void failed(const struct pv_lazy *q, uint64_t done)
{
	(void)q;
	failures++;
	failed_done = done;
}

static void setup(void)
{
	static const struct pv_lazy_env env = {
	    .queue = queue,
	    .hypercall = hypercall,
	    .gpa = gpa,
	    .failed = failed,
	};

	memset(&guest, 0, sizeof(guest));
	memset(counts, 0, sizeof(counts));
	regs = (struct kvm_regs){0};
	sregs = (struct kvm_sregs){.cr3 = 0x5000};
	exits = failures = 0;
	inject_before = inject_after = NULL;
	pv_lazy_cpus = 0;
	pv_lazy_init(&env);
}

TestSuite(lazy, .init = setup);

static uint64_t pte(unsigned i)
{
	uint64_t v;

	memcpy(&v, guest.bytes + TABLE + 8 * i, sizeof(v));
	return v;
}

/* What a hypercall stub does for set_pte while some CPU is lazy. */
static void set_pte(unsigned i, uint64_t v)
{
	cr_assert_eq(pv_lazy_hypercall(MINIVMM_HC_SET_PTE, TABLE + 8 * i, v),
		     0);
}

static uint64_t ran(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < MINIVMM_HC_COUNT; i++)
		n += counts[i];
	return n;
}

Test(lazy, a_section_leaves_the_guest_once)
{
	pv_lazy_enter();
	cr_assert_eq(pv_lazy_cpus, 1);
	for (unsigned i = 0; i < 10; i++)
		set_pte(i, 0x5003 + 0x1000 * (i % 4));
	cr_assert_eq(exits, 0, "an op left the guest inside the section");
	cr_assert_eq(pte(0), 0, "an entry was written before the flush");
	pv_lazy_leave();
	cr_assert_eq(pv_lazy_cpus, 0);
	cr_assert_eq(exits, 1);
	cr_assert_eq(ran(), 10);
	for (unsigned i = 0; i < 10; i++)
		cr_assert_eq(pte(i), 0x5003 + 0x1000 * (i % 4));
	cr_assert_eq(guest.q.n, 0);
	cr_assert_eq(guest.q.flushes[PV_LAZY_LEAVE], 1);
	cr_assert_eq(guest.q.queued, 10);
}

Test(lazy, outside_a_section_every_op_runs_at_once)
{
	set_pte(0, 0x5003);
	cr_assert_eq(exits, 1);
	cr_assert_eq(pte(0), 0x5003);
	cr_assert_eq(guest.q.queued, 0);
}

Test(lazy, a_full_queue_is_flushed_before_the_next_entry)
{
	pv_lazy_enter();
	for (unsigned i = 0; i < PV_LAZY_MAX; i++)
		set_pte(i % 8, 0x5003 | (uint64_t)i << 52);
	cr_assert_eq(exits, 0);
	set_pte(0, 0x6003);
	cr_assert_eq(exits, 1, "the full queue left once");
	cr_assert_eq(guest.q.n, 1);
	cr_assert_eq(pte(0), 0x5003 | (uint64_t)56 << 52);
	pv_lazy_leave();
	cr_assert_eq(pte(0), 0x6003);
	cr_assert_eq(ran(), PV_LAZY_MAX + 1);
	cr_assert_eq(guest.q.flushes[PV_LAZY_FULL], 1);
}

/* read_cr3 after a queued write_cr3 sees the new root. */
Test(lazy, a_nobatch_op_flushes_first)
{
	pv_lazy_enter();
	cr_assert_eq(pv_lazy_hypercall(MINIVMM_HC_WRITE_CR3, 0x7000, 0), 0);
	cr_assert_eq(sregs.cr3, 0x5000);
	cr_assert_eq(pv_lazy_hypercall(MINIVMM_HC_READ_CR3, 0, 0), 0x7000);
	cr_assert_eq(exits, 2);
	cr_assert_eq(guest.q.flushes[PV_LAZY_NOBATCH], 1);
	pv_lazy_leave();
	cr_assert_eq(exits, 2, "an empty queue left the guest");
}

Test(lazy, a_handler_flushes_on_entry_and_runs_its_ops_at_once)
{
	pv_lazy_enter();
	set_pte(0, 0x5003);
	pv_lazy_handler_enter();
	cr_assert_eq(pte(0), 0x5003, "the handler saw the queued entry");
	set_pte(1, 0x6003);
	cr_assert_eq(pte(1), 0x6003, "a handler's op waited");
	pv_lazy_handler_exit();
	set_pte(2, 0x7003); /* the first append after a handler: at once */
	cr_assert_eq(pte(2), 0x7003);
	set_pte(3, 0x8003);
	cr_assert_eq(pte(3), 0, "not lazy again after the handler");
	pv_lazy_leave();
	cr_assert_eq(pte(3), 0x8003);
	cr_assert_eq(guest.q.flushes[PV_LAZY_HANDLER], 1);
}

static void handler(void)
{
	pv_lazy_handler_enter();
	pv_lazy_handler_exit();
}

/* A handler's flush before the flush's own exit: each entry runs once. */
Test(lazy, a_flush_interrupted_before_its_exit_runs_each_entry_once)
{
	pv_lazy_enter();
	for (unsigned i = 0; i < 5; i++)
		set_pte(i, 0x5003);
	inject_before = handler;
	pv_lazy_leave();
	cr_assert_eq(ran(), 5, "%llu entries ran", (unsigned long long)ran());
	cr_assert_eq(exits, 2);
	cr_assert_eq(failures, 0);
	cr_assert_eq(guest.q.n, 0);
}

/* ... and after it, before the queue is emptied. */
Test(lazy, a_flush_interrupted_after_its_exit_runs_each_entry_once)
{
	pv_lazy_enter();
	for (unsigned i = 0; i < 5; i++)
		set_pte(i, 0x5003 + 0x1000 * i);
	inject_after = handler;
	pv_lazy_leave();
	cr_assert_eq(ran(), 5);
	cr_assert_eq(failures, 0);
	cr_assert_eq(exits, 1, "the handler made a MULTICALL for nothing");
	cr_assert_eq(guest.q.n, 0);
	for (unsigned i = 0; i < 5; i++)
		cr_assert_eq(pte(i), 0x5003 + 0x1000 * i);
}

/* An append whose count a handler's flush reset writes it back: the
 * entries counted again were run, and are skipped. */
Test(lazy, entries_counted_again_after_a_handlers_flush_are_skipped)
{
	pv_lazy_enter();
	set_pte(0, 0x5003);
	set_pte(1, 0x6003);
	handler();     /* runs both, empties the queue */
	guest.q.n = 2; /* as the interrupted append writes n + 1 back */
	set_pte(0, 0x7003);
	pv_lazy_leave();
	cr_assert_eq(pte(0), 0x7003, "an old entry ran again after the new");
	cr_assert_eq(pte(1), 0x6003);
	cr_assert_eq(ran(), 3);
}

/* A handler between two appends (a live switch's rendezvous, perhaps,
 * with the second op already in its stub): the second entry is flushed
 * before its op returns, so no op waits while another backend may run the
 * next ones. */
Test(lazy, an_append_after_a_handler_is_flushed_at_once)
{
	pv_lazy_enter();
	set_pte(0, 0x5003);
	handler();
	cr_assert_eq(pte(0), 0x5003, "the handler did not flush");
	set_pte(1, 0x6003);
	cr_assert_eq(pte(1), 0x6003, "the entry waited past the handler");
	cr_assert_eq(guest.q.flushes[PV_LAZY_SYNC], 1);
	set_pte(2, 0x7003);
	cr_assert_eq(pte(2), 0, "the mark was not cleared");
	pv_lazy_leave();
	cr_assert_eq(ran(), 3);
}

/* A handler inside an append (here, in its full queue's flush). */
Test(lazy, an_append_interrupted_by_a_handler_is_flushed_at_once)
{
	pv_lazy_enter();
	for (unsigned i = 0; i < PV_LAZY_MAX; i++)
		set_pte(i % 8, 0x5003);
	inject_before = handler;
	set_pte(9, 0x6003);
	cr_assert_eq(pte(9), 0x6003, "the entry waited past the handler");
	cr_assert_eq(guest.q.n, 0);
	pv_lazy_leave();
	cr_assert_eq(ran(), PV_LAZY_MAX + 1);
	cr_assert_eq(failures, 0);
}

/* A handler before a section is no reason to flush inside it. */
Test(lazy, a_handler_before_a_section_does_not_disturb_it)
{
	handler();
	pv_lazy_enter();
	set_pte(0, 0x5003);
	cr_assert_eq(pte(0), 0, "the first entry left at once");
	pv_lazy_leave();
	cr_assert_eq(exits, 1);
}

Test(lazy, sections_nest_and_each_leave_flushes)
{
	pv_lazy_enter();
	pv_lazy_enter();
	set_pte(0, 0x5003);
	pv_lazy_leave();
	cr_assert_eq(pte(0), 0x5003);
	cr_assert_eq(pv_lazy_cpus, 1, "the inner leave ended the section");
	set_pte(1, 0x6003);
	cr_assert_eq(pte(1), 0);
	pv_lazy_leave();
	cr_assert_eq(pte(1), 0x6003);
	cr_assert_eq(pv_lazy_cpus, 0);
	pv_lazy_leave(); /* one too many: nothing */
	cr_assert_eq(pv_lazy_cpus, 0);
}

/* A refused entry is reported with its index; the ones before it stay. */
Test(lazy, a_refused_entry_is_reported)
{
	pv_lazy_enter();
	set_pte(0, 0x5003);
	set_pte(1, (1ull << 51) | 1);
	set_pte(2, 0x6003);
	pv_lazy_leave();
	cr_assert_eq(failures, 1);
	cr_assert_eq(failed_done, 1);
	cr_assert_eq(guest.q.e[1].result, MINIVMM_EINVAL);
	cr_assert_eq(pte(0), 0x5003);
	cr_assert_eq(pte(2), 0);
}

/* A full queue whose flush was refused (a kernel whose report returns)
 * is not written past its end: the next op runs at once. */
Test(lazy, a_full_queue_whose_flush_failed_is_not_overrun)
{
	pv_lazy_enter();
	set_pte(0, (1ull << 51) | 1);
	for (unsigned i = 1; i < PV_LAZY_MAX; i++)
		set_pte(1, 0x5003);
	set_pte(2, 0x6003);
	cr_assert_eq(failures, 1);
	cr_assert_eq(guest.q.n, PV_LAZY_MAX);
	cr_assert_eq(pte(2), 0x6003, "the op after the refusal waited");
}

/* Only BATCH ops queue: every other number runs at once. */
Test(lazy, only_batch_ops_are_queued)
{
	pv_lazy_enter();
	cr_assert_eq(pv_lazy_hypercall(MINIVMM_HC_FLUSH_TLB_ONE, 0x1000, 0), 0);
	cr_assert_eq(exits, 0);
	cr_assert_eq(pv_lazy_hypercall(MINIVMM_HC_SAVE_FL, 0, 0), regs.rflags);
	cr_assert_eq(exits, 2, "save_fl: the flush and the call");
	cr_assert_eq(pv_lazy_hypercall(MINIVMM_HC_COUNT + 5, 0, 0),
		     MINIVMM_ENOSYS);
	cr_assert_eq(exits, 3);
	pv_lazy_leave();
	cr_assert_eq(guest.q.queued, 1);
}
