/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI functions under /sys/devices/pci0000:00, nested below the bridges
 * that lead to them as Linux nests them, with their identity attributes
 * read live from configuration space, and the links that tie them to
 * their IOMMU group, remapping unit, driver and bus (sysfs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs_int.h"
#include "../host.h"
#include "../base/device.h"
#include "../hw/pci/pci.h"
#include "../hw/pci/pci_regs.h"
#include "../hw/vtd/vtd.h"

/* Type 0 header fields the model's register list leaves out. */
#define SYSFS_PCI_HEADER_TYPE      0x0e
#define SYSFS_PCI_SUBSYSTEM_VENDOR 0x2c
#define SYSFS_PCI_SUBSYSTEM_ID     0x2e

struct pci_id_attr {
	const char *name;
	unsigned off, size, shift;  /* in configuration space */
	const char *fmt;
};

/* Linux's drivers/pci/pci-sysfs.c formats. */
static const struct pci_id_attr pci_id_attrs[] = {
	{ "vendor", PCI_VENDOR_ID, 2, 0, "0x%04x\n" },
	{ "device", PCI_DEVICE_ID, 2, 0, "0x%04x\n" },
	{ "subsystem_vendor", SYSFS_PCI_SUBSYSTEM_VENDOR, 2, 0, "0x%04x\n" },
	{ "subsystem_device", SYSFS_PCI_SUBSYSTEM_ID, 2, 0, "0x%04x\n" },
	{ "revision", PCI_REVISION_ID, 1, 0, "0x%02x\n" },
	{ "class", PCI_REVISION_ID, 4, 8, "0x%06x\n" }, /* above the revision */
};

static ssize_t id_show(struct kernfs_node *kn, char *buf);
static const struct kernfs_ops id_ops = { .show = id_show };

static ssize_t id_show(struct kernfs_node *kn, char *buf)
{
	struct device *dev = kn->priv;
	for (size_t i = 0; i < sizeof(pci_id_attrs) / sizeof(pci_id_attrs[0]); i++) {
		const struct pci_id_attr *a = &pci_id_attrs[i];
		if (strcmp(a->name, kn->name))
			continue;
		uint32_t v = pci_cfg_read(dev->pdev, a->off, a->size);
		/* A bridge's header has other fields there (Linux then shows
		 * the subsystem capability's IDs; the model's bridges have none). */
		if ((a->off == SYSFS_PCI_SUBSYSTEM_VENDOR || a->off == SYSFS_PCI_SUBSYSTEM_ID) &&
		    (pci_cfg_read(dev->pdev, SYSFS_PCI_HEADER_TYPE, 1) & 0x7f))
			v = 0;
		return sysfs_emit(buf, a->fmt, v >> a->shift);
	}
	return -EIO;
}

/* The directory of the bridge a function sits behind (created on the way). */
static int bridge_dir(struct sysfs_host *sh, const struct pci_dev *p, struct kernfs_node **out);

static int function_dir(struct sysfs_host *sh, struct device *dev, struct kernfs_node **out)
{
	struct sysfs_dev *sd = sysfs_dev_find(sh, dev);
	if (sd) {
		*out = sd->dir;
		return 0;
	}
	struct kernfs_node *parent, *dir;
	char name[32];
	sysfs_dev_name(dev, name, sizeof(name));
	int rc = bridge_dir(sh, dev->pdev, &parent);
	if (rc || (rc = kernfs_create_dir(parent, name, 0755, 0, dev, &dir)))
		return rc;
	for (size_t i = 0; i < sizeof(pci_id_attrs) / sizeof(pci_id_attrs[0]); i++)
		if ((rc = kernfs_create_file(dir, pci_id_attrs[i].name, 0444, &id_ops, dev, NULL)))
			return rc;
	if ((rc = kernfs_create_link(dir, "subsystem", sh->bus_pci, NULL)) ||
	    (rc = kernfs_create_link(sh->pci_devices, name, dir, NULL)) ||
	    (rc = sysfs_dev_track(sh, dev, dir)))
		return rc;
	*out = dir;
	return 0;
}

static int bridge_dir(struct sysfs_host *sh, const struct pci_dev *p, struct kernfs_node **out)
{
	struct pci_dev *bridge = p->bus ? p->bus->self : NULL;
	if (!bridge || !bridge->driver_data) {
		*out = sh->pci_root;
		return 0;
	}
	return function_dir(sh, bridge->driver_data, out);
}

/* The unit's directory under /sys/devices/virtual/iommu. */
static struct kernfs_node *unit_dir(struct sysfs_host *sh, const struct vtd_unit *u)
{
	return u ? kernfs_find_and_get(sh->virtual_iommu, vtd_unit_name(u)) : NULL;
}

static int link_unit(struct sysfs_host *sh, struct device *dev, struct kernfs_node *dir)
{
	if (!sh->host->iommu_ready)
		return 0;
	struct kernfs_node *ud = unit_dir(sh, dev->pdev->unit);
	if (!ud)
		return 0;
	char name[32];
	sysfs_dev_name(dev, name, sizeof(name));
	struct kernfs_node *devs = kernfs_find_and_get(ud, "devices");
	int rc = kernfs_create_link(dir, "iommu", ud, NULL);
	if (!rc && devs)
		rc = kernfs_create_link(devs, name, dir, NULL);
	kernfs_put(devs);
	kernfs_put(ud);
	return rc;
}

/* What Linux would have bound: the host's driver, else - the function
 * being free for VFIO here - vfio-pci. */
static const char *pci_driver_name(const struct device *dev)
{
	return dev->driver ? dev->driver : "vfio-pci";
}

static int pci_device_add(struct sysfs_host *sh, struct device *dev)
{
	struct kernfs_node *dir;
	char name[32];
	sysfs_dev_name(dev, name, sizeof(name));
	int rc = function_dir(sh, dev, &dir);
	if (!rc)
		rc = link_unit(sh, dev, dir);
	if (!rc && dev->group)
		rc = sysfs_group_add_device(sh, dev, dir);
	if (!rc)
		rc = sysfs_bind_driver(sh->pci_drivers, pci_driver_name(dev), dir, name);
	return rc;
}

int sysfs_pci_init(struct sysfs_host *sh)
{
	int rc = 0;
	pthread_mutex_lock(&sh->lock);
	struct device *dev;
	list_for_each_entry(dev, &sh->host->devices, node) {
		if (dev->bus == DEVICE_BUS_PCI && dev->pdev && (rc = pci_device_add(sh, dev)))
			break;
	}
	pthread_mutex_unlock(&sh->lock);
	return rc;
}
