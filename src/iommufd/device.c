/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DEVICE objects (SPEC U-4, U-5, U-7, U-8): what a binding driver (VFIO's
 * device cdev, an mdev parent) uses to put a device under an iommufd
 * context, and to attach it - on its RID or a PASID - to an IOAS (through
 * an automatic HWPT, reused when compatible) or to a HWPT. Linux's
 * device.c in shape.
 *
 * A group is the unit of isolation: binding claims the whole group's DMA
 * (blocked until an attach), the first device attached on a PASID attaches
 * the group, later ones follow, and each device's reserved regions narrow
 * the IOAS while it is attached.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommufd_private.h"
#include "../base/device.h"
#include "../pci/pci.h"
#include "../base/uaccess.h"
#include "../base/usercopy.h"
#include "../iommu/group.h"
#include "../util/slab.h"

/* Who shares an attachment on one PASID of a group. */
struct iommufd_attach {
	struct iommufd_hw_pagetable *hwpt;
	struct xarray device_array;     /* device obj id -> idev */
};

/* The IOMMU instance serving the device: a vIOMMU belongs to one. */
const void *iommufd_dev_iommu(struct device *dev)
{
	struct dev_iommu *di = dev_iommu(dev);
	return di ? (const void *)di->iommu_dev : NULL;
}

static bool dev_capable(struct device *dev, enum iommu_cap cap)
{
	struct dev_iommu *di = dev_iommu(dev);
	return di && di->ops->capable && di->ops->capable(dev, cap);
}

/* ---- groups ---- */

static void put_group(struct iommufd_group *igroup)
{
	if (atomic_fetch_sub(&igroup->ref, 1) != 1)
		return;
	struct iommufd_ctx *ictx = igroup->ictx;
	pthread_mutex_lock(&ictx->groups_lock);
	if (xa_load(&ictx->groups, iommu_group_id(igroup->group)) == igroup)
		xa_erase(&ictx->groups, iommu_group_id(igroup->group));
	pthread_mutex_unlock(&ictx->groups_lock);
	xa_destroy(&igroup->pasid_attach);
	pthread_mutex_destroy(&igroup->lock);
	free(igroup);
}

/* The context's record of dev's group, shared by its bound devices. */
static struct iommufd_group *get_group(struct iommufd_ctx *ictx, struct device *dev, int *err)
{
	struct iommu_group *group = iommu_group_get(dev);
	if (!group) {
		*err = -ENODEV;
		return NULL;
	}
	unsigned id = iommu_group_id(group);
	pthread_mutex_lock(&ictx->groups_lock);
	struct iommufd_group *igroup = xa_load(&ictx->groups, id);
	if (igroup && atomic_fetch_add(&igroup->ref, 1) > 0) {
		pthread_mutex_unlock(&ictx->groups_lock);
		return igroup;
	}
	igroup = kcalloc(1, sizeof(*igroup));
	int rc = igroup ? xa_store(&ictx->groups, id, igroup, NULL) : -ENOMEM;
	pthread_mutex_unlock(&ictx->groups_lock);
	if (rc) {
		free(igroup);
		*err = rc;
		return NULL;
	}
	atomic_init(&igroup->ref, 1);
	pthread_mutex_init(&igroup->lock, NULL);
	xa_init(&igroup->pasid_attach);
	igroup->ictx = ictx;
	igroup->group = group;
	return igroup;
}

/* ---- bind ---- */

