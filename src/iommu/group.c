/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU groups: their membership, and how a driver's device_group()
 * picks one - Linux's pci_device_group rules over the kernel's PCI view
 * (pci/: DMA aliases, ACS), or a group of the device's own. Groups are
 * numbered in the order they are made: at bring-up, BDF order of their
 * first member. The group list is under the core's groups_lock;
 * membership changes under its probe_lock (or the mdev core's lock for an
 * mdev's own group).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "group.h"
#include "../pci/pci.h"
#include "../util/slab.h"

struct iommu_group *iommu_group_alloc(struct uiommu_host *h)
{
	struct iommu_core *core = iommu_core_of(h);
	if (!core)
		return NULL;
	struct iommu_group *g = kcalloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->host = h;
	list_init(&g->devices);
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_lock(&core->groups_lock);
	g->id = core->next_group_id++;
	list_add_tail(&g->node, &core->groups);
	pthread_mutex_unlock(&core->groups_lock);
	return g;
}

int iommu_group_add_device(struct iommu_group *g, struct device *dev)
{
	if (!g || !dev)
		return -EINVAL;
	if (dev->group)
		return -EBUSY;
	dev->group = g;
	list_add_tail(&dev->group_node, &g->devices);
	g->nr_devices++;
	return 0;
}

void iommu_group_remove_device(struct device *dev)
{
	struct iommu_group *g = dev ? dev->group : NULL;
	if (!g)
		return;
	list_del(&dev->group_node);
	dev->group = NULL;
	g->nr_devices--;
}

void iommu_group_free(struct iommu_group *g)
{
	if (!g || g->nr_devices)
		return;
	struct iommu_core *core = iommu_core_of(g->host);
	pthread_mutex_lock(&core->groups_lock);
	list_del(&g->node);
	pthread_mutex_unlock(&core->groups_lock);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

struct iommu_group *iommu_group_get(struct device *dev)
{
	return dev ? dev->group : NULL;
}

unsigned iommu_group_id(const struct iommu_group *g)
{
	return g ? g->id : ~0u;
}

struct iommu_group *iommu_group_get_by_id(struct uiommu_host *h, unsigned id)
{
	struct iommu_core *core = iommu_core_of(h);
	struct iommu_group *g, *found = NULL;
	if (!core)
		return NULL;
	pthread_mutex_lock(&core->groups_lock);
	list_for_each_entry(g, &core->groups, node)
		if (g->id == id)
			found = g;
	pthread_mutex_unlock(&core->groups_lock);
	return found;
}

int iommu_group_for_each_dev(struct iommu_group *g, void *data,
			     int (*fn)(struct device *dev, void *data))
{
	struct device *dev;
	int rc = 0;
	list_for_each_entry(dev, &g->devices, group_node)
		if ((rc = fn(dev, data)))
			break;
	return rc;
}

int iommu_for_each_group(struct uiommu_host *h, void *data,
			 int (*fn)(struct iommu_group *g, void *data))
{
	struct iommu_core *core = iommu_core_of(h);
	struct iommu_group *g;
	int rc = 0;
	if (!core)
		return 0;
	pthread_mutex_lock(&core->groups_lock);
	list_for_each_entry(g, &core->groups, node)
		if ((rc = fn(g, data)))
			break;
	pthread_mutex_unlock(&core->groups_lock);
	return rc;
}

struct iommu_group *generic_device_group(struct device *dev)
{
	struct iommu_group *g = iommu_group_alloc(dev->host);
	return g ? g : ERR_PTR(-ENOMEM);
}

/* ---- pci_device_group ---- */

static struct iommu_group *group_of(struct pci_dev *pdev)
{
	return pdev ? pdev->dev.group : NULL;
}

struct alias_walk {
	struct pci_dev *pdev;          /* the last function visited */
	struct iommu_group *group;
};

/* For each requester ID the function's DMA carries: is its owner grouped? */
static int alias_owner_group(struct pci_dev *pdev, uint16_t alias, void *data)
{
	struct alias_walk *w = data;
	(void)alias;
	w->pdev = pdev;
	w->group = group_of(pdev);
	return w->group != NULL;
}

static struct iommu_group *function_alias_group(struct pci_dev *pdev, uint8_t seen[32]);

/* Linux get_pci_alias_group: a group of a function that aliases us or
 * that we alias, transitively; `seen` stops cycles. */
static struct iommu_group *alias_group(struct pci_dev *pdev, uint8_t seen[32])
{
	if (seen[pdev->devfn / 8] & (1u << (pdev->devfn % 8)))
		return NULL;
	seen[pdev->devfn / 8] |= (uint8_t)(1u << (pdev->devfn % 8));
	struct iommu_group *g = group_of(pdev);
	if (g)
		return g;
	struct pci_dev *t;
	list_for_each_entry(t, &pdev->bus->devices, bus_list) {
		if (t == pdev || !pci_devs_are_dma_aliases(pdev, t))
			continue;
		if ((g = alias_group(t, seen)) || (g = function_alias_group(t, seen)))
			return g;
	}
	return NULL;
}

/* Linux get_pci_function_alias_group: functions of one slot that are not
 * isolated from each other by ACS share a group. */
static struct iommu_group *function_alias_group(struct pci_dev *pdev, uint8_t seen[32])
{
	if (!pdev->multifunction || pci_acs_enabled(pdev))
		return NULL;
	struct pci_dev *t;
	list_for_each_entry(t, &pdev->bus->devices, bus_list) {
		if (t == pdev || PCI_SLOT(t->devfn) != PCI_SLOT(pdev->devfn) || pci_acs_enabled(t))
			continue;
		struct iommu_group *g = alias_group(t, seen);
		if (g)
			return g;
	}
	return NULL;
}

struct iommu_group *pci_device_group(struct device *dev)
{
	if (!dev_is_pci(dev))
		return ERR_PTR(-EINVAL);
	struct alias_walk w = { 0 };
	if (pci_for_each_dma_alias(to_pci_dev(dev), alias_owner_group, &w))
		return w.group;
	struct pci_dev *pdev = w.pdev;

	/* Upstream to the first point isolated by ACS all the way up. */
	for (struct pci_bus *bus = pdev->bus; bus->self; bus = bus->parent) {
		if (pci_acs_path_enabled(bus->self))
			break;
		pdev = bus->self;
		struct iommu_group *g = group_of(pdev);
		if (g)
			return g;
	}
	uint8_t seen[32] = { 0 };
	struct iommu_group *g = alias_group(pdev, seen);
	if (!g)
		g = function_alias_group(pdev, seen);
	return g ? g : generic_device_group(dev);
}
