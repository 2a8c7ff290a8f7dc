/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "../host.h"
#include "../base/device.h"
#include "../hw/machine.h"
#include "../util/compiler.h"

/* Source validation, request and completion redirect, upstream forwarding:
 * what peer-to-peer isolation needs (Linux REQ_ACS_FLAGS). */
#define REQ_ACS_FLAGS (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

static bool acs_flags_enabled(const struct hw_pci_function *d, uint16_t flags)
{
	if (!d->ecap_acs)
		return false;
	/* Features the function does not implement are not required of it. */
	uint16_t cap = hw_pci_cfg_get16(d, d->ecap_acs + PCI_ACS_CAP);
	flags &= cap | PCI_ACS_EC;
	return (hw_pci_acs_ctrl(d) & flags) == flags;
}

bool pci_acs_isolated(const struct hw_pci_function *d)
{
	if (!hw_pci_is_pcie(d))
		return false;
	switch (hw_pci_pcie_type(d)) {
	case PCI_EXP_TYPE_PCI_BRIDGE:
		/* Below a PCIe-to-PCI bridge there is no ACS at all. */
		return false;
	case PCI_EXP_TYPE_ROOT_PORT:
	case PCI_EXP_TYPE_DOWNSTREAM:
		return acs_flags_enabled(d, REQ_ACS_FLAGS);
	default:
		break;
	}
	/* Other types only implement ACS as part of a multifunction device
	 * (PCIe 6.12.1.2); a single function cannot do peer-to-peer. */
	if (d->multifunction)
		return acs_flags_enabled(d, REQ_ACS_FLAGS);
	return true;
}

/* Every function from `start` up to the root bus isolates with ACS. */
static bool acs_path_isolated(const struct hw_pci_function *start)
{
	const struct hw_pci_function *d = start;
	for (;;) {
		if (!pci_acs_isolated(d))
			return false;
		if (!d->bus->self)
			return true;
		d = d->bus->self;
	}
}

static struct device *dev_of(const struct hw_pci_function *p)
{
	return p ? p->driver_data : NULL;
}

static struct iommu_group *group_of(const struct hw_pci_function *p)
{
	struct device *d = dev_of(p);
	return d ? d->group : NULL;
}

/* Linux pci_for_each_dma_alias: the function, its quirk aliases, then
 * bridges above that take over the requester ID. Returns the group of the
 * first alias already grouped, and in *top the last function visited. */
static struct iommu_group *dma_alias_group(struct hw_machine *m, struct hw_pci_function *pdev,
					   struct hw_pci_function **top)
{
	*top = pdev;
	struct iommu_group *g = group_of(pdev);
	if (g)
		return g;
	for (unsigned i = 0; i < pdev->nr_aliases; i++) {
		struct hw_pci_function *a = hw_pci_function_by_rid(
			m, PCI_RID(pdev->bus->number, pdev->aliases[i]));
		if ((g = group_of(a)))
			return g;
	}
	for (struct hw_pci_bus *b = pdev->bus; b->self; b = b->parent) {
		struct hw_pci_function *br = b->self;
		if (!hw_pci_is_pcie(br))
			continue;
		enum pci_exp_type t = hw_pci_pcie_type(br);
		if (t == PCI_EXP_TYPE_PCI_BRIDGE || t == PCI_EXP_TYPE_PCIE_BRIDGE) {
			*top = br;
			if ((g = group_of(br)))
				return g;
		}
	}
	return NULL;
}

static bool are_dma_aliases(const struct hw_pci_function *a, const struct hw_pci_function *b)
{
	for (unsigned i = 0; i < a->nr_aliases; i++)
		if (a->aliases[i] == b->devfn)
			return true;
	for (unsigned i = 0; i < b->nr_aliases; i++)
		if (b->aliases[i] == a->devfn)
			return true;
	return false;
}

static struct iommu_group *function_alias_group(struct hw_machine *m, struct hw_pci_function *pdev,
						uint8_t seen[32]);

