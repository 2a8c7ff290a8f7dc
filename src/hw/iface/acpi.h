/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Firmware tables (ACPI 6.5 chapter 5): what the platform tells the
 * kernel about hardware it cannot enumerate - here the DMAR table of the
 * remapping units (<uiommu/hw/acpi_dmar.h>), which the topology produces
 * and the VT-d driver parses.
 */
#ifndef UIOMMU_HW_IFACE_ACPI_H
#define UIOMMU_HW_IFACE_ACPI_H

#include <stddef.h>

struct hw_machine;

/* The table with this 4-character signature ("DMAR"): 0 and its bytes,
 * valid as long as the machine, or -ENOENT. */
int hw_acpi_get_table(struct hw_machine *m, const char *signature, const void **table,
		      size_t *len);

#endif