static struct iommufd_device *device_bind(struct iommufd_ctx *ictx, struct device *dev,
					  bool subdev, uint32_t *id, bool hold_ctx, int *err)
{
	int rc;
	/* A context serves the devices of its own host. */
	if (!ictx || !dev || !id || dev->host != ictx->host) {
		*err = -EINVAL;
		return NULL;
	}
	/* Mappings are always cache coherent: there is no way for the user
	 * to make them so otherwise. */
	if (!dev_capable(dev, IOMMU_CAP_CACHE_COHERENCY)) {
		*err = -EINVAL;
		return NULL;
	}
	struct iommufd_group *igroup = get_group(ictx, dev, &rc);
	if (!igroup)
		goto err;
	/* The interrupt window is blocked for untranslated requests and the
	 * model has no MSIs to steal, so interrupts are isolated. A
	 * subdevice's parent keeps its group (and its kernel driver): only
	 * the PASIDs the binding driver attaches are the context's. */
	rc = subdev ? 0 : iommu_group_claim_dma_owner(igroup->group, ictx);
	if (rc)
		goto err_group;
	struct iommufd_device *idev =
		iommufd_object_alloc(ictx, struct iommufd_device, IOMMUFD_OBJ_DEVICE, &rc);
	if (!idev)
		goto err_owner;
	idev->ictx = ictx;
	idev->holds_ctx = hold_ctx;
	if (hold_ctx)
		iommufd_ctx_get(ictx);
	idev->dev = dev;
	idev->subdev = subdev;
	idev->enforce_cache_coherency = dev_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
	/* The driver is a user until it unbinds, so the device is a leaf
	 * nothing else references. */
	refcount_inc(&idev->obj.users);
	idev->igroup = igroup;
	iommufd_object_finalize(ictx, &idev->obj);
	*id = idev->obj.id;
	return idev;
err_owner:
	if (!subdev)
		iommu_group_release_dma_owner(igroup->group);
err_group:
	put_group(igroup);
err:
	*err = rc;
	return NULL;
}

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx, struct device *dev,
					   uint32_t *id, int *err)
{
	return device_bind(ictx, dev, false, id, true, err);
}

struct iommufd_device *iommufd_device_bind_subdev(struct iommufd_ctx *ictx,
						  struct device *parent, unsigned max_pasid_log2,
						  uint32_t *id, int *err)
{
	if (max_pasid_log2 > 20) {
		*err = -EINVAL;
		return NULL;
	}
	struct iommufd_device *idev = device_bind(ictx, parent, true, id, true, err);
	if (idev)
		idev->user_pasid_log2 = (uint8_t)max_pasid_log2;
	return idev;
}

struct iommufd_device *iommufd_device_bind_owned(struct iommufd_ctx *ictx, struct device *dev,
						 uint32_t *id, int *err)
{
	return device_bind(ictx, dev, false, id, false, err);
}

/* A vDEVICE of the device goes before it (tombstoned, Linux 6.16+). */
static void remove_vdev(struct iommufd_device *idev)
{
	pthread_mutex_lock(&idev->igroup->lock);
	idev->destroying = true;
	struct iommufd_vdevice *vdev = idev->vdev;
	if (!vdev || iommufd_try_inc_users(idev->ictx, &vdev->obj)) {
		/* Gone, or a destroy in flight that will finish on its own. */
		pthread_mutex_unlock(&idev->igroup->lock);
		return;
	}
	pthread_mutex_unlock(&idev->igroup->lock);
	iommufd_object_tombstone_user(idev->ictx, &vdev->obj);
}

void iommufd_device_pre_destroy(struct iommufd_object *obj)
{
	remove_vdev((struct iommufd_device *)obj);
}

void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev = (struct iommufd_device *)obj;
	if (!idev->subdev)
		iommu_group_release_dma_owner(idev->igroup->group);
	put_group(idev->igroup);
	if (idev->holds_ctx)
		iommufd_ctx_put(idev->ictx);
}

void iommufd_device_unbind(struct iommufd_device *idev)
{
	if (idev)
		iommufd_object_destroy_user(idev->ictx, &idev->obj);
}

struct iommufd_ctx *iommufd_device_to_ictx(struct iommufd_device *idev)
{
	return idev->ictx;
}

uint32_t iommufd_device_to_id(struct iommufd_device *idev)
{
	return idev->obj.id;
}

bool iommufd_ctx_has_group(struct iommufd_ctx *ictx, struct iommu_group *group)
{
	if (!ictx || !group)
		return false;
	bool found = false;
	uint64_t index;
	struct iommufd_object *obj;
	pthread_mutex_lock(&ictx->obj_lock);
	xa_for_each(&ictx->objects, index, obj)
		if (obj->type == IOMMUFD_OBJ_DEVICE && !((struct iommufd_device *)obj)->subdev &&
		    ((struct iommufd_device *)obj)->igroup->group == group)
			found = true;
	pthread_mutex_unlock(&ictx->obj_lock);
	return found;
}

