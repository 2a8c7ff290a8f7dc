/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /dev/vfio/<group>: the unit of ownership (SPEC M-4). A group is viable
 * when no device in it is driven by a kernel driver; only then can it be
 * set into a container. Setting a PCI group into a container claims DMA
 * ownership of the IOMMU group: its devices leave their default domain
 * for the blocking domain until the container's backend attaches them.
 * An mdev group has no IOMMU state of its own: the type1 backend decides
 * how it is isolated (patch 8 of the 2018 series).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "vfio.h"
#include "../host.h"
#include "../base/device.h"
#include "../base/uaccess.h"
#include "../files/file.h"
#include "../hw/pci/pci.h"
#include "../iommu/group.h"
#include "../mdev/mdev.h"

static const struct vfio_device_ops *ops_for(struct device *dev)
{
	if (dev->bus == DEVICE_BUS_MDEV)
		return to_mdev_device(dev)->parent->ops->vfio_ops;
	if (dev->bus == DEVICE_BUS_PCI && !pci_kind_is_bridge(dev->pdev->kind))
		return &vfio_pci_ops;
	return NULL;
}

bool vfio_group_viable(struct vfio_group *g)
{
	struct device *dev;
	list_for_each_entry(dev, &g->iommu_group->devices, group_node) {
		/* Bridges may stay with their port driver (Linux allows
		 * pcieport); any other kernel driver makes the group unsafe. */
		if (dev->bus == DEVICE_BUS_PCI && pci_kind_is_bridge(dev->pdev->kind))
			continue;
		if (dev->driver)
			return false;
		if (dev->bus == DEVICE_BUS_MDEV && !ops_for(dev))
			return false;
	}
	return true;
}

static void mdev_mark_in_use(struct device *dev, bool in_use)
{
	struct mdev_device *m = to_mdev_device(dev);
	if (m)
		__atomic_store_n(&m->in_use, in_use, __ATOMIC_RELEASE);
}

static void group_free(struct vfio_group *g)
{
	struct vfio_device *vd, *t;
	list_for_each_entry_safe(vd, t, &g->devices, group_node) {
		mdev_mark_in_use(vd->dev, false);
		list_del(&vd->group_node);
		free(vd);
	}
	list_del(&g->node);
	free(g);
}

/* Open the VFIO side of IOMMU group `group_id` for its node's file;
 * -EBUSY if it is open already (one user per group, as Linux). */
int vfio_group_open(struct uiommu_host *h, unsigned group_id, struct vfio_group **out)
{
	struct vfio_host *v = h->vfio;
	/* mdev_lock keeps the group list and the mdevs in it still. */
	pthread_mutex_lock(&h->mdev_lock);
	pthread_mutex_lock(&v->lock);
	int rc = -ENOENT;
	struct iommu_group *ig = NULL, *it;
	list_for_each_entry(it, &h->groups, node)
		if (it->id == group_id)
			ig = it;
	if (!ig)
		goto out;
	struct vfio_group *g;
	rc = -EBUSY;
	list_for_each_entry(g, &v->groups, node)
		if (g->iommu_group == ig)
			goto out;
	rc = -ENOMEM;
	g = calloc(1, sizeof(*g));
	if (!g)
		goto out;
	g->h = h;
	g->iommu_group = ig;
	list_init(&g->devices);
	list_add_tail(&g->node, &v->groups);
	struct device *dev;
	list_for_each_entry(dev, &ig->devices, group_node) {
		const struct vfio_device_ops *ops = ops_for(dev);
		if (!ops)
			continue;
		struct vfio_device *vd = calloc(1, sizeof(*vd));
		if (!vd) {
			group_free(g);
			goto out;
		}
		vd->dev = dev;
		vd->ops = ops;
		vd->group = g;
		list_add_tail(&vd->group_node, &g->devices);
		if (dev->bus == DEVICE_BUS_MDEV) {
			g->mdev_group = true;
			mdev_mark_in_use(dev, true); /* removal waits for the group */
		}
	}
	g->refs = 1; /* its file's */
	*out = g;
	rc = 0;
out:
	pthread_mutex_unlock(&v->lock);
	pthread_mutex_unlock(&h->mdev_lock);
	return rc;
}

/* Takes the group out of its container (v->lock held). The backend goes
 * with the container's last group, as in Linux. */
