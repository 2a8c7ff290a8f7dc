/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOVA side of an IOAS (Linux io_pagetable.c in shape, SPEC U-3):
 * choosing and checking IOVAs, inserting and removing areas, the allowed
 * and reserved ranges, adding and removing domains (which fills or empties
 * them), splitting areas for VFIO type1, and the alignment every mapping
 * must keep for the domains and accesses present.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommufd_private.h"
#include "../files/dma_buf.h"
#include "../util/slab.h"

/* The largest alignment an automatic IOVA is given: a transparent huge
 * page, so a THP-backed buffer can be mapped with 2 MiB pages. */
#define HPAGE_SIZE (2ull << 20)

struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt, uint64_t start, uint64_t last)
{
	return area_of(interval_tree_iter_first(&iopt->area_itree, start, last));
}

struct iopt_area *iopt_area_iter_next(struct iopt_area *area, uint64_t start, uint64_t last)
{
	return area_of(interval_tree_iter_next(&area->node, start, last));
}

struct iopt_area *iopt_area_contig_init(struct iopt_area_contig_iter *iter,
					struct io_pagetable *iopt, uint64_t iova, uint64_t last)
{
	iter->cur_iova = iova;
	iter->last_iova = last;
	iter->area = iopt_area_iter_first(iopt, iova, iova);
	if (iter->area && !iter->area->pages)
		iter->area = NULL;
	return iter->area;
}

struct iopt_area *iopt_area_contig_next(struct iopt_area_contig_iter *iter)
{
	if (!iter->area)
		return NULL;
	uint64_t last = iopt_area_last_iova(iter->area);
	if (iter->last_iova <= last)
		return NULL;
	iter->cur_iova = last + 1;
	iter->area = iopt_area_iter_next(iter->area, iter->cur_iova, iter->last_iova);
	if (iter->area && (iter->cur_iova != iopt_area_iova(iter->area) || !iter->area->pages))
		iter->area = NULL;
	return iter->area;
}

/* ---- choosing an IOVA ---- */

static uint64_t roundup_pow_of_two(uint64_t x)
{
	return x <= 1 ? 1 : 1ull << (64 - __builtin_clzll(x - 1));
}

/* Does an aligned run of length fit in [*start, last]? Moves *start to it. */
static bool check_range(uint64_t *start, uint64_t last, uint64_t length, uint64_t align,
			uint64_t page_offset)
{
	uint64_t a;
	if (__builtin_add_overflow(*start, align - 1, &a))
		return false;
	a &= ~(align - 1);
	a |= page_offset;
	if (a >= last || last - a < length - 1)
		return false;
	*start = a;
	return true;
}

/* The first fit in the holes of areas within a hole of reserved ranges. */
static bool fit_in_hole(struct io_pagetable *iopt, uint64_t start, uint64_t last,
			uint64_t length, uint64_t align, uint64_t page_offset, uint64_t *iova)
{
	struct interval_tree_span_iter res, used;
	interval_tree_for_each_span(&res, &iopt->reserved_itree, start, last) {
		if (!res.is_hole)
			continue;
		interval_tree_for_each_span(&used, &iopt->area_itree, res.start, res.end) {
			uint64_t s = used.start;
			if (used.is_hole && check_range(&s, used.end, length, align, page_offset)) {
				*iova = s;
				return true;
			}
		}
	}
	return false;
}

/*
 * An IOVA for a new mapping of user address `addr`: inside the allowed
 * ranges, outside reserved ranges and areas, never 0, aligned as the
 * length and the address allow (up to a huge page) so large pages can be
 * used, and keeping addr's offset in its page.
 */