struct iommufd_device *iommufd_ctx_find_device(struct iommufd_ctx *ictx, struct device *dev)
{
	struct iommufd_device *found = NULL;
	uint64_t index;
	struct iommufd_object *obj;
	pthread_mutex_lock(&ictx->obj_lock);
	xa_for_each(&ictx->objects, index, obj) {
		if (obj->type == IOMMUFD_OBJ_DEVICE && ((struct iommufd_device *)obj)->dev == dev &&
		    iommufd_lock_obj(obj)) {
			found = (struct iommufd_device *)obj;
			break;
		}
	}
	pthread_mutex_unlock(&ictx->obj_lock);
	return found;
}

/* ---- attach, replace, detach ---- */

static bool device_is_attached(struct iommufd_device *idev, ioasid_t pasid)
{
	struct iommufd_attach *attach = xa_load(&idev->igroup->pasid_attach, pasid);
	return attach && xa_load(&attach->device_array, idev->obj.id);
}

struct iommufd_hw_pagetable *iommufd_device_hwpt_at(struct iommufd_device *idev, ioasid_t pasid)
{
	struct iommufd_hw_pagetable *hwpt = NULL;
	pthread_mutex_lock(&idev->igroup->lock);
	if (device_is_attached(idev, pasid)) {
		struct iommufd_attach *attach = xa_load(&idev->igroup->pasid_attach, pasid);
		if (attach->hwpt && iommufd_lock_obj(&attach->hwpt->obj))
			hwpt = attach->hwpt;
	}
	pthread_mutex_unlock(&idev->igroup->lock);
	return hwpt;
}

/* PASIDs need a PASID-capable HWPT on the RID and on themselves (U-8).
 * A subdevice has no RID of its own: every address space it has is a
 * PASID the binding driver routes it through, invisible to the user, and
 * every VT-d domain serves a PASID - the rule is not the user's there. */
static int hwpt_pasid_compat(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev,
			     ioasid_t pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	if (idev->subdev)
		return pasid == IOMMU_NO_PASID ? -EINVAL : 0;
	if (pasid == IOMMU_NO_PASID) {
		uint64_t start = IOMMU_NO_PASID + 1;
		if (!hwpt->pasid_compat && xa_find(&igroup->pasid_attach, &start, UINT32_MAX))
			return -EINVAL;
		return 0;
	}
	if (!hwpt->pasid_compat)
		return -EINVAL;
	struct iommufd_attach *rid = xa_load(&igroup->pasid_attach, IOMMU_NO_PASID);
	if (rid && rid->hwpt && !rid->hwpt->pasid_compat)
		return -EINVAL;
	return 0;
}

/* Page requests through a fault-capable HWPT need PRI on (Linux turns it
 * on with the attach of such a HWPT). Counted per device. */
static int iopf_get(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev)
{
	if (!hwpt->fault || idev->iopf_users++)
		return 0;
	/* A device that cannot ask for pages (no PRI): ENODEV, as Linux's
	 * VT-d driver answers. */
	int rc = iommu_dev_has_feature(idev->dev, IOMMU_DEV_FEAT_IOPF) ?
			 iommu_dev_enable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF) :
			 -ENODEV;
	if (rc)
		idev->iopf_users--;
	return rc;
}

static void iopf_put(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev)
{
	if (hwpt->fault && idev->iopf_users && !--idev->iopf_users)
		iommu_dev_disable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
}

static int hwpt_attach_device(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev,
			      ioasid_t pasid)
{
	int rc = hwpt_pasid_compat(hwpt, idev, pasid);
	if (rc)
		return rc;
	rc = iopf_get(hwpt, idev);
	if (rc)
		return rc;
	if (pasid == IOMMU_NO_PASID)
		rc = iommu_attach_group_owned(hwpt->domain, idev->igroup->group);
	else
		rc = iommu_attach_device_pasid(hwpt->domain, idev->dev, pasid);
	if (rc)
		iopf_put(hwpt, idev);
	return rc;
}

/*
 * A page request that found the HWPT's domain before it left the device
 * may still be in its handler, about to queue a group naming the HWPT on
 * its FAULT object; a fault, about to report to the HWPT's vIOMMU: wait
 * for them, so that the answers below catch such a group too and the
 * HWPT, its queue and its vIOMMU may go once the caller returns (a
 * destroy racing fault delivery freed them under it; issue #12).
 */
