/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACCESS objects (SPEC U-6, M-7): how a device that reaches memory without
 * the IOMMU - a software mdev, an emulated device, a HW queue's pin - uses
 * an IOAS: pin pages and get their addresses, or copy through the IOAS.
 * Its unmap callback is how the user's IOAS_UNMAP takes pages back: the
 * device must drop its pins in the range before the callback returns.
 * Linux's device.c (access half) in shape.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommufd_private.h"

/*
 * Move the access to new_ioas (NULL: detach). Pins stay possible through
 * ioas_unpin until the old IOAS is left, and the driver is told to drop
 * everything it pinned there. Caller holds access->ioas_lock.
 */
static int change_ioas(struct iommufd_access *access, struct iommufd_ioas *new_ioas)
{
	uint64_t list_id = access->iopt_access_list_id;
	struct iommufd_ioas *cur = access->ioas;
	if (cur != access->ioas_unpin)
		return -EBUSY; /* racing a detach */
	if (cur == new_ioas)
		return 0;
	/* No new pins while switching; unpins still find ioas_unpin. */
	access->ioas = NULL;
	if (new_ioas) {
		int rc = iopt_add_access(&new_ioas->iopt, access);
		if (rc) {
			access->ioas = cur;
			return rc;
		}
		refcount_inc(&new_ioas->obj.users);
	}
	if (cur) {
		if (!iommufd_access_is_internal(access) && access->ops->unmap) {
			pthread_mutex_unlock(&access->ioas_lock);
			access->ops->unmap(access->data, 0, UINT64_MAX);
			pthread_mutex_lock(&access->ioas_lock);
		}
		iopt_remove_access(&cur->iopt, access, list_id);
		refcount_dec(&cur->obj.users);
	}
	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	return 0;
}

static int change_ioas_id(struct iommufd_access *access, uint32_t id)
{
	int rc;
	struct iommufd_ioas *ioas = iommufd_get_ioas(access->ictx, id, &rc);
	if (!ioas)
		return rc;
	rc = change_ioas(access, ioas);
	iommufd_put_object(access->ictx, &ioas->obj);
	return rc;
}

void iommufd_access_destroy_object(struct iommufd_object *obj)
{
	struct iommufd_access *access = (struct iommufd_access *)obj;
	pthread_mutex_lock(&access->ioas_lock);
	if (access->ioas)
		change_ioas(access, NULL);
	pthread_mutex_unlock(&access->ioas_lock);
	pthread_mutex_destroy(&access->ioas_lock);
	if (!iommufd_access_is_internal(access))
		iommufd_ctx_put(access->ictx);
}

static struct iommufd_access *access_new(struct iommufd_ctx *ictx, int *err)
{
	struct iommufd_access *access =
		iommufd_object_alloc(ictx, struct iommufd_access, IOMMUFD_OBJ_ACCESS, err);
	if (!access)
		return NULL;
	/* The creator is a user until it destroys the access. */
	refcount_inc(&access->obj.users);
	pthread_mutex_init(&access->ioas_lock, NULL);
	return access;
}

struct iommufd_access *iommufd_access_create_internal(struct iommufd_ctx *ictx, int *err)
{
	struct iommufd_access *access = access_new(ictx, err);
	if (!access)
		return NULL;
	access->iova_alignment = PAGE_SIZE;
	iommufd_object_finalize(ictx, &access->obj);
	return access;
}

struct iommufd_access *iommufd_access_create(struct iommufd_ctx *ictx,
					     const struct iommufd_access_ops *ops, void *data,
					     uint32_t *id, int *err)
{
	if (!ictx || !ops || !id) {
		*err = -EINVAL;
		return NULL;
	}
	struct iommufd_access *access = access_new(ictx, err);
	if (!access)
		return NULL;
	access->data = data;
	access->ops = ops;
	/* Pinning hands out whole pages: the IOAS must map whole pages. */
	access->iova_alignment = ops->needs_pin_pages ? PAGE_SIZE : 1;
	access->ictx = ictx;
	iommufd_ctx_get(ictx);
	iommufd_object_finalize(ictx, &access->obj);
	*id = access->obj.id;
	return access;
}

void iommufd_access_destroy(struct iommufd_access *access)
{
	if (access)
		iommufd_object_destroy_user(access->ictx, &access->obj);
}

void iommufd_access_destroy_internal(struct iommufd_ctx *ictx, struct iommufd_access *access)
{
	iommufd_object_destroy_user(ictx, &access->obj);
}

void iommufd_access_detach(struct iommufd_access *access)
{
	pthread_mutex_lock(&access->ioas_lock);
	if (access->ioas)
		change_ioas(access, NULL);
	pthread_mutex_unlock(&access->ioas_lock);
}

int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id)
{
	pthread_mutex_lock(&access->ioas_lock);
	int rc = access->ioas ? -EINVAL : change_ioas_id(access, ioas_id);
	pthread_mutex_unlock(&access->ioas_lock);
	return rc;
}

int iommufd_access_attach_internal(struct iommufd_access *access, struct iommufd_ioas *ioas)
{
	pthread_mutex_lock(&access->ioas_lock);
	int rc = access->ioas ? -EINVAL : change_ioas(access, ioas);
	pthread_mutex_unlock(&access->ioas_lock);
	return rc;
}

int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id)
{
	pthread_mutex_lock(&access->ioas_lock);
	int rc = !access->ioas ? -ENOENT : change_ioas_id(access, ioas_id);
	pthread_mutex_unlock(&access->ioas_lock);
	return rc;
}

/*
 * The user unmaps [iova, +length) of iopt: every access on it is told,
 * with no lock held (its callback unpins, which takes locks). An access
 * being destroyed is skipped; its destroy drops everything anyway.
 */
