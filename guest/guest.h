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

#include "pv_backend.h" /* enum pv_mode */
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
/* The same with no pv op on the way: interrupts must already be off. */
void console_write_raw(const char *s, size_t n);

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

/* ---- lazy_cpu.c: lazy mode's per-CPU queues (pvops/lazy.h) ---- */
struct pv_lazy;
void lazy_init(void);
/* CPU (cpu)'s queue, for its statistics. */
const struct pv_lazy *lazy_queue(unsigned cpu);

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

/* ---- text_poke.c: text read-only, and the one way to write it ---- */

/* Map the image with its parts' rights (text read-only, data not
 * executable) and set up the poking alias. Once, on the boot CPU. */
void text_protect(void);
/*
 * Write (len) bytes of kernel text or out-of-line copies at (dst)
 * through the poking alias. A 1-byte write and an aligned 8-byte write
 * are one store each (what live patching's single stores need). One
 * CPU at a time: the boot CPU, or pv_switch's lock holder.
 */
void text_poke(void *dst, const void *src, size_t len);
/* Whether (a) lies in a part of the image mapped read-only. */
bool text_is_protected(uintptr_t a);
/* Why a page fault with (error) at (cr2) hit protected text or the
 * alias, for the report; NULL if it is no such fault. */
const char *text_fault_why(uint64_t error, uint64_t cr2);
/* The alias's address (mapped only inside text_poke). */
uintptr_t text_poke_alias(void);

/* ---- traps.c and trap_entry.S: the IDT and the handler table ---- */

struct pv_patch_ctx;

#define TRAP_DB	 1  /* debug: a single step */
#define TRAP_NMI 2  /* non-maskable interrupt */
#define TRAP_BP	 3  /* int3 */
#define TRAP_UD	 6  /* invalid opcode */
#define TRAP_PF	 14 /* page fault */

/* What the NASM stubs push, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/*
 * A vector's handler: true if it dealt with the event (the interrupted
 * code resumes from the frame, which it may change), false to treat it
 * as unexpected: fatal unless trap_expect() announced it.
 */
typedef bool (*trap_fn)(struct trap_frame *f);

void traps_init(void);
/* On an AP: load the same IDT. */
void traps_init_ap(void);
/* Handle (vector) with (fn) on every CPU from now on (NULL: nobody);
 * returns the handler it replaces. */
trap_fn trap_set_handler(unsigned vector, trap_fn fn);
/*
 * Expect one exception (vector) next: the handler records it with cr2,
 * resumes at (resume) and returns instead of failing the run.
 * trap_taken() then reports whether and where it came.
 */
void trap_expect(unsigned vector, const void *resume);
bool trap_taken(struct trap_frame *out, uint64_t *cr2);
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
#define APIC_ICR_NMI	      0x4400  /* NMI, level assert (no vector) */
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
/* A tick will come: the timer is periodic, or a one-shot still counts. */
bool apic_timer_armed(void);
bool apic_timer_expired(void);
uint64_t apic_ticks(void);

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
/* The mode chosen at boot, or by the last live switch. */
enum pv_mode paravirt_mode(void);
void paravirt_set_mode(enum pv_mode mode); /* after a live switch */
/* The engine context that patched the guest, for the self-tests. */
const struct pv_patch_ctx *paravirt_ctx(void);
/* The op record (.pv_patch) whose site holds (ip), or NULL. */
const struct pv_patch_site *paravirt_op_site(uint64_t ip);
/* Strictly inside an op site: past its first instruction's start. */
bool paravirt_inside_op_site(uint64_t ip);
/* The backend serving sites that call through (table), or NULL. */
const struct pv_backend *paravirt_backend(const void *table);
/* Serve sites that call through be->table too: before paravirt_init(),
 * at most PARAVIRT_EXTRA_BACKENDS (the benchmark's tables). */
#define PARAVIRT_EXTRA_BACKENDS 5
struct pv_backend;
void paravirt_add_backend(const struct pv_backend *be);
/* Patch the records [begin, end) as paravirt_init() patched the
 * kernel's, with the same backends; 0 or a negative PV_E* code. */
struct pv_patch_stats;
int paravirt_patch(const struct pv_patch_site *begin,
		   const struct pv_patch_site *end, struct pv_patch_stats *out);

/* ---- pvswitch.c: switching the pv backend at run time ---- */
struct pv_patch_site;
struct pv_live_stats;
/* Keep the records' original bytes and handle the trap byte (#UD, #BP);
 * before boot patching. */
void pvswitch_init(void);
/* Switch every pv-op site to (mode) while other CPUs run them; 0, or a
 * negative PV_E* code: -PV_EAGAIN if another CPU's switch is in progress,
 * -PV_EBUSY if a site stayed occupied. Any CPU, interrupts on; not from
 * an interrupt handler. */
int pv_switch(enum pv_mode mode);
/* Op sites not holding what the current mode's backend plans (0: every
 * one does), or a negative PV_E* code. */
int pv_switch_verify(void);
const struct pv_live_stats *pvswitch_stats(void);
/* Count the cycles of each way of writing (make bench). */
void pvswitch_clock(uint64_t (*clock)(void));
const char *pvswitch_trap_name(void);