static void detach_container(struct vfio_group *g)
{
	struct vfio_container *c = g->container;
	pthread_mutex_lock(&c->lock);
	if (c->iommu)
		vfio_iommu_type1_detach_group(c->iommu, g);
	list_del(&g->container_node);
	if (list_empty(&c->groups) && c->iommu) {
		vfio_iommu_type1_release(c->iommu);
		c->iommu = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (!g->mdev_group)
		iommu_group_release_dma_owner(g->iommu_group);
	g->container = NULL;
	vfio_container_put(c);
}

void vfio_group_put(struct vfio_group *g)
{
	if (--g->refs)
		return;
	if (g->container)
		detach_container(g);
	group_free(g);
}

/* ---- ioctls ---- */

static long get_status(struct vfio_group *g, unsigned long arg)
{
	struct vfio_group_status st;
	size_t minsz = vfio_offsetofend(struct vfio_group_status, flags);
	if (copy_from_user(&st, arg, minsz))
		return -EFAULT;
	if (st.argsz < minsz)
		return -EINVAL;
	st.flags = 0;
	if (vfio_group_viable(g))
		st.flags |= VFIO_GROUP_FLAGS_VIABLE;
	if (g->container)
		st.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
	return copy_to_user(arg, &st, minsz) ? -EFAULT : 0;
}

/* `cf` is the file the user named, held by the caller (fget). */
static long set_container(struct vfio_group *g, struct file *cf)
{
	if (g->container)
		return -EINVAL;
	struct vfio_container *c = vfio_container_from_file(cf);
	if (!c)
		return -EBADFD; /* a file, but not a container (Linux 6.x) */
	if (!vfio_group_viable(g))
		return -EPERM;
	if (!g->mdev_group) {
		/* The kernel's DMA API users are gone from the group once it
		 * has an owner; -EBUSY while something else still holds it. */
		int rc = iommu_group_claim_dma_owner(g->iommu_group, c);
		if (rc)
			return rc;
	}
	pthread_mutex_lock(&c->lock);
	int rc = c->iommu ? vfio_iommu_type1_attach_group(c->iommu, g) : 0;
	if (!rc) {
		list_add_tail(&g->container_node, &c->groups);
		g->container = c;
		c->refs++;
	}
	pthread_mutex_unlock(&c->lock);
	if (rc && !g->mdev_group)
		iommu_group_release_dma_owner(g->iommu_group);
	return rc;
}

static long unset_container(struct vfio_group *g)
{
	if (!g->container)
		return -EINVAL;
	if (g->opened_devices)
		return -EBUSY;
	detach_container(g);
	return 0;
}

/* Linux matches dev_name(): "0000:BB:DD.F" for PCI, the UUID for an
 * mdev. The uiommu name and a bare "BB:DD.F" are accepted as well. */
static bool name_matches(struct device *dev, const char *name)
{
	if (!strcmp(dev->name, name))
		return true;
	if (dev->bus == DEVICE_BUS_MDEV) {
		uint8_t u[16];
		return !mdev_uuid_parse(name, u) && !memcmp(u, to_mdev_device(dev)->uuid, 16);
	}
	if (!strncmp(name, "0000:", 5))
		name += 5;
	uint16_t rid;
	return dev->pdev && !pci_bdf_parse(name, &rid) && rid == dev->pdev->rid;
}

/* Opens the device for a new file (v->lock held); the file itself is made
 * by the caller once the lock is dropped. */
static long get_device(struct vfio_group *g, unsigned long arg, struct vfio_device **out)
{
	char name[256];
	long n = strncpy_from_user(name, arg, sizeof(name));
	if (n < 0)
		return n == -ENAMETOOLONG ? -EINVAL : n;
	if (!g->container || !g->container->iommu || !vfio_group_viable(g))
		return -EINVAL;
	struct vfio_device *vd, *found = NULL;
	list_for_each_entry(vd, &g->devices, group_node)
		if (name_matches(vd->dev, name))
			found = vd;
	if (!found)
		return -ENODEV;
	if (found->open_count == 0 && found->ops->open) {
		int rc = found->ops->open(found);
		if (rc)
			return rc;
	}
	found->open_count++;
	g->opened_devices++;
	g->refs++; /* the device file holds its group */
	*out = found;
	return 0;
}

long vfio_group_ioctl(struct vfio_group *g, unsigned long cmd, unsigned long arg)
{
	struct vfio_host *v = g->h->vfio;
	struct file *cf = NULL;
	struct vfio_device *vd = NULL;
	if (cmd == VFIO_GROUP_SET_CONTAINER) {
		/* Looked up (and put) outside v->lock: dropping the last
		 * reference of a file may release a container or group. */
		int32_t cfd;
		if (copy_from_user(&cfd, arg, sizeof(cfd)))
			return -EFAULT;
		/* Any open file that is not a container is -EBADFD; only a
		 * number that is no descriptor at all is -EBADF. */
		if (!(cf = fget(cfd)))
			return fcntl(cfd, F_GETFD) < 0 ? -EBADF : -EBADFD;
	}
	pthread_mutex_lock(&v->lock);
	long rc;
	switch (cmd) {
	case VFIO_GROUP_GET_STATUS:
		rc = get_status(g, arg);
		break;
	case VFIO_GROUP_SET_CONTAINER:
		rc = set_container(g, cf);
		break;
	case VFIO_GROUP_UNSET_CONTAINER:
		rc = unset_container(g);
		break;
	case VFIO_GROUP_GET_DEVICE_FD:
		rc = get_device(g, arg, &vd);
		break;
	default:
		rc = -ENOTTY;
	}
	pthread_mutex_unlock(&v->lock);
	fput(cf);
	if (vd)
		rc = vfio_device_file(vd);
	return rc;
}
