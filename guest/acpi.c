// SPDX-License-Identifier: MIT
/*
 * acpi.c: the CPUs the firmware describes: start_info's rsdp_paddr (QEMU
 * microvm and minivmm both give one), the RSDT or XSDT, and the MADT's
 * local APIC entries. Every table is checked (signature, length,
 * checksum) before it is believed; a machine without one has one CPU.
 */
#include "acpi_tables.h"
#include "guest.h"

#define ACPI_TABLE_MAX 0x10000u /* no table of ours is bigger */

static bool sums_to_zero(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

/* The table at (addr) if it is one with signature (sig), else NULL. */
static const struct acpi_sdt *table(uint64_t addr, const char *sig)
{
	const struct acpi_sdt *t = (const void *)(uintptr_t)addr;

	if (!addr || addr >= (1ull << 32) - ACPI_TABLE_MAX)
		return NULL;
	if (memcmp(t->sig, sig, 4) != 0 || t->length < sizeof(*t) ||
	    t->length > ACPI_TABLE_MAX || !sums_to_zero(t, t->length))
		return NULL;
	return t;
}

static const struct acpi_sdt *find_madt(uint64_t rsdp_addr)
{
	const struct acpi_rsdp *rsdp = (const void *)(uintptr_t)rsdp_addr;
	const struct acpi_sdt *root;
	bool x;
	unsigned n, size;

	if (!rsdp_addr || rsdp_addr >= (1ull << 32) - sizeof(*rsdp) ||
	    memcmp(rsdp->sig, "RSD PTR ", 8) != 0 ||
	    !sums_to_zero(rsdp, ACPI_RSDP_V1_LEN))
		return NULL;
	x = rsdp->revision >= 2 && rsdp->xsdt &&
	    sums_to_zero(rsdp, sizeof(*rsdp));
	root = x ? table(rsdp->xsdt, "XSDT") : table(rsdp->rsdt, "RSDT");
	if (!root)
		return NULL;
	size = x ? 8 : 4;
	n = (root->length - (uint32_t)sizeof(*root)) / size;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = (const uint8_t *)(root + 1) + i * size;
		uint64_t addr = 0;
		const struct acpi_sdt *t;

		memcpy(&addr, e, size);
		t = table(addr, "APIC");
		if (t)
			return t;
	}
	return NULL;
}

unsigned acpi_cpus(uint64_t rsdp, uint32_t *apic_ids, unsigned max)
{
	const struct acpi_sdt *madt = find_madt(rsdp);
	const uint8_t *p, *end;
	unsigned n = 0;

	if (!madt)
		return 0;
	p = (const uint8_t *)madt + sizeof(*madt) + ACPI_MADT_HEADER_LEN;
	end = (const uint8_t *)madt + madt->length;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		uint32_t id = UINT32_MAX, flags = 0;

		if (p[0] == ACPI_MADT_LAPIC && p[1] >= 8) {
			id = p[3];
			memcpy(&flags, p + 4, 4);
		} else if (p[0] == ACPI_MADT_X2APIC && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
		}
		if (id != UINT32_MAX && (flags & ACPI_LAPIC_ENABLED) && n < max)
			apic_ids[n++] = id;
		p += p[1];
	}
	return n;
}
