/* SPDX-License-Identifier: MIT */
/*
 * pv_ops.h: the pv_ops table and the functions the guest calls, one per
 * op, all generated from the op list (include/pv_op_list.h). Each function
 * is an inline call site (pv_site.h) that the patch engine turns into the
 * native sequence, a direct call, or leaves indirect. A CALLEE_SAVE op's
 * site lets the call clobber only rax; a NORMAL op's site follows the C
 * calling convention.
 */
#ifndef PV_OPS_H
#define PV_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "pv_abi.h"
#include "pv_site.h"

/*
 * One slot per op: the address the op's sites call through. Only the
 * sites call it (from asm, under the contract the record states), never C,
 * so a slot is an address, not a typed function pointer.
 */
struct pv_ops {
#define PV_OPS_SLOT(name, NAME, contract, shape, bench, batch) const void *name;
	PV_OP_LIST(PV_OPS_SLOT)
#undef PV_OPS_SLOT
};

#define PV_OPS_SLOT_CHECK(name, NAME, contract, shape, bench, batch)           \
	_Static_assert(offsetof(struct pv_ops, name) == PV_OP_##NAME * 8,      \
		       #name " is not slot PV_OP_" #NAME);
PV_OP_LIST(PV_OPS_SLOT_CHECK)
#undef PV_OPS_SLOT_CHECK
_Static_assert(sizeof(struct pv_ops) == PV_OP_COUNT * 8, "pv_ops size");

/* The table every site calls through; filled by the chosen backend. */
extern struct pv_ops pv_ops;

#define X86_EFLAGS_IF 0x200ul

/*
 * The call sites, one shape each (see pv_op_list.h): GET returns rax, SET
 * passes rdi, SET2 rdi and rsi, DO neither. CALLEE_SAVE sites tell the compiler
 * that only rax (and the flags) change; NORMAL sites, everything a C call may
 * change.
 */
#define PV_CALL_CALLEE_SAVE_GET(name, NAME)                                    \
	static inline unsigned long pv_##name(void)                            \
	{                                                                      \
		unsigned long rax;                                             \
		__asm__ volatile(                                              \
		    PV_SITE(pv_ops)                                            \
		    : "=a"(rax)                                                \
		    : PV_SITE_OPERANDS(PV_OP_##NAME, PV_CLOBBERS_CALLEE_SAVE)  \
		    : "memory", "cc");                                         \
		return rax;                                                    \
	}
#define PV_CALL_CALLEE_SAVE_SET(name, NAME)                                    \
	static inline void pv_##name(unsigned long arg)                        \
	{                                                                      \
		unsigned long rax;                                             \
		__asm__ volatile(                                              \
		    PV_SITE(pv_ops)                                            \
		    : "=a"(rax)                                                \
		    : "D"(arg),                                                \
		      PV_SITE_OPERANDS(PV_OP_##NAME, PV_CLOBBERS_CALLEE_SAVE)  \
		    : "memory", "cc");                                         \
	}
#define PV_CALL_CALLEE_SAVE_SET2(name, NAME)                                   \
	static inline void pv_##name(unsigned long arg, unsigned long arg2)    \
	{                                                                      \
		unsigned long rax;                                             \
		__asm__ volatile(                                              \
		    PV_SITE(pv_ops)                                            \
		    : "=a"(rax)                                                \
		    : "D"(arg), "S"(arg2),                                     \
		      PV_SITE_OPERANDS(PV_OP_##NAME, PV_CLOBBERS_CALLEE_SAVE)  \
		    : "memory", "cc");                                         \
	}
#define PV_CALL_CALLEE_SAVE_DO(name, NAME)                                     \
	static inline void pv_##name(void)                                     \
	{                                                                      \
		unsigned long rax;                                             \
		__asm__ volatile(                                              \
		    PV_SITE(pv_ops)                                            \
		    : "=a"(rax)                                                \
		    : PV_SITE_OPERANDS(PV_OP_##NAME, PV_CLOBBERS_CALLEE_SAVE)  \
		    : "memory", "cc");                                         \
	}
#define PV_CALL_NORMAL_GET(name, NAME)                                         \
	static inline unsigned long pv_##name(void)                            \
	{                                                                      \
		unsigned long rdi, rax, rcx, rdx, rsi;                         \
		__asm__ volatile(                                              \
		    PV_SITE(pv_ops)                                            \
		    : "=D"(rdi), "=a"(rax), "=c"(rcx), "=d"(rdx), "=S"(rsi)    \
		    : PV_SITE_OPERANDS(PV_OP_##NAME, PV_CLOBBERS_NORMAL)       \
		    : "memory", "cc", "r8", "r9", "r10", "r11");               \
		return rax;                                                    \
	}
#define PV_CALL_NORMAL_SET(name, NAME)                                         \
	static inline void pv_##name(unsigned long arg)                        \
	{                                                                      \
		unsigned long rdi = arg, rax, rcx, rdx, rsi;                   \
		__asm__ volatile(                                              \
		    PV_SITE(pv_ops)                                            \
		    : "+D"(rdi), "=a"(rax), "=c"(rcx), "=d"(rdx), "=S"(rsi)    \
		    : PV_SITE_OPERANDS(PV_OP_##NAME, PV_CLOBBERS_NORMAL)       \
		    : "memory", "cc", "r8", "r9", "r10", "r11");               \
	}
#define PV_CALL_NORMAL_SET2(name, NAME)                                        \
	static inline void pv_##name(unsigned long arg, unsigned long arg2)    \
	{                                                                      \
		unsigned long rdi = arg, rsi = arg2, rax, rcx, rdx;            \
		__asm__ volatile(                                              \
		    PV_SITE(pv_ops)                                            \
		    : "+D"(rdi), "+S"(rsi), "=a"(rax), "=c"(rcx), "=d"(rdx)    \
		    : PV_SITE_OPERANDS(PV_OP_##NAME, PV_CLOBBERS_NORMAL)       \
		    : "memory", "cc", "r8", "r9", "r10", "r11");               \
	}
#define PV_CALL_NORMAL_DO(name, NAME)                                          \
	static inline void pv_##name(void)                                     \
	{                                                                      \
		unsigned long rdi, rax, rcx, rdx, rsi;                         \
		__asm__ volatile(                                              \
		    PV_SITE(pv_ops)                                            \
		    : "=D"(rdi), "=a"(rax), "=c"(rcx), "=d"(rdx), "=S"(rsi)    \
		    : PV_SITE_OPERANDS(PV_OP_##NAME, PV_CLOBBERS_NORMAL)       \
		    : "memory", "cc", "r8", "r9", "r10", "r11");               \
	}

/* pv_save_fl(), pv_restore_fl(flags), pv_irq_disable(), ... */
#define PV_CALL(name, NAME, contract, shape, bench, batch)                     \
	PV_CALL_##contract##_##shape(name, NAME)
PV_OP_LIST(PV_CALL)
#undef PV_CALL

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
