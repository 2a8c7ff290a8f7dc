/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vIOMMU, vDEVICE and HW queue objects (SPEC U-13): the generic rules -
 * what they reference, when they are EEXIST, EBUSY or ENOENT - for any
 * IOMMU driver that implements iommu_ops.viommu_init and the
 * iommufd_viommu_ops. Linux's viommu.c and driver.c in shape.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "iommufd_private.h"
#include "../base/device.h"
#include "../util/slab.h"

void iommufd_viommu_destroy(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu = (struct iommufd_viommu *)obj;
	if (viommu->ops && viommu->ops->destroy)
		viommu->ops->destroy(viommu);
	refcount_dec(&viommu->hwpt->common.obj.users);
	xa_destroy(&viommu->vdevs);
	pthread_mutex_destroy(&viommu->vdevs_lock);
	pthread_rwlock_destroy(&viommu->veventqs_rwsem);
}

int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data user_data = {
		.type = cmd->type,
		.uptr = cmd->data_uptr,
		.len = cmd->data_len,
	};
	int rc;
	if (cmd->flags)
		return -EOPNOTSUPP;
	struct iommufd_device *idev = iommufd_get_device(ucmd, cmd->dev_id, &rc);
	if (!idev)
		return rc;
	struct dev_iommu *di = dev_iommu(idev->dev);
	size_t size = 0;
	/* DEFAULT: iommufd's own, for a driver that nests and asks for it
	 * (viommu_default.c; Linux 7.2: EOPNOTSUPP for every driver). */
	bool core_viommu = cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT;
	if (core_viommu && di && di->ops->default_viommu && di->ops->domain_alloc_nested)
		size = sizeof(struct iommufd_viommu);
	else if (!core_viommu && di && di->ops->get_viommu_size && di->ops->viommu_init)
		size = di->ops->get_viommu_size(idev->dev, cmd->type);
	/* A driver's structure embeds the core one. */
	if (size < sizeof(struct iommufd_viommu)) {
		rc = -EOPNOTSUPP;
		goto out_put_idev;
	}
	if (core_viommu && user_data.len) {
		rc = -EINVAL; /* no driver data for it */
		goto out_put_idev;
	}
	struct iommufd_hwpt_paging *hwpt_paging = (struct iommufd_hwpt_paging *)iommufd_get_object(
		ucmd->ictx, cmd->hwpt_id, IOMMUFD_OBJ_HWPT_PAGING, &rc);
	if (!hwpt_paging)
		goto out_put_idev;
	if (!hwpt_paging->nest_parent) {
		rc = -EINVAL;
		goto out_put_hwpt;
	}
	struct iommufd_viommu *viommu = (struct iommufd_viommu *)_iommufd_object_alloc_ucmd(
		ucmd, size, IOMMUFD_OBJ_VIOMMU, &rc);
	if (!viommu)
		goto out_put_hwpt;
	xa_init(&viommu->vdevs);
	pthread_mutex_init(&viommu->vdevs_lock, NULL);
	pthread_rwlock_init(&viommu->veventqs_rwsem, NULL);
	list_init(&viommu->veventqs);
	viommu->type = cmd->type;
	viommu->ictx = ucmd->ictx;
	viommu->hwpt = hwpt_paging;
	refcount_inc(&hwpt_paging->common.obj.users);
	viommu->iommu_dev = iommufd_dev_iommu(idev->dev);
	rc = core_viommu ? iommufd_viommu_default_init(viommu) :
			   di->ops->viommu_init(viommu, hwpt_paging->common.domain,
						user_data.len ? &user_data : NULL);
	/* A driver that accepts must say how (its ops). */
	if (!rc && !viommu->ops)
		rc = -EOPNOTSUPP;
	if (rc)
		goto out_put_hwpt;
	cmd->out_viommu_id = viommu->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put_hwpt:
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
out_put_idev:
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/* ---- vDEVICE ---- */

