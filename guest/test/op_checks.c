// SPDX-License-Identifier: MIT
/*
 * op_checks.c: what every op of the list must do, in one table that the
 * tests share: the pvops self-test checks each op's site once, the live
 * switching stress test in every round, and test=unwind steps through a
 * site of each. For each op: the state it needs (prepare), the argument
 * it takes (arg, and arg2 for a SET2 op), and the check of its result and
 * effect.
 *
 * An op that reads something (shape GET) needs no entry: by default its
 * site must return what its own native function (pv_native_NAME_fn, the
 * patchlet and ret) returns when called directly, so a new GET op is
 * checked in every backend without anyone writing a check. An op that
 * writes (SET) or only acts (DO) must have an entry below, or every test
 * that runs it fails naming it.
 */
#include "test.h"
#include "pv_backend.h"
#include "pv_ops.h"
#include "x86.h"

#define WAKE_TICK 2000000u /* bus clocks: the tick that ends safe_halt */

typedef uint64_t native_fn(uint64_t arg);

static const char *const native_fns[PV_OP_COUNT] = {
#define OP_NATIVE(name, NAME, contract, shape, bench, batch)                   \
	[PV_OP_##NAME] = pv_native_##name##_fn,
    PV_OP_LIST(OP_NATIVE)
#undef OP_NATIVE
};

static volatile uint64_t touched; /* a mapped address, for flush_tlb_one */

/* The hardware's own RFLAGS and CR3, to judge the ops by (the only
 * privileged reads here: guest/privileged.allow). */
__attribute__((noinline)) static uint64_t op_hw_flags(void)
{
	return hw_read_flags();
}

__attribute__((noinline)) static uint64_t op_hw_cr3(void)
{
	return hw_read_cr3();
}

/* ---- the defaults, by shape ---- */

static bool same_as_native(unsigned op, uint64_t arg, uint64_t result,
			   char *why, size_t len)
{
	uint64_t want = ((native_fn *)(uintptr_t)native_fns[op])(arg);

	if (result != want)
		snprintf(why, len, "returned %#llx, its native sequence %#llx",
			 (unsigned long long)result, (unsigned long long)want);
	return result == want;
}

static bool no_check(unsigned op, uint64_t arg, uint64_t result, char *why,
		     size_t len)
{
	(void)op;
	(void)arg;
	(void)result;
	snprintf(why, len, "no check of its effect in guest/test/op_checks.c");
	return false;
}

/* ---- the ops that need more ---- */

static void irqs_off(void)
{
	pv_irq_disable();
}

static void irqs_on(void)
{
	pv_irq_enable();
}

/* Interrupts off, and a tick due if no timer runs (the stress test's
 * periodic one wakes it there, and must stay periodic: reading its count
 * as 0 between two periods once turned it into a one-shot under KVM, and
 * the workers' ticks stopped). */
static void irqs_off_tick_due(void)
{
	pv_irq_disable();
	if (!apic_timer_armed())
		apic_timer_oneshot(WAKE_TICK);
}

static bool if_is(bool on, char *why, size_t len)
{
	bool ok = !(op_hw_flags() & X86_EFLAGS_IF) == !on;

	if (!ok)
		snprintf(why, len, "left RFLAGS.IF %s", on ? "clear" : "set");
	return ok;
}

static bool if_set_after(unsigned op, uint64_t arg, uint64_t result, char *why,
			 size_t len)
{
	(void)op;
	(void)arg;
	(void)result;
	return if_is(true, why, len);
}

static bool if_clear_after(unsigned op, uint64_t arg, uint64_t result,
			   char *why, size_t len)
{
	(void)op;
	(void)arg;
	(void)result;
	return if_is(false, why, len);
}

/* save_fl: IF as RFLAGS holds it (the contract promises no more). */
static bool if_as_it_is(unsigned op, uint64_t arg, uint64_t result, char *why,
			size_t len)
{
	bool ok = !(result & X86_EFLAGS_IF) == !(op_hw_flags() & X86_EFLAGS_IF);

	(void)op;
	(void)arg;
	if (!ok)
		snprintf(why, len, "returned %#llx, RFLAGS.IF is %s",
			 (unsigned long long)result,
			 op_hw_flags() & X86_EFLAGS_IF ? "set" : "clear");
	return ok;
}

/* restore_fl: the flags as they are, with IF set: it must set IF. (TF
 * stays as it is: test=unwind single-steps through it.) */
static uint64_t flags_with_if(void)
{
	return op_hw_flags() | X86_EFLAGS_IF;
}

static uint64_t current_cr3(void)
{
	return op_hw_cr3();
}

static bool cr3_is_arg(unsigned op, uint64_t arg, uint64_t result, char *why,
		       size_t len)
{
	bool ok = op_hw_cr3() == arg;

	(void)op;
	(void)result;
	if (!ok)
		snprintf(why, len, "CR3 is %#llx, not its argument %#llx",
			 (unsigned long long)op_hw_cr3(),
			 (unsigned long long)arg);
	return ok;
}

static uint64_t mapped_address(void)
{
	return (uintptr_t)&touched;
}

/* flush_tlb_one, wbinvd: nothing to see but that memory is intact. */
static bool memory_intact(unsigned op, uint64_t arg, uint64_t result, char *why,
			  size_t len)
{
	(void)op;
	(void)arg;
	(void)result;
	touched = 0x5a5a;
	if (touched != 0x5a5a)
		snprintf(why, len, "memory changed across it");
	return touched == 0x5a5a;
}

/*
 * set_pte: each CPU writes its own entry of a table no walk uses, with a
 * value that changes every time: odd turns a present entry mapping a page
 * of the image (a frame in RAM, as minivmm requires), even a non-present
 * one whose other bits are arbitrary (no frame is checked there).
 */

TEST_PAGE_TABLE(pte_scratch);
static uint64_t pte_turn[SMP_MAX_CPUS];

static uint64_t pte_slot(void)
{
	unsigned cpu = smp_cpu();

	pte_turn[cpu]++;
	return (uintptr_t)&pte_scratch[cpu];
}

static uint64_t pte_value(void)
{
	uint64_t turn = pte_turn[smp_cpu()];

	if (turn & 1)
		return (uintptr_t)pte_scratch | TEST_PTE_P | TEST_PTE_W |
		       (turn & 0x7f) << 52; /* bits the CPU ignores */
	return turn << 32 | TEST_PTE_W;
}

static bool pte_is_arg2(unsigned op, uint64_t arg, uint64_t result, char *why,
			size_t len)
{
	uint64_t want = pte_value(), got = *(volatile uint64_t *)arg;

	(void)op;
	(void)result;
	if (got != want)
		snprintf(why, len, "the entry at %#llx is %#llx, not %#llx",
			 (unsigned long long)arg, (unsigned long long)got,
			 (unsigned long long)want);
	return got == want;
}

/*
 * The defaults by shape, then the entries of the ops that need more: the
 * later initializer of an op wins (hence -Woverride-init off here).
 */
/* clang-format off */
#define OP_DEFAULT_GET(NAME) [PV_OP_##NAME] = {.check = same_as_native},
#define OP_DEFAULT_SET(NAME) [PV_OP_##NAME] = {.check = no_check},
#define OP_DEFAULT_SET2(NAME) [PV_OP_##NAME] = {.check = no_check},
#define OP_DEFAULT_DO(NAME)  [PV_OP_##NAME] = {.check = no_check},
#define OP_DEFAULT(name, NAME, contract, shape, bench, batch) OP_DEFAULT_##shape(NAME)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const struct op_check op_checks[PV_OP_COUNT] = {
	PV_OP_LIST(OP_DEFAULT)
	[PV_OP_SAVE_FL] = {.check = if_as_it_is},
	[PV_OP_RESTORE_FL] = {irqs_off, flags_with_if, if_set_after},
	[PV_OP_IRQ_DISABLE] = {irqs_on, NULL, if_clear_after},
	[PV_OP_IRQ_ENABLE] = {irqs_off, NULL, if_set_after},
	[PV_OP_SAFE_HALT] = {irqs_off_tick_due, NULL, if_set_after},
	[PV_OP_WRITE_CR3] = {NULL, current_cr3, cr3_is_arg},
	[PV_OP_FLUSH_TLB_ONE] = {NULL, mapped_address, memory_intact},
	[PV_OP_WBINVD] = {NULL, NULL, memory_intact},
	[PV_OP_SET_PTE] = {NULL, pte_slot, pte_is_arg2, pte_value},
};
/* clang-format on */
#pragma GCC diagnostic pop