void iommufd_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova, uint64_t length)
{
	uint64_t index = 0;
	for (;;) {
		pthread_mutex_lock(&iopt->access_lock);
		struct iommufd_access *access = xa_find(&iopt->access_list, &index, UINT64_MAX);
		while (access && (iommufd_access_is_internal(access) ||
				  !iommufd_lock_obj(&access->obj))) {
			index++;
			access = xa_find(&iopt->access_list, &index, UINT64_MAX);
		}
		pthread_mutex_unlock(&iopt->access_lock);
		if (!access)
			return;
		access->ops->unmap(access->data, iova, length);
		iommufd_put_object(access->ictx, &access->obj);
		index++;
	}
}

void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova, uint64_t length)
{
	bool internal = iommufd_access_is_internal(access);
	uint64_t last_iova;
	if (!length || __builtin_add_overflow(iova, length - 1, &last_iova))
		return;
	pthread_mutex_lock(&access->ioas_lock);
	/* Before attach or after detach is a driver bug: nothing to undo. */
	if (!access->ioas_unpin) {
		pthread_mutex_unlock(&access->ioas_lock);
		return;
	}
	struct io_pagetable *iopt = &access->ioas_unpin->iopt;
	struct iopt_area_contig_iter iter;
	struct iopt_area *area;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t end = last_iova < iopt_area_last_iova(area) ? last_iova :
									iopt_area_last_iova(area);
		iopt_area_remove_access(area, iopt_area_iova_to_index(area, iter.cur_iova),
					iopt_area_iova_to_index(area, end), internal);
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_mutex_unlock(&access->ioas_lock);
}

/* Each area's part of the range starts and ends on page boundaries. */
static bool contig_is_aligned(struct iopt_area_contig_iter *iter)
{
	if (iopt_area_start_byte(iter->area, iter->cur_iova) % PAGE_SIZE)
		return false;
	if (!iopt_area_contig_done(iter) &&
	    iopt_area_start_byte(iter->area, iopt_area_last_iova(iter->area)) % PAGE_SIZE !=
		    PAGE_SIZE - 1)
		return false;
	return true;
}

static bool check_area_prot(struct iopt_area *area, unsigned int flags)
{
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		return area->iommu_prot & IOMMU_WRITE;
	return area->iommu_prot & IOMMU_READ;
}

static void unpin_done(struct iommufd_access *access, struct io_pagetable *iopt, uint64_t iova,
		       uint64_t cur_iova)
{
	if (iova >= cur_iova)
		return;
	struct iopt_area_contig_iter iter;
	struct iopt_area *area;
	uint64_t last_iova = cur_iova - 1;
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t end = last_iova < iopt_area_last_iova(area) ? last_iova :
									iopt_area_last_iova(area);
		iopt_area_remove_access(area, iopt_area_iova_to_index(area, iter.cur_iova),
					iopt_area_iova_to_index(area, end),
					iommufd_access_is_internal(access));
	}
}

int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova, uint64_t length,
			     void **out_pages, unsigned int flags)
{
	bool internal = iommufd_access_is_internal(access);
	uint64_t last_iova;
	/* Only drivers that can give pages back may pin them. */
	if (access->iova_alignment != PAGE_SIZE || (!internal && !access->ops->unmap))
		return -EINVAL;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last_iova))
		return -EOVERFLOW;
	pthread_mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		pthread_mutex_unlock(&access->ioas_lock);
		return -ENOENT;
	}
	struct io_pagetable *iopt = &access->ioas->iopt;
	struct iopt_area_contig_iter iter;
	struct iopt_area *area;
	int rc = 0;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t end = last_iova < iopt_area_last_iova(area) ? last_iova :
									iopt_area_last_iova(area);
		uint64_t index = iopt_area_iova_to_index(area, iter.cur_iova);
		uint64_t last_index = iopt_area_iova_to_index(area, end);
		if (area->prevent_access || !contig_is_aligned(&iter)) {
			rc = -EINVAL;
			break;
		}
		if (!check_area_prot(area, flags)) {
			rc = -EPERM;
			break;
		}
		rc = iopt_area_add_access(area, index, last_index, out_pages, flags, internal);
		if (rc)
			break;
		if (out_pages)
			out_pages += last_index - index + 1;
	}
	if (!rc && !iopt_area_contig_done(&iter))
		rc = -ENOENT;
	if (rc)
		unpin_done(access, iopt, iova, iter.cur_iova);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_mutex_unlock(&access->ioas_lock);
	return rc;
}

int iommufd_access_rw(struct iommufd_access *access, uint64_t iova, void *data, size_t length,
		      unsigned int flags)
{
	uint64_t last_iova;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last_iova))
		return -EOVERFLOW;
	pthread_mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		pthread_mutex_unlock(&access->ioas_lock);
		return -ENOENT;
	}
	struct io_pagetable *iopt = &access->ioas->iopt;
	struct iopt_area_contig_iter iter;
	struct iopt_area *area;
	int rc = -EINVAL;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t end = last_iova < iopt_area_last_iova(area) ? last_iova :
									iopt_area_last_iova(area);
		uint64_t bytes = end - iter.cur_iova + 1;
		if (area->prevent_access) {
			rc = -EINVAL;
			goto out;
		}
		if (!check_area_prot(area, flags)) {
			rc = -EPERM;
			goto out;
		}
		rc = iopt_pages_rw_access(area->pages, iopt_area_start_byte(area, iter.cur_iova),
					  data, bytes, flags);
		if (rc)
			goto out;
		data = (uint8_t *)data + bytes;
	}
	if (!iopt_area_contig_done(&iter))
		rc = -ENOENT;
out:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_mutex_unlock(&access->ioas_lock);
	return rc;
}