/* Caller holds the device's igroup->lock. */
void iommufd_vdevice_abort(struct iommufd_object *obj)
{
	struct iommufd_vdevice *vdev = (struct iommufd_vdevice *)obj;
	struct iommufd_viommu *viommu = vdev->viommu;
	if (vdev->destroy)
		vdev->destroy(vdev);
	pthread_mutex_lock(&viommu->vdevs_lock);
	if (xa_load_raw(&viommu->vdevs, vdev->virt_id) == vdev)
		xa_erase(&viommu->vdevs, vdev->virt_id);
	pthread_mutex_unlock(&viommu->vdevs_lock);
	refcount_dec(&viommu->obj.users);
	vdev->idev->vdev = NULL;
}

void iommufd_vdevice_destroy(struct iommufd_object *obj)
{
	struct iommufd_vdevice *vdev = (struct iommufd_vdevice *)obj;
	struct iommufd_device *idev = vdev->idev;
	struct iommufd_ctx *ictx = idev->ictx;
	pthread_mutex_lock(&idev->igroup->lock);
	iommufd_vdevice_abort(obj);
	pthread_mutex_unlock(&idev->igroup->lock);
	/* The device's call reference held since the vDEVICE was made. */
	iommufd_put_object(ictx, &idev->obj);
}

int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	int rc;
	struct iommufd_viommu *viommu = iommufd_get_viommu(ucmd, cmd->viommu_id, &rc);
	if (!viommu)
		return rc;
	struct iommufd_device *idev = iommufd_get_device(ucmd, cmd->dev_id, &rc);
	if (!idev)
		goto out_put_viommu;
	if (viommu->iommu_dev != iommufd_dev_iommu(idev->dev)) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	size_t size = sizeof(struct iommufd_vdevice);
	pthread_mutex_lock(&idev->igroup->lock);
	if (idev->destroying) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (idev->vdev) {
		rc = -EEXIST;
		goto out_unlock;
	}
	if (viommu->ops && viommu->ops->vdevice_size) {
		if (viommu->ops->vdevice_size < size || !viommu->ops->vdevice_init) {
			rc = -EOPNOTSUPP;
			goto out_unlock;
		}
		size = viommu->ops->vdevice_size;
	}
	struct iommufd_vdevice *vdev = (struct iommufd_vdevice *)_iommufd_object_alloc(
		ucmd->ictx, size, IOMMUFD_OBJ_VDEVICE, &rc);
	if (!vdev)
		goto out_unlock;
	vdev->virt_id = cmd->virt_id;
	vdev->viommu = viommu;
	refcount_inc(&viommu->obj.users);
	/* The vDEVICE keeps the device's call reference: the device's
	 * destroy waits for it, after tombstoning the vDEVICE. */
	vdev->idev = idev;
	idev->vdev = vdev;
	pthread_mutex_lock(&viommu->vdevs_lock);
	rc = xa_insert(&viommu->vdevs, cmd->virt_id, NULL);
	pthread_mutex_unlock(&viommu->vdevs_lock);
	if (rc) {
		rc = rc == -EBUSY ? -EEXIST : rc;
		goto out_abort;
	}
	if (viommu->ops && viommu->ops->vdevice_init && (rc = viommu->ops->vdevice_init(vdev))) {
		pthread_mutex_lock(&viommu->vdevs_lock);
		xa_erase(&viommu->vdevs, cmd->virt_id);
		pthread_mutex_unlock(&viommu->vdevs_lock);
		goto out_abort;
	}
	void *old;
	pthread_mutex_lock(&viommu->vdevs_lock);
	xa_store(&viommu->vdevs, cmd->virt_id, vdev, &old);
	pthread_mutex_unlock(&viommu->vdevs_lock);
	cmd->out_vdevice_id = vdev->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	iommufd_object_finalize(ucmd->ictx, &vdev->obj);
	goto out_unlock;
out_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &vdev->obj);
out_unlock:
	pthread_mutex_unlock(&idev->igroup->lock);