static int iopt_alloc_iova(struct io_pagetable *iopt, uint64_t *iova, uint64_t addr,
			   uint64_t length)
{
	uint64_t page_offset = addr % PAGE_SIZE;
	if (length == 0 || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	uint64_t align = roundup_pow_of_two(length);
	if (addr && (1ull << __builtin_ctzll(addr)) < align)
		align = 1ull << __builtin_ctzll(addr);
	if (align >= HPAGE_SIZE)
		align = HPAGE_SIZE;
	if (align < iopt->iova_alignment)
		return -EINVAL;

	uint64_t lo = PAGE_SIZE, hi = UINT64_MAX - PAGE_SIZE;
	if (interval_tree_empty(&iopt->allowed_itree))
		return check_range(&lo, hi, length, align, page_offset) &&
			       fit_in_hole(iopt, lo, hi, length, align, page_offset, iova) ?
		       0 :
		       -ENOSPC;
	struct interval_tree_span_iter allowed;
	interval_tree_for_each_span(&allowed, &iopt->allowed_itree, lo, hi) {
		uint64_t s = allowed.start;
		if (allowed.is_hole || !check_range(&s, allowed.end, length, align, page_offset))
			continue;
		if (fit_in_hole(iopt, s, allowed.end, length, align, page_offset, iova))
			return 0;
	}
	return -ENOSPC;
}

static int iopt_check_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length)
{
	uint64_t last;
	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (interval_tree_iter_first(&iopt->reserved_itree, iova, last))
		return -EINVAL;
	if (iopt_area_iter_first(iopt, iova, last))
		return -EEXIST;
	return 0;
}

/* ---- areas ---- */

/* The area takes [start_byte, +length) of pages at iova; it goes in the
 * tree with pages still NULL (being set up). */
static int iopt_insert_area(struct io_pagetable *iopt, struct iopt_area *area,
			    struct iopt_pages *pages, uint64_t iova, uint64_t start_byte,
			    uint64_t length, int iommu_prot)
{
	if ((iommu_prot & IOMMU_WRITE) && !pages->writable)
		return -EPERM;
	area->iommu_prot = iommu_prot;
	area->page_offset = (unsigned)(start_byte % PAGE_SIZE);
	if (area->page_offset & (iopt->iova_alignment - 1))
		return -EINVAL;
	area->node.start = iova;
	if (__builtin_add_overflow(iova, length - 1, &area->node.last))
		return -EOVERFLOW;
	area->first_index = start_byte / PAGE_SIZE;
	uint64_t last_byte;
	if (__builtin_add_overflow(start_byte, length - 1, &last_byte))
		return -EOVERFLOW;
	area->last_index = last_byte / PAGE_SIZE;
	if (area->last_index >= pages->npages)
		return -EOVERFLOW;
	area->iopt = iopt;
	interval_tree_insert(&area->node, &iopt->area_itree);
	return 0;
}

static void iopt_abort_area(struct iopt_area *area)
{
	if (area->iopt) {
		pthread_rwlock_wrlock(&area->iopt->iova_rwsem);
		interval_tree_remove(&area->node, &area->iopt->area_itree);
		pthread_rwlock_unlock(&area->iopt->iova_rwsem);
	}
	free(area);
}

void iopt_free_pages_list(struct list_node *pages_list)
{
	while (!list_empty(pages_list)) {
		struct iopt_pages_list *elm =
			list_entry(pages_list->next, struct iopt_pages_list, next);
		if (elm->area)
			iopt_abort_area(elm->area);
		if (elm->pages)
			iopt_put_pages(elm->pages);
		list_del(&elm->next);
		free(elm);
	}
}

static uint64_t elm_address(const struct iopt_pages_list *elm)
{
	const struct iopt_pages *p = elm->pages;
	return elm->start_byte + (p->type == IOPT_ADDRESS_USER ? p->uptr : p->start);
}