static void faults_flush(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->fault || (!hwpt_is_paging(hwpt) && to_hwpt_nested(hwpt)->viommu))
		iommu_domain_flush_faults(hwpt->domain);
}

static void hwpt_detach_device(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev,
			       ioasid_t pasid)
{
	if (pasid == IOMMU_NO_PASID)
		iommu_detach_group(hwpt->domain, idev->igroup->group);
	else
		iommu_detach_device_pasid(hwpt->domain, idev->dev, pasid);
	faults_flush(hwpt);
	iommufd_auto_response_faults(hwpt, idev->dev, pasid);
	iopf_put(hwpt, idev);
}

static int hwpt_replace_device(struct iommufd_device *idev, ioasid_t pasid,
			       struct iommufd_hw_pagetable *hwpt, struct iommufd_hw_pagetable *old)
{
	int rc = hwpt_pasid_compat(hwpt, idev, pasid);
	if (rc)
		return rc;
	rc = iopf_get(hwpt, idev);
	if (rc)
		return rc;
	if (pasid == IOMMU_NO_PASID)
		rc = iommu_group_replace_domain(idev->igroup->group, hwpt->domain);
	else
		rc = iommu_replace_device_pasid(hwpt->domain, idev->dev, pasid);
	if (rc) {
		iopf_put(hwpt, idev);
		return rc;
	}
	faults_flush(old);
	iommufd_auto_response_faults(old, idev->dev, pasid);
	iopf_put(old, idev);
	return 0;
}

int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev,
				ioasid_t pasid)
{
	struct iommufd_hwpt_paging *hwpt_paging = find_hwpt_paging(hwpt);
	bool attach_resv = hwpt_paging && pasid == IOMMU_NO_PASID;
	struct iommufd_group *igroup = idev->igroup;
	int rc;
	pthread_mutex_lock(&igroup->lock);
	struct iommufd_attach *attach = xa_load(&igroup->pasid_attach, pasid);
	bool fresh = !attach;
	if (fresh) {
		attach = kcalloc(1, sizeof(*attach));
		if (!attach) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		xa_init(&attach->device_array);
	}
	/* One device, one attachment per PASID; one HWPT per group PASID.
	 * A PASID names one device (U-7: faults are attributed by it), so
	 * only the RID's attachment is shared, by the group's functions. */
	if (!fresh && pasid != IOMMU_NO_PASID) {
		rc = -EBUSY;
		goto out_unlock;
	}
	rc = xa_insert(&attach->device_array, idev->obj.id, NULL);
	if (rc)
		goto out_free;
	if (attach->hwpt && attach->hwpt != hwpt) {
		rc = -EINVAL;
		goto out_release;
	}
	if (attach_resv && (rc = iopt_table_enforce_dev_resv_regions(&hwpt_paging->ioas->iopt,
								     idev->dev)))
		goto out_release;
	/* The group attaches with its first device; the others follow it,
	 * but each brings its own reserved regions (above). */
	if (fresh) {
		rc = hwpt_attach_device(hwpt, idev, pasid);
		if (!rc && (rc = xa_store(&igroup->pasid_attach, pasid, attach, NULL)))
			hwpt_detach_device(hwpt, idev, pasid);
		if (rc)
			goto out_unresv;
		attach->hwpt = hwpt;
	}
	refcount_inc(&hwpt->obj.users);
	void *old;
	xa_store(&attach->device_array, idev->obj.id, idev, &old);
	pthread_mutex_unlock(&igroup->lock);
	return 0;
out_unresv:
	if (attach_resv)
		iopt_remove_reserved_iova(&hwpt_paging->ioas->iopt, idev->dev);
out_release:
	xa_erase(&attach->device_array, idev->obj.id);
out_free:
	if (fresh) {
		xa_destroy(&attach->device_array);
		free(attach);
	}
out_unlock:
	pthread_mutex_unlock(&igroup->lock);
	return rc;
}

