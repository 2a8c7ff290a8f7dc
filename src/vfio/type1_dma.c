/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The type1 mapping table: the user's MAP_DMA mappings in an interval tree
 * by IOVA, never overlapping (Linux keeps the same struct vfio_dma in an
 * rb-tree): finding, inserting and removing a mapping cost O(log n),
 * whatever the number of mappings. Removal is gathered: however many
 * mappings one UNMAP_DMA takes, each domain gets one invalidation, and
 * the memory is unpinned only after it. iommu->lock held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uiommu/iommu.h>

#include "type1.h"
#include "../iommu/iommu.h"
#include "../mm/range_refs.h"
#include "../util/slab.h"

static struct vfio_dma *to_dma(struct interval_tree_node *n)
{
	return n ? container_of(n, struct vfio_dma, node) : NULL;
}

struct vfio_dma *vfio_dma_first(struct vfio_iommu *iommu, uint64_t iova, uint64_t last)
{
	return to_dma(interval_tree_iter_first(&iommu->dma, iova, last));
}

struct vfio_dma *vfio_dma_next(struct vfio_dma *d, uint64_t iova, uint64_t last)
{
	return to_dma(interval_tree_iter_next(&d->node, iova, last));
}

void vfio_dma_insert(struct vfio_iommu *iommu, struct vfio_dma *d)
{
	d->node.start = d->iova;
	d->node.last = d->iova + d->size - 1;
	interval_tree_insert(&d->node, &iommu->dma);
	iommu->nr_dma++;
	iommu->dma_avail--;
}

int type1_dma_pin(struct vfio_dma *d)
{
	if (type1_dma_pinned(d))
		return 0;
	return mm_pin_user(d->vaddr, d->size, d->prot & IOMMU_WRITE, MM_ACCOUNT_MM, &d->mem);
}

/* Pins a parent never gave back (the mapping goes with its container):
 * their pages leave the pin layer too. */
static void drop_pins(uint64_t start, uint64_t end, uint64_t count, void *arg)
{
	(void)count;
	for (uint64_t pg = start; pg < end; pg++)
		type1_page_unpin(arg, pg);
}

static void dma_free(struct vfio_dma *d)
{
	mm_unpin_user(&d->mem);
	if (d->pins) {
		range_refs_for_each(d->pins, drop_pins, d);
		range_refs_destroy(d->pins);
		free(d->pins);
	}
	free(d);
}

#define GATHERS_ON_STACK 4

/*
 * One pass over the mappings in the range, in IOVA order with the tree
 * still whole: each is unmapped from every domain into that domain's
 * gather and its pins go into one batch; then the tree lets go of them
 * (all at once when they are all), every domain gets its one flush, the
 * pins go in one round, and the mappings are freed. The mappings live in
 * memory of their own, so the passes over them are what the unmap costs.
 */
uint64_t vfio_dma_remove_range(struct vfio_iommu *iommu, uint64_t iova, uint64_t last)
{
	unsigned nd = 0;
	struct type1_domain *td;
	list_for_each_entry(td, &iommu->domains, node)
		nd++;
	struct iommu_iotlb_gather stack_g[GATHERS_ON_STACK];
	struct iommu_iotlb_gather *g = nd <= GATHERS_ON_STACK ? stack_g : kmalloc_array(nd, sizeof(*g));
	bool one_by_one = !g;
	for (unsigned i = 0; g && i < nd; i++)
		iommu_iotlb_gather_init(&g[i]);
	struct mm_unpin_batch pins;
	mm_unpin_batch_init(&pins);

	struct vfio_dma *gone = NULL, **tail = &gone;
	uint64_t bytes = 0;
	size_t n = 0;
	for (struct vfio_dma *d = vfio_dma_first(iommu, iova, last); d;
	     d = vfio_dma_next(d, iova, last)) {
		unsigned i = 0;
		list_for_each_entry(td, &iommu->domains, node) {
			if (one_by_one)
				iommu_unmap(td->domain, d->iova, d->size);
			else
				iommu_unmap_fast(td->domain, d->iova, d->size, &g[i++]);
		}
		mm_unpin_batch_add(&pins, &d->mem);
		iommu->nr_pinned -= d->nr_pinned; /* pins a parent never gave back */
		bytes += d->size;
		*tail = d;
		tail = &d->next_gone;
		n++;
	}
	*tail = NULL;
	if (n == iommu->nr_dma)
		iommu->dma = (struct interval_tree_root)INTERVAL_TREE_ROOT_INIT;
	else
		for (struct vfio_dma *d = gone; d; d = d->next_gone)
			interval_tree_remove(&d->node, &iommu->dma);
	iommu->nr_dma -= n;
	iommu->dma_avail += (unsigned)n;
	unsigned i = 0;
	list_for_each_entry(td, &iommu->domains, node)
		if (!one_by_one)
			iommu_iotlb_sync(td->domain, &g[i++]);
	if (g != stack_g)
		free(g);
	/* No device reaches them any more: unpin and free. */
	mm_unpin_batch_end(&pins);
	while (gone) {
		struct vfio_dma *d = gone;
		gone = d->next_gone;
		if (d->mem.own)
			munmap(d->mem.own, d->mem.len);
		d->mem.len = 0; /* the batch dropped its pins */
		dma_free(d);
	}
	return bytes;
}

void vfio_dma_remove_all(struct vfio_iommu *iommu)
{
	vfio_dma_remove_range(iommu, 0, UINT64_MAX);
}
