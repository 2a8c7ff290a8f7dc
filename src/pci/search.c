/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finding functions (Linux drivers/pci/search.c): by bus and devfn, by
 * requester ID, by name or BDF, and walking the requester IDs a
 * function's DMA can carry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "pci.h"
#include "../host/host.h"
#include "../util/bdf.h"

struct pci_dev *pci_get_slot(struct pci_host_bridge *br, uint8_t bus, uint8_t devfn)
{
	struct pci_bus *b = br ? br->bus_by_num[bus] : NULL;
	if (!b)
		return NULL;
	struct pci_dev *pdev;
	list_for_each_entry(pdev, &b->devices, bus_list)
		if (pdev->devfn == devfn)
			return pdev;
	return NULL;
}

struct pci_dev *pci_get_by_rid(struct uiommu_host *h, uint16_t rid)
{
	return h ? pci_get_slot(h->pci, PCI_RID_BUS(rid), PCI_RID_DEVFN(rid)) : NULL;
}

const char *pci_name(const struct pci_dev *pdev, char buf[8])
{
	return pci_bdf_str(pci_dev_id(pdev), buf);
}

/* The public lookup: a device's name ("dsa0", an mdev's UUID), or a PCI
 * function's BDF. */
struct device *uiommu_device_find(struct uiommu_host *h, const char *name)
{
	if (!h || !name)
		return NULL;
	struct device *dev = device_find_by_name(h, name);
	uint16_t rid;
	if (!dev && !pci_bdf_parse(name, &rid)) {
		struct pci_dev *pdev = pci_get_by_rid(h, rid);
		dev = pdev ? &pdev->dev : NULL;
	}
	return dev;
}

bool pci_devs_are_dma_aliases(const struct pci_dev *a, const struct pci_dev *b)
{
	if (a->bus != b->bus)
		return false;
	return (a->dma_alias_mask[b->devfn / 8] & (1u << (b->devfn % 8))) ||
	       (b->dma_alias_mask[a->devfn / 8] & (1u << (a->devfn % 8)));
}

int pci_for_each_dma_alias(struct pci_dev *pdev,
			   int (*fn)(struct pci_dev *pdev, uint16_t alias, void *data), void *data)
{
	int rc = fn(pdev, pci_dev_id(pdev), data);
	if (rc)
		return rc;
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		if (!(pdev->dma_alias_mask[devfn / 8] & (1u << (devfn % 8))))
			continue;
		if ((rc = fn(pdev, PCI_RID(pdev->bus->number, devfn), data)))
			return rc;
	}
	/* Upstream: PCIe ports pass requester IDs through; a PCIe-to-PCI
	 * bridge owns the transactions of everything below it and issues
	 * them as (secondary bus, 00.0) (PCIe-to-PCI bridge spec 2.3); a
	 * conventional bridge as itself. */
	for (struct pci_bus *bus = pdev->bus; bus->self; bus = bus->parent) {
		struct pci_dev *br = bus->self;
		if (pci_is_pcie(br)) {
			switch (pci_pcie_type(br)) {
			case PCI_EXP_TYPE_PCI_BRIDGE:
				rc = fn(br, PCI_RID(br->subordinate->number, 0), data);
				break;
			case PCI_EXP_TYPE_PCIE_BRIDGE:
				rc = fn(br, pci_dev_id(br), data);
				break;
			default:
				continue;
			}
		} else {
			rc = fn(br, pci_dev_id(br), data);
		}
		if (rc)
			return rc;
	}
	return 0;
}
