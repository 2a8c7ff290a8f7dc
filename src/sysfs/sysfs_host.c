/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's sysfs view: the skeleton of /sys, the device map, driver
 * links, and bringing the view up and down with the host (sysfs.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs_int.h"
#include "../host/host.h"
#include "../pci/pci.h"
#include "../util/slab.h"

#define PT KERNFS_DIR_PASSTHROUGH

struct sysfs_host *sysfs_of(struct uiommu_host *h)
{
	return h ? h->sysfs : NULL;
}

struct kernfs_root *sysfs_root(struct uiommu_host *h)
{
	struct sysfs_host *sh = sysfs_of(h);
	return sh ? sh->root : NULL;
}

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, KERNFS_ATTR_SIZE, fmt, ap);
	va_end(ap);
	return n < 0 ? -EINVAL : n >= (int)KERNFS_ATTR_SIZE ? (int)KERNFS_ATTR_SIZE - 1 : n;
}

void sysfs_dev_name(const struct device *dev, char *buf, size_t size)
{
	if (dev_is_pci(dev)) {
		uint16_t rid = pci_dev_id(to_pci_dev((struct device *)dev));
		snprintf(buf, size, "0000:%02x:%02x.%x", rid >> 8, (rid >> 3) & 0x1f, rid & 7);
	} else {
		snprintf(buf, size, "%s", dev->name);
	}
}

/* ---- the device map ---- */

struct sysfs_dev *sysfs_dev_find(struct sysfs_host *sh, const struct device *dev)
{
	struct sysfs_dev *sd;
	list_for_each_entry(sd, &sh->devs, node)
		if (sd->dev == dev)
			return sd;
	return NULL;
}

int sysfs_dev_track(struct sysfs_host *sh, struct device *dev, struct kernfs_node *dir)
{
	struct sysfs_dev *sd = kcalloc(1, sizeof(*sd));
	if (!sd)
		return -ENOMEM;
	sd->dev = dev;
	sd->dir = dir;
	list_add_tail(&sd->node, &sh->devs);
	return 0;
}

void sysfs_dev_untrack(struct sysfs_host *sh, struct sysfs_dev *sd)
{
	(void)sh;
	list_del(&sd->node);
	free(sd);
}

struct kernfs_node *sysfs_device_dir(struct uiommu_host *h, struct device *dev)
{
	struct sysfs_host *sh = sysfs_of(h);
	if (!sh || !dev)
		return NULL;
	pthread_mutex_lock(&sh->lock);
	struct sysfs_dev *sd = sysfs_dev_find(sh, dev);
	pthread_mutex_unlock(&sh->lock);
	return sd ? sd->dir : NULL;
}

/* ---- drivers ---- */

int sysfs_bind_driver(struct kernfs_node *drivers, const char *driver, struct kernfs_node *dir,
		      const char *dev_name)
{
	struct kernfs_node *drv;
	int rc = kernfs_ensure_dir(drivers, driver, 0755, 0, &drv);
	if (rc)
		return rc;
	rc = kernfs_create_link(dir, "driver", drv, NULL);
	if (!rc && (rc = kernfs_create_link(drv, dev_name, dir, NULL)))
		kernfs_remove_by_name(dir, "driver");
	return rc;
}

void sysfs_unbind_driver(struct kernfs_node *drivers, const char *driver, const char *dev_name)
{
	struct kernfs_node *drv = kernfs_find_and_get(drivers, driver);
	if (drv)
		kernfs_remove_by_name(drv, dev_name);
	kernfs_put(drv);
}

/* ---- up and down ---- */

