// SPDX-License-Identifier: MIT
/*
 * traps.c: the IDT and what happens on an exception: print the vector,
 * error code, rip and cr2, and fail the run. A self-test may announce one
 * exception it provokes on purpose (trap_expect); that one is recorded and
 * resumed instead.
 */
#include "guest.h"

#define IDT_VECTORS 256
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define SEL_CODE64 0x08     /* entry.S */

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

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

static const char *const trap_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
	"#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static struct {
	bool armed, taken;
	unsigned vector, skip;
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
	struct idt_ptr p = { .limit = sizeof(idt) - 1, .base = (uintptr_t)idt };

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, trap_stubs[v]);
	__asm__ volatile("lidt %0" : : "m"(p));
}

void trap_expect(unsigned vector, unsigned skip)
{
	expect.armed = true;
	expect.taken = false;
	expect.vector = vector;
	expect.skip = skip;
}

bool trap_taken(struct trap_frame *out)
{
	expect.armed = false;
	if (expect.taken && out)
		*out = expect.frame;
	return expect.taken;
}

static uint64_t fault_address(void)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	return cr2;
}

void trap_handler(struct trap_frame *f)
{
	uint64_t cr2 = fault_address();

	if (expect.armed && f->vector == expect.vector) {
		expect.armed = false;
		expect.taken = true;
		expect.frame = *f;
		f->rip += expect.skip;
		return;
	}
	printf("exception %llu (%s) error %#llx at rip %#llx, cr2 %#llx, "
	       "rsp %#llx\n",
	       (unsigned long long)f->vector,
	       f->vector < 32 ? trap_names[f->vector] : "irq",
	       (unsigned long long)f->error, (unsigned long long)f->rip,
	       (unsigned long long)cr2, (unsigned long long)f->rsp);
	guest_fail("exception %s at rip %#llx",
		   f->vector < 32 ? trap_names[f->vector] : "irq",
		   (unsigned long long)f->rip);
}
