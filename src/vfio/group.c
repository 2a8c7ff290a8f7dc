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
#include <uiommu/iommufd.h>

#include "vfio.h"
#include "../base/uaccess.h"
#include "../files/file.h"
#include "../host/host.h"
#include "../iommu/group.h"
#include "../mdev/mdev.h"
#include "../pci/pci.h"
#include "../util/bdf.h"
#include "../util/slab.h"

/* Bridges may stay with their port driver (Linux allows pcieport); any
 * other kernel driver makes the group unsafe. */
static int unsafe_member(struct device *dev, void *data)
{
	(void)data;
	if (dev_is_pci(dev) && pci_is_bridge(to_pci_dev(dev)))
		return 0;
	return dev->driver || (dev_is_mdev(dev) && !vfio_ops_for(dev));
}

bool vfio_group_viable(struct iommu_group *ig)
{
	return !iommu_group_for_each_dev(ig, NULL, unsafe_member);
}

static void group_free(struct vfio_group *g)
{
	struct vfio_device *vd, *t;
	list_for_each_entry_safe(vd, t, &g->devices, group_node) {
		list_del(&vd->group_node);
		vd->group = NULL;
		vfio_device_put_user(vd);
	}
	list_del(&g->node);
	free(g);
}

struct link_ctx {
	struct vfio_core *v;
	struct vfio_group *g;
};

/* A device of the group bound through its cdev keeps the group from the
 * legacy path, as Linux's cdev_device_open_cnt does (U-4). */
static int cdev_member(struct device *dev, void *data)
{
	struct vfio_device *vd = vfio_device_of(data, dev);
	return vd && vd->cdev_bound;
}

/* Link the VFIO device of each member a VFIO driver serves. */
static int link_vfio_device(struct device *dev, void *data)
{
	struct link_ctx *l = data;
	struct vfio_device *vd = vfio_device_of(l->v, dev);
	if (!vd)
		return 0;
	vd->group = l->g;
	list_add_tail(&vd->group_node, &l->g->devices);
	vfio_device_get_user(vd);
	if (dev_is_mdev(dev))
		l->g->mdev_group = true;
	return 0;
}

/* Open the VFIO side of IOMMU group `group_id` for its node's file;
 * -EBUSY if it is open already (one user per group, as Linux) or a device
 * of it is bound through its cdev. */
