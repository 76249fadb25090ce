/* SPDX-License-Identifier: MIT */
/*
 * pv_feature.h: CPU feature numbers for PV_KIND_FEATURE records: feature
 * = word * 32 + bit, each word one CPUID output register. The guest fills
 * the words (guest/cpufeatures.c); the host tests make them up.
 */
#ifndef PV_FEATURE_H
#define PV_FEATURE_H

enum pv_feature_word {
	PV_FW_1_EDX = 0,	/* CPUID 1, EDX */
	PV_FW_1_ECX = 1,	/* CPUID 1, ECX */
	PV_FW_7_EBX = 2,	/* CPUID 7.0, EBX */
	PV_FW_80000001_EDX = 3, /* CPUID 0x80000001, EDX */
	PV_FW_80000001_ECX = 4, /* CPUID 0x80000001, ECX */
	PV_FW_COUNT = 5,
};

#define PV_FEATURE(word, bit) ((word)*32 + (bit))

/* Plain numbers, so NASM sees them too (checked against PV_FEATURE). */
#define PV_FEATURE_HYPERVISOR 63  /* PV_FEATURE(PV_FW_1_ECX, 31) */
#define PV_FEATURE_RDTSCP     123 /* PV_FEATURE(PV_FW_80000001_EDX, 27) */

_Static_assert(PV_FEATURE_HYPERVISOR == PV_FEATURE(PV_FW_1_ECX, 31),
	       "PV_FEATURE_HYPERVISOR");
_Static_assert(PV_FEATURE_RDTSCP == PV_FEATURE(PV_FW_80000001_EDX, 27),
	       "PV_FEATURE_RDTSCP");

#endif /* PV_FEATURE_H */
