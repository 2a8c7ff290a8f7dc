/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef UIOMMU_IOMMU_INTEL_DEBUGFS_H
#define UIOMMU_IOMMU_INTEL_DEBUGFS_H

#include <stdbool.h>
#include <stdio.h>

struct uiommu_host;

/* Print every unit's root/context/PASID structures and the page tables
 * they reference (up to max_leaves mappings each); `device` narrows it
 * to one function. -ENOENT for an unknown device. */
int intel_dump(struct uiommu_host *h, FILE *f, const char *device, bool json, unsigned max_leaves);

#endif
