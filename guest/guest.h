/* SPDX-License-Identifier: MIT */
/*
 * guest.h: the tiny guest kernel's internal interfaces, one section per
 * file. Freestanding: no libc, only the compiler's own headers.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smp.h"

#define NORETURN	  __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* ---- string.c: the mem and str functions the compiler may call ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* ---- console.c: the console: minivmm's hypercall, or the 16550 ---- */
/* After cmdline_init(): console=uart forces the UART on minivmm too. */
void console_init(void);
void console_putc(char c);
void console_write(const char *s, size_t n);

/* ---- printf.c: formatted output to the console ---- */
/* Supports %c %s %d %i %u %x %p %%, flags 0 - #, a width, l/ll/z. */
int printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int vprintf(const char *fmt, va_list ap);
/* Format into (buf, size), always NUL-terminated; returns the length. */
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* ---- cmdline.c: the command line from start_info ---- */
/* Remember the NUL-terminated command line at (s), or "" if NULL. */
void cmdline_init(const char *s);
const char *cmdline_get(void);
/* True if the word (name) or "name=..." appears on the command line. */
bool cmdline_has(const char *name);
/*
 * The value of "name=value": returns its length and sets (*val), or -1
 * if absent. The value runs to the next space.
 */
int cmdline_value(const char *name, const char **val);
/* True if "name=value" is on the command line with exactly (value). */
bool cmdline_is(const char *name, const char *value);
/* "name=N" with N decimal (at most 19 digits): true and (*out) = N. */
bool cmdline_number(const char *name, uint64_t *out);

/* ---- hypervisor.c: who runs us ---- */
enum guest_hv { HV_NONE, HV_MINIVMM, HV_KVM, HV_OTHER };

struct guest_hv_info {
	enum guest_hv kind;
	char signature[13]; /* CPUID 0x40000000 ebx:ecx:edx, NUL-ended */
	uint32_t features;  /* minivmm: CPUID 0x40000001.eax */
	uint16_t hypercall_port;
	uint32_t abi_version;
};

/* Probe CPUID once; later calls return the same answer. */
const struct guest_hv_info *hv_detect(void);
const char *hv_name(const struct guest_hv_info *hv);
/* True on minivmm with its port-I/O hypercalls. */
bool hv_has_hypercalls(void);

/* ---- hypercall.c: calling minivmm ---- */
/* Hypercall (nr) with arguments (a0, a1); rax back. Only on minivmm. */
uint64_t hv_hypercall(uint32_t nr, uint64_t a0, uint64_t a1);

/* ---- result.c: the one RESULT line, and leaving ---- */
/*
 * End the run with (status): the exit hypercall on minivmm, otherwise
 * QEMU's isa-debug-exit with MINIVMM_DEBUG_EXIT_BASE | status.
 */
