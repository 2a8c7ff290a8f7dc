/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO type1 on the /dev/iommu file (SPEC U-14): a program written for
 * /dev/vfio/vfio issues its container ioctls here and they act on one
 * IOAS, the compat IOAS (IOMMU_VFIO_IOAS chooses it; VFIO's group attach
 * would create it). Linux's vfio_compat.c in shape.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <linux/vfio.h>

#include "iommufd_private.h"
#include "../base/uaccess.h"

static struct iommufd_ioas *get_compat_ioas(struct iommufd_ctx *ictx, int *err)
{
	struct iommufd_ioas *ioas = NULL;
	pthread_mutex_lock(&ictx->obj_lock);
	if (ictx->vfio_ioas && iommufd_lock_obj(&ictx->vfio_ioas->obj))
		ioas = ictx->vfio_ioas;
	pthread_mutex_unlock(&ictx->obj_lock);
	if (!ioas)
		*err = -ENODEV;
	return ioas;
}

int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, uint32_t *out_ioas_id)
{
	int rc;
	struct iommufd_ioas *ioas = get_compat_ioas(ictx, &rc);
	if (!ioas)
		return rc;
	*out_ioas_id = ioas->obj.id;
	iommufd_put_object(ictx, &ioas->obj);
	return 0;
}

int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx)
{
	pthread_mutex_lock(&ictx->obj_lock);
	int rc = ictx->vfio_ioas ? -EINVAL : 0;
	if (!rc)
		ictx->no_iommu_mode = 1;
	pthread_mutex_unlock(&ictx->obj_lock);
	return rc;
}

/* The compat IOAS, made if there is none; it is an ordinary object the
 * user can learn (VFIO_IOAS GET) and destroy. */
int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx)
{
	int rc;
	struct iommufd_ioas *ioas = iommufd_ioas_alloc(ictx, &rc);
	if (!ioas)
		return rc;
	rc = 0;
	pthread_mutex_lock(&ictx->obj_lock);
	if (ictx->no_iommu_mode) {
		rc = -EINVAL;
	} else if (ictx->vfio_ioas && iommufd_lock_obj(&ictx->vfio_ioas->obj)) {
		rc = 1; /* one exists */
		refcount_dec(&ictx->vfio_ioas->obj.users);
		refcount_dec(&ictx->vfio_ioas->obj.wait_cnt);
	} else {
		ictx->vfio_ioas = ioas;
	}
	pthread_mutex_unlock(&ictx->obj_lock);
	if (rc) {
		iommufd_ioas_destroy(&ioas->obj);
		iommufd_object_abort(ictx, &ioas->obj);
		return rc > 0 ? 0 : rc;
	}
	iommufd_object_finalize(ictx, &ioas->obj);
	return 0;
}

