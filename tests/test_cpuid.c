// SPDX-License-Identifier: MIT
/*
 * test_cpuid.c: the CPUID filter on a made-up "supported" table: what the
 * guest must not use is gone, the hypervisor bit is set, KVM's own leaves
 * are replaced by minivmm's, and everything else passes through.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

static struct kvm_cpuid_entry2 e[16];

static unsigned setup_table(void)
{
	memset(e, 0, sizeof(e));
	e[0] = (struct kvm_cpuid_entry2){.function = 0, .eax = 0xd};
	e[1] = (struct kvm_cpuid_entry2){
	    .function = 1, .ecx = 0xffffffff, .edx = 0xffffffff};
	e[2] = (struct kvm_cpuid_entry2){
	    .function = 7, .index = 0, .ebx = 0xffffffff, .ecx = 0xffffffff};
	e[3] = (struct kvm_cpuid_entry2){.function = 0xa, .eax = 0x7300805};
	e[4] = (struct kvm_cpuid_entry2){.function = 0x40000000,
					 .ebx = 0x4b4d564b};
	e[5] = (struct kvm_cpuid_entry2){.function = 0x40000001, .eax = 0xffff};
	e[6] = (struct kvm_cpuid_entry2){
	    .function = 0x80000001, .ecx = 0xffffffff, .edx = 0x1234};
	return 7;
}

static const struct kvm_cpuid_entry2 *leaf(unsigned n, uint32_t fn)
{
	for (unsigned i = 0; i < n; i++)
		if (e[i].function == fn)
			return &e[i];
	cr_assert_fail("no leaf %#x", fn);
	abort();
}

Test(cpuid, filters_and_replaces)
{
	unsigned n =
	    vmm_cpuid_filter(e, setup_table(), 16,
			     MINIVMM_FEATURE_HYPERCALL | MINIVMM_FEATURE_INT3);
	const struct kvm_cpuid_entry2 *l;
	char sig[13] = {0};

	cr_assert_eq(n, 7, "%u entries", n);
	l = leaf(n, 1);
	cr_assert_eq(l->ecx & (1u << 5), 0, "VMX visible");
	cr_assert_eq(l->ecx & (1u << 6), 0, "SMX visible");
	cr_assert_eq(l->ecx & (1u << 3), 0, "MONITOR visible");
	cr_assert_neq(l->ecx & (1u << 31), 0, "no hypervisor bit");
	cr_assert_eq(l->ecx | 0x68, 0xffffffff, "too much removed");
	cr_assert_eq(l->edx, 0xffffffff);
	cr_assert_eq(leaf(n, 7)->ecx & (1u << 5), 0, "WAITPKG visible");
	cr_assert_eq(leaf(n, 7)->ebx, 0xffffffff);
	cr_assert_eq(leaf(n, 0xa)->eax, 0, "PMU visible");
	cr_assert_eq(leaf(n, 0x80000001)->ecx & (1u << 2), 0, "SVM visible");
	cr_assert_eq(leaf(n, 0x80000001)->edx, 0x1234);
	l = leaf(n, 0x40000000);
	cr_assert_eq(l->eax, MINIVMM_CPUID_FEATURES);
	memcpy(sig, &l->ebx, 4);
	memcpy(sig + 4, &l->ecx, 4);
	memcpy(sig + 8, &l->edx, 4);
	cr_assert_str_eq(sig, "minivmm");
	l = leaf(n, 0x40000001);
	cr_assert_eq(l->eax, MINIVMM_FEATURE_HYPERCALL | MINIVMM_FEATURE_INT3,
		     "KVM's leaf kept, or the features lost");
	cr_assert_eq(l->ebx, MINIVMM_HYPERCALL_PORT);
	cr_assert_eq(l->ecx, MINIVMM_ABI_VERSION);
}

Test(cpuid, no_room_for_our_leaves)
{
	unsigned n = setup_table();

	cr_assert_eq(
	    vmm_cpuid_filter(e, n, n - 2 + 1, MINIVMM_FEATURE_HYPERCALL), 0);
}
