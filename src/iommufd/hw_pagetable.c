/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HWPT objects (SPEC U-5, U-10, U-12): a HWPT_PAGING wraps a paging
 * domain the IOAS keeps filled with its mappings; a HWPT_NESTED wraps a
 * user-owned first stage over a nesting parent (or a vIOMMU). Linux's
 * hw_pagetable.c in shape, errno for errno.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommufd_private.h"
#include "../base/device.h"

static void hwpt_destroy_common(struct iommufd_hw_pagetable *hwpt)
{
	/* Paging domains are the core's to free; nested ones came straight
	 * from the driver, as in Linux, and go back to it. */
	if (hwpt->domain && hwpt->domain->type == IOMMU_DOMAIN_NESTED)
		iommu_domain_put(hwpt->domain);
	else if (hwpt->domain)
		iommu_domain_free(hwpt->domain);
	if (hwpt->fault)
		refcount_dec(&hwpt->fault->common.obj.users);
}

void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt_paging = (struct iommufd_hwpt_paging *)obj;
	if (!list_empty(&hwpt_paging->hwpt_item)) {
		pthread_mutex_lock(&hwpt_paging->ioas->mutex);
		list_del(&hwpt_paging->hwpt_item);
		pthread_mutex_unlock(&hwpt_paging->ioas->mutex);
		iopt_table_remove_domain(&hwpt_paging->ioas->iopt, hwpt_paging->common.domain);
	}
	hwpt_destroy_common(&hwpt_paging->common);
	refcount_dec(&hwpt_paging->ioas->obj.users);
}

/* Undo a creation; the caller still holds ioas->mutex. */
void iommufd_hwpt_paging_abort(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt_paging = (struct iommufd_hwpt_paging *)obj;
	if (!list_empty(&hwpt_paging->hwpt_item)) {
		list_del(&hwpt_paging->hwpt_item);
		iopt_table_remove_domain(&hwpt_paging->ioas->iopt, hwpt_paging->common.domain);
	}
	iommufd_hwpt_paging_destroy(obj);
}

void iommufd_hwpt_nested_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_nested *hwpt_nested = (struct iommufd_hwpt_nested *)obj;
	hwpt_destroy_common(&hwpt_nested->common);
	if (hwpt_nested->viommu)
		refcount_dec(&hwpt_nested->viommu->obj.users);
	else
		refcount_dec(&hwpt_nested->parent->common.obj.users);
}

void iommufd_hwpt_nested_abort(struct iommufd_object *obj)
{
	iommufd_hwpt_nested_destroy(obj);
}

void iommufd_hw_pagetable_put(struct iommufd_ctx *ictx, struct iommufd_hw_pagetable *hwpt)
{
	/* An automatic HWPT goes with its last attachment. */
	if (hwpt_is_paging(hwpt) && to_hwpt_paging(hwpt)->auto_domain) {
		iommufd_object_put_and_try_destroy(ictx, &hwpt->obj);
		return;
	}
	refcount_dec(&hwpt->obj.users);
}

static unsigned domain_flags(uint32_t hwpt_flags)
{
	return ((hwpt_flags & IOMMU_HWPT_ALLOC_NEST_PARENT) ? IOMMU_DOMAIN_FLAG_NEST_PARENT : 0) |
	       ((hwpt_flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) ? IOMMU_DOMAIN_FLAG_DIRTY_TRACKING :
								   0) |
	       ((hwpt_flags & IOMMU_HWPT_ALLOC_PASID) ? IOMMU_DOMAIN_FLAG_PASID : 0);
}

static bool dev_capable(struct device *dev, enum iommu_cap cap)
{
	struct dev_iommu *di = dev_iommu(dev);
	return di && di->ops->capable && di->ops->capable(dev, cap);
}

/*
 * A paging HWPT for idev over ioas, filled with the IOAS's mappings
 * before it is returned. immediate_attach attaches idev first (automatic
 * HWPTs). The caller holds ioas->mutex until it finalizes or aborts.
 */