/* Linux get_pci_alias_group: a group of a function that aliases us or
 * that we alias, transitively; `seen` stops cycles. */
static struct iommu_group *alias_group(struct hw_machine *m, struct hw_pci_function *pdev,
				       uint8_t seen[32])
{
	if (seen[pdev->devfn / 8] & (1u << (pdev->devfn % 8)))
		return NULL;
	seen[pdev->devfn / 8] |= (uint8_t)(1u << (pdev->devfn % 8));
	struct iommu_group *g = group_of(pdev);
	if (g)
		return g;
	struct hw_pci_function *t;
	list_for_each_entry(t, &pdev->bus->devices, bus_node) {
		if (t == pdev || !are_dma_aliases(pdev, t))
			continue;
		if ((g = alias_group(m, t, seen)) || (g = function_alias_group(m, t, seen)))
			return g;
	}
	return NULL;
}

/* Linux get_pci_function_alias_group: functions of one slot that are not
 * isolated from each other by ACS share a group. */
static struct iommu_group *function_alias_group(struct hw_machine *m, struct hw_pci_function *pdev,
						uint8_t seen[32])
{
	if (!pdev->multifunction || pci_acs_isolated(pdev))
		return NULL;
	struct hw_pci_function *t;
	list_for_each_entry(t, &pdev->bus->devices, bus_node) {
		if (t == pdev || PCI_SLOT(t->devfn) != PCI_SLOT(pdev->devfn) || pci_acs_isolated(t))
			continue;
		struct iommu_group *g = alias_group(m, t, seen);
		if (g)
			return g;
	}
	return NULL;
}

static struct iommu_group *pci_device_group(struct uiommu_host *h, struct hw_pci_function *pdev)
{
	struct hw_machine *m = h->m;
	struct hw_pci_function *p;
	struct iommu_group *g = dma_alias_group(m, pdev, &p);
	if (g)
		return g;

	/* Upstream to the first point isolated by ACS all the way up. */
	for (struct hw_pci_bus *b = p->bus; b->self; b = b->parent) {
		if (acs_path_isolated(b->self))
			break;
		p = b->self;
		if ((g = group_of(p)))
			return g;
	}

	uint8_t seen[32] = { 0 };
	if ((g = alias_group(m, p, seen)))
		return g;
	if ((g = function_alias_group(m, p, seen)))
		return g;
	return iommu_group_alloc(h);
}

struct iommu_group *iommu_group_alloc(struct uiommu_host *h)
{
	struct iommu_group *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->host = h;
	g->id = h->next_group_id++;
	list_init(&g->devices);
	list_add_tail(&g->node, &h->groups);
	return g;
}

int iommu_group_add_device(struct iommu_group *g, struct device *dev)
{
	if (dev->group)
		return -EBUSY;
	dev->group = g;
	list_add_tail(&dev->group_node, &g->devices);
	g->nr_devices++;
	return 0;
}

void iommu_group_remove_device(struct device *dev)
{
	struct iommu_group *g = dev->group;
	if (!g)
		return;
	list_del(&dev->group_node);
	g->nr_devices--;
	dev->group = NULL;
}

int iommu_groups_build(struct uiommu_host *h)
{
	struct device *dev;
	list_for_each_entry(dev, &h->devices, node) {
		if (dev->bus != DEVICE_BUS_PCI || !dev->pdev->unit)
			continue; /* no IOMMU in front of it: no group */
		struct iommu_group *g = pci_device_group(h, dev->pdev);
		if (!g)
			return -ENOMEM;
		iommu_group_add_device(g, dev);
	}
	return 0;
}

void iommu_groups_free(struct uiommu_host *h)
{
	struct iommu_group *g, *t;
	list_for_each_entry_safe(g, t, &h->groups, node) {
		struct device *d;
		list_for_each_entry(d, &g->devices, group_node)
			d->group = NULL;
		list_del(&g->node);
		free(g);
	}
}
