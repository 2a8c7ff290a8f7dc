/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page sizes and usable IOVA ranges of a type1 address space: the page
 * sizes every domain supports, and the intersection of the domains'
 * apertures minus the reserved regions of the devices behind them
 * (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE). iommu->lock held.
 */
#include <errno.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "type1.h"
#include "../iommu/group.h"
#include "../iommu/iommu.h"

void type1_update_pgsize(struct vfio_iommu *iommu)
{
	/* Without a domain only the CPU page size constrains (emulated). */
	uint64_t bm = ~((1ull << PAGE_SHIFT) - 1);
	struct type1_domain *td;
	list_for_each_entry(td, &iommu->domains, node)
		bm &= td->domain->pgsize_bitmap;
	iommu->pgsize_bitmap = bm;
}

uint64_t type1_min_pgsize(struct vfio_iommu *iommu)
{
	uint64_t bm = iommu->pgsize_bitmap;
	return bm ? bm & -bm : 1ull << PAGE_SHIFT;
}

static void ranges_intersect(struct iova_range *r, unsigned *n, uint64_t start, uint64_t last)
{
	unsigned out = 0;
	for (unsigned i = 0; i < *n; i++) {
		uint64_t s = r[i].start > start ? r[i].start : start;
		uint64_t l = r[i].last < last ? r[i].last : last;
		if (s <= l)
			r[out++] = (struct iova_range){ s, l };
	}
	*n = out;
}

static int ranges_subtract(struct iova_range *r, unsigned *n, uint64_t start, uint64_t last)
{
	struct iova_range tmp[MAX_IOVA_RANGES];
	unsigned out = 0;
	for (unsigned i = 0; i < *n; i++) {
		if (r[i].last < start || r[i].start > last) {
			tmp[out++] = r[i];
			continue;
		}
		if (r[i].start < start)
			tmp[out++] = (struct iova_range){ r[i].start, start - 1 };
		if (r[i].last > last) {
			if (out == MAX_IOVA_RANGES)
				return -ENOSPC;
			tmp[out++] = (struct iova_range){ last + 1, r[i].last };
		}
		if (out > MAX_IOVA_RANGES)
			return -ENOSPC;
	}
	memcpy(r, tmp, out * sizeof(*r));
	*n = out;
	return 0;
}

/* The device whose IOMMU context a group's DMA uses. */
static int first_translated(struct device *dev, void *data)
{
	if (!dev_has_iommu(dev))
		return 0;
	*(struct device **)data = dev;
	return 1;
}

struct device *type1_group_dma_device(struct type1_group *tg)
{
	struct device *dev = NULL;
	if (tg->iommu_device)
		return tg->iommu_device;
	iommu_group_for_each_dev(tg->group->iommu_group, &dev, first_translated);
	return dev;
}

struct resv_walk {
	struct iova_range *r;
	unsigned *n;
};

/* Take a device's reserved regions out of the usable ranges. */
static int subtract_resv(struct device *dev, void *data)
{
	struct resv_walk *w = data;
	struct iommu_resv_region resv[8];
	int nr = iommu_get_resv_regions(dev, resv, 8);
	for (int i = 0; i < nr && i < 8; i++) {
		int rc = ranges_subtract(w->r, w->n, resv[i].start,
					 resv[i].start + resv[i].length - 1);
		if (rc)
			return rc;
	}
	return 0;
}

static int add_domain_ranges(struct iova_range *r, unsigned *n, struct iommu_domain *d,
			     struct type1_group *tg)
{
	if (d->geometry.force_aperture)
		ranges_intersect(r, n, d->geometry.aperture_start, d->geometry.aperture_end);
	struct resv_walk w = { r, n };
	if (tg->iommu_device)
		return subtract_resv(tg->iommu_device, &w);
	return iommu_group_for_each_dev(tg->group->iommu_group, &w, subtract_resv);
}

/* The IOVA ranges with `extra` (a group about to join `extra_domain`)
 * counted in; nr 0 when no domain takes part. */
int type1_compute_ranges(struct vfio_iommu *iommu, struct iommu_domain *extra_domain,
			  struct type1_group *extra, struct iova_range *r, unsigned *n)
{
	r[0] = (struct iova_range){ 0, UINT64_MAX };
	*n = 1;
	bool any = false;
	struct type1_domain *td;
	list_for_each_entry(td, &iommu->domains, node) {
		struct type1_group *tg;
		list_for_each_entry(tg, &td->groups, node) {
			int rc = add_domain_ranges(r, n, td->domain, tg);
			if (rc)
				return rc;
			any = true;
		}
	}
	if (extra) {
		int rc = add_domain_ranges(r, n, extra_domain, extra);
		if (rc)
			return rc;
		any = true;
	}
	if (!any)
		*n = 0;
	else if (*n == 0)
		return -EINVAL; /* nothing usable left */
	return 0;
}

bool type1_range_valid(const struct iova_range *r, unsigned n, uint64_t start, uint64_t last)
{
	if (!n)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (start >= r[i].start && last <= r[i].last)
			return true;
	return false;
}

/* Does every existing mapping fit in the candidate ranges? */
bool type1_mappings_fit(struct vfio_iommu *iommu, const struct iova_range *r, unsigned n)
{
	for (struct vfio_dma *d = vfio_dma_first(iommu, 0, UINT64_MAX); d;
	     d = vfio_dma_next(d, 0, UINT64_MAX))
		if (!type1_range_valid(r, n, d->iova, d->iova + d->size - 1))
			return false;
	return true;
}

void type1_refresh_ranges(struct vfio_iommu *iommu)
{
	if (type1_compute_ranges(iommu, NULL, NULL, iommu->iova, &iommu->nr_iova))
		iommu->nr_iova = 0;
}
