/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The type1 mapping table: the user's MAP_DMA mappings as an array sorted
 * by IOVA, never overlapping, searched by binary search (Linux keeps the
 * same set of struct vfio_dma in an rb-tree). iommu->lock held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "type1.h"
#include "../util/slab.h"

/* First mapping whose end lies above `iova`. */
static size_t dma_lower_bound(struct vfio_iommu *iommu, uint64_t iova)
{
	size_t lo = 0, hi = iommu->nr_dma;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (iommu->dma[mid].iova + iommu->dma[mid].size - 1 < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of a mapping overlapping [iova, last], or nr_dma. */
size_t vfio_dma_find(struct vfio_iommu *iommu, uint64_t iova, uint64_t last)
{
	size_t i = dma_lower_bound(iommu, iova);
	return i < iommu->nr_dma && iommu->dma[i].iova <= last ? i : iommu->nr_dma;
}

int vfio_dma_insert(struct vfio_iommu *iommu, const struct vfio_dma *d)
{
	if (iommu->nr_dma == iommu->cap_dma) {
		size_t n = iommu->cap_dma ? iommu->cap_dma * 2 : 16;
		struct vfio_dma *p = krealloc(iommu->dma, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		iommu->dma = p;
		iommu->cap_dma = n;
	}
	size_t i = dma_lower_bound(iommu, d->iova);
	memmove(&iommu->dma[i + 1], &iommu->dma[i], (iommu->nr_dma - i) * sizeof(*d));
	iommu->dma[i] = *d;
	iommu->nr_dma++;
	iommu->dma_avail--;
	return 0;
}

void vfio_dma_remove(struct vfio_iommu *iommu, size_t i)
{
	struct type1_domain *td;
	list_for_each_entry(td, &iommu->domains, node)
		iommu_unmap(td->domain, iommu->dma[i].iova, iommu->dma[i].size);
	free(iommu->dma[i].pins);
	memmove(&iommu->dma[i], &iommu->dma[i + 1],
		(iommu->nr_dma - i - 1) * sizeof(iommu->dma[0]));
	iommu->nr_dma--;
	iommu->dma_avail++;
}

void vfio_dma_remove_all(struct vfio_iommu *iommu)
{
	while (iommu->nr_dma)
		vfio_dma_remove(iommu, iommu->nr_dma - 1);
}
