/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef UIOMMU_IOMMU_INTEL_DEBUGFS_H
#define UIOMMU_IOMMU_INTEL_DEBUGFS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct uiommu_host;

/* Print every unit's root/context/PASID structures and the page tables
 * they reference (up to max_leaves mappings each); `device` narrows it
 * to one function. -ENOENT for an unknown device. */
int intel_dump(struct uiommu_host *h, FILE *f, const char *device, bool json, unsigned max_leaves);

/* Linux's /sys/kernel/debug/iommu/intel/<bdf>/domain_translation_struct
 * for the device's `pasid` (IOMMU_NO_PASID: its requests without one),
 * in the kernel's format, decoded from the unit's tables in memory. */
struct device;
int intel_domain_translation_struct(struct uiommu_host *h, struct device *dev, uint32_t pasid,
				    FILE *f);

#endif
