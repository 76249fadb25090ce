/* SPDX-License-Identifier: MIT */
/*
 * x86.h: the few x86 instructions the guest needs from C that are not pv
 * ops (port I/O, CPUID, MSRs, MMIO), as one-instruction inline functions.
 * Privileged operations that pvops rewrites live in pvops/pv_ops.h.
 */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

/* CPUID is serialising: after it, rewritten code is fetched anew. */
static inline void cpu_sync_core(void)
{
	(void)cpuid(0, 0);
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

#define MSR_GS_BASE 0xc0000101u

#define X86_EFLAGS_TF 0x100ul /* single-step (X86_EFLAGS_IF: pv_ops.h) */

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

/*
 * What the hardware itself says, for the self-tests to check the pv ops
 * against (never a substitute for them).
 */
/* The compiler's own pushfq; pop: it knows rsp moves in between and says
 * so in its CFI, which an asm statement would hide from the unwinder. */
static inline unsigned long hw_read_flags(void)
{
	__asm__ volatile("" ::: "memory");
	return __builtin_ia32_readeflags_u64();
}

static inline unsigned long hw_read_cr3(void)
{
	unsigned long v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v) : : "memory");
	return v;
}

static inline unsigned long hw_read_cr0(void)
{
	unsigned long v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v) : : "memory");
	return v;
}

/*
 * Interrupts off and back, by the hardware: for the SMP machinery that
 * rewrites pv-op sites (smp.c), which must not run through them.
 */
static inline unsigned long hw_irq_save(void)
{
	unsigned long flags = hw_read_flags();

	__asm__ volatile("cli" ::: "memory");
	return flags;
}

static inline void hw_irq_restore(unsigned long flags)
{
	if (flags & 0x200)
		__asm__ volatile("sti" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

#endif /* GUEST_X86_H */
