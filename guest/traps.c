// SPDX-License-Identifier: MIT
/*
 * traps.c: the IDT and what happens on an exception: print the vector,
 * error code, rip and cr2 (read through the pv op) and the backtrace of
 * the interrupted code (unwind.c), and fail the run. A
 * self-test may announce one exception it provokes on purpose
 * (trap_expect); that one is recorded and resumed instead. Interrupts go
 * to their handlers.
 */
#include "guest.h"
#include "pv_ops.h"

#define IDT_VECTORS    256
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define SEL_CODE64     0x08 /* entry.S */
#define VEC_DB	       1
#define VEC_BP	       3
#define VEC_UD	       6

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t trap_stubs[32]; /* trap_entry.S */
extern const char irq_stub_timer[], irq_stub_spurious[], irq_stub_ipi[],
    irq_stub_kick[], irq_stub_ping[];

/* In .data, not .bss: zero in the image, so boot need not clear it. */
static struct idt_gate idt[IDT_VECTORS]
    __attribute__((aligned(16), section(".data"))) = {{0}};

static const char *const trap_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static volatile uint64_t *step_counter;
static void (*step_hook)(struct trap_frame *f);

static struct {
	bool armed, taken;
	unsigned vector;
	uint64_t resume, cr2;
	struct trap_frame frame;
} expect;

static void set_gate(unsigned vector, uint64_t handler)
{
	idt[vector] = (struct idt_gate){
	    .offset_lo = (uint16_t)handler,
	    .selector = SEL_CODE64,
	    .type = GATE_INTERRUPT,
	    .offset_mid = (uint16_t)(handler >> 16),
	    .offset_hi = (uint32_t)(handler >> 32),
	};
}

void traps_init(void)
{
	struct idt_ptr p = {.limit = sizeof(idt) - 1, .base = (uintptr_t)idt};

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, trap_stubs[v]);
	set_gate(APIC_TIMER_VECTOR, (uintptr_t)irq_stub_timer);
	set_gate(APIC_SPURIOUS_VECTOR, (uintptr_t)irq_stub_spurious);
	set_gate(SMP_IPI_VECTOR, (uintptr_t)irq_stub_ipi);
	set_gate(SMP_KICK_VECTOR, (uintptr_t)irq_stub_kick);
	set_gate(SMP_PING_VECTOR, (uintptr_t)irq_stub_ping);
	__asm__ volatile("lidt %0" : : "m"(p));
}

void traps_init_ap(void)
{
	struct idt_ptr p = {.limit = sizeof(idt) - 1, .base = (uintptr_t)idt};

	__asm__ volatile("lidt %0" : : "m"(p));
}

void trap_expect(unsigned vector, const void *resume)
{
	expect.armed = true;
	expect.taken = false;
	expect.vector = vector;
	expect.resume = (uintptr_t)resume;
}

bool trap_taken(struct trap_frame *out, uint64_t *cr2)
{
	expect.armed = false;
	if (expect.taken && out)
		*out = expect.frame;
	if (expect.taken && cr2)
		*cr2 = expect.cr2;
	return expect.taken;
}

void trap_count_steps(volatile uint64_t *counter)
{
	step_counter = counter;
}

void trap_on_step(void (*hook)(struct trap_frame *f))
{
	step_hook = hook;
}

void trap_handler(struct trap_frame *f)
{
	struct unwind_frame from = {
	    .rip = f->rip, .rsp = f->rsp, .rbp = f->rbp, .exact = true};
	uint64_t cr2;

	/* A CPU at a site under live patching: out of line (pvswitch.c). */
	if ((f->vector == VEC_UD || f->vector == VEC_BP) && pvswitch_trap(f))
		return;
	if (f->vector == VEC_DB && step_hook) {
		step_hook(f);
		return;
	}
	if (f->vector == VEC_DB && step_counter) {
		(*step_counter)++; /* RFLAGS.TF stays set in the frame */
		return;
	}
	if (f->vector == APIC_TIMER_VECTOR) {
		apic_timer_irq();
		return;
	}
	if (f->vector == APIC_SPURIOUS_VECTOR)
		return; /* no EOI for a spurious interrupt */
	if (f->vector == SMP_IPI_VECTOR) {
		smp_ipi(f);
		return;
	}
	if (f->vector == SMP_PING_VECTOR) {
		switch_bench_pong();
		return;
	}
	if (f->vector == SMP_KICK_VECTOR) {
		apic_eoi(); /* it woke the CPU: that was all */
		return;
	}
	cr2 = pv_read_cr2();
	if (expect.armed && f->vector == expect.vector) {
		expect.armed = false;
		expect.taken = true;
		expect.frame = *f;
		expect.cr2 = cr2;
		f->rip = expect.resume;
		return;
	}
	printf("exception %llu (%s) error %#llx at rip %#llx, cr2 %#llx, "
	       "rsp %#llx, CPU %u\n",
	       (unsigned long long)f->vector,
	       f->vector < 32 ? trap_names[f->vector] : "irq",
	       (unsigned long long)f->error, (unsigned long long)f->rip,
	       (unsigned long long)cr2, (unsigned long long)f->rsp, smp_cpu());
	unwind_print(&from);
	guest_fail("exception %s at rip %#llx",
		   f->vector < 32 ? trap_names[f->vector] : "irq",
		   (unsigned long long)f->rip);
}
