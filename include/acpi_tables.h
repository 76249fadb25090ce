/* SPDX-License-Identifier: MIT */
/*
 * acpi_tables.h: the few ACPI structures minivmm writes and the guest reads
 * to know its CPUs (vmm/acpi.c, guest/acpi.c): the RSDP, a system
 * description table's header, and the MADT's processor local APIC entry.
 * Self-contained C99, like pvh.h.
 */
#ifndef ACPI_TABLES_H
#define ACPI_TABLES_H

#include <stdint.h>

#define ACPI_MADT_LAPIC	     0 /* processor local APIC */
#define ACPI_MADT_X2APIC     9 /* processor local x2APIC */
#define ACPI_LAPIC_ENABLED   0x1
#define ACPI_RSDP_V1_LEN     20 /* the part the first checksum covers */
#define ACPI_MADT_HEADER_LEN 8	/* local APIC address, flags */

struct acpi_rsdp {
	char sig[8]; /* "RSD PTR " */
	uint8_t checksum;
	char oem[6];
	uint8_t revision; /* 2: the fields below are valid */
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t xchecksum, reserved[3];
} __attribute__((packed));

struct acpi_sdt {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

struct acpi_madt_lapic {
	uint8_t type, length, acpi_id, apic_id;
	uint32_t flags;
} __attribute__((packed));

#endif /* ACPI_TABLES_H */
