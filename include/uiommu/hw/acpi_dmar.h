/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACPI DMA Remapping Reporting table (VT-d 3.4 chapter 8): how
 * firmware describes the remapping units and the devices each one
 * translates for. uiommu's topology produces one for every host; the
 * VT-d driver learns its units only from it. Little-endian, packed.
 */
#ifndef UIOMMU_HW_ACPI_DMAR_PUBLIC_H
#define UIOMMU_HW_ACPI_DMAR_PUBLIC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The common ACPI table header (ACPI 6.5 5.2.6). */
struct acpi_table_header {
	char signature[4];          /* "DMAR" */
	uint32_t length;            /* the whole table, header included */
	uint8_t revision;
	uint8_t checksum;           /* all bytes of the table sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* 8.1 */
struct acpi_dmar_table {
	struct acpi_table_header header;
	uint8_t host_address_width; /* HAW - 1 */
	uint8_t flags;              /* ACPI_DMAR_INTR_REMAP, ... */
	uint8_t reserved[10];
} __attribute__((packed));

#define ACPI_DMAR_INTR_REMAP        0x01
#define ACPI_DMAR_X2APIC_OPT_OUT    0x02

/* Remapping structures follow the table, each with this header (8.2). */
struct acpi_dmar_entry {
	uint16_t type;
	uint16_t length;
} __attribute__((packed));

enum acpi_dmar_type {
	ACPI_DMAR_DRHD = 0,         /* a remapping unit */
	ACPI_DMAR_RMRR = 1,
	ACPI_DMAR_ATSR = 2,
	ACPI_DMAR_RHSA = 3,
	ACPI_DMAR_ANDD = 4,
	ACPI_DMAR_SATC = 5,
};

/* DMA Remapping Hardware Unit Definition (8.3), device scopes follow. */
struct acpi_dmar_drhd {
	struct acpi_dmar_entry entry;
	uint8_t flags;              /* ACPI_DMAR_INCLUDE_PCI_ALL */
	uint8_t size;               /* register set: 2^size 4 KiB pages */
	uint16_t segment;
	uint64_t address;           /* register base address */
} __attribute__((packed));

/* Every device of the segment not in another unit's scope; the entry
 * with it is the last DRHD of its segment (8.3). */
#define ACPI_DMAR_INCLUDE_PCI_ALL   0x01

/* Device scope (8.3.1): a start bus and a path of (device, function)
 * pairs, one per bus level, from the start bus down. */
struct acpi_dmar_scope {
	uint8_t type;               /* enum acpi_dmar_scope_type */
	uint8_t length;             /* 6 + 2 * path entries */
	uint8_t flags;
	uint8_t reserved;
	uint8_t enumeration_id;
	uint8_t bus;                /* start bus */
} __attribute__((packed));

struct acpi_dmar_path {
	uint8_t device;
	uint8_t function;
} __attribute__((packed));

enum acpi_dmar_scope_type {
	ACPI_DMAR_SCOPE_ENDPOINT = 1,   /* a PCI endpoint function */
	ACPI_DMAR_SCOPE_BRIDGE = 2,     /* a bridge and everything below it */
	ACPI_DMAR_SCOPE_IOAPIC = 3,
	ACPI_DMAR_SCOPE_HPET = 4,
	ACPI_DMAR_SCOPE_NAMESPACE = 5,
};

#ifdef __cplusplus
}
#endif

#endif