out_put_idev:
	if (rc)
		iommufd_put_object(ucmd->ictx, &idev->obj);
out_put_viommu:
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}

struct device *iommufd_vdevice_to_device(struct iommufd_vdevice *vdev)
{
	return vdev->idev->dev;
}

struct device *iommufd_viommu_find_dev(struct iommufd_viommu *viommu, uint64_t vdev_id)
{
	struct iommufd_vdevice *vdev = xa_load(&viommu->vdevs, vdev_id);
	return vdev ? iommufd_vdevice_to_device(vdev) : NULL;
}

int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu, struct device *dev,
			       uint64_t *vdev_id)
{
	int rc = -ENOENT;
	uint64_t index;
	struct iommufd_vdevice *vdev;
	pthread_mutex_lock(&viommu->vdevs_lock);
	xa_for_each(&viommu->vdevs, index, vdev) {
		if (iommufd_vdevice_to_device(vdev) == dev) {
			*vdev_id = vdev->virt_id;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&viommu->vdevs_lock);
	return rc;
}

/* ---- HW queues ---- */

static void hw_queue_destroy_access(struct iommufd_ctx *ictx, struct iommufd_access *access,
				    uint64_t base_iova, uint64_t length)
{
	uint64_t aligned = base_iova & ~(PAGE_SIZE - 1);
	uint64_t offset = base_iova - aligned;
	iommufd_access_unpin_pages(access, aligned,
				   (length + offset + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	iommufd_access_detach(access);
	iommufd_access_destroy_internal(ictx, access);
}

void iommufd_hw_queue_destroy(struct iommufd_object *obj)
{
	struct iommufd_hw_queue *hw_queue = (struct iommufd_hw_queue *)obj;
	if (hw_queue->destroy)
		hw_queue->destroy(hw_queue);
	if (hw_queue->access)
		hw_queue_destroy_access(hw_queue->viommu->ictx, hw_queue->access,
					hw_queue->base_addr, hw_queue->length);
	if (hw_queue->viommu)
		refcount_dec(&hw_queue->viommu->obj.users);
}

/*
 * The queue's memory, pinned through an internal access on the nesting
 * parent's IOAS so the user cannot unmap it while the hardware reads it
 * (IOAS_UNMAP: EBUSY), and physically contiguous as the hardware needs.
 */
static struct iommufd_access *hw_queue_alloc_phys(struct iommu_hw_queue_alloc *cmd,
						  struct iommufd_viommu *viommu,
						  uint64_t *base_pa, int *err)
{
	uint64_t aligned = cmd->nesting_parent_iova & ~(PAGE_SIZE - 1);
	uint64_t offset = cmd->nesting_parent_iova - aligned;
	uint64_t length;
	if (__builtin_add_overflow(offset, cmd->length, &length) ||
	    __builtin_add_overflow(length, PAGE_SIZE - 1, &length)) {
		*err = -ERANGE;
		return NULL;
	}
	uint64_t npages = length / PAGE_SIZE;
	length = npages * PAGE_SIZE;
	void **pages = kcalloc(npages, sizeof(*pages));
	if (!pages) {
		*err = -ENOMEM;
		return NULL;
	}
	struct iommufd_access *access = iommufd_access_create_internal(viommu->ictx, err);
	if (!access)
		goto out_free;
	if ((*err = iommufd_access_attach_internal(access, viommu->hwpt->ioas)))
		goto out_destroy;
	if ((*err = iommufd_access_pin_pages(access, aligned, length, pages, 0)))
		goto out_detach;
	for (uint64_t i = 1; i < npages; i++) {
		if ((uintptr_t)pages[i] != (uintptr_t)pages[i - 1] + PAGE_SIZE) {
			*err = -EFAULT;
			iommufd_access_unpin_pages(access, aligned, length);
			goto out_detach;
		}
	}
	*base_pa = (uint64_t)(uintptr_t)pages[0] + offset;
	free(pages);
	return access;
out_detach:
	iommufd_access_detach(access);
out_destroy:
	iommufd_access_destroy_internal(viommu->ictx, access);
out_free:
	free(pages);
	return NULL;
}

int iommufd_hw_queue_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_queue_alloc *cmd = ucmd->cmd;
	uint64_t last;
	int rc;
	if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->nesting_parent_iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	struct iommufd_viommu *viommu = iommufd_get_viommu(ucmd, cmd->viommu_id, &rc);
	if (!viommu)
		return rc;
	size_t size = 0;
	if (viommu->ops && viommu->ops->get_hw_queue_size && viommu->ops->hw_queue_init_phys)
		size = viommu->ops->get_hw_queue_size(viommu, cmd->type);
	if (size < sizeof(struct iommufd_hw_queue)) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	struct iommufd_hw_queue *hw_queue = (struct iommufd_hw_queue *)_iommufd_object_alloc_ucmd(
		ucmd, size, IOMMUFD_OBJ_HW_QUEUE, &rc);
	if (!hw_queue)
		goto out;
	uint64_t base_pa;
	struct iommufd_access *access = hw_queue_alloc_phys(cmd, viommu, &base_pa, &rc);
	if (!access)
		goto out;
	hw_queue->viommu = viommu;
	refcount_inc(&viommu->obj.users);
	hw_queue->access = access;
	hw_queue->type = cmd->type;
	hw_queue->length = cmd->length;
	hw_queue->base_addr = cmd->nesting_parent_iova;
	rc = viommu->ops->hw_queue_init_phys(hw_queue, cmd->index, base_pa);
	if (rc)
		goto out;
	cmd->out_hw_queue_id = hw_queue->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out:
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}

int iommufd_hw_queue_depend(struct iommufd_hw_queue *dependent, struct iommufd_hw_queue *depended)
{
	if (dependent == depended || dependent->viommu != depended->viommu)
		return -EINVAL;
	refcount_inc(&depended->obj.users);
	return 0;
}

void iommufd_hw_queue_undepend(struct iommufd_hw_queue *dependent,
			       struct iommufd_hw_queue *depended)
{
	if (dependent != depended && dependent->viommu == depended->viommu)
		refcount_dec(&depended->obj.users);
}

/* ---- mmap regions of the /dev/iommu file ---- */

int iommufd_viommu_alloc_mmap(struct iommufd_viommu *viommu, void *addr, size_t length,
			      uint64_t *offset)
{
	struct iommufd_ctx *ictx = viommu->ictx;
	if (((uintptr_t)addr & (PAGE_SIZE - 1)) || !length || (length & (PAGE_SIZE - 1)))
		return -EINVAL;
	struct iommufd_mmap *immap = kcalloc(1, sizeof(*immap));
	if (!immap)
		return -ENOMEM;
	immap->owner = &viommu->obj;
	immap->addr = addr;
	immap->length = length;
	/* The first free offset from one page up (0 is never handed out,
	 * so a zero offset means "none"). */
	pthread_mutex_lock(&ictx->mmap_lock);
	uint64_t off = PAGE_SIZE;
	struct iommufd_mmap *m;
	list_for_each_entry(m, &ictx->mmaps, node) {
		if (m->offset >= off + length)
			break;
		off = m->offset + m->length;
	}
	immap->offset = off;
	list_add_tail(&immap->node, &m->node);
	pthread_mutex_unlock(&ictx->mmap_lock);
	*offset = off;
	return 0;
}

void iommufd_viommu_destroy_mmap(struct iommufd_viommu *viommu, uint64_t offset)
{
	struct iommufd_ctx *ictx = viommu->ictx;
	struct iommufd_mmap *m, *t;
	pthread_mutex_lock(&ictx->mmap_lock);
	list_for_each_entry_safe(m, t, &ictx->mmaps, node) {
		if (m->offset == offset && m->owner == &viommu->obj) {
			list_del(&m->node);
			free(m);
			break;
		}
	}
	pthread_mutex_unlock(&ictx->mmap_lock);
}
