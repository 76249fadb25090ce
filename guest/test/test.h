/* SPDX-License-Identifier: MIT */
/*
 * test.h: what the guest's self-tests, benchmarks and hostile mode
 * (guest/test/) share among themselves, one section per file. The kernel
 * (guest/) includes none of it: these files register their entry points
 * as boot hooks (BOOT_HOOK in guest.h) and their handlers with
 * trap_set_handler().
 */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include "guest.h"

/* ---- test_pages.c: page tables of the tests' own ---- */
#define TEST_PTE_P 0x1ull /* present */
#define TEST_PTE_W 0x2ull /* writable */
/* A page-table page, zero in the image (no clearing needed). */
#define TEST_PAGE_TABLE(name)                                                  \
	static uint64_t name[512]                                              \
	    __attribute__((aligned(4096), section(".data.pagetables")))
/* Entry (slot) of the running root's PML4 points to (pdpt), its entry 0
 * to (pd), its entry 0 to (pt): virtual slot << 39 maps through (pt).
 * Written with set_pte, at once (no lazy section open). */
void test_map_slot(unsigned slot, uint64_t *pdpt, uint64_t *pd, uint64_t *pt);

/* ---- faults.S: instructions that fault on purpose, with labels ---- */
/* Read 8 bytes at (addr); fault_read_insn is the load, fault_read_resume
 * the instruction after it. */
uint64_t fault_read(uint64_t addr);
extern const char fault_read_insn[], fault_read_resume[];
/* Execute ud2 at fault_ud2_insn; fault_ud2_resume follows it. */
void fault_ud2(void);
extern const char fault_ud2_insn[], fault_ud2_resume[];
/* Store (v) at (addr): fault_write_insn is the store. */
void fault_write(uint64_t addr, uint8_t v);
extern const char fault_write_insn[], fault_write_resume[];
/* A ret: where a call into memory that must not run resumes. */
extern const char fault_exec_resume[];

/* ---- bench.c: counting instructions ---- */
/* Run fn(arg) single-stepped: the instructions it executed (#DB traps). */
uint64_t test_step_count(void (*fn)(void *), void *arg);

/* ---- bench_loops.S: single-stepping ---- */
/* Set RFLAGS.TF: every instruction after it raises #DB, until step_off. */
void step_on(void);
void step_off(void);

/* ---- text_test.c: text read-only, data not executable ---- */
/* Check the rights text_protect() gave the image and that text_poke()
 * writes through its alias; calls guest_fail() on the first miss. */
void text_selftest(void);
/* test=textwrite and test=oolwrite: a stray write to text, or to live
 * patching's out-of-line copies, which must end the run with a report. */
void text_stray_write(void);
void ool_stray_write(void);

/* ---- gdb_test.c: test=gdb, for the debugger's tests ---- */
/* Step-through and watch targets, then spin until gdb writes
 * gdb_release (tests/test_gdb.c). */
void gdb_selftest(void);
/* The patched save_fl site gdb steps through; the watched variable; the
 * one gdb writes. Global, so gdb finds them by name. */
unsigned long gdb_save_fl(void);
extern volatile uint64_t gdb_watched;
extern volatile uint32_t gdb_release;

/* ---- test_args.c: a test= word's argument ---- */
/* test=NAME,N: N; (fallback) without ",N". Fails the run if N is no
 * number. */
uint64_t test_count(uint64_t fallback);

/* ---- contract_check.c and contract.S: each op site's register contract */
/* Run op's probe site with (arg), and (arg2) if it is a SET2 op (the
 * others ignore it): the registers it changed outside its contract (0:
 * none), and its rax in (*result) if not NULL. */
uint16_t contract_check(unsigned op, uint64_t arg, uint64_t arg2,
			uint64_t *result);
uint16_t contract_allowed(unsigned op);

/* ---- op_checks.c: what every op of the list must do ---- */
struct op_check {
	void (*prepare)(void); /* the state it needs, or NULL */
	uint64_t (*arg)(void); /* its argument, or NULL: 0 */
	/* True if (result) and the CPU's state after it are right; else
	 * false, with what is wrong in (why). */
	bool (*check)(unsigned op, uint64_t arg, uint64_t result, char *why,
		      size_t len);
	/* A SET2 op's second argument, computed after (arg); else NULL. */
	uint64_t (*arg2)(void);
};

/* By op; a GET op's default is "what its native sequence returns". */
extern const struct op_check op_checks[PV_OP_COUNT];
/* Prepare, then run op's probe site (contract.S) with its argument:
 * true if it kept its register contract and its check passed; else
 * false, with why in (why), naming the op. Any CPU, any time. */
bool op_check_probe(unsigned op, char *why, size_t len);
/* The same through op's C site (pv_NAME(), inline in op_checks.c). */
bool op_check_site(unsigned op, char *why, size_t len);
/* A SET2 op's second argument (op_checks[op].arg2), computed now; for any
 * other op, (otherwise). */
uint64_t op_check_arg2(unsigned op, uint64_t otherwise);

/* ---- lazy_test.c: test=lazyfail ---- */
/* Queue a set_pte minivmm refuses and leave: the flush must end the run. */
void lazy_refused(void);

/* ---- unwind_test.c: test=unwind ---- */
/* Single-step a 3-deep chain around every op's site, unwinding at every
 * instruction; calls guest_fail() on the first wrong chain. */
void unwind_selftest(void);

/* ---- repatch_test.c: test=repatch[,N] ---- */
/* N live switches while the other CPUs run every op; fails the run on
 * the first torn execution. */
void repatch_selftest(void);
/* ---- repatch_irqs.c: NMIs and nested interrupts for test=repatch ---- */
/* Wrap the tick handler (NMIs from workers, a nested handler inside a
 * site) and handle NMIs; before the workers start. */
void repatch_irqs_start(void);
/* Nested handlers waiting inside a site for a sync right now. */
unsigned repatch_irqs_waiting(void);
/* CPU 0, after switch (switches): now and then an NMI to the others. */
void repatch_irqs_poke(uint64_t switches);
/* The tick handler back; NMIs stay handled. */
void repatch_irqs_stop(void);
/* Print what happened; false if a handler saw a wrong result, with
 * "N, in what: why" (N: the CPU) in (why). */
bool repatch_irqs_report(char *why, size_t len);

/* ---- switch_race.c: test=switchrace[,N] ---- */
/* Two CPUs ask for N live switches each at once; fails the run unless
 * one at a time was done and the rest refused, and every site is right. */
void switch_race_selftest(void);

/* The stress test's workers on every other CPU, and their end (which
 * fails the run if one saw a torn execution). */
void repatch_workers_start(void);
void repatch_workers_stop(void);

#endif /* GUEST_TEST_H */
