/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host: one emulated machine plus the kernel-side state that drives
 * it (devices, groups, and - as they land - the IOMMU core, mdev, VFIO and
 * /dev/iommu). DESIGN.md: no global mutable state; everything hangs here.
 */
#ifndef UIOMMU_HOST_H
#define UIOMMU_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uiommu/host.h>

#include "util/list.h"

struct hw_machine;
struct intel_driver;
struct device;
struct vfio_host;
struct swmdev;
struct files_host;
struct sysfs_host;

/* Recent DMA remapping faults, as the IOMMU driver reported them. */
#define HOST_FAULT_LOG 64
struct host_fault {
	struct device *dev;
	uint32_t pasid;
	bool pasid_valid;
	bool write;
	uint8_t reason;
	uint64_t addr;
};

struct uiommu_host {
	struct hw_machine *m;
	struct files_host *files;     /* device nodes and open files (src/files) */
	struct sysfs_host *sysfs;     /* the /sys view (src/sysfs) */
	pthread_mutex_t lock;
	struct list_node devices;     /* struct device, PCI in BDF order, then mdevs */
	struct list_node groups;
	unsigned next_group_id;
	bool default_identity;        /* default domains pass through */
	bool iommu_ready;

	struct intel_driver *intel;   /* the IOMMU driver instance */
	struct list_node domains;     /* every domain a user allocated */
	struct list_node mdev_parents;
	pthread_mutex_t mdev_lock;    /* creation and removal of mdevs, the group list */
	struct vfio_host *vfio;       /* VFIO handles and open groups */
	struct swmdev *swmdev;        /* the software mdev parent */
	bool drivers_bound;

	pthread_mutex_t pasid_lock;   /* global PASID space */
	uint64_t *pasid_map;

	pthread_mutex_t fault_lock;
	struct host_fault fault_log[HOST_FAULT_LOG];
	unsigned long fault_head, nr_faults;
};

struct device *host_find_device(struct uiommu_host *h, const char *name_or_bdf);

#endif