/* Detach; the caller drops the returned HWPT's reference. */
struct iommufd_hw_pagetable *iommufd_hw_pagetable_detach(struct iommufd_device *idev,
							 ioasid_t pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	pthread_mutex_lock(&igroup->lock);
	struct iommufd_attach *attach = xa_load(&igroup->pasid_attach, pasid);
	if (!attach || !xa_load(&attach->device_array, idev->obj.id)) {
		pthread_mutex_unlock(&igroup->lock);
		return NULL;
	}
	struct iommufd_hw_pagetable *hwpt = attach->hwpt;
	struct iommufd_hwpt_paging *hwpt_paging = find_hwpt_paging(hwpt);
	xa_erase(&attach->device_array, idev->obj.id);
	if (xa_empty(&attach->device_array)) {
		hwpt_detach_device(hwpt, idev, pasid);
		xa_erase(&igroup->pasid_attach, pasid);
		xa_destroy(&attach->device_array);
		free(attach);
	}
	if (hwpt_paging && pasid == IOMMU_NO_PASID)
		iopt_remove_reserved_iova(&hwpt_paging->ioas->iopt, idev->dev);
	pthread_mutex_unlock(&igroup->lock);
	iommufd_hw_pagetable_put(idev->ictx, hwpt);
	return hwpt;
}

static struct iommufd_hw_pagetable *do_attach(struct iommufd_device *idev, ioasid_t pasid,
					      struct iommufd_hw_pagetable *hwpt, int *err)
{
	*err = iommufd_hw_pagetable_attach(hwpt, idev, pasid);
	return NULL;
}

static void group_remove_reserved_iova(struct iommufd_group *igroup,
				       struct iommufd_hwpt_paging *hwpt_paging)
{
	struct iommufd_attach *attach = xa_load(&igroup->pasid_attach, IOMMU_NO_PASID);
	uint64_t index;
	struct iommufd_device *cur;
	xa_for_each(&attach->device_array, index, cur)
		iopt_remove_reserved_iova(&hwpt_paging->ioas->iopt, cur->dev);
}

/* Moving to another IOAS: every device of the group brings its reserved
 * regions to the new one first. */
static int group_replace_reserved_iova(struct iommufd_group *igroup,
				       struct iommufd_hwpt_paging *hwpt_paging)
{
	struct iommufd_attach *attach = xa_load(&igroup->pasid_attach, IOMMU_NO_PASID);
	struct iommufd_hwpt_paging *old = find_hwpt_paging(attach->hwpt);
	if (old && hwpt_paging->ioas == old->ioas)
		return 0;
	uint64_t index;
	struct iommufd_device *cur;
	xa_for_each(&attach->device_array, index, cur) {
		int rc = iopt_table_enforce_dev_resv_regions(&hwpt_paging->ioas->iopt, cur->dev);
		if (rc) {
			group_remove_reserved_iova(igroup, hwpt_paging);
			return rc;
		}
	}
	return 0;
}

static unsigned group_device_num(struct iommufd_group *igroup, ioasid_t pasid)
{
	struct iommufd_attach *attach = xa_load(&igroup->pasid_attach, pasid);
	unsigned n = 0;
	uint64_t index;
	struct iommufd_device *cur;
	if (attach)
		xa_for_each(&attach->device_array, index, cur)
			n++;
	return n;
}

/* Replace atomically (U-5); returns the old HWPT for the caller to put. */
static struct iommufd_hw_pagetable *do_replace(struct iommufd_device *idev, ioasid_t pasid,
					       struct iommufd_hw_pagetable *hwpt, int *err)
{
	struct iommufd_hwpt_paging *hwpt_paging = find_hwpt_paging(hwpt);
	bool attach_resv = hwpt_paging && pasid == IOMMU_NO_PASID;
	struct iommufd_group *igroup = idev->igroup;
	int rc = -EINVAL;
	pthread_mutex_lock(&igroup->lock);
	struct iommufd_attach *attach = xa_load(&igroup->pasid_attach, pasid);
	if (!attach || !device_is_attached(idev, pasid))
		goto out_unlock;
	struct iommufd_hw_pagetable *old = attach->hwpt;
	if (hwpt == old) {
		pthread_mutex_unlock(&igroup->lock);
		*err = 0;
		return NULL;
	}
	if (attach_resv && (rc = group_replace_reserved_iova(igroup, hwpt_paging)))
		goto out_unlock;
	rc = hwpt_replace_device(idev, pasid, hwpt, old);
	if (rc) {
		if (attach_resv)
			group_remove_reserved_iova(igroup, hwpt_paging);
		goto out_unlock;
	}
	struct iommufd_hwpt_paging *old_paging = find_hwpt_paging(old);
	if (old_paging && pasid == IOMMU_NO_PASID &&
	    (!hwpt_paging || hwpt_paging->ioas != old_paging->ioas))
		group_remove_reserved_iova(igroup, old_paging);
	attach->hwpt = hwpt;
	/* The group's devices' references move to the new HWPT; the
	 * caller puts the last one on the old. */
	unsigned n = group_device_num(igroup, pasid);
	atomic_fetch_add(&hwpt->obj.users, (int)n);
	if (n > 1)
		atomic_fetch_sub(&old->obj.users, (int)n - 1);
	pthread_mutex_unlock(&igroup->lock);
	*err = 0;
	return old;
out_unlock:
	pthread_mutex_unlock(&igroup->lock);
	*err = rc;
	return NULL;
}