#undef OP_DEFAULT
#undef OP_DEFAULT_GET
#undef OP_DEFAULT_SET
#undef OP_DEFAULT_SET2
#undef OP_DEFAULT_DO

uint64_t op_check_arg2(unsigned op, uint64_t otherwise)
{
	return op < PV_OP_COUNT && op_checks[op].arg2 ? op_checks[op].arg2()
						      : otherwise;
}

/* Op (op) through its C site here (one per op, patched like all): rax. */
static uint64_t call_site(unsigned op, uint64_t arg)
{
#define OP_CALL_GET(name) return pv_##name();
#define OP_CALL_SET(name)                                                      \
	pv_##name(arg);                                                        \
	return 0;
#define OP_CALL_SET2(name)                                                     \
	pv_##name(arg, op_check_arg2(op, 0));                                  \
	return 0;
#define OP_CALL_DO(name)                                                       \
	pv_##name();                                                           \
	return 0;
#define OP_CALL(name, NAME, contract, shape, bench, batch)                     \
	case PV_OP_##NAME:                                                     \
		OP_CALL_##shape(name)
	switch (op) {
		PV_OP_LIST(OP_CALL)
	default:
		return 0;
	}
#undef OP_CALL
#undef OP_CALL_GET
#undef OP_CALL_SET
#undef OP_CALL_SET2
#undef OP_CALL_DO
}

/* Op (c)'s preparation done: its argument. */
static uint64_t prepared_arg(const struct op_check *c)
{
	if (c->prepare)
		c->prepare();
	return c->arg ? c->arg() : 0;
}

bool op_check_site(unsigned op, char *why, size_t len)
{
	const struct op_check *c = &op_checks[op];
	uint64_t arg = prepared_arg(c), result = call_site(op, arg);
	char what[96];

	if (!c->check(op, arg, result, what, sizeof(what))) {
		snprintf(why, len, "%s (C site): %s", pv_op_name(op), what);
		return false;
	}
	return true;
}

bool op_check_probe(unsigned op, char *why, size_t len)
{
	const struct op_check *c = &op_checks[op];
	uint64_t arg = prepared_arg(c), result = 0;
	uint16_t bad = contract_check(op, arg, op_check_arg2(op, 0), &result);
	char what[96];

	if (bad) {
		snprintf(why, len,
			 "%s changed registers %#x outside its contract %#x",
			 pv_op_name(op), bad, contract_allowed(op));
		return false;
	}
	if (!c->check(op, arg, result, what, sizeof(what))) {
		snprintf(why, len, "%s: %s", pv_op_name(op), what);
		return false;
	}
	return true;
}
