// SPDX-License-Identifier: MIT
/*
 * cpuid.c: what the guest's CPUID says. Start from what KVM supports and
 * take away what a guest of minivmm must not use, then replace KVM's own
 * hypervisor leaves with minivmm's. Pure: the tests run it on made-up
 * tables. docs/abi.md lists every change and why.
 */
#include <string.h>

#include "vmm.h"

#define CPUID_HV_FIRST 0x40000000u /* the range hypervisors announce in */
#define CPUID_HV_LAST  0x4fffffffu

#define BIT(n)		       (1u << (n))
#define CPUID_1_ECX_MONITOR    BIT(3) /* monitor/mwait: would sleep a vCPU */
#define CPUID_1_ECX_VMX	       BIT(5) /* no nested virtualisation */
#define CPUID_1_ECX_SMX	       BIT(6) /* no trusted execution (GETSEC) */
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CPUID_7_ECX_WAITPKG    BIT(5) /* umwait/tpause: same as mwait */
#define CPUID_80000001_ECX_SVM BIT(2)
#define CPUID_PMU_LEAF	       0xau /* no performance monitoring unit */

static void filter_entry(struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 1:
		e->ecx &=
		    ~(CPUID_1_ECX_MONITOR | CPUID_1_ECX_VMX | CPUID_1_ECX_SMX);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		break;
	case 7:
		if (e->index == 0)
			e->ecx &= ~CPUID_7_ECX_WAITPKG;
		break;
	case CPUID_PMU_LEAF:
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x80000001u:
		e->ecx &= ~CPUID_80000001_ECX_SVM;
		break;
	default:
		break;
	}
}

unsigned vmm_cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned n, unsigned room,
			  uint32_t features)
{
	uint32_t sig[3];
	unsigned out = 0;

	for (unsigned i = 0; i < n; i++) {
		if (e[i].function >= CPUID_HV_FIRST &&
		    e[i].function <= CPUID_HV_LAST)
			continue; /* KVM's own leaves: replaced below */
		e[out] = e[i];
		filter_entry(&e[out]);
		out++;
	}
	if (room < out + 2)
		return 0;
	memcpy(sig, MINIVMM_SIGNATURE, sizeof(sig));
	e[out++] = (struct kvm_cpuid_entry2){
	    .function = MINIVMM_CPUID_SIGNATURE,
	    .eax = MINIVMM_CPUID_FEATURES,
	    .ebx = sig[0],
	    .ecx = sig[1],
	    .edx = sig[2],
	};
	e[out++] = (struct kvm_cpuid_entry2){
	    .function = MINIVMM_CPUID_FEATURES,
	    .eax = features,
	    .ebx = MINIVMM_HYPERCALL_PORT,
	    .ecx = MINIVMM_ABI_VERSION,
	};
	return out;
}
