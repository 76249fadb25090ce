// SPDX-License-Identifier: MIT
/*
 * acpi.c: the firmware tables that tell the guest its CPUs, as QEMU's
 * microvm gives them: an RSDP (revision 2), an XSDT with one entry, and
 * a MADT with one enabled local APIC per vCPU (APIC ID = vCPU ID), at
 * VMM_ACPI_GPA; start_info's rsdp_paddr points there (docs/boot.md).
 */
#include <stdio.h>
#include <string.h>

#include "acpi_tables.h"
#include "pvh.h"
#include "vmm.h"

#define LAPIC_GPA 0xfee00000u

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return (uint8_t)(0u - sum);
}

static void header(struct acpi_sdt *t, const char *sig, uint32_t len,
		   uint8_t rev)
{
	memcpy(t->sig, sig, 4);
	t->length = len;
	t->revision = rev;
	memcpy(t->oem, "MINVMM", 6);
	memcpy(t->oem_table, "MINIVMM ", 8);
	t->oem_revision = 1;
	memcpy(&t->creator, "MVMM", 4);
	t->creator_revision = 1;
}

bool vmm_acpi_write(struct vmm_mem *mem, uint64_t start_info, unsigned ncpus,
		    char *err, size_t errlen)
{
	const uint64_t rsdp_gpa = VMM_ACPI_GPA, xsdt_gpa = VMM_ACPI_GPA + 64,
		       madt_gpa = VMM_ACPI_GPA + 128;
	uint32_t madt_len =
	    (uint32_t)(sizeof(struct acpi_sdt) + ACPI_MADT_HEADER_LEN +
		       ncpus * sizeof(struct acpi_madt_lapic));
	struct hvm_start_info *si = vmm_mem_ptr(mem, start_info, sizeof(*si));
	struct acpi_rsdp *rsdp = vmm_mem_ptr(mem, rsdp_gpa, sizeof(*rsdp));
	struct acpi_sdt *xsdt = vmm_mem_ptr(mem, xsdt_gpa, sizeof(*xsdt) + 8);
	uint8_t *madt = vmm_mem_ptr(mem, madt_gpa, madt_len);
	uint32_t lapic = LAPIC_GPA, flags = 0;

	if (!si || !rsdp || !xsdt || !madt || ncpus == 0 ||
	    ncpus > VMM_MAX_CPUS || madt_gpa + madt_len > VMM_ACPI_GPA + 4096) {
		snprintf(err, errlen, "no room for the ACPI tables of %u vCPUs",
			 ncpus);
		return false;
	}
	memset(madt, 0, madt_len);
	header((struct acpi_sdt *)madt, "APIC", madt_len, 4);
	memcpy(madt + sizeof(struct acpi_sdt), &lapic, 4);
	memcpy(madt + sizeof(struct acpi_sdt) + 4, &flags, 4); /* no 8259 PIC */
	for (unsigned i = 0; i < ncpus; i++) {
		struct acpi_madt_lapic e = {.type = ACPI_MADT_LAPIC,
					    .length = sizeof(e),
					    .acpi_id = (uint8_t)i,
					    .apic_id = (uint8_t)i,
					    .flags = ACPI_LAPIC_ENABLED};

		memcpy(madt + sizeof(struct acpi_sdt) + ACPI_MADT_HEADER_LEN +
			   i * sizeof(e),
		       &e, sizeof(e));
	}
	((struct acpi_sdt *)madt)->checksum = checksum(madt, madt_len);

	memset(xsdt, 0, sizeof(*xsdt) + 8);
	header(xsdt, "XSDT", sizeof(*xsdt) + 8, 1);
	memcpy(xsdt + 1, &madt_gpa, 8);
	xsdt->checksum = checksum(xsdt, sizeof(*xsdt) + 8);

	memset(rsdp, 0, sizeof(*rsdp));
	memcpy(rsdp->sig, "RSD PTR ", 8);
	memcpy(rsdp->oem, "MINVMM", 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt = xsdt_gpa;
	rsdp->checksum = checksum(rsdp, ACPI_RSDP_V1_LEN);
	rsdp->xchecksum = checksum(rsdp, sizeof(*rsdp));

	si->rsdp_paddr = rsdp_gpa;
	return true;
}
