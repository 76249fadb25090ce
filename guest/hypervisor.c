// SPDX-License-Identifier: MIT
/*
 * hypervisor.c: find out who runs the guest: CPUID 0x40000000's signature
 * (minivmm, KVM, another, none) and minivmm's feature leaf (its hypercall
 * port and ABI version). Detection only: hypercall.c makes the calls.
 */
#include "guest.h"
#include "minivmm_abi.h"
#include "x86.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)

static struct guest_hv_info hv_info;
static bool hv_probed;

const struct guest_hv_info *hv_detect(void)
{
	struct cpuid_regs r;

	if (hv_probed)
		return &hv_info;
	hv_probed = true;
	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR))
		return &hv_info; /* HV_NONE: bare metal, or a quiet TCG */
	r = cpuid(MINIVMM_CPUID_SIGNATURE, 0);
	memcpy(hv_info.signature + 0, &r.ebx, 4);
	memcpy(hv_info.signature + 4, &r.ecx, 4);
	memcpy(hv_info.signature + 8, &r.edx, 4);
	if (memcmp(hv_info.signature, MINIVMM_SIGNATURE,
		   MINIVMM_SIGNATURE_LEN) == 0 &&
	    r.eax >= MINIVMM_CPUID_FEATURES) {
		r = cpuid(MINIVMM_CPUID_FEATURES, 0);
		hv_info.kind = HV_MINIVMM;
		hv_info.features = r.eax;
		hv_info.hypercall_port = (uint16_t)r.ebx;
		hv_info.abi_version = r.ecx;
	} else if (memcmp(hv_info.signature, "KVMKVMKVM\0\0\0", 12) == 0) {
		hv_info.kind = HV_KVM;
	} else {
		hv_info.kind = HV_OTHER;
	}
	return &hv_info;
}

const char *hv_name(const struct guest_hv_info *hv)
{
	switch (hv->kind) {
	case HV_MINIVMM:
		return "minivmm";
	case HV_KVM:
		return "KVM";
	case HV_OTHER:
		return hv->signature[0] ? hv->signature : "unnamed";
	default:
		return "none";
	}
}

bool hv_has_hypercalls(void)
{
	const struct guest_hv_info *hv = hv_detect();

	return hv->kind == HV_MINIVMM &&
	       (hv->features & MINIVMM_FEATURE_HYPERCALL);
}