typedef struct iommufd_hw_pagetable *(*attach_fn)(struct iommufd_device *idev, ioasid_t pasid,
						  struct iommufd_hw_pagetable *hwpt, int *err);

/*
 * Attaching to an IOAS: any automatic HWPT of the IOAS that takes the
 * device will do (EINVAL means "incompatible, try the next"); otherwise a
 * new one, made and attached while ioas->mutex keeps others from racing
 * to make their own. Manual HWPTs are never picked.
 */
static struct iommufd_hw_pagetable *auto_get_domain(struct iommufd_device *idev, ioasid_t pasid,
						    struct iommufd_ioas *ioas, uint32_t *pt_id,
						    attach_fn fn, int *err)
{
	bool immediate_attach = fn == do_attach;
	struct iommufd_hw_pagetable *destroy = NULL;
	*err = 0;
	pthread_mutex_lock(&ioas->mutex);
	struct iommufd_hwpt_paging *hwpt_paging;
	list_for_each_entry(hwpt_paging, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt_paging->auto_domain)
			continue;
		struct iommufd_hw_pagetable *hwpt = &hwpt_paging->common;
		if (!iommufd_lock_obj(&hwpt->obj))
			continue;
		destroy = fn(idev, pasid, hwpt, err);
		iommufd_put_object(idev->ictx, &hwpt->obj);
		if (*err == -EINVAL)
			continue;
		if (!*err)
			*pt_id = hwpt->obj.id;
		goto out;
	}
	hwpt_paging = iommufd_hwpt_paging_alloc(idev->ictx, ioas, idev, pasid, 0, immediate_attach,
						NULL, err);
	if (!hwpt_paging)
		goto out;
	*err = 0;
	struct iommufd_hw_pagetable *hwpt = &hwpt_paging->common;
	if (!immediate_attach) {
		destroy = fn(idev, pasid, hwpt, err);
		if (*err) {
			iommufd_object_abort_and_destroy(idev->ictx, &hwpt->obj);
			goto out;
		}
	}
	hwpt_paging->auto_domain = true;
	*pt_id = hwpt->obj.id;
	iommufd_object_finalize(idev->ictx, &hwpt->obj);
out:
	pthread_mutex_unlock(&ioas->mutex);
	return destroy;
}

static int change_pt(struct iommufd_device *idev, ioasid_t pasid, uint32_t *pt_id, attach_fn fn)
{
	int rc;
	struct iommufd_object *pt_obj = iommufd_get_object(idev->ictx, *pt_id, IOMMUFD_OBJ_ANY,
							   &rc);
	if (!pt_obj)
		return rc;
	struct iommufd_hw_pagetable *destroy = NULL;
	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_NESTED:
	case IOMMUFD_OBJ_HWPT_PAGING:
		destroy = fn(idev, pasid, (struct iommufd_hw_pagetable *)pt_obj, &rc);
		break;
	case IOMMUFD_OBJ_IOAS:
		destroy = auto_get_domain(idev, pasid, (struct iommufd_ioas *)pt_obj, pt_id, fn,
					  &rc);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_put_object(idev->ictx, pt_obj);
	/* Only now, with nothing locked, may the old HWPT go. */
	if (!rc && destroy)
		iommufd_hw_pagetable_put(idev->ictx, destroy);
	return rc;
}