struct iommufd_hwpt_paging *iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx,
						      struct iommufd_ioas *ioas,
						      struct iommufd_device *idev, ioasid_t pasid,
						      uint32_t flags, bool immediate_attach,
						      const struct iommu_user_data *user_data,
						      int *err)
{
	const uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			       IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;
	struct dev_iommu *di = dev_iommu(idev->dev);
	int rc;
	if (!di || (flags & ~valid)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !dev_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) && (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	struct iommufd_hwpt_paging *hwpt_paging = iommufd_object_alloc(
		ictx, struct iommufd_hwpt_paging, IOMMUFD_OBJ_HWPT_PAGING, err);
	if (!hwpt_paging)
		return NULL;
	struct iommufd_hw_pagetable *hwpt = &hwpt_paging->common;
	hwpt->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	list_init(&hwpt_paging->hwpt_item);
	refcount_inc(&ioas->obj.users);
	hwpt_paging->ioas = ioas;
	hwpt_paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	/* Driver data describes the table (the selftest mock's type); a
	 * driver that takes none answers EOPNOTSUPP. */
	hwpt->domain = iommu_paging_domain_alloc_user(idev->dev, domain_flags(flags), user_data,
						      &rc);
	if (!hwpt->domain)
		goto out_abort;
	/* The driver of the device it was made for owns it (Linux sets it
	 * the same way): nested HWPTs and PASID attach check it. */
	hwpt->domain->owner = di->ops;
	/* Coherency is fixed before anything is mapped; a device that can
	 * enforce it gets HWPTs that do. */
	hwpt_paging->enforce_cache_coherency = idev->enforce_cache_coherency;
	if (immediate_attach && (rc = iommufd_hw_pagetable_attach(hwpt, idev, pasid)))
		goto out_abort;
	rc = iopt_table_add_domain(&ioas->iopt, hwpt->domain);
	if (rc)
		goto out_detach;
	list_add_tail(&hwpt_paging->hwpt_item, &ioas->hwpt_list);
	return hwpt_paging;
out_detach:
	if (immediate_attach)
		iommufd_hw_pagetable_detach(idev, pasid);
out_abort:
	iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
	*err = rc;
	return NULL;
}

/* A nested HWPT over a nesting parent of the same driver; through a
 * DEFAULT vIOMMU (viommu) over its parent, which it then references. */
static struct iommufd_hwpt_nested *hwpt_nested_alloc(struct iommufd_ctx *ictx,
						     struct iommufd_hwpt_paging *parent,
						     struct iommufd_device *idev, uint32_t flags,
						     const struct iommu_user_data *user_data,
						     struct iommufd_viommu *viommu, int *err)
{
	struct dev_iommu *di = dev_iommu(idev->dev);
	if ((flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) || !user_data->len ||
	    !di || !di->ops->domain_alloc_nested) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->common.domain->owner != di->ops) {
		*err = -EINVAL;
		return NULL;
	}
	struct iommufd_hwpt_nested *hwpt_nested = iommufd_object_alloc(
		ictx, struct iommufd_hwpt_nested, IOMMUFD_OBJ_HWPT_NESTED, err);
	if (!hwpt_nested)
		return NULL;
	struct iommufd_hw_pagetable *hwpt = &hwpt_nested->common;
	hwpt->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	if (viommu) {
		hwpt_nested->viommu = viommu;
		refcount_inc(&viommu->obj.users);
	} else {
		refcount_inc(&parent->common.obj.users);
	}
	hwpt_nested->parent = parent;
	int rc = -EOPNOTSUPP;
	hwpt->domain = di->ops->domain_alloc_nested(idev->dev, parent->common.domain,
						    flags & ~IOMMU_HWPT_FAULT_ID_VALID, user_data,
						    &rc);
	if (!hwpt->domain || hwpt->domain->type != IOMMU_DOMAIN_NESTED) {
		if (hwpt->domain) {
			rc = -EOPNOTSUPP;
			iommu_domain_put(hwpt->domain);
			hwpt->domain = NULL;
		}
		iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
		*err = rc ? rc : -ENOMEM;
		return NULL;
	}
	hwpt->domain->owner = di->ops;
	if (viommu)
		iommu_set_fault_event_handler(hwpt->domain, iommufd_viommu_fault_event,
					      hwpt_nested);
	return hwpt_nested;
}