static int iopt_alloc_area_pages(struct io_pagetable *iopt, struct list_node *pages_list,
				 uint64_t length, uint64_t *dst_iova, int iommu_prot,
				 unsigned int flags)
{
	struct iopt_pages_list *elm;
	list_for_each_entry(elm, pages_list, next) {
		elm->area = kcalloc(1, sizeof(*elm->area));
		if (!elm->area)
			return -ENOMEM;
	}
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	int rc;
	if ((length & (iopt->iova_alignment - 1)) || !length) {
		rc = -EINVAL;
		goto out;
	}
	if (flags & IOPT_ALLOC_IOVA) {
		/* The first slice's address guides the alignment. */
		elm = list_entry(pages_list->next, struct iopt_pages_list, next);
		rc = iopt_alloc_iova(iopt, dst_iova, elm_address(elm), length);
	} else {
		rc = iopt_check_iova(iopt, *dst_iova, length);
	}
	if (rc)
		goto out;
	uint64_t iova = *dst_iova;
	list_for_each_entry(elm, pages_list, next) {
		rc = iopt_insert_area(iopt, elm->area, elm->pages, iova, elm->start_byte,
				      elm->length, iommu_prot);
		if (rc)
			goto out;
		iova += elm->length;
	}
out:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

static int iopt_fill_domains_pages(struct list_node *pages_list)
{
	struct iopt_pages_list *elm, *undo;
	list_for_each_entry(elm, pages_list, next) {
		int rc = iopt_area_fill_domains(elm->area, elm->pages);
		if (rc) {
			list_for_each_entry(undo, pages_list, next) {
				if (undo == elm)
					break;
				iopt_area_unfill_domains(undo->area, undo->pages);
			}
			return rc;
		}
	}
	return 0;
}

int iopt_map_pages(struct io_pagetable *iopt, struct list_node *pages_list, uint64_t length,
		   uint64_t *dst_iova, int iommu_prot, unsigned int flags)
{
	int rc = iopt_alloc_area_pages(iopt, pages_list, length, dst_iova, iommu_prot, flags);
	if (rc)
		return rc;
	pthread_rwlock_rdlock(&iopt->domains_rwsem);
	rc = iopt_fill_domains_pages(pages_list);
	if (!rc) {
		/* Published inside domains_rwsem, so a domain added right
		 * after sees the area and fills it. The list's references
		 * move into the areas. */
		pthread_rwlock_wrlock(&iopt->iova_rwsem);
		struct iopt_pages_list *elm;
		list_for_each_entry(elm, pages_list, next) {
			elm->area->pages = elm->pages;
			elm->pages = NULL;
			elm->area = NULL;
		}
		pthread_rwlock_unlock(&iopt->iova_rwsem);
	}
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return rc;
}

static int iopt_map_common(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			   struct iopt_pages *pages, uint64_t *iova, uint64_t length,
			   uint64_t start_byte, int iommu_prot, unsigned int flags)
{
	struct iopt_pages_list elm = { .pages = pages, .start_byte = start_byte, .length = length };
	struct list_node pages_list = LIST_HEAD_INIT(pages_list);
	if (ictx->account_mode == MM_ACCOUNT_MM && pages->account_mode == MM_ACCOUNT_USER)
		pages->account_mode = MM_ACCOUNT_MM;
	list_add_tail(&elm.next, &pages_list);
	int rc = iopt_map_pages(iopt, &pages_list, length, iova, iommu_prot, flags);
	if (rc) {
		if (elm.area)
			iopt_abort_area(elm.area);
		if (elm.pages)
			iopt_put_pages(elm.pages);
	}
	return rc;
}

int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt, uint64_t *iova,
			uint64_t uptr, uint64_t length, int iommu_prot, unsigned int flags)
{
	int rc;
	struct iopt_pages *pages = iopt_alloc_user_pages(uptr, length, iommu_prot & IOMMU_WRITE,
							 &rc);
	if (!pages)
		return rc;
	return iopt_map_common(ictx, iopt, pages, iova, length, uptr - pages->uptr, iommu_prot,
			       flags);
}

int iopt_map_file_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt, uint64_t *iova,
			int fd, uint64_t start, uint64_t length, int iommu_prot, unsigned int flags)
{
	uint64_t last;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	int rc;
	/* A dma-buf's descriptor maps the exporter's memory; any other is a
	 * memory file. */
	struct iopt_pages *pages;
	struct dma_buf *buf = dma_buf_get(fd, &rc);
	if (buf) {
		pages = iopt_alloc_dmabuf_pages(buf, start, length, iommu_prot & IOMMU_WRITE, &rc);
		dma_buf_put(buf);
	} else {
		pages = iopt_alloc_file_pages(fd, start, length, iommu_prot & IOMMU_WRITE, &rc);
	}
	if (!pages)
		return rc;
	return iopt_map_common(ictx, iopt, pages, iova, length, start % PAGE_SIZE, iommu_prot,
			       flags);
}

