/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iopt_pages: a run of user or memory-file pages, pinned once however many
 * domains and accesses use it (Linux pages.c in purpose, SPEC U-3).
 *
 * A "physical" page is its host address (SPEC section 0), so a run of
 * pages is physically contiguous and a whole area goes into a domain with
 * one map call, in the largest pages the alignment allows. What Linux
 * keeps per page - the PFNs in an xarray or a storage domain - reduces to
 * counting, per page index, who needs the page (`users`): areas while
 * they are in domains, and accesses. A page whose count leaves zero is
 * faulted in, pinned process-wide and charged; one whose count returns to
 * zero is unpinned and uncharged. Counting is by extents (range_refs), so
 * a terabyte costs what a page does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_private.h"
#include "../base/uaccess.h"
#include "../util/slab.h"

struct iopt_pages *iopt_pages_alloc(uint64_t start_byte, uint64_t length, bool writable, int *err)
{
	/* The page count below must not overflow. */
	if (length == 0 || length > UINT64_MAX - PAGE_SIZE - start_byte) {
		*err = -EINVAL;
		return NULL;
	}
	struct iopt_pages *pages = kcalloc(1, sizeof(*pages));
	if (!pages) {
		*err = -ENOMEM;
		return NULL;
	}
	atomic_init(&pages->kref, 1);
	pthread_mutex_init(&pages->mutex, NULL);
	pages->npages = (length + start_byte + PAGE_SIZE - 1) / PAGE_SIZE;
	pages->writable = writable;
	pages->account_mode = MM_ACCOUNT_USER;
	range_refs_init(&pages->users);
	return pages;
}

struct iopt_pages *iopt_alloc_user_pages(uint64_t uptr, uint64_t length, bool writable,
					 int *err)
{
	if (uptr + length < uptr) {
		*err = -EOVERFLOW;
		return NULL;
	}
	uint64_t down = uptr & ~(PAGE_SIZE - 1);
	struct iopt_pages *pages = iopt_pages_alloc(uptr - down, length, writable, err);
	if (!pages)
		return NULL;
	pages->type = IOPT_ADDRESS_USER;
	pages->uptr = down;
	pages->phys = down;
	return pages;
}

struct iopt_pages *iopt_alloc_file_pages(int fd, uint64_t start, uint64_t length, bool writable,
					 int *err)
{
	uint64_t start_byte = start % PAGE_SIZE;
	struct iopt_pages *pages = iopt_pages_alloc(start_byte, length, writable, err);
	if (!pages)
		return NULL;
	uint64_t fphys;
	int rc = mm_file_get(fd, start, length, writable, &pages->file, &fphys);
	if (rc) {
		range_refs_destroy(&pages->users);
		pthread_mutex_destroy(&pages->mutex);
		free(pages);
		*err = rc;
		return NULL;
	}
	pages->type = IOPT_ADDRESS_FILE;
	pages->start = start - start_byte;
	pages->phys = fphys + pages->start;
	return pages;
}

void iopt_pages_get(struct iopt_pages *pages)
{
	atomic_fetch_add(&pages->kref, 1);
}

void iopt_put_pages(struct iopt_pages *pages)
{
	if (atomic_fetch_sub(&pages->kref, 1) != 1)
		return;
	/* Nothing may hold pages of a run nobody references. */
	range_refs_destroy(&pages->users);
	if (pages->type == IOPT_ADDRESS_FILE)
		mm_file_put(pages->file);
	else if (iopt_is_dmabuf(pages))
		iopt_dmabuf_release(pages);
	pthread_mutex_destroy(&pages->mutex);
	free(pages);
}

/* ---- holders: who needs which pages ---- */

/* The address faulting-in works on: the user's for user memory (so the
 * permission checks are the user's mapping's), the library's own mapping
 * for memory files. */
static uint64_t fault_addr(const struct iopt_pages *pages, uint64_t index)
{
	return (pages->type == IOPT_ADDRESS_USER ? pages->uptr : pages->phys) + index * PAGE_SIZE;
}

struct gap_walk {
	struct iopt_pages *pages;
	uint64_t npages;
};

