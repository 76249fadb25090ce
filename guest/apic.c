// SPDX-License-Identifier: MIT
/*
 * apic.c: the local APIC, in xAPIC (MMIO) mode: enable it (on every CPU),
 * mask the legacy PIC where there is one, so nothing else interrupts, run
 * its timer one-shot or periodic, and send IPIs (INIT, SIPI, fixed
 * vectors). The tick handler counts ticks; the pvops self-tests use it to
 * see interrupts being held off and delivered.
 */
#include "guest.h"
#include "x86.h"

#define MSR_APIC_BASE	    0x1b
#define APIC_BASE_ENABLE    (1u << 11)
#define APIC_BASE_ADDR_MASK 0xfffff000ull

#define APIC_ID		   0x020
#define APIC_TPR	   0x080
#define APIC_EOI	   0x0b0
#define APIC_SVR	   0x0f0
#define APIC_IRR	   0x200
#define APIC_ICR_LOW	   0x300
#define APIC_ICR_HIGH	   0x310
#define APIC_LVT_TIMER	   0x320
#define APIC_LVT_LINT0	   0x350
#define APIC_LVT_LINT1	   0x360
#define APIC_TIMER_INIT	   0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE  0x3e0

#define APIC_SVR_ENABLE	  0x100
#define APIC_LVT_MASKED	  0x10000
#define APIC_LVT_PERIODIC 0x20000
#define APIC_ICR_PENDING  0x1000 /* delivery status: send pending */
#define APIC_DIVIDE_BY_1  0xb

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

static uintptr_t apic_base;
static volatile uint64_t ticks;

static uint32_t apic_read(unsigned reg)
{
	return mmio_read32(apic_base + reg);
}

static void apic_write(unsigned reg, uint32_t v)
{
	mmio_write32(apic_base + reg, v);
}

/* This CPU's APIC: on, its LINTs and timer masked. */
static void apic_enable(void)
{
	apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
	apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_TIMER_VECTOR);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
}

static bool timer_irq(struct trap_frame *f);
static bool spurious_irq(struct trap_frame *f);

bool apic_init(bool has_pic)
{
	uint64_t base;

	if (!(cpuid(1, 0).edx & (1u << 9)))
		return false; /* no APIC */
	base = rdmsr(MSR_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE))
		return false;
	apic_base = (uintptr_t)(base & APIC_BASE_ADDR_MASK);
	if (has_pic) {
		outb(PIC1_DATA, 0xff); /* the 8259s stay silent */
		outb(PIC2_DATA, 0xff);
	}
	trap_set_handler(APIC_TIMER_VECTOR, timer_irq);
	trap_set_handler(APIC_SPURIOUS_VECTOR, spurious_irq);
	apic_enable();
	return true;
}

void apic_init_ap(void)
{
	apic_enable(); /* the same MMIO page: each CPU sees its own APIC */
}

uint32_t apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

void apic_send(uint32_t dest, uint32_t icr)
{
	apic_write(APIC_ICR_HIGH, dest << 24);
	apic_write(APIC_ICR_LOW, icr);
	while (apic_read(APIC_ICR_LOW) & APIC_ICR_PENDING)
		cpu_relax();
}

void apic_timer_periodic(uint32_t count)
{
	apic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_BY_1);
	apic_write(APIC_LVT_TIMER, APIC_TIMER_VECTOR | APIC_LVT_PERIODIC);
	apic_write(APIC_TIMER_INIT, count);
}

void apic_timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_TIMER_VECTOR);
	apic_write(APIC_TIMER_INIT, 0);
}

bool apic_irr(unsigned vector)
{
	return apic_read(APIC_IRR + 0x10 * (vector / 32)) &
	       (1u << (vector % 32));
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_timer_oneshot(uint32_t count)
{
	apic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_BY_1);
	apic_write(APIC_LVT_TIMER, APIC_TIMER_VECTOR); /* one-shot, unmasked */
	apic_write(APIC_TIMER_INIT, count);
}

bool apic_timer_armed(void)
{
	uint32_t lvt = apic_read(APIC_LVT_TIMER);

	if (lvt & APIC_LVT_MASKED)
		return false;
	return (lvt & APIC_LVT_PERIODIC) || apic_read(APIC_TIMER_CURRENT);
}

bool apic_timer_expired(void)
{
	return apic_read(APIC_TIMER_CURRENT) == 0;
}

uint64_t apic_ticks(void)
{
	return ticks;
}

static bool timer_irq(struct trap_frame *f)
{
	(void)f;
	__atomic_fetch_add(&ticks, 1, __ATOMIC_RELAXED); /* from any CPU */
	apic_write(APIC_EOI, 0);
	return true;
}

static bool spurious_irq(struct trap_frame *f)
{
	(void)f;
	return true; /* no EOI for a spurious interrupt */
}
