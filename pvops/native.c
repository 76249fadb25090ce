// SPDX-License-Identifier: MIT
/*
 * native.c: the native backend in C: each op as a function doing the
 * privileged instruction itself. Unpatched sites reach these through
 * pv_ops, direct-call sites through call rel32; callee-save sites reach
 * the callee-save ones through the NASM thunks of thunks.S.
 */
#include "pv_backend.h"

unsigned long native_save_fl(void)
{
	unsigned long flags;

	__asm__ volatile("pushfq; popq %0" : "=r"(flags) : : "memory");
	return flags;
}

void native_restore_fl(unsigned long flags)
{
	__asm__ volatile("pushq %0; popfq" : : "r"(flags) : "memory", "cc");
}

void native_irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

void native_irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

void native_safe_halt(void)
{
	__asm__ volatile("sti; hlt" : : : "memory");
}

unsigned long native_read_cr2(void)
{
	unsigned long v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v) : : "memory");
	return v;
}

unsigned long native_read_cr3(void)
{
	unsigned long v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v) : : "memory");
	return v;
}

void native_write_cr3(unsigned long cr3)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

void native_flush_tlb_one(unsigned long addr)
{
	__asm__ volatile("invlpg (%0)" : : "r"(addr) : "memory");
}

void native_wbinvd(void)
{
	__asm__ volatile("wbinvd" : : : "memory");
}
