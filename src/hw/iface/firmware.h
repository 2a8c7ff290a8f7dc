/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Firmware tables: what the platform tells the kernel about hardware it
 * cannot enumerate. The topology produces both:
 *  - the ACPI DMAR table of the remapping units (<uiommu/hw/acpi_dmar.h>,
 *    ACPI 6.5 5.2, VT-d chapter 8), which the VT-d driver parses;
 *  - the SMBIOS structure table with an Onboard Devices Extended
 *    Information entry (type 41, <uiommu/hw/smbios.h>) for every function
 *    the topology names, which is where the kernel's PCI code finds
 *    device labels, as Linux's pci-label does.
 */
#ifndef UIOMMU_HW_IFACE_FIRMWARE_H
#define UIOMMU_HW_IFACE_FIRMWARE_H

#include <stddef.h>

struct hw_machine;

/* The ACPI table with this 4-character signature ("DMAR"): 0 and its
 * bytes, valid as long as the machine, or -ENOENT. */
int hw_acpi_get_table(struct hw_machine *m, const char *signature, const void **table,
		      size_t *len);

/* The SMBIOS structure table (ending with a type 127 structure). */
int hw_smbios_get_table(struct hw_machine *m, const void **table, size_t *len);

#endif