/* The slices of pages mapped at [iova, +length), for COPY: ENOENT unless
 * areas cover it back to back. */
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   struct list_node *pages_list)
{
	uint64_t last_iova;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last_iova))
		return -EOVERFLOW;
	struct iopt_area_contig_iter iter;
	struct iopt_area *area;
	int rc = 0;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t last = last_iova < iopt_area_last_iova(area) ? last_iova :
									 iopt_area_last_iova(area);
		struct iopt_pages_list *elm = kcalloc(1, sizeof(*elm));
		if (!elm) {
			rc = -ENOMEM;
			break;
		}
		elm->start_byte = iopt_area_start_byte(area, iter.cur_iova);
		elm->pages = area->pages;
		elm->length = last - iter.cur_iova + 1;
		iopt_pages_get(elm->pages);
		list_add_tail(&elm->next, pages_list);
	}
	if (!rc && !iopt_area_contig_done(&iter))
		rc = -ENOENT;
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	if (rc)
		iopt_free_pages_list(pages_list);
	return rc;
}

/* ---- unmapping ---- */

static int unmap_check(struct io_pagetable *iopt, uint64_t start, uint64_t last)
{
	for (struct iopt_area *area = iopt_area_iter_first(iopt, start, last); area;
	     area = iopt_area_iter_next(area, start, last)) {
		if (!area->pages || area->num_locks)
			return -EBUSY;
		if (iopt_area_iova(area) < start || iopt_area_last_iova(area) > last)
			return -ENOENT;
	}
	return 0;
}

int iopt_unmap_check(struct io_pagetable *iopt, uint64_t start, uint64_t last)
{
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	int rc = unmap_check(iopt, start, last);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

/*
 * Unmap every area inside [start, last]; an area only partly inside is
 * ENOENT, one an object locks (a HW queue) EBUSY. Accesses holding pages
 * of an area are told to let go first, and the search restarts: they may
 * need the locks to do it.
 */
static int iopt_unmap_iova_range(struct io_pagetable *iopt, uint64_t start, uint64_t last,
				 uint64_t *unmapped)
{
	uint64_t unmapped_bytes = 0;
	unsigned tries = 0;
	int rc = 0;
again:
	pthread_rwlock_rdlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	/* All or nothing (U-2; Linux unmaps the areas before the one that
	 * fails): every area met must be free to go before any goes. */
	rc = unmap_check(iopt, start, last);
	if (rc)
		goto out_unlock;
	struct iopt_area *area;
	while ((area = iopt_area_iter_first(iopt, start, last))) {
		uint64_t area_first = iopt_area_iova(area), area_last = iopt_area_last_iova(area);
		/* Being set up by a racing map of the same range. */
		if (!area->pages || area->num_locks) {
			rc = -EBUSY;
			break;
		}
		if (area_first < start || area_last > last) {
			rc = -ENOENT;
			break;
		}
		if (area_first != start)
			tries = 0;
		if (area->num_accesses) {
			start = area_first;
			area->prevent_access = true;
			pthread_rwlock_unlock(&iopt->iova_rwsem);
			pthread_rwlock_unlock(&iopt->domains_rwsem);
			iommufd_access_notify_unmap(iopt, area_first, iopt_area_length(area));
			/* Something does not answer unmap requests. */
			if (++tries > 100) {
				rc = -EDEADLK;
				goto out;
			}
			goto again;
		}
		struct iopt_pages *pages = area->pages;
		area->pages = NULL;
		pthread_rwlock_unlock(&iopt->iova_rwsem);
		iopt_area_unfill_domains(area, pages);
		iopt_abort_area(area);
		iopt_put_pages(pages);
		unmapped_bytes += area_last - area_first + 1;
		pthread_rwlock_wrlock(&iopt->iova_rwsem);
		/* New areas may appear behind us while unlocked: move on. */
		if (area_last >= last)
			break;
		start = area_last + 1;
	}
out_unlock:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
out:
	if (unmapped)
		*unmapped = unmapped_bytes;
	return rc;
}

int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		    uint64_t *unmapped)
{
	uint64_t last;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_iova_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped)
{
	/* Nothing mapped is still success. */
	return iopt_unmap_iova_range(iopt, 0, UINT64_MAX, unmapped);
}

