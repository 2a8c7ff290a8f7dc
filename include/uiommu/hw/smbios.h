/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SMBIOS structures (DMTF DSP0134 3.x) that uiommu's firmware provides:
 * each structure is a formatted area starting with this header, then
 * its strings, each NUL-terminated, the set ending with an extra NUL
 * (two NULs when there are none).
 */
#ifndef UIOMMU_HW_SMBIOS_PUBLIC_H
#define UIOMMU_HW_SMBIOS_PUBLIC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct smbios_header {
	uint8_t type;
	uint8_t length;           /* the formatted area, header included */
	uint16_t handle;
} __attribute__((packed));

#define SMBIOS_TYPE_ONBOARD_DEV_EXT 41
#define SMBIOS_TYPE_END_OF_TABLE    127

/* Onboard Devices Extended Information (7.42): a device's label by its
 * segment, bus and device/function. */
struct smbios_onboard_dev_ext {
	struct smbios_header header;
	uint8_t designation;      /* string number of the reference designation, 1-based */
	uint8_t device_type;      /* 6:0 type, 7 enabled */
	uint8_t type_instance;
	uint16_t segment;
	uint8_t bus;
	uint8_t devfn;            /* device 7:3, function 2:0 */
} __attribute__((packed));

#define SMBIOS_DEVICE_TYPE_OTHER    0x01
#define SMBIOS_DEVICE_ENABLED       0x80

#ifdef __cplusplus
}
#endif

#endif
