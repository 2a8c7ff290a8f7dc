/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pinning for emulated devices (SPEC M-7): a parent driver of an mdev
 * with vendor-defined isolation reaches user memory only through the
 * container's mappings, page by page, with the permissions mapped, and
 * holds a pin count that UNMAP_DMA waits for.
 */
#include <errno.h>
#include <stdlib.h>

#include <uiommu/iommu.h>

#include "type1.h"
#include "../util/slab.h"

static struct vfio_iommu *iommu_of(struct vfio_device *vd)
{
	struct vfio_container *c = vd && vd->group ? vd->group->container : NULL;
	return c ? c->iommu : NULL;
}

int vfio_type1_pin_pages(struct vfio_device *vd, uint64_t iova, int npage, int prot,
			 uint64_t *hva)
{
	struct vfio_iommu *iommu = iommu_of(vd);
	if (!iommu || !hva || npage <= 0 || (iova & ((1ull << PAGE_SHIFT) - 1)))
		return -EINVAL;
	if (npage > VFIO_PIN_PAGES_MAX_ENTRIES)
		return -E2BIG;
	/* Only a device that can be told of unmaps may hold pins. */
	if (!vd->ops->dma_unmap)
		return -EINVAL;
	pthread_mutex_lock(&iommu->lock);
	int rc = npage;
	int done;
	for (done = 0; done < npage; done++) {
		uint64_t a = iova + ((uint64_t)done << PAGE_SHIFT);
		size_t i = vfio_dma_find(iommu, a, a);
		if (i == iommu->nr_dma) {
			rc = -EINVAL;
			break;
		}
		struct vfio_dma *d = &iommu->dma[i];
		if ((prot & d->prot) != prot) {
			rc = -EPERM;
			break;
		}
		if (!d->pins) {
			d->pins = kcalloc(d->size >> PAGE_SHIFT, sizeof(*d->pins));
			if (!d->pins) {
				rc = -ENOMEM;
				break;
			}
		}
		uint64_t pg = (a - d->iova) >> PAGE_SHIFT;
		if (d->pins[pg]++ == 0)
			d->nr_pinned++;
		hva[done] = d->vaddr + (a - d->iova);
	}
	if (rc < 0) {
		for (int j = 0; j < done; j++) {
			uint64_t a = iova + ((uint64_t)j << PAGE_SHIFT);
			struct vfio_dma *d = &iommu->dma[vfio_dma_find(iommu, a, a)];
			uint64_t pg = (a - d->iova) >> PAGE_SHIFT;
			if (--d->pins[pg] == 0)
				d->nr_pinned--;
		}
	}
	pthread_mutex_unlock(&iommu->lock);
	return rc;
}

void vfio_type1_unpin_pages(struct vfio_device *vd, uint64_t iova, int npage)
{
	struct vfio_iommu *iommu = iommu_of(vd);
	if (!iommu || npage <= 0)
		return;
	pthread_mutex_lock(&iommu->lock);
	for (int j = 0; j < npage; j++) {
		uint64_t a = iova + ((uint64_t)j << PAGE_SHIFT);
		size_t i = vfio_dma_find(iommu, a, a);
		if (i == iommu->nr_dma)
			continue;
		struct vfio_dma *d = &iommu->dma[i];
		uint64_t pg = (a - d->iova) >> PAGE_SHIFT;
		if (d->pins && d->pins[pg] && --d->pins[pg] == 0)
			d->nr_pinned--;
	}
	pthread_mutex_unlock(&iommu->lock);
}