static int skeleton(struct sysfs_host *sh)
{
	struct kernfs_node *root = kernfs_root_node(sh->root), *kernel, *klass, *bus, *virt;
	int rc;
	if ((rc = kernfs_create_dir(root, "sys", 0555, PT, NULL, &sh->sys)) ||
	    (rc = kernfs_create_dir(sh->sys, "devices", 0755, PT, NULL, &sh->devices)) ||
	    (rc = kernfs_create_dir(sh->devices, "pci0000:00", 0755, 0, NULL, &sh->pci_root)) ||
	    (rc = kernfs_create_dir(sh->devices, "platform", 0755, PT, NULL, &sh->platform)) ||
	    (rc = kernfs_create_dir(sh->devices, "virtual", 0755, PT, NULL, &virt)) ||
	    (rc = kernfs_create_dir(virt, "iommu", 0755, 0, NULL, &sh->virtual_iommu)) ||
	    (rc = kernfs_create_dir(sh->sys, "bus", 0755, PT, NULL, &bus)) ||
	    (rc = kernfs_create_dir(bus, "pci", 0755, PT, NULL, &sh->bus_pci)) ||
	    (rc = kernfs_create_dir(sh->bus_pci, "devices", 0755, 0, NULL, &sh->pci_devices)) ||
	    (rc = kernfs_create_dir(sh->bus_pci, "drivers", 0755, 0, NULL, &sh->pci_drivers)) ||
	    (rc = kernfs_create_dir(bus, "mdev", 0755, 0, NULL, &sh->bus_mdev)) ||
	    (rc = kernfs_create_dir(sh->bus_mdev, "devices", 0755, 0, NULL, &sh->mdev_devices)) ||
	    (rc = kernfs_create_dir(sh->bus_mdev, "drivers", 0755, 0, NULL, &sh->mdev_drivers)) ||
	    (rc = kernfs_create_dir(bus, "platform", 0755, PT, NULL, &sh->bus_platform)) ||
	    (rc = kernfs_create_dir(sh->bus_platform, "drivers", 0755, PT, NULL,
				    &sh->platform_drivers)) ||
	    (rc = kernfs_create_dir(sh->sys, "class", 0755, PT, NULL, &klass)) ||
	    (rc = kernfs_create_dir(klass, "iommu", 0755, 0, NULL, &sh->class_iommu)) ||
	    (rc = kernfs_create_dir(klass, "mdev_bus", 0755, 0, NULL, &sh->class_mdev_bus)) ||
	    (rc = kernfs_create_dir(sh->sys, "kernel", 0755, PT, NULL, &kernel)) ||
	    (rc = kernfs_create_dir(kernel, "iommu_groups", 0755, 0, NULL, &sh->iommu_groups)) ||
	    (rc = kernfs_create_dir(kernel, "debug", 0700, PT, NULL, &sh->debug)))
		return rc;
	return 0;
}

int sysfs_host_init(struct uiommu_host *h)
{
	struct sysfs_host *sh = kcalloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	sh->host = h;
	sh->btime = time(NULL);
	pthread_mutex_init(&sh->lock, NULL);
	list_init(&sh->devs);
	list_init(&sh->groups);
	sh->root = kernfs_create_root();
	h->sysfs = sh;
	int rc = sh->root ? skeleton(sh) : -ENOMEM;
	if (!rc)
		rc = sysfs_iommu_init(sh);
	if (!rc)
		rc = sysfs_pci_init(sh);
	if (!rc)
		rc = sysfs_mdev_init(sh);
	if (!rc)
		rc = sysfs_debugfs_init(sh);
	if (rc)
		sysfs_host_fini(h);
	return rc;
}

void sysfs_host_fini(struct uiommu_host *h)
{
	struct sysfs_host *sh = sysfs_of(h);
	if (!sh)
		return;
	/* No notifier runs once this returns; nothing else changes the view. */
	sysfs_mdev_fini(sh);
	h->sysfs = NULL;
	kernfs_destroy_root(sh->root);
	struct sysfs_dev *sd, *t;
	list_for_each_entry_safe(sd, t, &sh->devs, node)
		sysfs_dev_untrack(sh, sd);
	struct sysfs_group *sg, *tg;
	list_for_each_entry_safe(sg, tg, &sh->groups, node) {
		list_del(&sg->node);
		free(sg);
	}
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}
