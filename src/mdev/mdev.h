/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mdev core (Linux drivers/vfio/mdev in shape): parents register
 * their types; users create and remove instances by UUID; each instance
 * is a device on the mdev "bus" with an IOMMU group of its own.
 */
#ifndef UIOMMU_MDEV_MDEV_H
#define UIOMMU_MDEV_MDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uiommu/mdev.h>

#include "../base/device.h"
#include "../util/list.h"

struct mdev_device;
struct mdev_parent;
struct vfio_device_ops;

struct mdev_type {
	char name[32];
	char description[96];
	unsigned index;
	struct mdev_parent *parent;
};

struct mdev_parent_ops {
	/* create() may call mdev_set_iommu_device(); an error aborts the
	 * creation and nothing stays. */
	int (*create)(struct mdev_device *mdev);
	void (*remove)(struct mdev_device *mdev);
	unsigned (*available)(struct mdev_parent *parent, const struct mdev_type *type);
	/* How VFIO talks to an instance (regions, reset, unmap notices). */
	const struct vfio_device_ops *vfio_ops;
};

struct mdev_parent {
	struct uiommu_host *host;
	struct device *dev;           /* the parent device */
	const struct mdev_parent_ops *ops;
	struct mdev_type *types;
	unsigned nr_types;
	struct list_node mdevs;       /* mdev_device.parent_node */
	struct list_node node;        /* mdev_core.parents */
	void *priv;                   /* the parent driver's */
};

/* The mdev core's state on a host. `lock` guards the parents, their
 * instances, and creation and removal of instances (the sysfs create and
 * remove files); users that must keep an instance and its group in place
 * hold it (mdev_core_lock). */
struct mdev_core {
	pthread_mutex_t lock;
	struct list_node parents;     /* mdev_parent.node */
};

extern const struct bus_type mdev_bus_type;

struct mdev_device {
	struct device dev;            /* on mdev_bus_type, named by its UUID */
	uint8_t uuid[16];
	struct mdev_parent *parent;
	const struct mdev_type *type;
	/* The 2018 series (patch 6/8). */
	struct device *iommu_device;
	void *iommu_domain;
	unsigned iommu_pasid;         /* the iommufd flow's default PASID, 0: none */
	struct list_node parent_node;
	void *driver_data;            /* the parent driver's per-instance state */
	bool in_use;                  /* opened through VFIO: not removable */
};

static inline struct mdev_device *to_mdev_device(struct device *dev)
{
	return dev && dev->bus == &mdev_bus_type ? (struct mdev_device *)dev : NULL;
}

int mdev_core_init(struct uiommu_host *h);
/* Every parent has unregistered by now. */
void mdev_core_fini(struct uiommu_host *h);
void mdev_core_lock(struct uiommu_host *h);
void mdev_core_unlock(struct uiommu_host *h);

int mdev_register_parent(struct uiommu_host *h, struct device *dev,
			 const struct mdev_parent_ops *ops, const struct mdev_type *types,
			 unsigned nr_types, void *priv, struct mdev_parent **out);
/* Removes every instance first. */
void mdev_unregister_parent(struct mdev_parent *parent);
struct mdev_device *mdev_find(struct uiommu_host *h, const char *uuid);
int mdev_uuid_parse(const char *s, uint8_t out[16]);
void mdev_uuid_str(const uint8_t uuid[16], char buf[37]);

#endif
