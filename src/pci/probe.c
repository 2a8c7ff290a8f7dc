/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Enumeration (Linux drivers/pci/probe.c in shape): the kernel finds its
 * functions by reading configuration space - vendor ID, header type,
 * capability lists, BAR sizes - through the ECAM window, descending
 * through every bridge's secondary bus. Every function number of a slot
 * is probed, as Linux does where functions may be passed through singly
 * (hypervisor_isolated_pci_functions). Found functions are fixed up
 * (quirks.c) and then added to the device core in BDF order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "../host/host.h"
#include "../hw/iface/pci.h"
#include "../util/slab.h"

const struct bus_type pci_bus_type = { .name = "pci" };

static struct pci_bus *bus_alloc(struct pci_host_bridge *br, struct pci_dev *self, uint8_t nr)
{
	struct pci_bus *b = kcalloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->bridge = br;
	b->number = nr;
	b->self = self;
	b->parent = self ? self->bus : NULL;
	list_init(&b->devices);
	list_add_tail(&b->node, &br->buses);
	br->bus_by_num[nr] = b;
	if (self)
		self->subordinate = b;
	return b;
}

/* A BAR's size by writing all ones and reading back (PCI 6.2.5.1). */
static uint64_t bar_size(struct pci_dev *pdev, unsigned bar, bool *is64)
{
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint32_t lo, hi = 0, mlo, mhi = ~0u;
	pci_read_config_dword(pdev, reg, &lo);
	*is64 = !(lo & PCI_BASE_ADDRESS_SPACE_IO) && (lo & 6) == PCI_BASE_ADDRESS_MEM_TYPE_64;
	pci_write_config_dword(pdev, reg, ~0u);
	pci_read_config_dword(pdev, reg, &mlo);
	pci_write_config_dword(pdev, reg, lo);
	if (*is64) {
		pci_read_config_dword(pdev, reg + 4, &hi);
		pci_write_config_dword(pdev, reg + 4, ~0u);
		pci_read_config_dword(pdev, reg + 4, &mhi);
		pci_write_config_dword(pdev, reg + 4, hi);
	} else {
		mhi = ~0u;
	}
	uint64_t mask = ((uint64_t)mhi << 32) | (mlo & PCI_BASE_ADDRESS_MEM_MASK);
	if (!(mlo & PCI_BASE_ADDRESS_MEM_MASK) && (!*is64 || !mhi))
		return 0; /* nothing implemented */
	return ~mask + 1;
}

static void read_bases(struct pci_dev *pdev)
{
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return;
	for (unsigned bar = 0; bar < PCI_NUM_BARS; bar++) {
		bool is64;
		pdev->bar_size[bar] = bar_size(pdev, bar, &is64);
		if (is64)
			bar++;
	}
}

/* The function and every port above it pass PASID prefixes. */
static bool eetlp_prefix_path(const struct pci_dev *pdev)
{
	for (const struct pci_dev *p = pdev; p; p = p->bus->self) {
		uint32_t cap2 = 0;
		if (p->pcie_cap)
			pci_read_config_dword(p, p->pcie_cap + PCI_EXP_DEVCAP2, &cap2);
		if (!(cap2 & PCI_EXP_DEVCAP2_EE_PREFIX))
			return false;
	}
	return true;
}

static void setup_device(struct pci_dev *pdev)
{
	uint32_t id, class;
	uint8_t hdr;
	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	pci_read_config_dword(pdev, PCI_VENDOR_ID, &id);
	pdev->vendor = (uint16_t)id;
	pdev->device = (uint16_t)(id >> 16);
	pci_read_config_dword(pdev, PCI_REVISION_ID, &class);
	pdev->class = class >> 8;
	pci_read_config_byte(pdev, PCI_HEADER_TYPE, &hdr);
	pdev->hdr_type = hdr & 0x7f;
	pdev->multifunction = hdr & PCI_HEADER_TYPE_MFD;
	pdev->pcie_cap = pci_find_capability(pdev, PCI_CAP_ID_EXP);
	if (pdev->pcie_cap) {
		uint16_t flags;
		pci_read_config_word(pdev, pdev->pcie_cap + PCI_EXP_FLAGS, &flags);
		pdev->pcie_type = (uint8_t)((flags >> PCI_EXP_FLAGS_TYPE_SHIFT) & 0xf);
		pdev->cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	}
	pdev->af_cap = pci_find_capability(pdev, PCI_CAP_ID_AF);
	pdev->msi_cap = pci_find_capability(pdev, PCI_CAP_ID_MSI);
	pdev->msix_cap = pci_find_capability(pdev, PCI_CAP_ID_MSIX);
	pdev->acs_cap = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_ACS);
	pdev->ats_cap = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_ATS);
	pdev->pri_cap = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_PRI);
	pdev->pasid_cap = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_PASID);
	pdev->eetlp_prefix_path = eetlp_prefix_path(pdev);
	read_bases(pdev);
}