static int fault_in_gap(uint64_t start, uint64_t end, void *arg)
{
	struct gap_walk *w = arg;
	w->npages += end - start;
	return mm_fault_in(fault_addr(w->pages, start), (end - start) * PAGE_SIZE,
			   w->pages->writable);
}

static void pin_new(uint64_t start, uint64_t end, void *arg)
{
	struct iopt_pages *pages = arg;
	mm_pin(pages->phys + start * PAGE_SIZE, (end - start) * PAGE_SIZE);
	pages->npinned += end - start;
}

static void unpin_gone(uint64_t start, uint64_t end, void *arg)
{
	struct iopt_pages *pages = arg;
	mm_unpin(pages->phys + start * PAGE_SIZE, (end - start) * PAGE_SIZE);
	pages->npinned -= end - start;
}

/* Charge npages more; a switch to "not charged" (CAP_IPC_LOCK) gives back
 * what this run had charged before. */
static int charge(struct iopt_pages *pages, uint64_t npages)
{
	enum mm_account_mode mode = pages->account_mode, old = mode;
	int rc = mm_account(&mode, npages, true);
	if (rc)
		return rc;
	if (mode != old) {
		mm_account(&old, pages->npinned, false);
		pages->account_mode = (uint8_t)mode;
	}
	return 0;
}

/*
 * A new holder of pages [first, last]: pages nobody held are faulted in,
 * charged and pinned. All or nothing. Caller holds pages->mutex.
 */
static int pages_add_holder(struct iopt_pages *pages, uint64_t first, uint64_t last)
{
	int rc = range_refs_reserve(&pages->users);
	if (rc)
		return rc;
	rc = mm_pin_reserve();
	if (rc)
		goto err_users;
	struct gap_walk w = { .pages = pages };
	rc = range_refs_for_each_gap(&pages->users, first, last + 1, fault_in_gap, &w);
	if (!rc && w.npages)
		rc = charge(pages, w.npages);
	if (rc)
		goto err_pins;
	range_refs_inc(&pages->users, first, last + 1, pin_new, pages);
	return 0;
err_pins:
	mm_pin_unreserve();
err_users:
	range_refs_unreserve(&pages->users);
	return rc;
}

static void pages_remove_holder(struct iopt_pages *pages, uint64_t first, uint64_t last)
{
	uint64_t before = pages->npinned;
	range_refs_dec(&pages->users, first, last + 1, unpin_gone, pages);
	enum mm_account_mode mode = pages->account_mode;
	mm_account(&mode, before - pages->npinned, false);
	mm_pin_unreserve();
	range_refs_unreserve(&pages->users);
}

/* ---- areas in domains ---- */

/* pages: the area's, which may not be published in area->pages yet. */
static uint64_t area_phys(const struct iopt_area *area, const struct iopt_pages *pages)
{
	return pages->phys + iopt_area_start_byte(area, iopt_area_iova(area));
}

/* Map the whole area into a domain; one call unless large pages are off
 * for this IOAS, when it goes page by page so any page can be unmapped
 * alone later (VFIO type1 compatibility). */
int iopt_area_map_domain(struct iopt_area *area, struct iopt_pages *pages,
			 struct iommu_domain *domain)
{
	uint64_t iova = iopt_area_iova(area), len = iopt_area_length(area);
	uint64_t phys = area_phys(area, pages);
	if (!area->iopt->disable_large_pages)
		return iommu_map(domain, iova, phys, len, area->iommu_prot);
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		int rc = iommu_map(domain, iova + off, phys + off, PAGE_SIZE, area->iommu_prot);
		if (rc) {
			if (off)
				iommu_unmap(domain, iova, off);
			return rc;
		}
	}
	return 0;
}

void iopt_area_unmap_domain(struct iopt_area *area, struct iommu_domain *domain)
{
	iommu_unmap(domain, iopt_area_iova(area), iopt_area_length(area));
}

void iopt_area_remove_domain(struct iopt_area *area, struct iommu_domain *domain)
{
	struct iopt_pages *pages = area->pages;
	if (!iopt_is_dmabuf(pages)) {
		iopt_area_unmap_domain(area, domain);
		return;
	}
	pthread_mutex_lock(&pages->mutex);
	iopt_dmabuf_unfill_domain(area, pages, domain);
	pthread_mutex_unlock(&pages->mutex);
}

