// SPDX-License-Identifier: MIT
/*
 * text_test.c: what text_protect() and text_poke() (guest/text_poke.c)
 * promise, checked at every boot: a write to text, to the read-only data
 * or to the out-of-line copies faults, data does not execute, the poking
 * alias is mapped only inside text_poke, and a poke lands. And the two
 * stray writes test=textwrite and test=oolwrite, which must end the run
 * with traps.c's report saying what was hit.
 */
#include "test.h"

extern char __text_end[], __pv_ool_start[]; /* guest.ld */
extern char text_test_target[];		    /* contract.S: 8 nops, ret */

static const char ro_probe[8] = "ro data";
static uint8_t data_probe[16] __attribute__((aligned(16)));

/* A write to (a) is refused with a protection fault at (a), and the byte
 * stays what it was. */
static void expect_write_fault(const void *a, const char *what)
{
	uint8_t before = *(const volatile uint8_t *)a;
	struct trap_frame f;
	uint64_t cr2 = 0;

	trap_expect(TRAP_PF, fault_write_resume);
	fault_write((uintptr_t)a, (uint8_t)~before);
	if (!trap_taken(&f, &cr2))
		guest_fail("text: a write to %s at %p did not fault", what, a);
	if (cr2 != (uintptr_t)a || (f.error & 3) != 3 ||
	    f.rip != (uintptr_t)fault_write_insn)
		guest_fail("text: the write to %s at %p faulted with error "
			   "%#llx, cr2 %#llx, rip %#llx: want a write to a "
			   "present page from fault_write",
			   what, a, (unsigned long long)f.error,
			   (unsigned long long)cr2, (unsigned long long)f.rip);
	if (*(const volatile uint8_t *)a != before)
		guest_fail("text: the refused write to %s changed it", what);
	if (!text_fault_why(f.error, cr2))
		guest_fail("text: the report would not say %s is protected",
			   what);
}

static void check_no_exec(void)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)data_probe;
	struct trap_frame f;
	uint64_t cr2 = 0;

	data_probe[0] = 0xc3; /* ret: it would simply return if it ran */
	trap_expect(TRAP_PF, fault_exec_resume);
	fn();
	if (!trap_taken(&f, &cr2))
		guest_fail("text: code in data at %p ran", (void *)data_probe);
	if (cr2 != (uintptr_t)data_probe || !(f.error & 0x10))
		guest_fail("text: running data faulted with error %#llx at "
			   "%#llx, want an instruction fetch at %p",
			   (unsigned long long)f.error, (unsigned long long)cr2,
			   (void *)data_probe);
}

static void check_poke(void)
{
	static const uint8_t nops[8] = {0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0};
	uint8_t old[8];
	struct trap_frame f;
	uint64_t cr2 = 0;

	memcpy(old, text_test_target, sizeof(old));
	text_poke(text_test_target, nops, sizeof(nops));
	if (memcmp(text_test_target, nops, sizeof(nops)) != 0)
		guest_fail("text: text_poke's bytes did not land");
	text_poke(text_test_target, old, sizeof(old));
	trap_expect(TRAP_PF, fault_read_resume);
	fault_read(text_poke_alias());
	if (!trap_taken(&f, &cr2) || cr2 != text_poke_alias())
		guest_fail("text: the poking alias %#llx is mapped outside "
			   "text_poke",
			   (unsigned long long)text_poke_alias());
}

void text_selftest(void)
{
	expect_write_fault(text_selftest, "text");
	expect_write_fault(ro_probe, "read-only data");
	expect_write_fault(__pv_ool_start, "the out-of-line copies");
	if (!text_is_protected((uintptr_t)__text_end - 1) ||
	    text_is_protected((uintptr_t)data_probe))
		guest_fail("text: text_is_protected disagrees with the map");
	check_no_exec();
	check_poke();
}

void text_stray_write(void)
{
	printf("test=textwrite: writing to text at %p\n",
	       (const void *)text_test_target);
	*(volatile char *)text_test_target = (char)0xcc;
	guest_fail("test=textwrite: the write to text did not fault");
}

void ool_stray_write(void)
{
	printf("test=oolwrite: writing to the out-of-line copies at %p\n",
	       (void *)__pv_ool_start);
	*(volatile uint8_t *)__pv_ool_start = 0xcc;
	guest_fail("test=oolwrite: the write to the copies did not fault");
}
