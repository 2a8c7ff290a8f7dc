/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software nesting (seed 2 section 4.3, SPEC U-10), a uiommu extension
 * (<uiommu/iommufd_ext.h>): an IOAS nested on a parent IOAS is mapped with
 * parent IOVAs. The kernel resolves each through the parent's areas and
 * maps the very pages behind them - the runs the parent's mappings made,
 * shared as IOAS_COPY shares them - so the child's HWPTs hold a shadow of
 * child IOVA -> parent IOVA -> memory, and the pages are pinned and
 * charged once, for the parent.
 *
 * Each child area remembers the parent range it shadows (nest_shadow,
 * nest_src). An unmap from the parent first unmaps every child area built
 * on the range, then the parent's own: a device behind the child never
 * reaches memory the parent stopped mapping. The parent's nest_lock,
 * held across both and across a nest map, keeps a shadow from being built
 * on a range while it goes away.
 */
#include <errno.h>
#include <stdlib.h>

#include <uiommu/iommufd_ext.h>

#include "iommufd_private.h"

int iommufd_ioas_nest_alloc(struct iommufd_ucmd *ucmd)
{
	struct uiommu_ioas_nest_alloc *cmd = ucmd->cmd;
	int rc;
	if (cmd->flags)
		return -EOPNOTSUPP;
	struct iommufd_ioas *parent = iommufd_get_ioas(ucmd->ictx, cmd->parent_ioas_id, &rc);
	if (!parent)
		return rc;
	/* One level: a chain would resolve through shadows of shadows. */
	if (parent->nest_parent) {
		rc = -EINVAL;
		goto out;
	}
	mm_account_refresh();
	struct iommufd_ioas *ioas = iommufd_ioas_alloc(ucmd->ictx, &rc);
	if (!ioas)
		goto out;
	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &ioas->obj);
		goto out;
	}
	/* The child holds its parent until it is destroyed (U-1: the
	 * parent is EBUSY meanwhile). */
	refcount_inc(&parent->obj.users);
	ioas->nest_parent = parent;
	pthread_mutex_lock(&parent->nest_lock);
	list_add_tail(&ioas->nest_item, &parent->nest_children);
	pthread_mutex_unlock(&parent->nest_lock);
	pthread_rwlock_rdlock(&ucmd->ictx->ioas_creation_lock);
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	pthread_rwlock_unlock(&ucmd->ictx->ioas_creation_lock);
out:
	iommufd_put_object(ucmd->ictx, &parent->obj);
	return rc;
}

void iommufd_ioas_nest_unlink(struct iommufd_ioas *ioas)
{
	struct iommufd_ioas *parent = ioas->nest_parent;
	if (!parent)
		return;
	pthread_mutex_lock(&parent->nest_lock);
	list_del(&ioas->nest_item);
	pthread_mutex_unlock(&parent->nest_lock);
	refcount_dec(&parent->obj.users);
}

/* The parent's areas over [iova, last] allow `prot` (a nested
 * translation is never more permissive than its parent's). */
