/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU groups (SPEC A-2, H-9): the smallest sets of devices the IOMMU can
 * isolate from each other. A driver's device_group() picks a device's
 * group - for a PCI function by Linux's pci_device_group rules (DMA
 * aliases, the first upstream point without ACS isolation, non-isolated
 * functions of a multifunction device), computed from the kernel's PCI
 * view. The group carries the domains its devices' RIDs use.
 */
#ifndef UIOMMU_IOMMU_GROUP_H
#define UIOMMU_IOMMU_GROUP_H

#include <pthread.h>
#include <stdbool.h>

#include "../util/list.h"

struct uiommu_host;
struct device;
struct iommu_domain;

struct iommu_group {
	unsigned id;
	struct uiommu_host *host;
	struct list_node devices;     /* device.group_node */
	unsigned nr_devices;
	struct list_node node;        /* iommu_core.groups, under groups_lock */

	/* The RIDs' translation, under `lock`. A group no IOMMU translates
	 * for (an mdev's) has no blocking domain and takes no domain. */
	pthread_mutex_t lock;
	struct iommu_domain *default_domain;
	struct iommu_domain *blocking_domain;
	struct iommu_domain *domain;       /* what the RIDs use now */
	void *owner;                       /* DMA owner (VFIO, iommufd) */
	unsigned owner_cnt;
};

/* A new, empty group of the host (NULL: out of memory). */
struct iommu_group *iommu_group_alloc(struct uiommu_host *h);
int iommu_group_add_device(struct iommu_group *g, struct device *dev);
void iommu_group_remove_device(struct device *dev);
/* Whoever made a group frees it once it is empty (a no-op before). */
void iommu_group_free(struct iommu_group *g);
struct iommu_group *iommu_group_get_by_id(struct uiommu_host *h, unsigned id);
/* fn for each device of the group until it returns non-zero. */
int iommu_group_for_each_dev(struct iommu_group *g, void *data,
			     int (*fn)(struct device *dev, void *data));
/* Call fn for every group of the host, in creation order; the group list
 * is locked meanwhile (fn must not make or drop groups). */
int iommu_for_each_group(struct uiommu_host *h, void *data,
			 int (*fn)(struct iommu_group *g, void *data));

static inline bool iommu_group_translated(const struct iommu_group *g)
{
	return g && g->blocking_domain;
}

/* attach.c: the group's first IOMMU-served device sets up its default
 * and blocking domains; a later one joins the group's current domain. */
int iommu_group_attach_new_device(struct iommu_group *g, struct device *dev);
/* The group's last IOMMU-served device goes: back to blocking, default
 * domain freed. Caller holds the group lock. */
void iommu_group_teardown_locked(struct iommu_group *g);
int iommu_group_set_domain_locked(struct iommu_group *g, struct iommu_domain *domain);

#endif
