/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Devices on a host and the notifiers that hear of them (SPEC U-3: any
 * number of hosts, nothing global). The host's device list is guarded
 * by devices_lock; the notifier list by notifier_lock, which is held
 * across the calls so that a notifier cannot go while it runs. Lock
 * order: notifier_lock, then whatever the notifiers take, then
 * devices_lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "../host/host.h"

const struct bus_type platform_bus_type = { .name = "platform" };

void device_initialize(struct device *dev, struct uiommu_host *h, const struct bus_type *bus,
		       const char *name)
{
	memset(dev, 0, sizeof(*dev));
	dev->host = h;
	dev->bus = bus;
	snprintf(dev->name, sizeof(dev->name), "%s", name ? name : "");
	list_init(&dev->node);
	list_init(&dev->group_node);
}

static int notify(struct uiommu_host *h, enum bus_notify_action action, struct device *dev,
		  struct bus_notifier *upto)
{
	struct bus_notifier *nb;
	list_for_each_entry(nb, &h->notifiers, node) {
		if (nb == upto)
			break;
		if (nb->bus && nb->bus != dev->bus)
			continue;
		int rc = nb->notify(nb, action, dev);
		if (rc && action == BUS_NOTIFY_ADD_DEVICE) {
			/* Those that heard of it hear it go. */
			notify(h, BUS_NOTIFY_DEL_DEVICE, dev, nb);
			return rc;
		}
	}
	return 0;
}

int device_add(struct device *dev)
{
	struct uiommu_host *h = dev ? dev->host : NULL;
	if (!h || !dev->bus || dev->added)
		return -EINVAL;
	pthread_mutex_lock(&h->devices_lock);
	list_add_tail(&dev->node, &h->devices);
	dev->added = true;
	pthread_mutex_unlock(&h->devices_lock);
	pthread_mutex_lock(&h->notifier_lock);
	int rc = notify(h, BUS_NOTIFY_ADD_DEVICE, dev, NULL);
	pthread_mutex_unlock(&h->notifier_lock);
	if (rc) {
		pthread_mutex_lock(&h->devices_lock);
		list_del(&dev->node);
		dev->added = false;
		pthread_mutex_unlock(&h->devices_lock);
	}
	return rc;
}

void device_del(struct device *dev)
{
	struct uiommu_host *h = dev ? dev->host : NULL;
	if (!h || !dev->added)
		return;
	pthread_mutex_lock(&h->notifier_lock);
	notify(h, BUS_NOTIFY_DEL_DEVICE, dev, NULL);
	pthread_mutex_unlock(&h->notifier_lock);
	pthread_mutex_lock(&h->devices_lock);
	list_del(&dev->node);
	dev->added = false;
	pthread_mutex_unlock(&h->devices_lock);
}

void bus_register_notifier(struct uiommu_host *h, struct bus_notifier *nb)
{
	pthread_mutex_lock(&h->notifier_lock);
	list_add_tail(&nb->node, &h->notifiers);
	pthread_mutex_unlock(&h->notifier_lock);
}

void bus_unregister_notifier(struct uiommu_host *h, struct bus_notifier *nb)
{
	pthread_mutex_lock(&h->notifier_lock);
	list_del(&nb->node);
	pthread_mutex_unlock(&h->notifier_lock);
}

int bus_for_each_dev(struct uiommu_host *h, const struct bus_type *bus, void *data,
		     int (*fn)(struct device *dev, void *data))
{
	int rc = 0;
	pthread_mutex_lock(&h->devices_lock);
	struct device *dev, *t;
	list_for_each_entry_safe(dev, t, &h->devices, node) {
		if (bus && dev->bus != bus)
			continue;
		if ((rc = fn(dev, data)))
			break;
	}
	pthread_mutex_unlock(&h->devices_lock);
	return rc;
}

struct device *device_find_by_name(struct uiommu_host *h, const char *name)
{
	struct device *dev, *found = NULL;
	pthread_mutex_lock(&h->devices_lock);
	list_for_each_entry(dev, &h->devices, node) {
		if (!strcmp(dev->name, name)) {
			found = dev;
			break;
		}
	}
	pthread_mutex_unlock(&h->devices_lock);
	return found;
}
