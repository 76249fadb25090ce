/* SPDX-License-Identifier: MIT */
/*
 * pv_ops.h: the pv_ops table and the functions the guest calls, one per
 * op. Each is an inline call site (pv_site.h) that the patch engine turns
 * into the native sequence, a direct call, or leaves indirect. Callee-save
 * ops (irq ops, CR reads) let the site clobber only rax; the others follow
 * the C calling convention.
 */
#ifndef PV_OPS_H
#define PV_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "pv_abi.h"
#include "pv_site.h"

/* A callee-save op: the function behind it changes no register but rax. */
struct pv_callee_save {
	const void *func;
};

struct pv_irq_ops {
	struct pv_callee_save save_fl;	  /* rax = RFLAGS */
	struct pv_callee_save restore_fl; /* RFLAGS.IF = rdi.IF */
	struct pv_callee_save irq_disable;
	struct pv_callee_save irq_enable;
	struct pv_callee_save safe_halt; /* enable and halt, atomically */
};

struct pv_mmu_ops {
	struct pv_callee_save read_cr2;
	struct pv_callee_save read_cr3;
	void (*write_cr3)(unsigned long cr3);
	void (*flush_tlb_one)(unsigned long addr);
};

struct pv_cpu_ops {
	void (*wbinvd)(void);
};

struct pv_ops {
	struct pv_irq_ops irq;
	struct pv_mmu_ops mmu;
	struct pv_cpu_ops cpu;
};

#define PV_SLOT_CHECK(field, op)                                               \
	_Static_assert(offsetof(struct pv_ops, field) == (op)*8,               \
		       #field " is not slot " #op)
PV_SLOT_CHECK(irq.save_fl, PV_OP_SAVE_FL);
PV_SLOT_CHECK(irq.restore_fl, PV_OP_RESTORE_FL);
PV_SLOT_CHECK(irq.irq_disable, PV_OP_IRQ_DISABLE);
PV_SLOT_CHECK(irq.irq_enable, PV_OP_IRQ_ENABLE);
PV_SLOT_CHECK(irq.safe_halt, PV_OP_SAFE_HALT);
PV_SLOT_CHECK(mmu.read_cr2, PV_OP_READ_CR2);
PV_SLOT_CHECK(mmu.read_cr3, PV_OP_READ_CR3);
PV_SLOT_CHECK(mmu.write_cr3, PV_OP_WRITE_CR3);
PV_SLOT_CHECK(mmu.flush_tlb_one, PV_OP_FLUSH_TLB_ONE);
PV_SLOT_CHECK(cpu.wbinvd, PV_OP_WBINVD);
_Static_assert(sizeof(struct pv_ops) == PV_OP_COUNT * 8, "pv_ops size");

/* The table every site calls through; filled by the chosen backend. */
extern struct pv_ops pv_ops;

#define X86_EFLAGS_IF 0x200ul

/* ---- callee-save ops: the site clobbers rax only ---- */

static inline unsigned long pv_save_fl(void)
{
	unsigned long rax;

	__asm__ volatile(
	    PV_SITE(pv_ops)
	    : "=a"(rax)
	    : PV_SITE_OPERANDS(PV_OP_SAVE_FL, PV_CLOBBERS_CALLEE_SAVE)
	    : "memory", "cc");
	return rax;
}

static inline void pv_restore_fl(unsigned long flags)
{
	unsigned long rax;

	__asm__ volatile(PV_SITE(pv_ops)
			 : "=a"(rax)
			 : "D"(flags), PV_SITE_OPERANDS(PV_OP_RESTORE_FL,
							PV_CLOBBERS_CALLEE_SAVE)
			 : "memory", "cc");
}

#define PV_CALLEE_SAVE_VOID(name, op)                                          \
	static inline void name(void)                                          \
	{                                                                      \
		unsigned long rax;                                             \
		__asm__ volatile(                                              \
		    PV_SITE(pv_ops)                                            \
		    : "=a"(rax)                                                \
		    : PV_SITE_OPERANDS(op, PV_CLOBBERS_CALLEE_SAVE)            \
		    : "memory", "cc");                                         \
	}

PV_CALLEE_SAVE_VOID(pv_irq_disable, PV_OP_IRQ_DISABLE)
PV_CALLEE_SAVE_VOID(pv_irq_enable, PV_OP_IRQ_ENABLE)
PV_CALLEE_SAVE_VOID(pv_safe_halt, PV_OP_SAFE_HALT)

static inline unsigned long pv_read_cr2(void)
{
	unsigned long rax;

	__asm__ volatile(
	    PV_SITE(pv_ops)
	    : "=a"(rax)
	    : PV_SITE_OPERANDS(PV_OP_READ_CR2, PV_CLOBBERS_CALLEE_SAVE)
	    : "memory", "cc");
	return rax;
}

static inline unsigned long pv_read_cr3(void)
{
	unsigned long rax;

	__asm__ volatile(
	    PV_SITE(pv_ops)
	    : "=a"(rax)
	    : PV_SITE_OPERANDS(PV_OP_READ_CR3, PV_CLOBBERS_CALLEE_SAVE)
	    : "memory", "cc");
	return rax;
}

/* ---- normal ops: the site clobbers what a C call clobbers ---- */

#define PV_NORMAL_1(name, op)                                                  \
	static inline void name(unsigned long arg)                             \
	{                                                                      \
		unsigned long rdi = arg, rax, rcx, rdx, rsi;                   \
		__asm__ volatile(PV_SITE(pv_ops)                               \
				 : "+D"(rdi), "=a"(rax), "=c"(rcx), "=d"(rdx), \
				   "=S"(rsi)                                   \
				 : PV_SITE_OPERANDS(op, PV_CLOBBERS_NORMAL)    \
				 : "memory", "cc", "r8", "r9", "r10", "r11");  \
	}

PV_NORMAL_1(pv_write_cr3, PV_OP_WRITE_CR3)
PV_NORMAL_1(pv_flush_tlb_one, PV_OP_FLUSH_TLB_ONE)

static inline void pv_wbinvd(void)
{
	unsigned long rdi, rax, rcx, rdx, rsi;

	__asm__ volatile(PV_SITE(pv_ops)
			 : "=D"(rdi), "=a"(rax), "=c"(rcx), "=d"(rdx), "=S"(rsi)
			 : PV_SITE_OPERANDS(PV_OP_WBINVD, PV_CLOBBERS_NORMAL)
			 : "memory", "cc", "r8", "r9", "r10", "r11");
}

/* ---- the usual kernel idioms on top ---- */

static inline unsigned long pv_irq_save(void)
{
	unsigned long flags = pv_save_fl();

	pv_irq_disable();
	return flags;
}

static inline bool pv_irqs_enabled(void)
{
	return pv_save_fl() & X86_EFLAGS_IF;
}

#endif /* PV_OPS_H */
