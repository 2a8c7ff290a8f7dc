/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef UIOMMU_DRIVERS_SWMDEV_H
#define UIOMMU_DRIVERS_SWMDEV_H

struct uiommu_host;

/* Register the software parent "swmdev0" and its type "swcopy-v1". */
int swmdev_init(struct uiommu_host *h);
void swmdev_fini(struct uiommu_host *h);

#endif