/* A domain added to the IOAS: the area goes into it; the first domain
 * makes the area a holder of its pages. */
int iopt_area_fill_domain(struct iopt_area *area, struct iommu_domain *domain)
{
	struct iopt_pages *pages = area->pages;
	pthread_mutex_lock(&pages->mutex);
	int rc = 0;
	bool first = !area->storage_domain;
	if (iopt_is_dmabuf(pages)) {
		rc = iopt_dmabuf_fill_domain(area, pages, domain);
		if (!rc && first)
			area->storage_domain = domain;
		pthread_mutex_unlock(&pages->mutex);
		return rc;
	}
	if (first)
		rc = pages_add_holder(pages, area->first_index, area->last_index);
	if (!rc) {
		rc = iopt_area_map_domain(area, pages, domain);
		if (rc && first)
			pages_remove_holder(pages, area->first_index, area->last_index);
		else if (first)
			area->storage_domain = domain;
	}
	pthread_mutex_unlock(&pages->mutex);
	return rc;
}

/* The last domain goes: out of it, and the pages no longer held. */
void iopt_area_unfill_domain(struct iopt_area *area, struct iopt_pages *pages,
			     struct iommu_domain *domain)
{
	if (iopt_is_dmabuf(pages)) {
		pthread_mutex_lock(&pages->mutex);
		iopt_dmabuf_unfill_domain(area, pages, domain);
		area->storage_domain = NULL;
		pthread_mutex_unlock(&pages->mutex);
		return;
	}
	iopt_area_unmap_domain(area, domain);
	pthread_mutex_lock(&pages->mutex);
	if (area->storage_domain) {
		pages_remove_holder(pages, area->first_index, area->last_index);
		area->storage_domain = NULL;
	}
	pthread_mutex_unlock(&pages->mutex);
}

/* A new area: into every domain of the IOAS (none: nothing is pinned,
 * SPEC U-3's lazy pinning). All or nothing. Caller holds domains_rwsem. */
int iopt_area_fill_domains(struct iopt_area *area, struct iopt_pages *pages)
{
	struct io_pagetable *iopt = area->iopt;
	if (!iopt->next_domain_id)
		return 0;
	pthread_mutex_lock(&pages->mutex);
	int rc = iopt_is_dmabuf(pages) ? 0 :
					 pages_add_holder(pages, area->first_index, area->last_index);
	if (rc)
		goto out;
	unsigned i;
	for (i = 0; i < iopt->next_domain_id; i++) {
		struct iommu_domain *domain = xa_load(&iopt->domains, i);
		rc = iopt_is_dmabuf(pages) ? iopt_dmabuf_fill_domain(area, pages, domain) :
					     iopt_area_map_domain(area, pages, domain);
		if (rc)
			break;
	}
	if (rc) {
		/* The failed map undid itself; the ones before it did not. */
		while (i--) {
			struct iommu_domain *domain = xa_load(&iopt->domains, i);
			if (iopt_is_dmabuf(pages))
				iopt_dmabuf_unfill_domain(area, pages, domain);
			else
				iopt_area_unmap_domain(area, domain);
		}
		if (!iopt_is_dmabuf(pages))
			pages_remove_holder(pages, area->first_index, area->last_index);
		goto out;
	}
	area->storage_domain = xa_load(&iopt->domains, 0);
out:
	pthread_mutex_unlock(&pages->mutex);
	return rc;
}

/* The area goes: out of every domain, its pages no longer held by it.
 * Caller holds domains_rwsem. */
void iopt_area_unfill_domains(struct iopt_area *area, struct iopt_pages *pages)
{
	struct io_pagetable *iopt = area->iopt;
	pthread_mutex_lock(&pages->mutex);
	if (area->storage_domain) {
		for (unsigned i = 0; i < iopt->next_domain_id; i++) {
			struct iommu_domain *domain = xa_load(&iopt->domains, i);
			if (iopt_is_dmabuf(pages))
				iopt_dmabuf_unfill_domain(area, pages, domain);
			else
				iopt_area_unmap_domain(area, domain);
		}
		if (!iopt_is_dmabuf(pages))
			pages_remove_holder(pages, area->first_index, area->last_index);
		area->storage_domain = NULL;
	}
	pthread_mutex_unlock(&pages->mutex);
}

