/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host object: one emulated machine and the kernel side that drives
 * it. It holds the machine, the device list (the device core's, base/)
 * and one pointer per layer to that layer's own state, which only that
 * layer dereferences. Bringing the layers up and down in order is
 * assembly.c's. DESIGN.md: no global mutable state; everything hangs here.
 */
#ifndef UIOMMU_HOST_HOST_H
#define UIOMMU_HOST_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uiommu/host.h>

#include "../util/list.h"

struct hw_machine;
struct pci_host_bridge;
struct iommu_core;
struct intel_driver;
struct mock_iommu;
struct iommufd_host;
struct mdev_core;
struct device_drivers;
struct vfio_core;
struct files_host;
struct sysfs_host;

struct uiommu_host {
	/* The hardware. The kernel side reaches it only through hw/iface/. */
	struct hw_machine *m;

	/* The device core (base/core.c). */
	pthread_mutex_t devices_lock;
	struct list_node devices;        /* struct device.node: PCI in BDF order, then the rest */
	pthread_mutex_t notifier_lock;
	struct list_node notifiers;      /* struct bus_notifier.node */

	/* Each layer's state, bottom up (assembly.c brings them up in this
	 * order): only the named layer looks inside. */
	struct pci_host_bridge *pci;     /* pci/: the kernel's PCI view */
	struct iommu_core *iommu;        /* iommu/: domains, groups, PASIDs, drivers */
	struct intel_driver *intel;      /* iommu/intel/: the VT-d driver */
	struct mock_iommu *mock;         /* iommu/mock/: the selftest IOMMU (opts.selftest) */
	struct mdev_core *mdev;          /* mdev/: parents and instances */
	struct device_drivers *drivers;  /* drivers/: idxd, swmdev */
	struct vfio_core *vfio;          /* vfio/: containers, groups, devices */
	struct files_host *files;        /* files/: device nodes and open files */
	struct iommufd_host *iommufd;    /* iommufd/: /dev/iommu and its selftest interface */
	struct sysfs_host *sysfs;        /* sysfs/: the /sys view, above the kernel side */
	/* Assembly adds mm/ and shim/ here as they land. */
};

/* The object alone, no layer up; and its end, once every layer is down. */
int host_object_init(struct uiommu_host *h);
void host_object_fini(struct uiommu_host *h);

#endif
