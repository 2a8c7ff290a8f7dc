/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DEFAULT vIOMMU (SPEC U-13), a uiommu extension (<uiommu/iommufd_ext.h>):
 * Linux 7.2 reserves IOMMU_VIOMMU_TYPE_DEFAULT and VT-d has no vIOMMU of
 * its own; for a driver that nests (iommu_ops.default_viommu) iommufd
 * makes one itself, from what every nesting driver has:
 *
 *  - nested HWPTs through it are the driver's nested domains over the
 *    vIOMMU's parent (hw_pagetable.c);
 *  - an invalidation addressed to a vDEVICE and a PASID goes to the
 *    nested HWPT attached there, as HWPT_INVALIDATE would;
 *  - an unrecoverable DMA fault in one of its nested HWPTs, by a device
 *    with a vDEVICE, becomes a vEVENT on its UIOMMU_DMA_FAULT queue.
 */
#include <errno.h>
#include <string.h>

#include <uiommu/iommufd_ext.h>

#include "iommufd_private.h"

/* A call reference on the device behind vDEVICE virt_id, or NULL. */
static struct iommufd_device *vdev_device(struct iommufd_viommu *viommu, uint64_t virt_id)
{
	struct iommufd_device *idev = NULL;
	pthread_mutex_lock(&viommu->vdevs_lock);
	struct iommufd_vdevice *vdev = xa_load(&viommu->vdevs, virt_id);
	if (vdev && iommufd_lock_obj(&vdev->idev->obj))
		idev = vdev->idev;
	pthread_mutex_unlock(&viommu->vdevs_lock);
	return idev;
}

/* One entry: find the nested HWPT of this vIOMMU at (vDEVICE, PASID) and
 * let its driver handle the embedded entry. */
static int invalidate_one(struct iommufd_viommu *viommu,
			  const struct uiommu_viommu_invalidate_vdev *e)
{
	struct iommufd_device *idev = vdev_device(viommu, e->virt_id);
	if (!idev)
		return -EINVAL;
	int rc = -EINVAL;
	struct iommufd_hw_pagetable *hwpt = iommufd_device_hwpt_at(idev, e->pasid);
	if (hwpt && hwpt->obj.type == IOMMUFD_OBJ_HWPT_NESTED &&
	    to_hwpt_nested(hwpt)->viommu == viommu) {
		/* The entry's data sits in kernel memory; the user-copy
		 * helpers read it as they read any address. */
		struct iommu_user_data_array one = { .type = e->data_type,
						     .uptr = (uint64_t)(uintptr_t)e->data,
						     .entry_len = sizeof(e->data),
						     .entry_num = 1 };
		rc = hwpt->domain->ops->cache_invalidate_user ?
			     hwpt->domain->ops->cache_invalidate_user(hwpt->domain, &one) :
			     -EOPNOTSUPP;
	}
	if (hwpt)
		iommufd_put_object(viommu->ictx, &hwpt->obj);
	iommufd_put_object(viommu->ictx, &idev->obj);
	return rc;
}

/* Entries in order; a bad one stops there, entry_num says how many went
 * through (a wrong type: none, EINVAL, as Linux's drivers answer). */
static int default_cache_invalidate(struct iommufd_viommu *viommu,
				    struct iommu_user_data_array *array)
{
	uint32_t done = 0;
	int rc = 0;
	for (uint32_t i = 0; i < array->entry_num; i++) {
		struct uiommu_viommu_invalidate_vdev e;
		rc = iommu_copy_struct_from_user_array(&e, sizeof(e), array,
						       IOMMU_VIOMMU_INVALIDATE_DATA_UIOMMU_VDEV, i,
						       sizeof(e));
		if (!rc)
			rc = invalidate_one(viommu, &e);
		if (rc)
			break;
		done++;
	}
	array->entry_num = done;
	return rc;
}

static const struct iommufd_viommu_ops default_ops = {
	.cache_invalidate = default_cache_invalidate,
};

bool iommufd_viommu_is_default(const struct iommufd_viommu *viommu)
{
	return viommu->ops == &default_ops;
}

int iommufd_viommu_default_init(struct iommufd_viommu *viommu)
{
	viommu->ops = &default_ops;
	return 0;
}

/*
 * From the unit's fault interrupt, for a nested HWPT of a DEFAULT vIOMMU
 * (token): the record, as the guest will see it, on the vIOMMU's fault
 * queue - or nowhere, without a vDEVICE or a queue (a full queue counts
 * it lost).
 */
void iommufd_viommu_fault_event(struct iommu_domain *domain, const struct iommu_fault_record *f,
				void *token)
{
	struct iommufd_hwpt_nested *hwpt = token;
	struct iommufd_viommu *viommu = hwpt->viommu;
	(void)domain;
	uint64_t virt_id;
	if (!viommu || iommufd_viommu_get_vdev_id(viommu, f->dev, &virt_id))
		return;
	struct uiommu_vevent_dma_fault ev;
	memset(&ev, 0, sizeof(ev));
	ev.virt_id = virt_id;
	ev.addr = f->addr;
	ev.pasid = f->pasid_valid ? f->pasid : 0;
	ev.flags = (f->pasid_valid ? UIOMMU_VEVENT_FAULT_PASID_VALID : 0) |
		   (f->write ? UIOMMU_VEVENT_FAULT_WRITE : 0);
	ev.reason = f->reason;
	iommufd_viommu_report_event(viommu, IOMMU_VEVENTQ_TYPE_UIOMMU_DMA_FAULT, &ev, sizeof(ev));
}
