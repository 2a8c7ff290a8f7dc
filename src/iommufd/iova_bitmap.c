/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty tracking of a HWPT_PAGING (SPEC U-12): turning it on (after
 * clearing what is dirty already, so the first report starts clean) and
 * reporting dirty IOVA into the user's bitmap.
 *
 * The bitmap is the user's memory at any byte alignment: bit n (of 64-bit
 * little-endian words) stands for [iova + n * page_size, +page_size).
 * Bits are only ever set, never cleared, as Linux does. It is filled a
 * window at a time from a local buffer, each window OR-ed into the user's
 * bytes, so a terabyte of IOVA needs no terabyte-sized anything.
 *
 * A large leaf may reach past the window it was read in; reading clears
 * its D bit, so the next window would not see it again: the bits past
 * the window are kept ("set ahead", as Linux's iova_bitmap) and set when
 * the windows get there. Only the last leaf a window reads can straddle
 * its end, so one pending range is enough.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_private.h"
#include "../base/uaccess.h"
#include "../util/slab.h"

/* 1 GiB of 4 KiB pages per window: each window is one walk of the
 * domain's tables and one IOTLB flush for what it cleared. */
#define WINDOW_BYTES 32768u

struct bitmap_window {
	uint64_t base;       /* IOVA of bit 0 of the whole bitmap */
	uint64_t first_bit;  /* of this window */
	uint64_t nbits;
	unsigned pgshift;
	uint64_t total;      /* bits in the whole bitmap */
	uint64_t ahead_lo, ahead_hi; /* dirty bits past the window; lo > hi: none */
	uint8_t bits[WINDOW_BYTES];
	uint8_t cur[WINDOW_BYTES];   /* the user's bytes, for flush_window */
};

/* Bits [lo, hi] of the whole bitmap, as far as this window holds them. */
static void set_bits(struct bitmap_window *w, uint64_t lo, uint64_t hi)
{
	if (lo < w->first_bit)
		lo = w->first_bit;
	if (hi >= w->first_bit + w->nbits)
		hi = w->first_bit + w->nbits - 1;
	for (uint64_t k = lo - w->first_bit; lo <= hi && k <= hi - w->first_bit; k++) {
		if (!(k & 7) && hi - w->first_bit >= k + 7) {
			w->bits[k / 8] = 0xff;
			k += 7;
			continue;
		}
		w->bits[k / 8] |= (uint8_t)(1u << (k % 8));
	}
}

/* A dirty leaf [iova, +len): may reach past the window on either side. */
static void mark(uint64_t iova, uint64_t len, void *arg)
{
	struct bitmap_window *w = arg;
	uint64_t end = iova + len - 1;
	if (end < w->base)
		return;
	uint64_t lo = iova < w->base ? 0 : (iova - w->base) >> w->pgshift;
	uint64_t hi = (end - w->base) >> w->pgshift;
	if (hi >= w->total)
		hi = w->total - 1;
	uint64_t last = w->first_bit + w->nbits - 1;
	if (hi > last) {
		uint64_t from = lo > last ? lo : last + 1;
		if (w->ahead_lo > w->ahead_hi) {
			w->ahead_lo = from;
			w->ahead_hi = hi;
		} else {
			w->ahead_lo = from < w->ahead_lo ? from : w->ahead_lo;
			w->ahead_hi = hi > w->ahead_hi ? hi : w->ahead_hi;
		}
	}
	set_bits(w, lo, hi);
}

/* Read (and clear) the areas' dirty state over [iova, last]: they must
 * cover it back to back. */
static int read_window(struct io_pagetable *iopt, struct iommu_domain *domain, uint64_t iova,
		       uint64_t last, bool no_clear, struct bitmap_window *w)
{
	struct iopt_area_contig_iter iter;
	struct iopt_area *area;
	iopt_for_each_contig_area(&iter, area, iopt, iova, last) {
		uint64_t end = last < iopt_area_last_iova(area) ? last : iopt_area_last_iova(area);
		int rc = domain->ops->read_and_clear_dirty(domain, iter.cur_iova,
							   end - iter.cur_iova + 1, no_clear, mark,
							   w);
		if (rc)
			return rc;
	}
	return iopt_area_contig_done(&iter) ? 0 : -EINVAL;
}

/* Set the window's bits in the user's bitmap. */
static int flush_window(uint64_t data, struct bitmap_window *w)
{
	uint64_t off = w->first_bit / 8;
	size_t nbytes = (size_t)((w->nbits + 7) / 8);
	if (copy_from_user(w->cur, data + off, nbytes))
		return -EFAULT;
	/* A last byte shared with bits past the range keeps those. */
	for (size_t i = 0; i < nbytes; i++)
		w->cur[i] |= w->bits[i];
	return copy_to_user(data + off, w->cur, nbytes) ? -EFAULT : 0;
}

int iommufd_check_iova_range(struct io_pagetable *iopt, struct iommu_hwpt_get_dirty_bitmap *bm)
{
	uint64_t pgsize = iopt->iova_alignment, last;
	if (__builtin_add_overflow(bm->iova, bm->length - 1, &last))
		return -EOVERFLOW;
	if ((bm->iova & (pgsize - 1)) || ((last + 1) & (pgsize - 1)))
		return -EINVAL;
	if (!bm->page_size)
		return -EINVAL;
	if ((bm->iova & (bm->page_size - 1)) || ((last + 1) & (bm->page_size - 1)))
		return -EINVAL;
	return 0;
}

int iopt_read_and_clear_dirty_data(struct io_pagetable *iopt, struct iommu_domain *domain,
				   unsigned long flags, struct iommu_hwpt_get_dirty_bitmap *bm)
{
	int rc = iommufd_check_iova_range(iopt, bm);
	if (rc)
		return rc;
	if (!domain->dirty_ops || !domain->ops->read_and_clear_dirty)
		return -EOPNOTSUPP;
	/* page_size a power of two: one bit per page. */
	if (bm->page_size & (bm->page_size - 1))
		return -EINVAL;
	struct bitmap_window *w = kmalloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->base = bm->iova;
	w->pgshift = (unsigned)__builtin_ctzll(bm->page_size);
	uint64_t total = ((bm->length - 1) >> w->pgshift) + 1;
	w->total = total;
	w->ahead_lo = 1;
	w->ahead_hi = 0;
	bool no_clear = flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	for (uint64_t bit = 0; bit < total && !rc; bit += WINDOW_BYTES * 8) {
		w->first_bit = bit;
		w->nbits = total - bit < WINDOW_BYTES * 8 ? total - bit : WINDOW_BYTES * 8;
		memset(w->bits, 0, (size_t)((w->nbits + 7) / 8));
		if (w->ahead_lo <= w->ahead_hi) {
			set_bits(w, w->ahead_lo, w->ahead_hi);
			if (w->ahead_hi < w->first_bit + w->nbits)
				w->ahead_lo = 1, w->ahead_hi = 0;
			else
				w->ahead_lo = w->first_bit + w->nbits;
		}
		uint64_t lo = bm->iova + (bit << w->pgshift);
		uint64_t hi = lo + (w->nbits << w->pgshift) - 1;
		rc = read_window(iopt, domain, lo, hi, no_clear, w);
		if (!rc)
			rc = flush_window(bm->data, w);
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	free(w);
	return rc;
}

int iopt_set_dirty_tracking(struct io_pagetable *iopt, struct iommu_domain *domain, bool enable)
{
	if (!domain->dirty_ops || !domain->ops->set_dirty_tracking)
		return -EOPNOTSUPP;
	int rc = 0;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	/* A clean start: what was dirtied before tracking counts not. */
	if (enable) {
		for (struct iopt_area *area = iopt_area_iter_first(iopt, 0, UINT64_MAX);
		     area && !rc; area = iopt_area_iter_next(area, 0, UINT64_MAX)) {
			if (!area->pages)
				continue;
			rc = domain->ops->read_and_clear_dirty(domain, iopt_area_iova(area),
							       iopt_area_length(area), false, NULL,
							       NULL);
		}
	}
	if (!rc)
		rc = domain->ops->set_dirty_tracking(domain, enable);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}