/* A nested HWPT a vIOMMU makes (its parent is the vIOMMU's). */
static struct iommufd_hwpt_nested *viommu_alloc_hwpt_nested(struct iommufd_viommu *viommu,
							    uint32_t flags,
							    const struct iommu_user_data *user_data,
							    int *err)
{
	if ((flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) || !user_data->len ||
	    !viommu->ops || !viommu->ops->alloc_domain_nested) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	struct iommufd_hwpt_nested *hwpt_nested = iommufd_object_alloc(
		viommu->ictx, struct iommufd_hwpt_nested, IOMMUFD_OBJ_HWPT_NESTED, err);
	if (!hwpt_nested)
		return NULL;
	struct iommufd_hw_pagetable *hwpt = &hwpt_nested->common;
	hwpt->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	hwpt_nested->viommu = viommu;
	refcount_inc(&viommu->obj.users);
	hwpt_nested->parent = viommu->hwpt;
	int rc = -EOPNOTSUPP;
	hwpt->domain = viommu->ops->alloc_domain_nested(viommu, flags & ~IOMMU_HWPT_FAULT_ID_VALID,
							user_data, &rc);
	if (hwpt->domain)
		hwpt->domain->owner = viommu->hwpt->common.domain->owner;
	if (!hwpt->domain || hwpt->domain->type != IOMMU_DOMAIN_NESTED) {
		if (hwpt->domain) {
			rc = -EOPNOTSUPP;
			iommu_domain_put(hwpt->domain);
			hwpt->domain = NULL;
		}
		iommufd_object_abort_and_destroy(viommu->ictx, &hwpt->obj);
		*err = rc ? rc : -ENOMEM;
		return NULL;
	}
	return hwpt_nested;
}

/* Which kind of HWPT pt_id asks for, made; the caller holds ioas->mutex
 * (*ioas set) for a paging one until it finalizes or aborts. */
static struct iommufd_hw_pagetable *hwpt_alloc_on(struct iommufd_ucmd *ucmd,
						  struct iommufd_object *pt_obj,
						  struct iommufd_device *idev,
						  const struct iommu_user_data *user_data,
						  struct iommufd_ioas **ioas, int *err)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	if (pt_obj->type == IOMMUFD_OBJ_IOAS) {
		*ioas = (struct iommufd_ioas *)pt_obj;
		pthread_mutex_lock(&(*ioas)->mutex);
		struct iommufd_hwpt_paging *p = iommufd_hwpt_paging_alloc(
			ucmd->ictx, *ioas, idev, IOMMU_NO_PASID, cmd->flags, false,
			user_data->len ? user_data : NULL, err);
		return p ? &p->common : NULL;
	}
	if (pt_obj->type == IOMMUFD_OBJ_HWPT_PAGING) {
		struct iommufd_hwpt_nested *n = hwpt_nested_alloc(
			ucmd->ictx, (struct iommufd_hwpt_paging *)pt_obj, idev, cmd->flags,
			user_data, NULL, err);
		return n ? &n->common : NULL;
	}
	if (pt_obj->type == IOMMUFD_OBJ_VIOMMU) {
		struct iommufd_viommu *viommu = (struct iommufd_viommu *)pt_obj;
		if (viommu->iommu_dev != iommufd_dev_iommu(idev->dev)) {
			*err = -EINVAL;
			return NULL;
		}
		struct iommufd_hwpt_nested *n =
			iommufd_viommu_is_default(viommu) ?
				hwpt_nested_alloc(ucmd->ictx, viommu->hwpt, idev, cmd->flags,
						  user_data, viommu, err) :
				viommu_alloc_hwpt_nested(viommu, cmd->flags, user_data, err);
		return n ? &n->common : NULL;
	}
	*err = -EINVAL;
	return NULL;
}