NORETURN void guest_exit(int status);
/* Print "RESULT: fail <reason>" and leave with status 1. */
NORETURN void guest_fail(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Print "RESULT: pass" and leave with status 0. */
NORETURN void guest_pass(void);

/* ---- traps.c and trap_entry.S: the IDT and exception handlers ---- */

struct pv_patch_ctx;

/* What the NASM stubs push, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void traps_init(void);
/* On an AP: load the same IDT. */
void traps_init_ap(void);
/*
 * Expect one exception (vector) next: the handler records it with cr2,
 * resumes at (resume) and returns instead of failing the run.
 * trap_taken() then reports whether and where it came.
 */
void trap_expect(unsigned vector, const void *resume);
bool trap_taken(struct trap_frame *out, uint64_t *cr2);
/* While (counter) is set, each single-step #DB increments it and resumes. */
void trap_count_steps(volatile uint64_t *counter);
/* While (hook) is set, each single-step #DB calls it, then resumes at the
 * frame's rip with the frame's rflags (the hook may clear TF). */
void trap_on_step(void (*hook)(struct trap_frame *f));

/* ---- faults.S: instructions that fault on purpose, with labels ---- */
/* Read 8 bytes at (addr); fault_read_insn is the load, fault_read_resume
 * the instruction after it. */
uint64_t fault_read(uint64_t addr);
extern const char fault_read_insn[], fault_read_resume[];
/* Execute ud2 at fault_ud2_insn; fault_ud2_resume follows it. */
void fault_ud2(void);
extern const char fault_ud2_insn[], fault_ud2_resume[];
/* Called by the stubs in trap_entry.S. */
void trap_handler(struct trap_frame *f);

/* ---- apic.c: the local APIC and its timer ---- */
#define APIC_TIMER_VECTOR    0x40
#define APIC_SPURIOUS_VECTOR 0xff

/*
 * Enable the LAPIC and, if (has_pic), mask the 8259 PIC; false if there
 * is no usable APIC. minivmm has no PIC (its ports are not decoded).
 */
bool apic_init(bool has_pic);
/* On an AP: enable its APIC as apic_init() did the BSP's. */
void apic_init_ap(void);
/* This CPU's APIC ID. */
uint32_t apic_id(void);
/* Write the ICR: (icr) to APIC (dest); waits until it is sent. */
void apic_send(uint32_t dest, uint32_t icr);
#define APIC_ICR_INIT	      0x4500  /* INIT, level assert */
#define APIC_ICR_SIPI	      0x4600  /* | the start page number */
#define APIC_ICR_FIXED	      0x4000  /* | vector, level assert */
#define APIC_ICR_ALL_BUT_SELF 0xc0000 /* destination shorthand */
/* Arm the timer to fire every (count) bus clocks; stop it. */
void apic_timer_periodic(uint32_t count);
void apic_timer_stop(void);
void apic_eoi(void);
/* Interrupt (vector) is pending in this CPU's APIC (its IRR bit). */
bool apic_irr(unsigned vector);
/* Arm the timer to fire once after (count) bus clocks (divide by 1). */
void apic_timer_oneshot(uint32_t count);
/* True once the armed count has run down (the tick is then pending). */
bool apic_timer_expired(void);
uint64_t apic_ticks(void);
/* The timer's interrupt handler: count, EOI. */
void apic_timer_irq(void);

/* ---- tsc.S: timestamps ---- */
/* The TSC after all earlier instructions (lfence; rdtsc). */
uint64_t tsc_start(void);
/* The same, and no later instruction starts before it (a feature
 * alternative: rdtscp; lfence where the CPU has RDTSCP). */
uint64_t tsc_end(void);

/* ---- cpufeatures.c: CPUID words for feature alternatives ---- */
/* Fill (words) (PV_FW_COUNT of them, pv_feature.h) from CPUID. */
void cpu_features_read(uint32_t *words);

/* ---- paravirt.c: choosing the backend and patching, at boot ---- */
/*
 * Pick the backend (pvops= on the command line, else hypercall on
 * minivmm and native elsewhere), patch every site, print the summary.
 * Fails the run if any record is refused.
 */
void paravirt_init(void);
/* The mode chosen, as enum pv_mode (pvops/pv_backend.h). */
int paravirt_mode(void);
void paravirt_set_mode(int mode); /* after a live switch (pvswitch.c) */
/* The engine context that patched the guest, for the self-tests. */
const struct pv_patch_ctx *paravirt_ctx(void);
/* The op record (.pv_patch) whose site holds (ip), or NULL. */
const struct pv_patch_site *paravirt_op_site(uint64_t ip);
/* The backend serving sites that call through (table), or NULL. */
const struct pv_backend *paravirt_backend(const void *table);

/* ---- pvops_test.c: the pvops self-tests ---- */
/* Every op's effect, the register contract, the patched bytes. */
void pvops_selftest(void);

/* ---- bench.c and bench_loops.S: the benchmark (`bench` on the cmdline) ----
 */
struct pv_backend;
/* Fill the benchmark's tables; write their backends to (be), return how
 * many (at most BENCH_BACKENDS). Before patching. */
#define BENCH_BACKENDS 5
unsigned bench_backends(struct pv_backend *be);
/* Measure every op on every path; print BENCH lines. */
void bench_run(void);
/* Make (n) null hypercalls as fast as possible (minivmm only). */
void bench_null_hypercalls(uint64_t n);

/* ---- hostile.c: the guest against minivmm (hostile=SEED,COUNT[,END]) ---- */
/* If hostile= is on the command line: run it and end the run; else return. */
void hostile_run(void);

/* ---- pvswitch.c: switching the pv backend at run time ---- */
struct pv_patch_site;
struct pv_live_stats;
/* Keep the records' original bytes; before boot patching. */
void pvswitch_init(const struct pv_patch_site *begin,
		   const struct pv_patch_site *end);
/* Switch every pv-op site to (mode), an enum pv_mode, while other CPUs
 * run them; 0, or a negative PV_E* code. */
int pv_switch(int mode);
/* From the #UD and #BP handlers: true if (f) met a site under patching
 * and now resumes out of line. */
bool pvswitch_trap(struct trap_frame *f);
const struct pv_live_stats *pvswitch_stats(void);
/* Count the cycles of each way of writing (make bench). */
void pvswitch_clock(uint64_t (*clock)(void));
const char *pvswitch_trap_name(void);

/* ---- contract_check.c: the register contract of each op's site ---- */
/* Run op's probe site with (arg): the registers it changed outside its
 * contract (0: none), and its rax in (*result) if not NULL. */
uint16_t contract_check(unsigned op, uint64_t arg, uint64_t *result);
uint16_t contract_allowed(unsigned op);

/* ---- acpi.c: the CPUs the firmware describes ---- */
/* The APIC IDs of the enabled CPUs in the MADT under RSDP (rsdp), at most
 * (max); 0 if there is no valid MADT. */
unsigned acpi_cpus(uint64_t rsdp, uint32_t *apic_ids, unsigned max);

/* ---- smp.c: the other CPUs ---- */
struct percpu {
	struct percpu *self; /* GS base points here */
	unsigned cpu;	     /* 0 = the BSP */
	uint32_t apic_id;
	volatile bool online;
	void (*volatile work)(void *arg); /* for an AP: run this, then idle */
	void *work_arg;
};

struct hvm_start_info;
/* Start every CPU of the MADT (not with `nosmp`); print how many. */
void smp_init(const struct hvm_start_info *si);
unsigned smp_ncpus(void);
/* Rendezvous IPIs that found no rendezvous new to their CPU. */
uint64_t smp_spurious_ipis(void);
unsigned smp_cpu(void); /* this CPU's number */
struct percpu *smp_percpu(unsigned cpu);
/* Run fn(arg) on AP (cpu), which must be idle. */
void smp_run_on(unsigned cpu, void (*fn)(void *), void *arg);
/* Wait for AP (cpu)'s work to end, giving up after (cycles) of TSC:
 * false if it is still busy. */
bool smp_wait_for(unsigned cpu, uint64_t cycles);
/*
 * The rendezvous: stop every other CPU in an IPI handler, interrupts off;
 * each records every rip it will return to (rips, up to max: complete is
 * false if more did not fit); call parked() while they wait; release
 * them, each executes a serialising instruction. Returns when all left.
 * Only one CPU at a time may start one.
 */
void smp_rendezvous(uintptr_t *rips, unsigned max,
		    void (*parked)(void *arg, const uintptr_t *rips, unsigned n,
				   bool complete),
		    void *arg);
/* The rendezvous IPI's handler (traps.c). */
void smp_ipi(struct trap_frame *f);

/* ---- bench_loops.S: single-stepping ---- */
/* Set RFLAGS.TF: every instruction after it raises #DB, until step_off. */
void step_on(void);
void step_off(void);

/* ---- unwind.c: the caller chain, from pvcheck's table ---- */
struct unwind_frame {
	uint64_t rip, rsp, rbp;
	bool exact; /* rip is where the code stopped (an exception), not a
		       return address */
};

enum unwind_stop {
	UNWIND_MORE,	  /* stepped to the caller */
	UNWIND_END,	  /* the bottom of the stack: a complete chain */
	UNWIND_NO_INFO,	  /* the table says nothing about this rip */
	UNWIND_BAD_FRAME, /* the rule points off the stack, or not upward */
};

/* Step (f) to its caller's frame. */
enum unwind_stop unwind_step(struct unwind_frame *f);
/* The name of the function holding (ip) and its start; NULL if none. */
const char *unwind_symbol(uint64_t ip, uint64_t *start);
/* Print the caller chain from (f), symbolized, one frame a line. */
void unwind_print(const struct unwind_frame *f);
/* The frame of unwind_here()'s caller, at its return address. */
void unwind_here(struct unwind_frame *f);

/* ---- unwind_test.c: test=unwind ---- */
/* Single-step a 3-deep chain around every op's site, unwinding at every
 * instruction; calls guest_fail() on the first wrong chain. */
void unwind_selftest(void);

/* ---- repatch_test.c: test=repatch[,N] ---- */
/* N live switches while the other CPUs run every op; fails the run on
 * the first torn execution. */
void repatch_selftest(void);
/* The stress test's workers on every other CPU, and their end (which
 * fails the run if one saw a torn execution). */
void repatch_workers_start(void);
void repatch_workers_stop(void);

/* ---- switch_bench.c: bench.switch ---- */
/* The costs of live switching, as BENCH lines; two CPUs or more. */
void switch_bench_run(void);
/* The benchmark's ping IPI: answer it (traps.c). */
void switch_bench_pong(void);

/* ---- selftest.c: checks run at every boot ---- */
/* Run the self-tests; calls guest_fail() on the first failure. */
void selftest_run(const void *start_info);
/* The forced failures (test=ud2, test=spin, ...); returns if none. */
void selftest_forced(void);

#endif /* GUEST_H */
