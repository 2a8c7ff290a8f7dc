/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU groups (SPEC A-2, H-9): the smallest sets of devices the IOMMU can
 * isolate from each other, derived from the PCI topology exactly as Linux
 * does (drivers/iommu/iommu.c pci_device_group): DMA aliases, the first
 * upstream point without ACS isolation, and non-isolated functions of a
 * multifunction device all merge devices into one group.
 */
#ifndef UIOMMU_IOMMU_GROUP_H
#define UIOMMU_IOMMU_GROUP_H

#include <stdbool.h>

#include "../util/list.h"

struct uiommu_host;
struct device;
struct hw_pci_function;

struct iommu_group {
	unsigned id;
	struct uiommu_host *host;
	struct list_node devices;     /* device.group_node */
	struct list_node node;        /* host->groups */
	unsigned nr_devices;
	void *iommu;                  /* IOMMU core state (domains, ownership) */
};

/* Place every PCI device an IOMMU serves into its group, in bus order. */
int iommu_groups_build(struct uiommu_host *h);
void iommu_groups_free(struct uiommu_host *h);
int iommu_group_add_device(struct iommu_group *g, struct device *dev);
void iommu_group_remove_device(struct device *dev);
struct iommu_group *iommu_group_alloc(struct uiommu_host *h);

/* The ACS test Linux applies (pci_acs_enabled with REQ_ACS_FLAGS). */
bool pci_acs_isolated(const struct hw_pci_function *d);

#endif