int iommufd_device_attach(struct iommufd_device *idev, ioasid_t pasid, uint32_t *pt_id)
{
	if (!idev || !pt_id)
		return -EINVAL;
	int rc = change_pt(idev, pasid, pt_id, do_attach);
	if (rc)
		return rc;
	/* An attached device cannot be unbound before it detaches. */
	refcount_inc(&idev->obj.users);
	return 0;
}

int iommufd_device_replace(struct iommufd_device *idev, ioasid_t pasid, uint32_t *pt_id)
{
	if (!idev || !pt_id)
		return -EINVAL;
	return change_pt(idev, pasid, pt_id, do_replace);
}

void iommufd_device_detach(struct iommufd_device *idev, ioasid_t pasid)
{
	if (idev && iommufd_hw_pagetable_detach(idev, pasid))
		refcount_dec(&idev->obj.users);
}

void iommufd_device_detach_all(struct iommufd_device *idev)
{
	for (;;) {
		/* PASIDs first: the RID's HWPT decides which may stay. */
		uint64_t pasid = IOMMU_NO_PASID + 1;
		pthread_mutex_lock(&idev->igroup->lock);
		struct iommufd_attach *attach;
		while ((attach = xa_find(&idev->igroup->pasid_attach, &pasid, UINT32_MAX)) &&
		       !xa_load(&attach->device_array, idev->obj.id))
			pasid++;
		pthread_mutex_unlock(&idev->igroup->lock);
		if (!attach)
			break;
		iommufd_device_detach(idev, (ioasid_t)pasid);
	}
	iommufd_device_detach(idev, IOMMU_NO_PASID);
}

/* ---- GET_HW_INFO (U-9) ---- */

static void pasid_caps(struct iommufd_device *idev, struct iommu_hw_info *cmd)
{
	struct dev_iommu *di = dev_iommu(idev->dev);
	cmd->out_max_pasid_log2 = 0;
	/* A subdevice's vPASIDs are what its binding driver offers; the
	 * parent's PASIDs are the kernel's. */
	if (idev->subdev) {
		cmd->out_max_pasid_log2 = idev->user_pasid_log2;
		return;
	}
	/* Drivers enable PASID at probe where both sides can: a width
	 * means supported and on. */
	if (!di || !di->max_pasids)
		return;
	cmd->out_max_pasid_log2 = (uint8_t)(31 - __builtin_clz(di->max_pasids));
	if (dev_is_pci(idev->dev)) {
		int ctrl = pci_pasid_status(to_pci_dev(idev->dev));
		if (ctrl > 0 && (ctrl & PCI_PASID_CTRL_EXEC))
			cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_EXEC;
		if (ctrl > 0 && (ctrl & PCI_PASID_CTRL_PRIV))
			cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_PRIV;
	}
}

int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	int rc;
	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	/* Without the flag the field is only an output. */
	if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		cmd->in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	struct iommufd_device *idev = iommufd_get_device(ucmd, cmd->dev_id, &rc);
	if (!idev)
		return rc;
	struct dev_iommu *di = dev_iommu(idev->dev);
	uint8_t data[256];
	uint32_t data_len = 0;
	if (di && di->ops->hw_info) {
		data_len = sizeof(data);
		uint32_t type = cmd->in_data_type;
		rc = di->ops->hw_info(idev->dev, &type, data, &data_len);
		if (!rc && (type == IOMMU_HW_INFO_TYPE_NONE || data_len > sizeof(data)))
			rc = -EOPNOTSUPP; /* a driver with info has a type of its own */
		if (rc)
			goto out;
		cmd->out_data_type = type;
	} else {
		cmd->out_data_type = IOMMU_HW_INFO_TYPE_NONE;
	}
	uint32_t copy_len = cmd->data_len < data_len ? cmd->data_len : data_len;
	if (copy_to_user(cmd->data_uptr, data, copy_len) ||
	    (copy_len < cmd->data_len && clear_user(cmd->data_uptr + copy_len,
						    cmd->data_len - copy_len))) {
		rc = -EFAULT;
		goto out;
	}
	/* The full size, so the user learns what there is. */
	cmd->data_len = data_len;
	cmd->out_capabilities = 0;
	if (dev_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	if (!dev_capable(idev->dev, IOMMU_CAP_PCI_ATS_SUPPORTED))
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	pasid_caps(idev, cmd);
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out:
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}
