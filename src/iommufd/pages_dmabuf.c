/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iopt_pages of a dma-buf (IOMMU_IOAS_MAP_FILE of a buffer's descriptor,
 * Linux 7.2): the exporter's memory goes into the domains as it is - it
 * is not user memory, so nothing is pinned or charged - and each
 * (area, domain) it went into is tracked, so that when the exporter
 * revokes the buffer every mapping of it can be taken down at once.
 * Revoked pages stay revoked (a domain added later gets nothing of them,
 * accesses get EINVAL); mapping the buffer again after the exporter
 * restores it makes new pages.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommufd_private.h"
#include "../files/dma_buf.h"
#include "../util/slab.h"

struct iopt_pages_dmabuf_track {
	struct list_node node;          /* pages->tracker */
	struct iopt_area *area;
	struct iommu_domain *domain;
};

/* The exporter revoked (or moved) the memory: out of every domain now.
 * Called with the buffer's lock held (then pages->mutex). */
static void dmabuf_invalidate(struct dma_buf_attachment *attach)
{
	struct iopt_pages *pages = attach->importer_priv;
	pthread_mutex_lock(&pages->mutex);
	if (!pages->revoked) {
		struct iopt_pages_dmabuf_track *t;
		list_for_each_entry(t, &pages->tracker, node)
			iopt_area_unmap_domain(t->area, t->domain);
		pages->revoked = true;
	}
	pthread_mutex_unlock(&pages->mutex);
}

static const struct dma_buf_attach_ops dmabuf_importer_ops = {
	.invalidate_mappings = dmabuf_invalidate,
};

struct iopt_pages *iopt_alloc_dmabuf_pages(struct dma_buf *buf, uint64_t start, uint64_t length,
					   bool writable, int *err)
{
	uint64_t start_byte = start % PAGE_SIZE, last;
	if (__builtin_add_overflow(start, length - 1, &last) || last >= buf->size) {
		*err = -EINVAL;
		return NULL;
	}
	struct iopt_pages *pages = iopt_pages_alloc(start_byte, length, writable, err);
	if (!pages)
		return NULL;
	pages->type = IOPT_ADDRESS_DMABUF;
	pages->account_mode = MM_ACCOUNT_NONE;
	pages->start = start - start_byte;
	list_init(&pages->tracker);
	pages->attach = dma_buf_attach(buf, &dmabuf_importer_ops, pages, err);
	if (!pages->attach)
		goto err_free;
	uint64_t phys, len;
	dma_buf_lock(buf);
	*err = buf->ops->map_phys ? buf->ops->map_phys(pages->attach, &phys, &len) : -EOPNOTSUPP;
	dma_buf_unlock(buf);
	if (!*err && len < pages->start + pages->npages * PAGE_SIZE)
		*err = -EINVAL;
	if (*err)
		goto err_detach;
	pages->phys = phys + pages->start;
	return pages;
err_detach:
	dma_buf_detach(pages->attach);
err_free:
	range_refs_destroy(&pages->users);
	pthread_mutex_destroy(&pages->mutex);
	free(pages);
	return NULL;
}

void iopt_dmabuf_release(struct iopt_pages *pages)
{
	dma_buf_detach(pages->attach);
}

int iopt_dmabuf_fill_domain(struct iopt_area *area, struct iopt_pages *pages,
			    struct iommu_domain *domain)
{
	struct iopt_pages_dmabuf_track *t = kcalloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (!pages->revoked) {
		int rc = iopt_area_map_domain(area, pages, domain);
		if (rc) {
			free(t);
			return rc;
		}
	}
	t->area = area;
	t->domain = domain;
	list_add_tail(&t->node, &pages->tracker);
	return 0;
}

void iopt_dmabuf_unfill_domain(struct iopt_area *area, struct iopt_pages *pages,
			       struct iommu_domain *domain)
{
	struct iopt_pages_dmabuf_track *t, *tmp;
	list_for_each_entry_safe(t, tmp, &pages->tracker, node) {
		if (t->area != area || t->domain != domain)
			continue;
		if (!pages->revoked)
			iopt_area_unmap_domain(area, domain);
		list_del(&t->node);
		free(t);
		return;
	}
}
