/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pinning for emulated devices (SPEC M-7): a parent driver of an mdev
 * with vendor-defined isolation reaches user memory only through the
 * container's mappings, page by page, with the permissions mapped, and
 * holds a pin count that UNMAP_DMA waits for. The counts are kept as
 * extents (range_refs) by page index, never one counter per page of the
 * mapping (a terabyte mapped costs nothing until pinned). A page's first
 * pin also pins it in the pin layer, charged to locked_vm, keyed by its
 * user address: a container without an IOMMU domain pins nothing at
 * MAP_DMA (type1_map.c), as in Linux.
 */
#include <errno.h>
#include <stdlib.h>

#include <uiommu/iommu.h>

#include "type1.h"
#include "../mm/range_refs.h"
#include "../util/slab.h"

static struct vfio_iommu *iommu_of(struct vfio_device *vd)
{
	struct vfio_container *c = vd && vd->group ? vd->group->container : NULL;
	return c ? c->iommu : NULL;
}

/* The pin layer's side of a page's first and last pin. */
static int page_pin(struct vfio_dma *d, uint64_t pg)
{
	uint64_t uaddr = d->vaddr + (pg << PAGE_SHIFT);
	int rc = mm_fault_in(uaddr, 1ull << PAGE_SHIFT, d->prot & IOMMU_WRITE);
	if (rc)
		return rc;
	enum mm_account_mode mode = MM_ACCOUNT_MM;
	rc = mm_account(&mode, 1, true);
	if (rc)
		return rc;
	rc = mm_pin_reserve();
	if (rc) {
		mm_account(&mode, 1, false);
		return rc;
	}
	d->pin_mode = mode; /* NONE once CAP_IPC_LOCK spared a charge */
	mm_pin(uaddr, 1ull << PAGE_SHIFT);
	return 0;
}

void type1_page_unpin(struct vfio_dma *d, uint64_t pg)
{
	mm_unpin(d->vaddr + (pg << PAGE_SHIFT), 1ull << PAGE_SHIFT);
	mm_pin_unreserve();
	enum mm_account_mode mode = d->pin_mode;
	mm_account(&mode, 1, false);
}

static void unpin_one(struct vfio_iommu *iommu, uint64_t a)
{
	struct vfio_dma *d = vfio_dma_first(iommu, a, a);
	if (!d || !d->pins)
		return;
	uint64_t pg = (a - d->iova) >> PAGE_SHIFT;
	if (range_refs_dec(d->pins, pg, pg + 1, NULL, NULL))
		return; /* not pinned: nothing to drop */
	range_refs_unreserve(d->pins);
	d->nr_pinned--;
	iommu->nr_pinned--;
	if (!range_refs_count(d->pins, pg))
		type1_page_unpin(d, pg);
}

static int pin_one(struct vfio_iommu *iommu, uint64_t a, int prot, uint64_t *hva)
{
	struct vfio_dma *d = vfio_dma_first(iommu, a, a);
	if (!d)
		return -EINVAL;
	if ((prot & d->prot) != prot)
		return -EPERM;
	if (!d->pins) {
		d->pins = kmalloc(sizeof(*d->pins));
		if (!d->pins)
			return -ENOMEM;
		range_refs_init(d->pins);
	}
	/* Each pin is a holder of its page: counting then cannot fail. */
	int rc = range_refs_reserve(d->pins);
	if (rc)
		return rc;
	uint64_t pg = (a - d->iova) >> PAGE_SHIFT;
	if (!range_refs_count(d->pins, pg) && (rc = page_pin(d, pg))) {
		range_refs_unreserve(d->pins);
		return rc;
	}
	range_refs_inc(d->pins, pg, pg + 1, NULL, NULL);
	d->nr_pinned++;
	iommu->nr_pinned++;
	/* The physical address: the library's own mapping of shared memory
	 * once the mapping is pinned whole, else the user's. */
	*hva = (type1_dma_pinned(d) ? d->mem.phys : d->vaddr) + (a - d->iova);
	return 0;
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
	int rc = 0, done;
	for (done = 0; done < npage && !rc; done++)
		rc = pin_one(iommu, iova + ((uint64_t)done << PAGE_SHIFT), prot, &hva[done]);
	if (rc) {
		/* All or nothing: the pins this call took go again. */
		for (int j = 0; j < done - 1; j++)
			unpin_one(iommu, iova + ((uint64_t)j << PAGE_SHIFT));
	}
	pthread_mutex_unlock(&iommu->lock);
	return rc ? rc : npage;
}

void vfio_type1_unpin_pages(struct vfio_device *vd, uint64_t iova, int npage)
{
	struct vfio_iommu *iommu = iommu_of(vd);
	if (!iommu || npage <= 0)
		return;
	pthread_mutex_lock(&iommu->lock);
	for (int j = 0; j < npage; j++)
		unpin_one(iommu, iova + ((uint64_t)j << PAGE_SHIFT));
	pthread_mutex_unlock(&iommu->lock);
}
