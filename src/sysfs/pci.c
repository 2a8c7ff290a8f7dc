/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI functions under /sys/devices/pci0000:00, nested below the bridges
 * that lead to them as Linux nests them, with their identity attributes
 * read through the kernel's configuration-space accessors (src/pci), and
 * the links that tie them to their IOMMU group, remapping unit, driver
 * and bus (sysfs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs_int.h"
#include "../host/host.h"
#include "../iommu/iommu.h"
#include "../pci/pci.h"

/* Type 0 header fields (PCI Local Bus 3.0, 6.1). */
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

static ssize_t id_show(struct kernfs_node *kn, char *buf)
{
	struct pci_dev *pdev = to_pci_dev(kn->priv);
	for (size_t i = 0; i < sizeof(pci_id_attrs) / sizeof(pci_id_attrs[0]); i++) {
		const struct pci_id_attr *a = &pci_id_attrs[i];
		if (strcmp(a->name, kn->name))
			continue;
		uint32_t v = 0;
		uint16_t w = 0;
		uint8_t b = 0;
		int rc = a->size == 4 ? pci_read_config_dword(pdev, a->off, &v) :
			 a->size == 2 ? pci_read_config_word(pdev, a->off, &w) :
					pci_read_config_byte(pdev, a->off, &b);
		if (rc)
			return rc;
		v = a->size == 4 ? v : a->size == 2 ? w : b;
		/* A bridge's header has other fields there (Linux then shows
		 * the subsystem capability's IDs; the model's bridges have none). */
		if (a->off == SYSFS_PCI_SUBSYSTEM_VENDOR || a->off == SYSFS_PCI_SUBSYSTEM_ID)
			v = pci_is_bridge(pdev) ? 0 : v;
		return sysfs_emit(buf, a->fmt, v >> a->shift);
	}
	return -EIO;
}

static const struct kernfs_ops id_ops = { .show = id_show };

static int bridge_dir(struct sysfs_host *sh, struct pci_dev *pdev, struct kernfs_node **out);

/* The function's directory, made (with its bridges') on first use. */
static int function_dir(struct sysfs_host *sh, struct pci_dev *pdev, struct kernfs_node **out)
{
	struct device *dev = &pdev->dev;
	struct sysfs_dev *sd = sysfs_dev_find(sh, dev);
	if (sd) {
		*out = sd->dir;
		return 0;
	}
	struct kernfs_node *parent, *dir;
	char name[32];
	sysfs_dev_name(dev, name, sizeof(name));
	int rc = bridge_dir(sh, pdev, &parent);
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

static int bridge_dir(struct sysfs_host *sh, struct pci_dev *pdev, struct kernfs_node **out)
{
	struct pci_dev *bridge = pci_upstream_bridge(pdev);
	if (!bridge) {
		*out = sh->pci_root;
		return 0;
	}
	return function_dir(sh, bridge, out);
}

/* What Linux would have bound: the host's driver, else - the function
 * being free for VFIO here - vfio-pci. */
static const char *pci_driver_name(const struct device *dev)
{
	const char *drv = dev_driver_name(dev);
	return drv ? drv : "vfio-pci";
}

static int pci_device_add(struct device *dev, void *data)
{
	struct sysfs_host *sh = data;
	struct kernfs_node *dir;
	char name[32];
	sysfs_dev_name(dev, name, sizeof(name));
	int rc = function_dir(sh, to_pci_dev(dev), &dir);
	if (!rc)
		rc = sysfs_iommu_link_device(sh, dev, dir);
	if (!rc && dev->group)
		rc = sysfs_group_add_device(sh, dev, dir);
	if (!rc)
		rc = sysfs_bind_driver(sh->pci_drivers, pci_driver_name(dev), dir, name);
	return rc;
}

int sysfs_pci_init(struct sysfs_host *sh)
{
	pthread_mutex_lock(&sh->lock);
	int rc = bus_for_each_dev(sh->host, &pci_bus_type, sh, pci_device_add);
	pthread_mutex_unlock(&sh->lock);
	return rc;
}