int vfio_group_open(struct uiommu_host *h, unsigned group_id, struct vfio_group **out)
{
	struct vfio_core *v = h->vfio;
	/* The mdev core's lock keeps the mdevs and their groups still. */
	mdev_core_lock(h);
	pthread_mutex_lock(&v->lock);
	int rc = -ENOENT;
	struct iommu_group *ig = iommu_group_get_by_id(h, group_id);
	if (!ig)
		goto out;
	struct vfio_group *g;
	rc = -EBUSY;
	list_for_each_entry(g, &v->groups, node)
		if (g->iommu_group == ig)
			goto out;
	if (iommu_group_for_each_dev(ig, v, cdev_member))
		goto out;
	rc = -ENOMEM;
	g = kcalloc(1, sizeof(*g));
	if (!g)
		goto out;
	g->h = h;
	g->iommu_group = ig;
	list_init(&g->devices);
	list_add_tail(&g->node, &v->groups);
	struct link_ctx l = { v, g };
	iommu_group_for_each_dev(ig, &l, link_vfio_device);
	g->refs = 1; /* its file's */
	*out = g;
	rc = 0;
out:
	pthread_mutex_unlock(&v->lock);
	mdev_core_unlock(h);
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

/*
 * The iommufd the group was set into (VFIO_GROUP_SET_CONTAINER with a
 * /dev/iommu descriptor) lets go of it. Its reference is returned, for
 * the caller to put after v->lock: the last one releases the context,
 * whose selftest devices leave the bus through VFIO's notifier, which
 * takes v->lock (found by fuzz_ioctl: closing the group deadlocked).
 */
static struct iommufd_ctx *detach_iommufd(struct vfio_group *g)
{
	struct iommufd_ctx *ictx = g->iommufd;
	g->iommufd = NULL;
	return ictx;
}

struct iommufd_ctx *vfio_group_put(struct vfio_group *g)
{
	struct iommufd_ctx *ictx = NULL;
	if (--g->refs)
		return NULL;
	if (g->container)
		detach_container(g);
	if (g->iommufd)
		ictx = detach_iommufd(g);
	group_free(g);
	return ictx;
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
	if (vfio_group_viable(g->iommu_group))
		st.flags |= VFIO_GROUP_FLAGS_VIABLE;
	if (g->container || g->iommufd)
		st.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
	return copy_to_user(arg, &st, minsz) ? -EFAULT : 0;
}

/* A /dev/iommu descriptor as the container (Linux's iommufd compat for
 * the group API): its compat IOAS is made now; each device binds to the
 * iommufd when first opened and attaches to that IOAS (get_device). */
static long set_iommufd(struct vfio_group *g, int cfd)
{
	int rc;
	struct iommufd_ctx *ictx = iommufd_ctx_from_fd(cfd, &rc);
	if (!ictx)
		return -EBADFD; /* a file, but neither a container nor /dev/iommu */
	rc = iommufd_vfio_compat_ioas_create(ictx);
	if (rc) {
		iommufd_ctx_put(ictx);
		return rc;
	}
	g->iommufd = ictx;
	return 0;
}

/* `cf` is the file the user named, held by the caller (fget). */
static long set_container(struct vfio_group *g, struct file *cf, int cfd)
{
	if (g->container || g->iommufd)
		return -EINVAL;
	struct vfio_container *c = vfio_container_from_file(cf);
	if (!c)
		return set_iommufd(g, cfd);
	if (!vfio_group_viable(g->iommu_group))
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

/* `*put`: an iommufd reference to put after v->lock (detach_iommufd). */
static long unset_container(struct vfio_group *g, struct iommufd_ctx **put)
{
	if (!g->container && !g->iommufd)
		return -EINVAL;
	if (g->opened_devices)
		return -EBUSY;
	if (g->container)
		detach_container(g);
	else
		*put = detach_iommufd(g);
	return 0;
}

/* The first open of a device of an iommufd group: bound (routed by its
 * type, as through its cdev) and attached to the compat IOAS, as Linux's
 * vfio_df_group_open does; the open itself in between. */
static int open_iommufd(struct vfio_group *g, struct vfio_device *vd)
{
	uint32_t devid, ioas;
	int rc = vfio_iommufd_bind(vd, g->iommufd, &devid);
	if (rc)
		return rc;
	if ((rc = vfio_device_open(vd))) {
		vfio_iommufd_unbind(vd);
		return rc;
	}
	if ((rc = iommufd_vfio_compat_ioas_get_id(g->iommufd, &ioas)) ||
	    (rc = vfio_iommufd_attach(vd, &ioas))) {
		vfio_device_close(vd);
		vfio_iommufd_unbind(vd);
	}
	return rc;
}

/* Linux matches dev_name(): "0000:BB:DD.F" for PCI, the UUID for an
 * mdev. The uiommu name and a bare "BB:DD.F" are accepted as well. */
static bool name_matches(struct device *dev, const char *name)
{
	if (!strcmp(dev->name, name))
		return true;
	if (dev_is_mdev(dev)) {
		uint8_t u[16];
		return !mdev_uuid_parse(name, u) && !memcmp(u, to_mdev_device(dev)->uuid, 16);
	}
	if (!strncmp(name, "0000:", 5))
		name += 5;
	uint16_t rid;
	return dev_is_pci(dev) && !pci_bdf_parse(name, &rid) && rid == pci_dev_id(to_pci_dev(dev));
}

/* Opens the device for a new file (v->lock held); the file itself is made
 * by the caller once the lock is dropped. */
static long get_device(struct vfio_group *g, unsigned long arg, struct vfio_device_file **out)
{
	char name[256];
	long n = strncpy_from_user(name, arg, sizeof(name));
	if (n < 0)
		return n == -ENAMETOOLONG ? -EINVAL : n;
	if (!((g->container && g->container->iommu) || g->iommufd) ||
	    !vfio_group_viable(g->iommu_group))
		return -EINVAL;
	struct vfio_device *vd, *found = NULL;
	list_for_each_entry(vd, &g->devices, group_node)
		if (name_matches(vd->dev, name))
			found = vd;
	if (!found)
		return -ENODEV;
	struct vfio_device_file *df = kcalloc(1, sizeof(*df));
	if (!df)
		return -ENOMEM;
	int rc = g->iommufd && !found->open_count ? open_iommufd(g, found) :
						     vfio_device_open(found);
	if (rc) {
		free(df);
		return rc;
	}
	df->device = found;
	df->group = g;
	atomic_init(&df->access_granted, true);
	g->opened_devices++;
	g->refs++; /* the device file holds its group */
	*out = df;
	return 0;
}

long vfio_group_ioctl(struct vfio_group *g, unsigned long cmd, unsigned long arg)
{
	struct vfio_core *v = g->h->vfio;
	struct file *cf = NULL;
	struct vfio_device_file *df = NULL;
	struct iommufd_ctx *put = NULL;
	int32_t cfd = -1;
	if (cmd == VFIO_GROUP_SET_CONTAINER) {
		/* Looked up (and put) outside v->lock: dropping the last
		 * reference of a file may release a container or group. */
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
		rc = set_container(g, cf, cfd);
		break;
	case VFIO_GROUP_UNSET_CONTAINER:
		rc = unset_container(g, &put);
		break;
	case VFIO_GROUP_GET_DEVICE_FD:
		rc = get_device(g, arg, &df);
		break;
	default:
		rc = -ENOTTY;
	}
	pthread_mutex_unlock(&v->lock);
	fput(cf);
	if (put)
		iommufd_ctx_put(put);
	if (df)
		rc = vfio_device_file(df);
	return rc;
}