/* ---- accesses ---- */

static struct iopt_pages_access *get_exact_access(struct iopt_pages *pages, uint64_t index,
						  uint64_t last)
{
	/* Access ranges may overlap; only an identical one is shared. */
	for (struct interval_tree_node *n = interval_tree_iter_first(&pages->access_itree, index,
								     last);
	     n; n = interval_tree_iter_next(n, index, last))
		if (n->start == index && n->last == last)
			return (struct iopt_pages_access *)n;
	return NULL;
}

static void fill_out_pages(struct iopt_pages *pages, uint64_t start, uint64_t last, void **out)
{
	if (!out)
		return;
	for (uint64_t i = start; i <= last; i++)
		*out++ = (void *)(uintptr_t)(pages->phys + i * PAGE_SIZE);
}

/*
 * An in-library user (an access) needs pages [start, last] of the area's
 * run pinned; their addresses go to out_pages. lock_area also forbids
 * unmapping the area until the matching remove (HW queues).
 */
int iopt_area_add_access(struct iopt_area *area, uint64_t start_index, uint64_t last_index,
			 void **out_pages, unsigned int flags, bool lock_area)
{
	struct iopt_pages *pages = area->pages;
	if ((flags & IOMMUFD_ACCESS_RW_WRITE) && !pages->writable)
		return -EPERM;
	/* An exporter's memory is the importer's to map, not to pin. */
	if (iopt_is_dmabuf(pages))
		return -EINVAL;
	pthread_mutex_lock(&pages->mutex);
	int rc = 0;
	struct iopt_pages_access *access = get_exact_access(pages, start_index, last_index);
	if (access) {
		access->users++;
	} else {
		access = kcalloc(1, sizeof(*access));
		if (!access) {
			rc = -ENOMEM;
			goto out;
		}
		rc = pages_add_holder(pages, start_index, last_index);
		if (rc) {
			free(access);
			goto out;
		}
		access->node.start = start_index;
		access->node.last = last_index;
		access->users = 1;
		interval_tree_insert(&access->node, &pages->access_itree);
	}
	area->num_accesses++;
	if (lock_area)
		area->num_locks++;
	fill_out_pages(pages, start_index, last_index, out_pages);
out:
	pthread_mutex_unlock(&pages->mutex);
	return rc;
}

void iopt_area_remove_access(struct iopt_area *area, uint64_t start_index, uint64_t last_index,
			     bool unlock_area)
{
	struct iopt_pages *pages = area->pages;
	pthread_mutex_lock(&pages->mutex);
	struct iopt_pages_access *access = get_exact_access(pages, start_index, last_index);
	if (!access || !area->num_accesses)
		goto out; /* a driver bug: nothing of its to undo */
	if (unlock_area && area->num_locks)
		area->num_locks--;
	area->num_accesses--;
	if (--access->users)
		goto out;
	interval_tree_remove(&access->node, &pages->access_itree);
	pages_remove_holder(pages, start_index, last_index);
	free(access);
out:
	pthread_mutex_unlock(&pages->mutex);
}

/*
 * Copy through the pages: user memory through the user's mapping (Linux's
 * copy_*_user fast path; a page gone is -EFAULT), memory files through the
 * library's. Both go through the uaccess checks, so a page that vanished
 * is an error, never a crash.
 */
int iopt_pages_rw_access(struct iopt_pages *pages, uint64_t start_byte, void *data,
			 uint64_t length, unsigned int flags)
{
	if ((flags & IOMMUFD_ACCESS_RW_WRITE) && !pages->writable)
		return -EPERM;
	if (iopt_is_dmabuf(pages))
		return -EINVAL;
	uint64_t addr = (pages->type == IOPT_ADDRESS_USER ? pages->uptr : pages->phys) +
			start_byte;
	int rc = (flags & IOMMUFD_ACCESS_RW_WRITE) ? copy_to_user(addr, data, length) :
						      copy_from_user(data, addr, length);
	return rc ? -EFAULT : 0;
}