/* ---- allowed and reserved ranges ---- */

/* Swap in a new allowed list unless a reserved range meets it; the
 * caller frees whatever is left in *allowed. */
int iopt_set_allow_iova(struct io_pagetable *iopt, struct interval_tree_root *allowed)
{
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	for (struct interval_tree_node *n = interval_tree_iter_first(allowed, 0, UINT64_MAX); n;
	     n = interval_tree_iter_next(n, 0, UINT64_MAX)) {
		if (interval_tree_iter_first(&iopt->reserved_itree, n->start, n->last)) {
			pthread_rwlock_unlock(&iopt->iova_rwsem);
			return -EADDRINUSE;
		}
	}
	struct interval_tree_root old = iopt->allowed_itree;
	iopt->allowed_itree = *allowed;
	*allowed = old;
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return 0;
}

/* Caller holds iova_rwsem for writing. */
int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start, uint64_t last, void *owner)
{
	if (iopt_area_iter_first(iopt, start, last) ||
	    interval_tree_iter_first(&iopt->allowed_itree, start, last))
		return -EADDRINUSE;
	struct iopt_reserved *r = kcalloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->node.start = start;
	r->node.last = last;
	r->owner = owner;
	interval_tree_insert(&r->node, &iopt->reserved_itree);
	return 0;
}

static void remove_reserved_locked(struct io_pagetable *iopt, void *owner)
{
	struct interval_tree_node *n = interval_tree_iter_first(&iopt->reserved_itree, 0,
								UINT64_MAX);
	while (n) {
		struct interval_tree_node *next = interval_tree_iter_next(n, 0, UINT64_MAX);
		if (((struct iopt_reserved *)n)->owner == owner) {
			interval_tree_remove(n, &iopt->reserved_itree);
			free(n);
		}
		n = next;
	}
}

void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner)
{
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	remove_reserved_locked(iopt, owner);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
}

/* What an attached device may not reach (its reserved regions, SPEC U-3:
 * the VT-d interrupt window) becomes reserved IOVA, owned by the device. */
int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt, struct device *dev)
{
	struct iommu_resv_region small[8], *regions = small;
	int n = iommu_get_resv_regions(dev, small, 8);
	if (n < 0)
		return n;
	if (n > 8) {
		regions = kcalloc((size_t)n, sizeof(*regions));
		if (!regions)
			return -ENOMEM;
		n = iommu_get_resv_regions(dev, regions, n);
	}
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	int rc = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = iopt_reserve_iova(iopt, regions[i].start,
				       regions[i].start + regions[i].length - 1, dev);
	if (rc)
		remove_reserved_locked(iopt, dev);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	if (regions != small)
		free(regions);
	return rc;
}

/* ---- the table ---- */

void iopt_init_table(struct io_pagetable *iopt)
{
	pthread_rwlock_init(&iopt->domains_rwsem, NULL);
	pthread_rwlock_init(&iopt->iova_rwsem, NULL);
	pthread_mutex_init(&iopt->access_lock, NULL);
	xa_init(&iopt->domains);
	xa_init(&iopt->access_list);
	iopt->next_domain_id = 0;
	iopt->area_itree = (struct interval_tree_root)INTERVAL_TREE_ROOT_INIT;
	iopt->allowed_itree = (struct interval_tree_root)INTERVAL_TREE_ROOT_INIT;
	iopt->reserved_itree = (struct interval_tree_root)INTERVAL_TREE_ROOT_INIT;
	iopt->disable_large_pages = false;
	/* No domain yet: any byte address works. */
	iopt->iova_alignment = 1;
}

