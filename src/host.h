/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host: one emulated machine plus the kernel-side state that drives
 * it (devices, groups, and - as they land - the IOMMU core, mdev, VFIO and
 * /dev/iommu). DESIGN.md: no global mutable state; everything hangs here.
 */
#ifndef UIOMMU_HOST_H
#define UIOMMU_HOST_H

#include <pthread.h>

#include <uiommu/host.h>

#include "util/list.h"

struct hw_machine;

struct uiommu_host {
	struct hw_machine *m;
	pthread_mutex_t lock;
	struct list_node devices;     /* struct device, PCI in BDF order, then mdevs */
	struct list_node groups;
	unsigned next_group_id;
};

struct device *host_find_device(struct uiommu_host *h, const char *name_or_bdf);

#endif
