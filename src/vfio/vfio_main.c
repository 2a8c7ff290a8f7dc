/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO's devices (Linux vfio_main.c in shape, SPEC U-4): every PCI
 * function vfio-pci may take and every mdev is registered as a VFIO
 * device when it appears on its bus - numbered from 0, the N of its cdev
 * /dev/vfio/devices/vfio<N> - and unregistered when it goes. Whether one
 * is free for VFIO is decided when a user reaches for it: a function a
 * kernel driver has bound (idxd on a DSA) is not.
 *
 * The legacy group path and the cdev path open the same objects, which is
 * how each refuses a device the other holds (group.c, device_cdev.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "vfio.h"
#include "../host/host.h"
#include "../iommu/group.h"
#include "../mdev/mdev.h"
#include "../util/slab.h"

const struct vfio_device_ops *vfio_ops_for(struct device *dev)
{
	if (dev_is_mdev(dev))
		return to_mdev_device(dev)->parent->ops->vfio_ops;
	/* vfio-pci takes any function its ID table matches, and drives type
	 * 0 (non-bridge) functions only, as Linux's refuses other headers. */
	if (dev_is_pci(dev) && pci_match_id(vfio_pci_ids, to_pci_dev(dev)) &&
	    !pci_is_bridge(to_pci_dev(dev)))
		return &vfio_pci_ops;
	return NULL;
}

bool vfio_device_free(struct vfio_device *vd)
{
	return !vd->dev->driver;
}

struct vfio_device *vfio_device_by_index(struct vfio_core *v, unsigned index)
{
	struct vfio_device *vd = xa_load(&v->device_ids, index);
	return vd && vfio_device_free(vd) ? vd : NULL;
}

struct vfio_device *vfio_device_of(struct vfio_core *v, struct device *dev)
{
	struct vfio_device *vd;
	list_for_each_entry(vd, &v->devices, node)
		if (vd->dev == dev)
			return vd;
	return NULL;
}

/* ---- users and opens (v->lock held) ---- */

static void mdev_mark_in_use(struct device *dev, bool in_use)
{
	struct mdev_device *m = to_mdev_device(dev);
	if (m)
		__atomic_store_n(&m->in_use, in_use, __ATOMIC_RELEASE);
}

void vfio_device_get_user(struct vfio_device *vd)
{
	if (vd->users++ == 0)
		mdev_mark_in_use(vd->dev, true); /* removal waits for the user */
}

void vfio_device_put_user(struct vfio_device *vd)
{
	if (--vd->users == 0)
		mdev_mark_in_use(vd->dev, false);
}

int vfio_device_open(struct vfio_device *vd)
{
	if (vd->open_count == 0 && vd->ops->open) {
		int rc = vd->ops->open(vd);
		if (rc)
			return rc;
	}
	vd->open_count++;
	return 0;
}

void vfio_device_close(struct vfio_device *vd)
{
	if (--vd->open_count == 0 && vd->ops->close)
		vd->ops->close(vd);
}

/* ---- registration ---- */

static int device_register(struct vfio_core *v, struct device *dev)
{
	const struct vfio_device_ops *ops = vfio_ops_for(dev);
	/* Without an IOMMU group there is nothing to isolate it with (no
	 * IOMMU driver serves it): not a VFIO device, as in Linux. */
	if (!ops || !iommu_group_get(dev) || vfio_device_of(v, dev))
		return 0;
	struct vfio_device *vd = kcalloc(1, sizeof(*vd));
	if (!vd)
		return -ENOMEM;
	uint64_t index;
	int rc = xa_alloc(&v->device_ids, &index, vd, 0, UINT32_MAX);
	if (rc) {
		free(vd);
		return rc;
	}
	vd->dev = dev;
	vd->ops = ops;
	vd->index = (unsigned)index;
	pthread_mutex_init(&vd->lock, NULL);
	pthread_mutex_init(&vd->iommufd.pasids_lock, NULL);
	xa_init(&vd->iommufd.pasids);
	list_add_tail(&vd->node, &v->devices);
	return 0;
}

static void device_unregister(struct vfio_core *v, struct vfio_device *vd)
{
	/* Nothing can hold it: an mdev in use is not removable, functions
	 * go after every file is closed. */
	list_del(&vd->node);
	xa_erase(&v->device_ids, vd->index);
	xa_destroy(&vd->iommufd.pasids);
	pthread_mutex_destroy(&vd->iommufd.pasids_lock);
	pthread_mutex_destroy(&vd->lock);
	free(vd);
}

static int notify(struct bus_notifier *nb, enum bus_notify_action action, struct device *dev)
{
	struct vfio_core *v = (struct vfio_core *)((char *)nb - offsetof(struct vfio_core, nb));
	pthread_mutex_lock(&v->lock);
	int rc = 0;
	if (action == BUS_NOTIFY_ADD_DEVICE) {
		rc = device_register(v, dev);
	} else {
		struct vfio_device *vd = vfio_device_of(v, dev);
		if (vd)
			device_unregister(v, vd);
	}
	pthread_mutex_unlock(&v->lock);
	return rc;
}

static int register_present(struct device *dev, void *data)
{
	struct vfio_core *v = data;
	pthread_mutex_lock(&v->lock);
	int rc = device_register(v, dev);
	pthread_mutex_unlock(&v->lock);
	return rc;
}

int vfio_devices_init(struct uiommu_host *h)
{
	struct vfio_core *v = h->vfio;
	list_init(&v->devices);
	xa_init(&v->device_ids);
	v->nb.bus = NULL;
	v->nb.notify = notify;
	bus_register_notifier(h, &v->nb);
	return bus_for_each_dev(h, NULL, v, register_present);
}

void vfio_devices_fini(struct uiommu_host *h)
{
	struct vfio_core *v = h->vfio;
	bus_unregister_notifier(h, &v->nb);
	pthread_mutex_lock(&v->lock);
	struct vfio_device *vd, *t;
	list_for_each_entry_safe(vd, t, &v->devices, node)
		device_unregister(v, vd);
	pthread_mutex_unlock(&v->lock);
	xa_destroy(&v->device_ids);
}