void iopt_destroy_table(struct io_pagetable *iopt)
{
	/* Reservations made by ADD_RESERVED (owner NULL) die with the IOAS;
	 * devices and domains remove their own before. */
	remove_reserved_locked(iopt, NULL);
	struct interval_tree_node *n;
	while ((n = interval_tree_iter_first(&iopt->allowed_itree, 0, UINT64_MAX))) {
		interval_tree_remove(n, &iopt->allowed_itree);
		free(n);
	}
	xa_destroy(&iopt->domains);
	xa_destroy(&iopt->access_list);
	pthread_rwlock_destroy(&iopt->domains_rwsem);
	pthread_rwlock_destroy(&iopt->iova_rwsem);
	pthread_mutex_destroy(&iopt->access_lock);
}

/* ---- domains ---- */

static uint64_t min_pgsize(const struct iommu_domain *domain)
{
	return domain->pgsize_bitmap & -domain->pgsize_bitmap;
}

/* Every area conforms to a larger alignment? */
static int iopt_check_iova_alignment(struct io_pagetable *iopt, uint64_t align)
{
	uint64_t mask = align - 1;
	for (struct iopt_area *area = iopt_area_iter_first(iopt, 0, UINT64_MAX); area;
	     area = iopt_area_iter_next(area, 0, UINT64_MAX))
		if ((iopt_area_iova(area) & mask) || (iopt_area_length(area) & mask) ||
		    (area->page_offset & mask))
			return -EADDRINUSE;
	return 0;
}

/* The domain gets every area; on failure it is left empty. Caller holds
 * both locks for writing. */
static int iopt_fill_domain(struct io_pagetable *iopt, struct iommu_domain *domain)
{
	struct iopt_area *area, *end;
	int rc = 0;
	for (area = iopt_area_iter_first(iopt, 0, UINT64_MAX); area;
	     area = iopt_area_iter_next(area, 0, UINT64_MAX)) {
		if (!area->pages)
			continue;
		rc = iopt_area_fill_domain(area, domain);
		if (rc)
			break;
	}
	if (!rc)
		return 0;
	end = area;
	for (area = iopt_area_iter_first(iopt, 0, UINT64_MAX); area != end;
	     area = iopt_area_iter_next(area, 0, UINT64_MAX)) {
		if (!area->pages)
			continue;
		if (!iopt->next_domain_id)
			iopt_area_unfill_domain(area, area->pages, domain);
		else
			iopt_area_remove_domain(area, domain);
	}
	return rc;
}

/* The domain leaves: emptied, and if it was the last, the pages are no
 * longer held for domains. */
static void iopt_unfill_domain(struct io_pagetable *iopt, struct iommu_domain *domain)
{
	for (struct iopt_area *area = iopt_area_iter_first(iopt, 0, UINT64_MAX); area;
	     area = iopt_area_iter_next(area, 0, UINT64_MAX)) {
		struct iopt_pages *pages = area->pages;
		if (!pages)
			continue;
		if (!iopt->next_domain_id) {
			iopt_area_unfill_domain(area, pages, domain);
			continue;
		}
		pthread_mutex_lock(&pages->mutex);
		if (area->storage_domain == domain)
			area->storage_domain = xa_load(&iopt->domains, 0);
		pthread_mutex_unlock(&pages->mutex);
		iopt_area_remove_domain(area, domain);
	}
}

/*
 * A domain joins the IOAS: the alignment grows to its smallest page (it
 * must take a CPU page), IOVA outside its aperture becomes reserved, and
 * it is filled with every area - or nothing changes.
 */
