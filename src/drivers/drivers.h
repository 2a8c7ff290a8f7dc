/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel drivers of the host (DESIGN.md, the driver layer): bound after
 * the IOMMU and mdev cores are up, unbound before they go, like module
 * load and unload around a running IOMMU. idxd binds DSA functions by
 * vendor/device ID through the PCI driver core; swmdev is a software
 * parent with a platform device of its own.
 */
#ifndef UIOMMU_DRIVERS_H
#define UIOMMU_DRIVERS_H

#include <stdbool.h>

struct uiommu_host;
struct swmdev;

/* This layer's state on a host. */
struct device_drivers {
	bool idxd_registered;
	struct swmdev *swmdev;       /* the software mdev parent */
};

/* Register the drivers: idxd probes every DSA it matches, swmdev brings
 * its parent up. A device no driver takes stays free for VFIO. */
int device_drivers_init(struct uiommu_host *h);
void device_drivers_fini(struct uiommu_host *h);

#endif
