// SPDX-License-Identifier: MIT
/*
 * traps.c: the IDT, and a table of handlers, one per vector, that the
 * rest of the kernel fills (trap_set_handler): the APIC's timer, the
 * SMP IPIs, live patching's #UD and #BP. traps.c knows none of them. A
 * vector nobody handles is fatal: print the vector, error code, rip and
 * cr2 (read through the pv op) and the backtrace of the interrupted code
 * (unwind.c), and fail the run; an exception during that report ends the
 * run at once (trap_fatal_nested). A self-test may announce one exception it
 * provokes on purpose (trap_expect); that one is recorded and resumed
 * instead.
 */
#include "guest.h"
#include "lazy.h"
#include "pv_ops.h"
#include "x86.h"

#define IDT_VECTORS    256
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define SEL_CODE64     0x08 /* entry.S */

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

static const char *trap_name(const struct trap_frame *f)
{
	return f->vector < 32 ? trap_names[f->vector] : "irq";
}

/* Written before the events they handle can come; read in handlers. */
static trap_fn handlers[IDT_VECTORS];

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

trap_fn trap_set_handler(unsigned vector, trap_fn fn)
{
	trap_fn old = handlers[vector % IDT_VECTORS];

	__atomic_store_n(&handlers[vector % IDT_VECTORS], fn, __ATOMIC_RELEASE);
	return old;
}

/*
 * An exception while this CPU reports one: the report's own path broke
 * (a console or cr2 site a torn live patch left half-written, a wrecked
 * stack). Printing through it again would fault again, each time a frame
 * deeper, until the stack ran over whatever lies below it. Say it once
 * with no pv op and no unwinding, and end the run; a fault in that too
 * ends it silently.
 */
static NORETURN void trap_fatal_nested(const struct trap_frame *f,
				       const struct percpu *me)
{
	const struct trap_frame *first = me->fatal_frame;
	char line[240];
	int n;

	if (me->fatal == 2) {
		n = snprintf(line, sizeof(line),
			     "exception %llu (%s) error %#llx at rip %#llx, "
			     "CPU %u, while reporting exception %llu (%s) at "
			     "rip %#llx\nRESULT: fail exception while "
			     "reporting an exception\n",
			     (unsigned long long)f->vector, trap_name(f),
			     (unsigned long long)f->error,
			     (unsigned long long)f->rip, me->cpu,
			     (unsigned long long)first->vector,
			     trap_name(first), (unsigned long long)first->rip);
		console_write_raw(line, (size_t)n < sizeof(line)
					    ? (size_t)n
					    : sizeof(line) - 1);
	}
	guest_exit(1);
}

static void trap_dispatch(struct trap_frame *f)
{
	struct unwind_frame from = {
	    .rip = f->rip, .rsp = f->rsp, .rbp = f->rbp, .exact = true};
	trap_fn fn = __atomic_load_n(&handlers[f->vector % IDT_VECTORS],
				     __ATOMIC_ACQUIRE);
	struct percpu *me;
	const char *why;
	uint64_t cr2;

	if (fn && fn(f))
		return;
	if (expect.armed && f->vector == expect.vector) {
		expect.armed = false;
		expect.taken = true;
		expect.frame = *f;
		expect.cr2 = pv_read_cr2();
		f->rip = expect.resume;
		return;
	}
	me = percpu_slot(smp_cpu());
	if (++me->fatal > 1)
		trap_fatal_nested(f, me);
	me->fatal_frame = f;
	cr2 = pv_read_cr2();
	printf("exception %llu (%s) error %#llx at rip %#llx, cr2 %#llx, "
	       "rsp %#llx, CPU %u\n",
	       (unsigned long long)f->vector, trap_name(f),
	       (unsigned long long)f->error, (unsigned long long)f->rip,
	       (unsigned long long)cr2, (unsigned long long)f->rsp, smp_cpu());
	why = f->vector == TRAP_PF ? text_fault_why(f->error, cr2) : NULL;
	if (why)
		printf("  %s (cr2 %#llx)\n", why, (unsigned long long)cr2);
	unwind_print(&from);
	guest_fail("exception %s at rip %#llx", trap_name(f),
		   (unsigned long long)f->rip);
}

/*
 * Every vector comes here from trap_entry.S. Lazy mode is flushed and
 * paused around the handler (pvops/lazy.h): what the interrupted code
 * queued is done before the handler reads anything, and the handler's
 * own ops run at once. Except a single-step #DB (TF set in the stepped
 * code): stepping watches code run, one trap per instruction, and must
 * not turn every queued op into an exit of its own.
 */
void trap_handler(struct trap_frame *f)
{
	bool step = f->vector == TRAP_DB && (f->rflags & X86_EFLAGS_TF);

	if (!step)
		pv_lazy_handler_enter();
	trap_dispatch(f);
	if (!step)
		pv_lazy_handler_exit();
}