/* ---- acpi.c: the CPUs the firmware describes ---- */
/* The APIC IDs of the enabled CPUs in the MADT under RSDP (rsdp), at most
 * (max); 0 if there is no valid MADT. */
unsigned acpi_cpus(uint64_t rsdp, uint32_t *apic_ids, unsigned max);

/* ---- percpu.c: each CPU's own data, through GS ---- */
struct percpu {
	struct percpu *self; /* GS base points here */
	unsigned cpu;	     /* 0 = the BSP */
	uint32_t apic_id;
	volatile bool online;
	void (*volatile work)(void *arg); /* for an AP: run this, then idle */
	void *work_arg;
	/* traps.c: fatal exceptions being reported, and the first one */
	unsigned fatal;
	const struct trap_frame *fatal_frame;
	volatile bool parked; /* smp.c: stopped in a rendezvous */
};

unsigned smp_ncpus(void); /* online */
unsigned smp_cpu(void);	  /* this CPU's number */
/* CPU (cpu)'s data, or NULL if it is not online. */
struct percpu *smp_percpu(unsigned cpu);
/* CPU (cpu)'s data while it is brought up (smp.c); NULL past the max. */
struct percpu *percpu_slot(unsigned cpu);
/* On CPU (cpu): point GS at its data. */
void percpu_init(unsigned cpu);
/* (n) CPUs are online, numbered 0 to n - 1. */
void percpu_set_online(unsigned n);

/* ---- smp.c and ap_boot.S: the other CPUs ---- */
struct hvm_start_info;
/* Start every CPU of the MADT (not with `nosmp`); print how many. */
void smp_init(const struct hvm_start_info *si);
/* Rendezvous IPIs that found no rendezvous new to their CPU. */
uint64_t smp_spurious_ipis(void);
/* Stacks the rendezvous recorded so far, and those cut short (whose
 * rendezvous then said incomplete: every site counts as occupied). */
void smp_stacks_recorded(uint64_t *recorded, uint64_t *incomplete);
/* Where the first stack cut short stopped: the frame the unwinder could
 * not step from, and why (an enum unwind_stop). */
struct unwind_frame;
void smp_first_cut(struct unwind_frame *at, int *why);
/* The most bytes of its stack CPU (cpu) has used so far. */
size_t smp_stack_high_water(unsigned cpu);
/* Rendezvous begun so far (it grows as each one opens). */
uint64_t smp_rendezvous_count(void);
/* Run fn(arg) on AP (cpu), which must be idle. */
void smp_run_on(unsigned cpu, void (*fn)(void *), void *arg);
/* Wait for AP (cpu)'s work to end, giving up after (cycles) of TSC:
 * false if it is still busy. */
bool smp_wait_for(unsigned cpu, uint64_t cycles);
/*
 * The rendezvous: stop every other CPU in an IPI handler, interrupts off;
 * each records every rip it will return to (rips, up to max: complete is
 * false if more did not fit, or if a CPU's stack could not be unwound to
 * its end); this CPU records its own stack too; call parked() while they
 * wait; release
 * them, each executes a serialising instruction. Returns when all left.
 * Only one CPU at a time may start one.
 */
void smp_rendezvous(uintptr_t *rips, unsigned max,
		    void (*parked)(void *arg, const uintptr_t *rips, unsigned n,
				   bool complete),
		    void *arg);

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
/* A copy of image code at (rip): the image address (*at) whose unwind
 * rule holds there, and true; false if (rip) is no copy. */
typedef bool unwind_alias_fn(uint64_t rip, uint64_t *at);
/* The one alias (live patching's out-of-line copies); NULL: none. */
void unwind_set_alias(unwind_alias_fn *fn);
/* The name of the function holding (ip) and its start; NULL if none. */
const char *unwind_symbol(uint64_t ip, uint64_t *start);
/* Print the caller chain from (f), symbolized, one frame a line. */
void unwind_print(const struct unwind_frame *f);
/* The frame of unwind_here()'s caller, at its return address. */
void unwind_here(struct unwind_frame *f);

/* ---- main.c: the stages of boot, and the hooks that run at each ---- */
enum boot_stage {
	BOOT_CMDLINE,  /* the command line only: no console yet */
	BOOT_TRAPS,    /* console and exceptions; no APIC, one CPU */
	BOOT_PREPATCH, /* every CPU up; the sites not patched yet */
	BOOT_READY,    /* patched: the self-tests, the benchmarks */
};

struct boot_hook {
	enum boot_stage stage;
	unsigned order; /* within the stage, lowest first: below 100 */
	void (*fn)(const struct hvm_start_info *si);
};

/*
 * Run fn(si) at (stage), in (order) among that stage's hooks. The code a
 * hook belongs to registers it (the self-tests, the benchmarks, the
 * hostile guest); main.c knows none of them. Each decides from the
 * command line whether it has work.
 */
#define BOOT_HOOK_ORDERS 100
#define BOOT_HOOK(stage_, order_, fn_)                                         \
	static const struct boot_hook boot_hook_##fn_                          \
	    __attribute__((used, section(".boot_hooks"), aligned(8))) = {      \
		.stage = (stage_), .order = (order_), .fn = (fn_)};            \
	_Static_assert((order_) < BOOT_HOOK_ORDERS, "boot hook order")

#endif /* GUEST_H */
