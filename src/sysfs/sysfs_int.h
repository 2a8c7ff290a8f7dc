/* SPDX-License-Identifier: BSD-3-Clause */
/* The host's sysfs view: what its files share (sysfs.h says what it shows). */
#ifndef UIOMMU_SYSFS_SYSFS_INT_H
#define UIOMMU_SYSFS_SYSFS_INT_H

#include <pthread.h>
#include <time.h>

#include "sysfs.h"
#include "../base/device.h"
#include "../util/list.h"

struct iommu_group;

/* A device's directory. */
struct sysfs_dev {
	struct device *dev;
	struct kernfs_node *dir;
	struct list_node node;        /* sysfs_host.devs */
};

/* /sys/kernel/iommu_groups/<id>. */
struct sysfs_group {
	struct iommu_group *group;
	struct kernfs_node *dir, *devices;
	struct list_node node;        /* sysfs_host.groups */
};

struct sysfs_host {
	struct uiommu_host *host;
	struct kernfs_root *root;
	time_t btime;                 /* the view's times (stat) */
	pthread_mutex_t lock;         /* devs, groups, and adding/removing their entries */
	struct list_node devs;
	struct list_node groups;

	/* Directories the population hangs things on (the tree's). */
	struct kernfs_node *sys, *devices, *pci_root, *platform, *virtual_iommu;
	struct kernfs_node *bus_pci, *pci_devices, *pci_drivers;
	struct kernfs_node *bus_mdev, *mdev_devices, *mdev_drivers;
	struct kernfs_node *bus_platform, *platform_drivers;
	struct kernfs_node *class_iommu, *class_mdev_bus, *iommu_groups, *debug;
	struct bus_notifier mdev_nb;  /* mdevs coming and going (mdev.c) */
};

struct sysfs_host *sysfs_of(struct uiommu_host *h);

/* sysfs_host.c: under sh->lock. */
struct sysfs_dev *sysfs_dev_find(struct sysfs_host *sh, const struct device *dev);
int sysfs_dev_track(struct sysfs_host *sh, struct device *dev, struct kernfs_node *dir);
void sysfs_dev_untrack(struct sysfs_host *sh, struct sysfs_dev *sd);
/* The driver's directory under bus/<bus>/drivers, made on first use, and
 * the device's `driver` link to it with the driver's link back. */
int sysfs_bind_driver(struct kernfs_node *drivers, const char *driver, struct kernfs_node *dir,
		      const char *dev_name);
void sysfs_unbind_driver(struct kernfs_node *drivers, const char *driver, const char *dev_name);

/* pci.c */
int sysfs_pci_init(struct sysfs_host *sh);
/* iommu.c: under sh->lock. */
int sysfs_iommu_link_device(struct sysfs_host *sh, struct device *dev, struct kernfs_node *dir);
int sysfs_group_add_device(struct sysfs_host *sh, struct device *dev, struct kernfs_node *dir);
void sysfs_group_remove_device(struct sysfs_host *sh, struct device *dev);
int sysfs_iommu_init(struct sysfs_host *sh);
/* mdev.c */
int sysfs_mdev_init(struct sysfs_host *sh);
void sysfs_mdev_fini(struct sysfs_host *sh);
/* debugfs.c */
int sysfs_debugfs_init(struct sysfs_host *sh);
void sysfs_debugfs_add_device(struct sysfs_host *sh, struct device *dev);

#endif
