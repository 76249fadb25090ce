// SPDX-License-Identifier: MIT
/*
 * cpufeatures.c: read the CPUID words that feature alternatives test
 * (pvops/pv_feature.h), once at boot, before patching.
 */
#include "guest.h"
#include "pv_feature.h"
#include "x86.h"

void cpu_features_read(uint32_t *words)
{
	uint32_t max = cpuid(0, 0).eax;
	uint32_t max_ext = cpuid(0x80000000u, 0).eax;
	struct cpuid_regs r = cpuid(1, 0);

	words[PV_FW_1_EDX] = r.edx;
	words[PV_FW_1_ECX] = r.ecx;
	words[PV_FW_7_EBX] = max >= 7 ? cpuid(7, 0).ebx : 0;
	if (max_ext >= 0x80000001u) {
		r = cpuid(0x80000001u, 0);
		words[PV_FW_80000001_EDX] = r.edx;
		words[PV_FW_80000001_ECX] = r.ecx;
	} else {
		words[PV_FW_80000001_EDX] = 0;
		words[PV_FW_80000001_ECX] = 0;
	}
}
