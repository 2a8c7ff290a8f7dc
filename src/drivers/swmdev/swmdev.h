/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef UIOMMU_DRIVERS_SWMDEV_H
#define UIOMMU_DRIVERS_SWMDEV_H

struct uiommu_host;
struct swmdev;

/* Register the software parent "swmdev0" and its type "swcopy-v1". */
int swmdev_init(struct uiommu_host *h, struct swmdev **out);
void swmdev_fini(struct swmdev *s);

#endif
