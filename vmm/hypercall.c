// SPDX-License-Identifier: MIT
/*
 * hypercall.c: the handlers behind the port-I/O hypercall ABI of
 * include/minivmm_abi.h. The number and arguments are guest registers,
 * copied by the caller: each is checked here before it is used.
 */
#include <err.h>

#include "vmm.h"

static struct vmm_hc_result hc_exit(uint64_t status, uint64_t rip)
{
	if (status > MINIVMM_EXIT_MAX) {
		warnx("hypercall exit: status %llu is out of range 0..%d "
		      "(rip %#llx)",
		      (unsigned long long)status, MINIVMM_EXIT_MAX,
		      (unsigned long long)rip);
		return (struct vmm_hc_result){
			.stop = true, .status = VMM_STATUS_HYPERCALL
		};
	}
	return (struct vmm_hc_result){ .stop = true, .status = (int)status };
}

struct vmm_hc_result vmm_hypercall(struct vmm_mem *mem, uint32_t nr,
				   uint64_t a0, uint64_t a1, uint64_t rip)
{
	(void)mem;
	(void)a1;
	switch (nr) {
	case MINIVMM_HC_EXIT:
		return hc_exit(a0, rip);
	default:
		/* Unknown numbers have an error return: the guest decides. */
		return (struct vmm_hc_result){ .rax = MINIVMM_ENOSYS };
	}
}
