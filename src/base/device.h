/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device core (Linux drivers/base in shape): a device sits on a bus
 * and is listed on its host; the layers above learn of devices coming
 * and going through bus notifiers, so this floor calls none of them by
 * name. A PCI function (src/pci), a mediated device (src/mdev) or a test
 * bus's device embeds a struct device; a new layer brings its own
 * struct bus_type.
 */
#ifndef UIOMMU_BASE_DEVICE_H
#define UIOMMU_BASE_DEVICE_H

#include <stdbool.h>

#include "../util/list.h"

struct uiommu_host;
struct iommu_group;
struct dev_iommu;

struct bus_type {
	const char *name;             /* "pci", "mdev", "platform", ... */
};

/* A software parent with no hardware of its own (the sw-mdev engine). */
extern const struct bus_type platform_bus_type;

struct device_driver {
	const char *name;
};

struct device {
	struct uiommu_host *host;
	const struct bus_type *bus;
	char name[48];
	/* The IOMMU core's: the group and the per-device state of the IOMMU
	 * that translates for it (iommu/). */
	struct iommu_group *group;
	struct list_node group_node;  /* iommu_group.devices */
	struct dev_iommu *iommu;
	/* The kernel driver bound to it; NULL leaves it to VFIO. */
	const struct device_driver *driver;
	void *driver_data;
	struct list_node node;        /* uiommu_host.devices, under devices_lock */
	bool added;
};

/* Fill in a device before device_add() (its struct device is cleared). */
void device_initialize(struct device *dev, struct uiommu_host *h, const struct bus_type *bus,
		       const char *name);
/* List the device on its host and tell the notifiers (0, or the first
 * notifier's error, the device then not added). */
int device_add(struct device *dev);
/* Tell the notifiers, then take the device off its host's list. */
void device_del(struct device *dev);

/* What a notifier hears. Called in the thread of device_add/device_del,
 * with the host's notifier lock held: a notifier must not register or
 * unregister notifiers. */
enum bus_notify_action {
	BUS_NOTIFY_ADD_DEVICE,
	BUS_NOTIFY_DEL_DEVICE,
};

struct bus_notifier {
	const struct bus_type *bus;   /* NULL: devices of every bus */
	int (*notify)(struct bus_notifier *nb, enum bus_notify_action action, struct device *dev);
	struct list_node node;
};

void bus_register_notifier(struct uiommu_host *h, struct bus_notifier *nb);
void bus_unregister_notifier(struct uiommu_host *h, struct bus_notifier *nb);

/* Call fn for every listed device of `bus` (NULL: all), in list order,
 * until it returns non-zero; that value is returned. The device list is
 * locked meanwhile: fn must not add or remove devices. */
int bus_for_each_dev(struct uiommu_host *h, const struct bus_type *bus, void *data,
		     int (*fn)(struct device *dev, void *data));
struct device *device_find_by_name(struct uiommu_host *h, const char *name);

static inline const char *dev_driver_name(const struct device *dev)
{
	return dev && dev->driver ? dev->driver->name : NULL;
}

#endif
