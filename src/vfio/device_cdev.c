/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VFIO device cdev (Linux device_cdev.c in shape; SPEC U-4, U-5, U-8):
 * /dev/vfio/devices/vfio<N> for every registered device that is free for
 * VFIO, without container or group. Opening one gives a file with no
 * access. VFIO_DEVICE_BIND_IOMMUFD puts the device into the iommufd's
 * security context - its whole IOMMU group owned by that context, DMA
 * blocked until an attach (the proposal's section 1.3) - and only then is
 * the device reachable. The file's release closes the device and then
 * unbinds it: user access is gone before the context goes.
 *
 * A device bound through its cdev keeps its legacy group from being
 * opened, and an open legacy group keeps its devices from binding (-EBUSY
 * both ways, Linux's cdev_device_open_cnt rule).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uapi/linux/vfio_cdev.h>
#include <uiommu/iommufd.h>

#include "vfio.h"
#include "../base/uaccess.h"
#include "../base/usercopy.h"
#include "../files/file.h"
#include "../host/host.h"
#include "../mdev/mdev.h"
#include "../util/slab.h"

#define CDEV_DIR "/dev/vfio/devices/"

/* ---- the nodes ---- */

static int parse_name(const char *name, unsigned *index)
{
	if (strncmp(name, "vfio", 4) || !name[4])
		return -ENOENT;
	char *end;
	unsigned long n = strtoul(name + 4, &end, 10);
	if (*end || (name[4] == '0' && name[5]) || name[4] == '-' || name[4] == '+' ||
	    n > UINT32_MAX)
		return -ENOENT;
	*index = (unsigned)n;
	return 0;
}

static int cdev_lookup(void *dir_data, const char *name, const struct file_operations **fops,
		       void **node_data)
{
	struct uiommu_host *h = dir_data;
	struct vfio_core *v = h->vfio;
	unsigned index;
	int rc = parse_name(name, &index);
	if (rc)
		return rc;
	pthread_mutex_lock(&v->lock);
	if (!vfio_device_by_index(v, index))
		rc = -ENOENT;
	pthread_mutex_unlock(&v->lock);
	*fops = &vfio_cdev_fops;
	*node_data = (void *)(uintptr_t)index;
	return rc;
}

static int cdev_iterate(void *dir_data, int (*emit)(const char *name, void *arg), void *arg)
{
	struct uiommu_host *h = dir_data;
	struct vfio_core *v = h->vfio;
	int rc = 0;
	pthread_mutex_lock(&v->lock);
	struct vfio_device *vd;
	list_for_each_entry(vd, &v->devices, node) {
		if (!vfio_device_free(vd))
			continue;
		char name[16];
		snprintf(name, sizeof(name), "vfio%u", vd->index);
		if ((rc = emit(name, arg)))
			break;
	}
	pthread_mutex_unlock(&v->lock);
	return rc;
}

static const struct devnode_dir_ops cdev_dir = {
	.lookup = cdev_lookup,
	.iterate = cdev_iterate,
};

/* Opening the node: a file that can do nothing but bind. The mdev core's
 * lock keeps an mdev from going between the lookup and the hold. */
int vfio_cdev_open(struct file *f, void *node_data)
{
	struct uiommu_host *h = f->host;
	struct vfio_core *v = h->vfio;
	struct vfio_device_file *df = kcalloc(1, sizeof(*df));
	if (!df)
		return -ENOMEM;
	mdev_core_lock(h);
	pthread_mutex_lock(&v->lock);
	struct vfio_device *vd = vfio_device_by_index(v, (unsigned)(uintptr_t)node_data);
	if (vd)
		vfio_device_get_user(vd);
	pthread_mutex_unlock(&v->lock);
	mdev_core_unlock(h);
	if (!vd) {
		free(df);
		return -ENODEV;
	}
	df->device = vd;
	atomic_init(&df->access_granted, false);
	f->private_data = df;
	return 0;
}

int vfio_device_cdev_name(struct uiommu_host *h, struct device *dev, char *buf, size_t size)
{
	struct vfio_core *v = h ? h->vfio : NULL;
	if (!v || !dev || !buf)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	struct vfio_device *vd = vfio_device_of(v, dev);
	int rc = vd && vfio_device_free(vd) ? 0 : -ENODEV;
	if (!rc)
		snprintf(buf, size, "vfio%u", vd->index);
	pthread_mutex_unlock(&v->lock);
	return rc;
}

int vfio_cdev_init(struct uiommu_host *h)
{
	return devnode_register_dir(h, CDEV_DIR, &cdev_dir, h);
}

void vfio_cdev_fini(struct uiommu_host *h)
{
	devnode_unregister(h, CDEV_DIR);
}

/* ---- binding: the security context ---- */

/* Refuse a device whose group the legacy path has, or that another file
 * bound; mark it bound (v->lock taken here). */
static int block_group(struct vfio_core *v, struct vfio_device *vd)
{
	pthread_mutex_lock(&v->lock);
	int rc = 0;
	struct vfio_group *g;
	list_for_each_entry(g, &v->groups, node)
		if (g->iommu_group == vd->dev->group)
			rc = -EBUSY;
	/* One bound file per device (Linux: open_count, -EINVAL). */
	if (!rc && (vd->cdev_bound || vd->open_count))
		rc = -EINVAL;
	if (!rc)
		vd->cdev_bound = true;
	pthread_mutex_unlock(&v->lock);
	return rc;
}

static void unblock_group(struct vfio_core *v, struct vfio_device *vd)
{
	pthread_mutex_lock(&v->lock);
	vd->cdev_bound = false;
	pthread_mutex_unlock(&v->lock);
}

/* The device's whole group must be safe to hand out (U-4): no member
 * driven by a kernel driver. Whether another owner has it is the IOMMU
 * core's answer to the claim (-EBUSY as well). */
static int check_viable(struct vfio_device *vd)
{
	if (vfio_route_of(vd) != VFIO_ROUTE_RID)
		return 0; /* an mdev's group is its own */
	return vfio_group_viable(vd->dev->group) ? 0 : -EBUSY;
}

static int bind_locked(struct vfio_device_file *df, struct vfio_core *v, int iommufd,
		       unsigned long arg)
{
	struct vfio_device *vd = df->device;
	if (atomic_load(&df->access_granted))
		return -EINVAL; /* bound already */
	int rc = block_group(v, vd);
	if (rc)
		return rc;
	struct iommufd_ctx *ictx = iommufd_ctx_from_fd(iommufd, &rc);
	if (!ictx)
		goto err_unblock;
	uint32_t devid;
	if ((rc = check_viable(vd)) || (rc = vfio_iommufd_bind(vd, ictx, &devid)))
		goto err_put;
	pthread_mutex_lock(&v->lock);
	rc = vfio_device_open(vd);
	pthread_mutex_unlock(&v->lock);
	if (rc)
		goto err_unbind;
	if (copy_to_user(arg + offsetof(struct vfio_device_bind_iommufd, out_devid), &devid,
			 sizeof(devid))) {
		rc = -EFAULT;
		goto err_close;
	}
	iommufd_ctx_put(ictx); /* the binding holds its own */
	df->devid = devid;
	atomic_store_explicit(&df->access_granted, true, memory_order_release);
	return 0;
err_close:
	pthread_mutex_lock(&v->lock);
	vfio_device_close(vd);
	pthread_mutex_unlock(&v->lock);
err_unbind:
	vfio_iommufd_unbind(vd);
err_put:
	iommufd_ctx_put(ictx);
err_unblock:
	unblock_group(v, vd);
	return rc;
}

long vfio_df_ioctl_bind_iommufd(struct vfio_device_file *df, unsigned long arg)
{
	struct vfio_device_bind_iommufd bind;
	const size_t minsz = vfio_offsetofend(struct vfio_device_bind_iommufd, out_devid);
	uint32_t user_size;
	if (copy_from_user(&user_size, arg, sizeof(user_size)))
		return -EFAULT;
	if (user_size < minsz)
		return -EINVAL;
	int rc = copy_struct_from_user(&bind, sizeof(bind), arg, user_size);
	if (rc)
		return rc;
	if (bind.iommufd < 0 || (bind.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN))
		return -EINVAL;
	if (df->group)
		return -EINVAL; /* cdev files only */
	/* A token is for devices that ask for one (a VF whose PF set it);
	 * none here does: the flag is refused, as Linux does then. */
	if (bind.flags & VFIO_DEVICE_BIND_FLAG_TOKEN)
		return -EINVAL;
	struct vfio_device *vd = df->device;
	pthread_mutex_lock(&vd->lock);
	rc = bind_locked(df, vd->dev->host->vfio, bind.iommufd, arg);
	pthread_mutex_unlock(&vd->lock);
	return rc;
}

void vfio_df_unbind_iommufd(struct vfio_device_file *df)
{
	if (!atomic_load(&df->access_granted))
		return;
	struct vfio_device *vd = df->device;
	struct vfio_core *v = vd->dev->host->vfio;
	pthread_mutex_lock(&vd->lock);
	/* The device stops first (its driver's close: reset, WQs off), so
	 * nothing it does outlives the context. */
	pthread_mutex_lock(&v->lock);
	vfio_device_close(vd);
	pthread_mutex_unlock(&v->lock);
	vfio_iommufd_unbind(vd);
	pthread_mutex_unlock(&vd->lock);
	unblock_group(v, vd);
}

/* ---- attach, detach ---- */

long vfio_df_ioctl_attach_pt(struct vfio_device_file *df, unsigned long arg)
{
	struct vfio_device *vd = df->device;
	struct vfio_device_attach_iommufd_pt attach;
	size_t minsz = vfio_offsetofend(struct vfio_device_attach_iommufd_pt, pt_id);
	if (copy_from_user(&attach, arg, minsz))
		return -EFAULT;
	if (attach.argsz < minsz || (attach.flags & ~VFIO_DEVICE_ATTACH_PASID))
		return -EINVAL;
	bool pasid = attach.flags & VFIO_DEVICE_ATTACH_PASID;
	if (pasid) {
		unsigned log2;
		if (vfio_pasid_policy_of(vd, &log2) == VFIO_PASID_NONE)
			return -EOPNOTSUPP;
		size_t xend = vfio_offsetofend(struct vfio_device_attach_iommufd_pt, pasid);
		if (attach.argsz < xend)
			return -EINVAL;
		if (copy_from_user(&attach.pasid, arg + minsz, xend - minsz))
			return -EFAULT;
	}
	/* The answer must be writable before anything changes: a failing
	 * call changes nothing (a replaced HWPT could not be put back). */
	uint64_t out = arg + offsetof(struct vfio_device_attach_iommufd_pt, pt_id);
	if (copy_to_user(out, &attach.pt_id, sizeof(attach.pt_id)))
		return -EFAULT;
	pthread_mutex_lock(&vd->lock);
	int rc = pasid ? vfio_iommufd_pasid_attach(vd, attach.pasid, &attach.pt_id) :
			 vfio_iommufd_attach(vd, &attach.pt_id);
	pthread_mutex_unlock(&vd->lock);
	if (!rc && copy_to_user(out, &attach.pt_id, sizeof(attach.pt_id)))
		rc = -EFAULT; /* unmapped meanwhile by another thread */
	return rc;
}

long vfio_df_ioctl_detach_pt(struct vfio_device_file *df, unsigned long arg)
{
	struct vfio_device *vd = df->device;
	struct vfio_device_detach_iommufd_pt detach;
	size_t minsz = vfio_offsetofend(struct vfio_device_detach_iommufd_pt, flags);
	if (copy_from_user(&detach, arg, minsz))
		return -EFAULT;
	if (detach.argsz < minsz || (detach.flags & ~VFIO_DEVICE_DETACH_PASID))
		return -EINVAL;
	bool pasid = detach.flags & VFIO_DEVICE_DETACH_PASID;
	if (pasid) {
		unsigned log2;
		if (vfio_pasid_policy_of(vd, &log2) == VFIO_PASID_NONE)
			return -EOPNOTSUPP;
		size_t xend = vfio_offsetofend(struct vfio_device_detach_iommufd_pt, pasid);
		if (detach.argsz < xend)
			return -EINVAL;
		if (copy_from_user(&detach.pasid, arg + minsz, xend - minsz))
			return -EFAULT;
	}
	pthread_mutex_lock(&vd->lock);
	if (pasid)
		vfio_iommufd_pasid_detach(vd, detach.pasid);
	else
		vfio_iommufd_detach(vd);
	pthread_mutex_unlock(&vd->lock);
	return 0;
}