static int parent_allows(struct io_pagetable *iopt, uint64_t iova, uint64_t last, int prot)
{
	int rc = 0;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	for (struct iopt_area *area = iopt_area_iter_first(iopt, iova, last); area && !rc;
	     area = iopt_area_iter_next(area, iova, last))
		if ((area->iommu_prot & prot) != prot)
			rc = -EPERM;
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

/* Record on each child area made from pages_list which parent range it
 * shadows; the list's slices follow the parent's IOVA back to back. */
static void mark_shadows(struct io_pagetable *child, struct list_node *pages_list, uint64_t iova,
			 uint64_t parent_iova)
{
	struct iopt_pages_list *elm;
	pthread_rwlock_wrlock(&child->iova_rwsem);
	list_for_each_entry(elm, pages_list, next) {
		struct iopt_area *area = iopt_area_iter_first(child, iova, iova);
		if (area) {
			area->nest_shadow = true;
			area->nest_src = parent_iova;
		}
		iova += elm->length;
		parent_iova += elm->length;
	}
	pthread_rwlock_unlock(&child->iova_rwsem);
}

static int conv_prot(uint32_t flags)
{
	return ((flags & IOMMU_IOAS_MAP_WRITEABLE) ? IOMMU_WRITE : 0) |
	       ((flags & IOMMU_IOAS_MAP_READABLE) ? IOMMU_READ : 0);
}

#define NEST_MAP_FLAGS                                                                    \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)

int iommufd_ioas_nest_map(struct iommufd_ucmd *ucmd)
{
	struct uiommu_ioas_nest_map *cmd = ucmd->cmd;
	uint64_t last;
	int rc;
	if ((cmd->flags & ~NEST_MAP_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX ||
	    cmd->parent_iova >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)) || !cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->parent_iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	struct iommufd_ioas *child = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id, &rc);
	if (!child)
		return rc;
	struct iommufd_ioas *parent = child->nest_parent;
	if (!parent) {
		iommufd_put_object(ucmd->ictx, &child->obj);
		return -EINVAL;
	}
	int prot = conv_prot(cmd->flags);
	struct list_node pages_list = LIST_HEAD_INIT(pages_list);
	pthread_mutex_lock(&parent->nest_lock);
	rc = iopt_get_pages(&parent->iopt, cmd->parent_iova, cmd->length, &pages_list);
	if (!rc)
		rc = parent_allows(&parent->iopt, cmd->parent_iova, last, prot);
	uint64_t iova = cmd->iova;
	if (!rc)
		rc = iopt_map_pages(&child->iopt, &pages_list, cmd->length, &iova, prot,
				    (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? 0 : IOPT_ALLOC_IOVA);
	if (!rc) {
		mark_shadows(&child->iopt, &pages_list, iova, cmd->parent_iova);
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		if (rc)
			iopt_unmap_iova(&child->iopt, iova, cmd->length, NULL);
	}
	pthread_mutex_unlock(&parent->nest_lock);
	iopt_free_pages_list(&pages_list);
	iommufd_put_object(ucmd->ictx, &child->obj);
	return rc;
}

/* Up to `max` areas of `child` shadowing a part of [start, last], from
 * child IOVA `from` on: their ranges in out[], how many in the return. */
static size_t find_shadows(struct io_pagetable *iopt, uint64_t start, uint64_t last,
			   uint64_t from, uint64_t (*out)[2], size_t max)
{
	size_t n = 0;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	for (struct iopt_area *area = iopt_area_iter_first(iopt, from, UINT64_MAX);
	     area && n < max; area = iopt_area_iter_next(area, from, UINT64_MAX)) {
		uint64_t src_last = area->nest_src + iopt_area_length(area) - 1;
		if (area->pages && area->nest_shadow && area->nest_src <= last &&
		    src_last >= start) {
			out[n][0] = iopt_area_iova(area);
			out[n][1] = iopt_area_length(area);
			n++;
		}
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return n;
}

/* Unmap every area of `child` shadowing a part of [start, last]: a batch
 * at a time, each search going on from where the last one stopped. The
 * parent's nest_lock keeps new shadows from appearing meanwhile. */
static void unshadow(struct iommufd_ioas *child, uint64_t start, uint64_t last)
{
	uint64_t batch[64][2];
	uint64_t from = 0;
	size_t n;
	do {
		n = find_shadows(&child->iopt, start, last, from, batch, 64);
		for (size_t i = 0; i < n; i++) {
			/* One a HW queue holds cannot go; it keeps its pages
			 * until the queue is destroyed. */
			iopt_unmap_iova(&child->iopt, batch[i][0], batch[i][1], NULL);
			from = batch[i][0] + batch[i][1];
		}
	} while (n == 64 && from);
}

int iommufd_ioas_unmap_range(struct iommufd_ioas *ioas, uint64_t iova, uint64_t length, bool all,
			     uint64_t *unmapped)
{
	uint64_t last = UINT64_MAX;
	if (!all) {
		if (!length)
			return -EINVAL;
		if (__builtin_add_overflow(iova, length - 1, &last))
			return -EOVERFLOW;
	} else {
		iova = 0;
	}
	pthread_mutex_lock(&ioas->nest_lock);
	int rc = 0;
	if (!list_empty(&ioas->nest_children)) {
		/* The parent's unmap must be able to succeed before the
		 * children lose anything (a failing call changes nothing). */
		rc = iopt_unmap_check(&ioas->iopt, iova, last);
		struct iommufd_ioas *child;
		list_for_each_entry(child, &ioas->nest_children, nest_item)
			if (!rc)
				unshadow(child, iova, last);
	}
	if (!rc)
		rc = all ? iopt_unmap_all(&ioas->iopt, unmapped) :
			   iopt_unmap_iova(&ioas->iopt, iova, length, unmapped);
	pthread_mutex_unlock(&ioas->nest_lock);
	return rc;
}