static struct pci_dev *scan_device(struct pci_bus *bus, uint8_t devfn)
{
	struct pci_host_bridge *br = bus->bridge;
	struct pci_dev *pdev = kcalloc(1, sizeof(*pdev));
	if (!pdev)
		return NULL;
	pdev->bus = bus;
	pdev->devfn = devfn;
	setup_device(pdev);
	char name[32], bdf[8];
	pci_label_get(pdev, name, sizeof(name));
	device_initialize(&pdev->dev, br->host, &pci_bus_type,
			  name[0] ? name : pci_name(pdev, bdf));
	list_add_tail(&pdev->bus_list, &bus->devices);
	/* The host's list in BDF order, whatever order buses are found in. */
	struct list_node *pos = &br->devices;
	struct pci_dev *it;
	list_for_each_entry(it, &br->devices, node) {
		if (pci_dev_id(it) > pci_dev_id(pdev)) {
			pos = &it->node;
			break;
		}
	}
	list_add_tail(&pdev->node, pos);
	return pdev;
}

static int scan_bus(struct pci_bus *bus)
{
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		if (hw_ecam_read(bus->bridge->m, bus->number, (uint8_t)devfn, PCI_VENDOR_ID, 2) ==
		    0xffff)
			continue;
		struct pci_dev *pdev = scan_device(bus, (uint8_t)devfn);
		if (!pdev)
			return -ENOMEM;
		if (!pci_is_bridge(pdev))
			continue;
		/* Bus numbers as firmware assigned them; one already seen is a
		 * loop, and is not scanned twice. */
		uint8_t sec;
		pci_read_config_byte(pdev, PCI_SECONDARY_BUS, &sec);
		if (!sec || bus->bridge->bus_by_num[sec])
			continue;
		struct pci_bus *child = bus_alloc(bus->bridge, pdev, sec);
		if (!child)
			return -ENOMEM;
		int rc = scan_bus(child);
		if (rc)
			return rc;
	}
	return 0;
}

int pci_scan_host_bridge(struct uiommu_host *h, struct hw_machine *m)
{
	struct pci_host_bridge *br = kcalloc(1, sizeof(*br));
	if (!br)
		return -ENOMEM;
	br->host = h;
	br->m = m;
	list_init(&br->buses);
	list_init(&br->devices);
	list_init(&br->drivers);
	pthread_mutex_init(&br->lock, NULL);
	pci_msi_init(br);
	h->pci = br;
	br->bus = bus_alloc(br, NULL, 0);
	int rc = br->bus ? scan_bus(br->bus) : -ENOMEM;
	if (rc)
		return rc;
	struct pci_dev *pdev;
	list_for_each_entry(pdev, &br->devices, node)
		pci_fixup_device(pdev);
	list_for_each_entry(pdev, &br->devices, node)
		if ((rc = device_add(&pdev->dev)))
			return rc;
	return 0;
}

void pci_remove_host_bridge(struct uiommu_host *h)
{
	struct pci_host_bridge *br = h->pci;
	if (!br)
		return;
	struct pci_dev *pdev;
	/* Last in BDF order first. */
	while (!list_empty(&br->devices)) {
		pdev = list_entry(br->devices.prev, struct pci_dev, node);
		device_del(&pdev->dev);
		list_del(&pdev->node);
		list_del(&pdev->bus_list);
		pci_free_irq_vectors(pdev);
		free(pdev->saved_config);
		free(pdev);
	}
	struct pci_bus *b, *bt;
	list_for_each_entry_safe(b, bt, &br->buses, node) {
		list_del(&b->node);
		free(b);
	}
	pci_msi_fini(br);
	pthread_mutex_destroy(&br->lock);
	free(br);
	h->pci = NULL;
}