int iopt_table_add_domain(struct io_pagetable *iopt, struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *geo = &domain->geometry;
	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	int rc = 0;
	uint64_t index;
	struct iommu_domain *d;
	xa_for_each(&iopt->domains, index, d) {
		if (d == domain) {
			rc = -EEXIST;
			goto out;
		}
	}
	uint64_t align = min_pgsize(domain) > iopt->iova_alignment ? min_pgsize(domain) :
								     iopt->iova_alignment;
	if (align > PAGE_SIZE) {
		rc = -EINVAL;
		goto out;
	}
	if (align != iopt->iova_alignment && (rc = iopt_check_iova_alignment(iopt, align)))
		goto out;
	uint64_t ap_start = geo->force_aperture ? geo->aperture_start : 0;
	uint64_t ap_end = geo->force_aperture ? geo->aperture_end : UINT64_MAX;
	if (ap_start && (rc = iopt_reserve_iova(iopt, 0, ap_start - 1, domain)))
		goto out_reserved;
	if (ap_end != UINT64_MAX && (rc = iopt_reserve_iova(iopt, ap_end + 1, UINT64_MAX, domain)))
		goto out_reserved;
	rc = xa_insert(&iopt->domains, iopt->next_domain_id, NULL);
	if (rc)
		goto out_reserved;
	rc = iopt_fill_domain(iopt, domain);
	if (rc) {
		xa_erase(&iopt->domains, iopt->next_domain_id);
		goto out_reserved;
	}
	iopt->iova_alignment = align;
	void *old;
	xa_store(&iopt->domains, iopt->next_domain_id, domain, &old);
	iopt->next_domain_id++;
	goto out;
out_reserved:
	remove_reserved_locked(iopt, domain);
out:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return rc;
}

/* The alignment the domains and accesses present need now. */
static int iopt_calculate_iova_alignment(struct io_pagetable *iopt)
{
	uint64_t align = iopt->disable_large_pages ? PAGE_SIZE : 1;
	uint64_t index;
	struct iommu_domain *domain;
	xa_for_each(&iopt->domains, index, domain)
		if (min_pgsize(domain) > align)
			align = min_pgsize(domain);
	struct iommufd_access *access;
	pthread_mutex_lock(&iopt->access_lock);
	xa_for_each(&iopt->access_list, index, access)
		if (access->iova_alignment > align)
			align = access->iova_alignment;
	pthread_mutex_unlock(&iopt->access_lock);
	if (align > iopt->iova_alignment) {
		int rc = iopt_check_iova_alignment(iopt, align);
		if (rc)
			return rc;
	}
	iopt->iova_alignment = align;
	return 0;
}

