// SPDX-License-Identifier: MIT
/*
 * hypercall.c: one port-I/O hypercall to minivmm (include/minivmm_abi.h):
 * eax = the number, dx = the port hypervisor.c found, rdi and rsi = the
 * arguments; the result comes back in rax.
 */
#include "guest.h"

uint64_t hv_hypercall(uint32_t nr, uint64_t a0, uint64_t a1)
{
	uint64_t rax = nr;

	__asm__ volatile("outl %%eax, %%dx"
			 : "+a"(rax)
			 : "d"(hv_detect()->hypercall_port), "D"(a0), "S"(a1)
			 : "memory");
	return rax;
}
