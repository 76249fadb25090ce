// SPDX-License-Identifier: MIT
/*
 * test_acpi.c: the ACPI tables minivmm gives the guest (vmm/acpi.c): an
 * RSDP whose two checksums hold, an XSDT whose one entry is the MADT, and
 * a MADT with one enabled local APIC per vCPU, IDs 0..n-1; start_info
 * points at the RSDP; too many vCPUs for the page is refused.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pvh.h"
#include "vmm.h"

static struct vmm_mem mem;
static char why[256];

static void setup(void)
{
	mem.size = 8ull << 20;
	mem.host = calloc(1, mem.size);
	cr_assert_not_null(mem.host);
}

static void teardown(void)
{
	free(mem.host);
}

TestSuite(acpi, .init = setup, .fini = teardown);

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void check_tables(unsigned ncpus)
{
	uint64_t si_gpa = pvh_write_start_info(&mem, "", why, sizeof(why));
	const struct hvm_start_info *si;
	const uint8_t *rsdp, *xsdt, *madt, *e;
	uint64_t xsdt_gpa, madt_gpa;

	cr_assert_neq(si_gpa, 0, "%s", why);
	cr_assert(vmm_acpi_write(&mem, si_gpa, ncpus, why, sizeof(why)), "%s",
		  why);
	si = vmm_mem_ptr(&mem, si_gpa, sizeof(*si));
	rsdp = vmm_mem_ptr(&mem, si->rsdp_paddr, 36);
	cr_assert_not_null(rsdp);
	cr_assert_arr_eq(rsdp, "RSD PTR ", 8);
	cr_assert_eq(sum(rsdp, 20), 0, "RSDP checksum");
	cr_assert_eq(sum(rsdp, 36), 0, "RSDP extended checksum");
	cr_assert_eq(rsdp[15], 2, "revision");
	memcpy(&xsdt_gpa, rsdp + 24, 8);
	xsdt = vmm_mem_ptr(&mem, xsdt_gpa, 44);
	cr_assert_not_null(xsdt);
	cr_assert_arr_eq(xsdt, "XSDT", 4);
	cr_assert_eq(u32(xsdt + 4), 44);
	cr_assert_eq(sum(xsdt, 44), 0, "XSDT checksum");
	memcpy(&madt_gpa, xsdt + 36, 8);
	madt = vmm_mem_ptr(&mem, madt_gpa, 44);
	cr_assert_not_null(madt);
	cr_assert_arr_eq(madt, "APIC", 4);
	cr_assert_eq(u32(madt + 4), 44 + 8 * ncpus);
	cr_assert_eq(sum(madt, u32(madt + 4)), 0, "MADT checksum");
	cr_assert_eq(u32(madt + 36), 0xfee00000u, "LAPIC address");
	for (unsigned i = 0; i < ncpus; i++) {
		e = madt + 44 + 8 * i;
		cr_assert_eq(e[0], 0, "type: processor local APIC");
		cr_assert_eq(e[1], 8);
		cr_assert_eq(e[3], i, "APIC ID");
		cr_assert_eq(u32(e + 4) & 1, 1, "enabled");
	}
}

Test(acpi, one_cpu)
{
	check_tables(1);
}

Test(acpi, two_cpus)
{
	check_tables(2);
}

Test(acpi, the_most_cpus)
{
	check_tables(VMM_MAX_CPUS);
}

Test(acpi, no_cpus_or_too_many_are_refused)
{
	uint64_t si = pvh_write_start_info(&mem, "", why, sizeof(why));

	cr_assert_not(vmm_acpi_write(&mem, si, 0, why, sizeof(why)));
	cr_assert_not(
	    vmm_acpi_write(&mem, si, VMM_MAX_CPUS + 1, why, sizeof(why)));
}