void iopt_table_remove_domain(struct io_pagetable *iopt, struct iommu_domain *domain)
{
	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	uint64_t index = 0;
	struct iommu_domain *d = NULL;
	xa_for_each(&iopt->domains, index, d)
		if (d == domain)
			break;
	if (d == domain && index < iopt->next_domain_id) {
		/* Keep the indexes dense: the last one takes the hole. */
		iopt->next_domain_id--;
		struct iommu_domain *tail = xa_erase(&iopt->domains, iopt->next_domain_id);
		void *old;
		if (index != iopt->next_domain_id)
			xa_store(&iopt->domains, index, tail, &old);
		iopt_unfill_domain(iopt, domain);
		remove_reserved_locked(iopt, domain);
		iopt_calculate_iova_alignment(iopt);
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
}

/* ---- splitting (VFIO type1 unmaps inside a mapping) ---- */

/* Split the area so iova is the last byte of the first part; both parts
 * keep the same pages. Not while accesses hold it, nor when a domain may
 * hold it in large pages. Caller holds iova_rwsem for writing. */
static int iopt_area_split(struct iopt_area *area, uint64_t iova)
{
	struct io_pagetable *iopt = area->iopt;
	uint64_t align = iopt->iova_alignment;
	uint64_t start = iopt_area_iova(area), last = iopt_area_last_iova(area);
	uint64_t new_start = iova + 1;
	struct iopt_pages *pages = area->pages;
	if (iova == start || iova == last)
		return 0;
	if (!pages || area->prevent_access)
		return -EBUSY;
	/* The buffer's (area, domain) tracking would have to split too. */
	if (iopt_is_dmabuf(pages))
		return -EOPNOTSUPP;
	if ((new_start & (align - 1)) || (iopt_area_start_byte(area, new_start) & (align - 1)))
		return -EINVAL;
	struct iopt_area *lhs = kcalloc(1, sizeof(*lhs)), *rhs = kcalloc(1, sizeof(*rhs));
	if (!lhs || !rhs) {
		free(lhs);
		free(rhs);
		return -ENOMEM;
	}
	pthread_mutex_lock(&pages->mutex);
	int rc = -EINVAL;
	if (area->num_accesses || (area->storage_domain && !iopt->disable_large_pages))
		goto err;
	/* Each part holds its own pages while the area is in domains. */
	if (area->storage_domain) {
		rc = range_refs_reserve(&pages->users);
		if (!rc && (rc = mm_pin_reserve()))
			range_refs_unreserve(&pages->users);
		if (rc)
			goto err;
	}
	interval_tree_remove(&area->node, &iopt->area_itree);
	rc = iopt_insert_area(iopt, lhs, pages, start, iopt_area_start_byte(area, start),
			      new_start - start, area->iommu_prot);
	if (!rc)
		rc = iopt_insert_area(iopt, rhs, pages, new_start,
				      iopt_area_start_byte(area, new_start), last - new_start + 1,
				      area->iommu_prot);
	if (rc) {
		if (lhs->iopt)
			interval_tree_remove(&lhs->node, &iopt->area_itree);
		interval_tree_insert(&area->node, &iopt->area_itree);
		if (area->storage_domain) {
			mm_pin_unreserve();
			range_refs_unreserve(&pages->users);
		}
		goto err;
	}
	if (area->storage_domain) {
		/* Hand the holding over part by part: count the parts, then
		 * drop the whole (nothing reaches zero in between). */
		range_refs_inc(&pages->users, lhs->first_index, lhs->last_index + 1, NULL, NULL);
		range_refs_inc(&pages->users, rhs->first_index, rhs->last_index + 1, NULL, NULL);
		range_refs_dec(&pages->users, area->first_index, area->last_index + 1, NULL, NULL);
	}
	lhs->storage_domain = rhs->storage_domain = area->storage_domain;
	lhs->nest_shadow = rhs->nest_shadow = area->nest_shadow;
	lhs->nest_src = area->nest_src;
	rhs->nest_src = area->nest_src + (new_start - start);
	lhs->pages = rhs->pages = pages;
	iopt_pages_get(pages);
	free(area);
	pthread_mutex_unlock(&pages->mutex);
	return 0;
err:
	pthread_mutex_unlock(&pages->mutex);
	free(lhs);
	free(rhs);
	return rc;
}

int iopt_cut_iova(struct io_pagetable *iopt, uint64_t *iovas, size_t num_iovas)
{
	int rc = 0;
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	for (size_t i = 0; i < num_iovas && !rc; i++) {
		struct iopt_area *area = iopt_area_iter_first(iopt, iovas[i], iovas[i]);
		if (area)
			rc = iopt_area_split(area, iovas[i]);
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	iopt->disable_large_pages = false;
	iopt_calculate_iova_alignment(iopt);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
}

/* Not once domains hold mappings (they may hold them in large pages). */
int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc = 0;
	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	if (iopt->disable_large_pages)
		goto out;
	if (!xa_empty(&iopt->domains) && !interval_tree_empty(&iopt->area_itree)) {
		rc = -EINVAL;
		goto out;
	}
	iopt->disable_large_pages = true;
	rc = iopt_calculate_iova_alignment(iopt);
	if (rc)
		iopt->disable_large_pages = false;
out:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return rc;
}

/* ---- accesses ---- */

int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access)
{
	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	uint64_t id;
	pthread_mutex_lock(&iopt->access_lock);
	int rc = xa_alloc(&iopt->access_list, &id, access, 0, 0xffff);
	pthread_mutex_unlock(&iopt->access_lock);
	if (rc)
		goto out;
	rc = iopt_calculate_iova_alignment(iopt);
	if (rc) {
		pthread_mutex_lock(&iopt->access_lock);
		xa_erase(&iopt->access_list, id);
		pthread_mutex_unlock(&iopt->access_lock);
		goto out;
	}
	access->iopt_access_list_id = id;
out:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return rc == -EBUSY ? -ENOSPC : rc;
}

void iopt_remove_access(struct io_pagetable *iopt, struct iommufd_access *access,
			uint64_t iopt_access_list_id)
{
	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	pthread_mutex_lock(&iopt->access_lock);
	xa_erase(&iopt->access_list, iopt_access_list_id);
	pthread_mutex_unlock(&iopt->access_lock);
	iopt_calculate_iova_alignment(iopt);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
}