int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	int rc;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	struct iommufd_ioas *ioas;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = get_compat_ioas(ictx, &rc);
		if (!ioas)
			return rc;
		cmd->ioas_id = ioas->obj.id;
		iommufd_put_object(ictx, &ioas->obj);
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_get_ioas(ictx, cmd->ioas_id, &rc);
		if (!ioas)
			return rc;
		pthread_mutex_lock(&ictx->obj_lock);
		ictx->vfio_ioas = ioas;
		pthread_mutex_unlock(&ictx->obj_lock);
		iommufd_put_object(ictx, &ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		pthread_mutex_lock(&ictx->obj_lock);
		ictx->vfio_ioas = NULL;
		pthread_mutex_unlock(&ictx->obj_lock);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

#define minsz(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))

static int vfio_map_dma(struct iommufd_ctx *ictx, uint64_t arg)
{
	const uint32_t supported = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	size_t min = minsz(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	if (copy_from_user(&map, arg, min))
		return -EFAULT;
	if (map.argsz < min || (map.flags & ~supported))
		return -EINVAL;
	int prot = ((map.flags & VFIO_DMA_MAP_FLAG_READ) ? IOMMU_READ : 0) |
		   ((map.flags & VFIO_DMA_MAP_FLAG_WRITE) ? IOMMU_WRITE : 0);
	int rc;
	struct iommufd_ioas *ioas = get_compat_ioas(ictx, &rc);
	if (!ioas)
		return rc;
	/* Legacy maps are charged the VFIO way whatever the context says
	 * (Linux does the same). */
	uint64_t iova = map.iova;
	rc = iopt_map_user_pages(ictx, &ioas->iopt, &iova, map.vaddr, map.size, prot, 0);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

static int vfio_unmap_dma(struct iommufd_ctx *ictx, uint64_t arg)
{
	size_t min = minsz(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	if (copy_from_user(&unmap, arg, min))
		return -EFAULT;
	if (unmap.argsz < min || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	int rc;
	struct iommufd_ioas *ioas = get_compat_ioas(ictx, &rc);
	if (!ioas)
		return rc;
	uint64_t unmapped = 0;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		rc = unmap.iova || unmap.size ?
			     -EINVAL :
			     iommufd_ioas_unmap_range(ioas, 0, 0, true, &unmapped);
		if (unmap.iova || unmap.size)
			goto out;
	} else {
		/* Type1 (v1) unmaps inside mappings: with large pages off the
		 * areas can be cut at the range's ends first. */
		if (ioas->iopt.disable_large_pages) {
			uint64_t cuts[] = { unmap.iova + unmap.size - 1, unmap.iova - 1 };
			rc = iopt_cut_iova(&ioas->iopt, cuts, unmap.iova ? 2 : 1);
			if (rc)
				goto out;
		}
		rc = iommufd_ioas_unmap_range(ioas, unmap.iova, unmap.size, false, &unmapped);
	}
	unmap.size = unmapped;
	if (copy_to_user(arg, &unmap, min))
		rc = -EFAULT;
out:
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/* Every HWPT of the compat IOAS enforces coherency? */
static int vfio_cc_iommu(struct iommufd_ctx *ictx)
{
	int rc;
	struct iommufd_ioas *ioas = get_compat_ioas(ictx, &rc);
	if (!ioas)
		return rc;
	rc = 1;
	pthread_mutex_lock(&ioas->mutex);
	struct iommufd_hwpt_paging *hwpt_paging;
	list_for_each_entry(hwpt_paging, &ioas->hwpt_list, hwpt_item)
		if (!hwpt_paging->enforce_cache_coherency)
			rc = 0;
	pthread_mutex_unlock(&ioas->mutex);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

static int vfio_check_extension(struct iommufd_ctx *ictx, unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return !ictx->no_iommu_mode;
	case VFIO_DMA_CC_IOMMU:
		return vfio_cc_iommu(ictx);
	case VFIO_NOIOMMU_IOMMU: /* not configured, as most kernels */
	case VFIO_UPDATE_VADDR:  /* not safely implementable (Linux agrees) */
	default:
		return 0;
	}
}

static int vfio_set_iommu(struct iommufd_ctx *ictx, unsigned long type)
{
	if ((type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU) || ictx->no_iommu_mode)
		return -EINVAL;
	/* VFIO fails without a group: here without a compat IOAS. */
	int rc;
	struct iommufd_ioas *ioas = get_compat_ioas(ictx, &rc);
	if (!ioas)
		return rc;
	/* Type1 (v1) may unmap inside a mapping: no large IOPTEs, so any
	 * page can be unmapped alone. */
	rc = type == VFIO_TYPE1_IOMMU ? iopt_disable_large_pages(&ioas->iopt) : 0;
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

static uint64_t get_pagesizes(struct iommufd_ioas *ioas)
{
	struct io_pagetable *iopt = &ioas->iopt;
	uint64_t pgsize_bitmap = UINT64_MAX;
	pthread_rwlock_rdlock(&iopt->domains_rwsem);
	uint64_t index;
	struct iommu_domain *domain;
	xa_for_each(&iopt->domains, index, domain)
		pgsize_bitmap &= domain->pgsize_bitmap;
	/* As VFIO reports it: sub-page sizes become the page size. */
	if (pgsize_bitmap & (PAGE_SIZE - 1)) {
		pgsize_bitmap &= ~(PAGE_SIZE - 1);
		pgsize_bitmap |= PAGE_SIZE;
	}
	if (pgsize_bitmap < iopt->iova_alignment)
		pgsize_bitmap = iopt->iova_alignment;
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return pgsize_bitmap;
}

/* Each capability fills what fits at `cur` (avail bytes) and returns its
 * full size, so argsz can tell the user how much room all of them need. */
static int fill_cap_iova(struct iommufd_ioas *ioas, uint64_t cur, size_t avail)
{
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1 },
	};
	struct interval_tree_span_iter span;
	interval_tree_for_each_span(&span, &ioas->iopt.reserved_itree, 0, UINT64_MAX) {
		if (!span.is_hole)
			continue;
		struct vfio_iova_range range = { .start = span.start, .end = span.end };
		size_t at = sizeof(cap) + cap.nr_iovas * sizeof(range);
		if (avail >= at + sizeof(range) && copy_to_user(cur + at, &range, sizeof(range)))
			return -EFAULT;
		cap.nr_iovas++;
	}
	size_t total = sizeof(cap) + cap.nr_iovas * sizeof(struct vfio_iova_range);
	if (avail >= total && copy_to_user(cur, &cap, sizeof(cap)))
		return -EFAULT;
	return (int)total;
}

static int fill_cap_dma_avail(struct iommufd_ioas *ioas, uint64_t cur, size_t avail)
{
	(void)ioas;
	/* No per-container mapping count limit: U32_MAX, as Linux says. */
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, .version = 1 },
		.avail = UINT32_MAX,
	};
	if (avail >= sizeof(cap) && copy_to_user(cur, &cap, sizeof(cap)))
		return -EFAULT;
	return sizeof(cap);
}

static int vfio_iommu_get_info(struct iommufd_ctx *ictx, uint64_t arg)
{
	typedef int (*fill_cap_fn)(struct iommufd_ioas *, uint64_t, size_t);
	static const fill_cap_fn fill[] = { fill_cap_dma_avail, fill_cap_iova };
	size_t min = minsz(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info = { 0 };
	if (copy_from_user(&info, arg, min))
		return -EFAULT;
	if (info.argsz < min)
		return -EINVAL;
	min = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	int rc;
	struct iommufd_ioas *ioas = get_compat_ioas(ictx, &rc);
	if (!ioas)
		return rc;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = get_pagesizes(ioas);
	info.cap_offset = 0;
	pthread_rwlock_rdlock(&ioas->iopt.iova_rwsem);
	size_t total = sizeof(info);
	uint64_t last_cap = 0;
	for (unsigned i = 0; i < sizeof(fill) / sizeof(fill[0]); i++) {
		int size = info.argsz > total ? fill[i](ioas, arg + total, info.argsz - total) :
						fill[i](ioas, 0, 0);
		if (size < 0) {
			rc = size;
			goto out;
		}
		size = (size + 7) & ~7;
		/* Chain the previous capability to this one. */
		uint32_t next = (uint32_t)total;
		if (last_cap && info.argsz >= total &&
		    copy_to_user(last_cap + offsetof(struct vfio_info_cap_header, next), &next,
				 sizeof(next))) {
			rc = -EFAULT;
			goto out;
		}
		last_cap = arg + total;
		total += (size_t)size;
	}
	/* Too small for every capability: argsz says what would be. */
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = (uint32_t)total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	rc = copy_to_user(arg, &info, min) ? -EFAULT : 0;
out:
	pthread_rwlock_unlock(&ioas->iopt.iova_rwsem);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_SET_IOMMU:
		return vfio_set_iommu(ictx, arg);
	case VFIO_CHECK_EXTENSION:
		return vfio_check_extension(ictx, arg);
	case VFIO_IOMMU_GET_INFO:
		return vfio_iommu_get_info(ictx, arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_map_dma(ictx, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_unmap_dma(ictx, arg);
	default:
		return -ENOTTY;
	}
}
