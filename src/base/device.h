/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's view of a device (drivers/base): a PCI function found on
 * the emulated machine, or a mediated device created in software. The
 * IOMMU core, mdev and VFIO all speak in terms of these.
 */
#ifndef UIOMMU_BASE_DEVICE_H
#define UIOMMU_BASE_DEVICE_H

#include "../util/list.h"

struct uiommu_host;
struct hw_pci_function;
struct iommu_group;
struct dev_iommu;

enum device_bus {
	DEVICE_BUS_PCI,
	DEVICE_BUS_MDEV,
	DEVICE_BUS_PLATFORM,   /* a software parent (the sw-mdev engine) */
};

struct device {
	struct uiommu_host *host;
	enum device_bus bus;
	char name[48];
	struct hw_pci_function *pdev;         /* DEVICE_BUS_PCI: the function */
	struct iommu_group *group;
	struct list_node group_node;
	struct list_node node;        /* host->devices */
	struct dev_iommu *iommu;      /* IOMMU core state, when an IOMMU serves it */
	const char *driver;           /* the kernel driver bound to it, NULL: vfio */
	void *driver_data;
};


#endif