int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data user_data = {
		.type = cmd->data_type,
		.uptr = cmd->data_uptr,
		.len = cmd->data_len,
	};
	int rc;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;
	struct iommufd_device *idev = iommufd_get_device(ucmd, cmd->dev_id, &rc);
	if (!idev)
		return rc;
	/* An unknown pt_id is EINVAL here, not ENOENT (as Linux). */
	struct iommufd_object *pt_obj = iommufd_get_object(ucmd->ictx, cmd->pt_id,
							   IOMMUFD_OBJ_ANY, &rc);
	if (!pt_obj) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	struct iommufd_ioas *ioas = NULL;
	struct iommufd_hw_pagetable *hwpt = hwpt_alloc_on(ucmd, pt_obj, idev, &user_data, &ioas,
							  &rc);
	if (!hwpt)
		goto out_unlock;
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct iommufd_fault *fault = iommufd_get_fault(ucmd, cmd->fault_id, &rc);
		if (!fault)
			goto out_hwpt;
		hwpt->fault = fault;
		iommu_set_iopf_handler(hwpt->domain, iommufd_fault_iopf_handler, hwpt);
		refcount_inc(&fault->common.obj.users);
		iommufd_put_object(ucmd->ictx, &fault->common.obj);
	}
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_hwpt;
	iommufd_object_finalize(ucmd->ictx, &hwpt->obj);
	goto out_unlock;
out_hwpt:
	iommufd_object_abort_and_destroy(ucmd->ictx, &hwpt->obj);
out_unlock:
	if (ioas)
		pthread_mutex_unlock(&ioas->mutex);
	iommufd_put_object(ucmd->ictx, pt_obj);
out_put_idev:
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	int rc;
	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	struct iommufd_hwpt_paging *hwpt_paging = (struct iommufd_hwpt_paging *)iommufd_get_object(
		ucmd->ictx, cmd->hwpt_id, IOMMUFD_OBJ_HWPT_PAGING, &rc);
	if (!hwpt_paging)
		return rc;
	rc = iopt_set_dirty_tracking(&hwpt_paging->ioas->iopt, hwpt_paging->common.domain,
				     cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
	return rc;
}

int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	int rc;
	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || cmd->__reserved)
		return -EOPNOTSUPP;
	struct iommufd_hwpt_paging *hwpt_paging = (struct iommufd_hwpt_paging *)iommufd_get_object(
		ucmd->ictx, cmd->hwpt_id, IOMMUFD_OBJ_HWPT_PAGING, &rc);
	if (!hwpt_paging)
		return rc;
	rc = iopt_read_and_clear_dirty_data(&hwpt_paging->ioas->iopt, hwpt_paging->common.domain,
					    cmd->flags, cmd);
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
	return rc;
}

/* An arbitrary bound on one call's work, as Linux's. */
#define INVALIDATE_ENTRY_NUM_MAX (1u << 19)

int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array data_array = {
		.type = cmd->data_type,
		.uptr = cmd->data_uptr,
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	uint32_t done_num = 0;
	int rc;
	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len || cmd->entry_len > PAGE_SIZE ||
			       cmd->entry_num > INVALIDATE_ENTRY_NUM_MAX)) {
		rc = -EINVAL;
		goto out;
	}
	struct iommufd_object *pt_obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id,
							   IOMMUFD_OBJ_ANY, &rc);
	if (!pt_obj)
		goto out;
	/* The driver reports how many entries it handled, even on failure;
	 * a call that never reached it handled none. */
	rc = -EOPNOTSUPP;
	if (pt_obj->type == IOMMUFD_OBJ_HWPT_NESTED) {
		struct iommufd_hw_pagetable *hwpt = (struct iommufd_hw_pagetable *)pt_obj;
		if (hwpt->domain->ops && hwpt->domain->ops->cache_invalidate_user) {
			rc = hwpt->domain->ops->cache_invalidate_user(hwpt->domain, &data_array);
			done_num = data_array.entry_num;
		}
	} else if (pt_obj->type == IOMMUFD_OBJ_VIOMMU) {
		struct iommufd_viommu *viommu = (struct iommufd_viommu *)pt_obj;
		if (viommu->ops && viommu->ops->cache_invalidate) {
			rc = viommu->ops->cache_invalidate(viommu, &data_array);
			done_num = data_array.entry_num;
		}
	} else {
		rc = -EINVAL;
	}
	iommufd_put_object(ucmd->ictx, pt_obj);
out:
	/* How far it got, even on failure. */
	cmd->entry_num = done_num;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
