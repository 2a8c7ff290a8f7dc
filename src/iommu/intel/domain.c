/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMAR domains: a page table in the second-stage or first-stage format,
 * a domain ID on each unit it is used on, and the cache tags that say
 * what to invalidate when its mappings change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "intel.h"
#include "../../hw/iface/mem.h"
#include "../../util/compiler.h"
#include "../../util/slab.h"

static unsigned max_levels(unsigned sagaw)
{
	return (sagaw & BIT(3)) ? 5 : (sagaw & BIT(2)) ? 4 : 3;
}

/* Domains default to 4 levels (48-bit IOVA) where the unit that serves
 * the device they are made for allows it, else the deepest it walks
 * (Linux sizes a paging domain from the device's unit, too). */
static unsigned pick_levels(const struct intel_iommu *iommu, bool fs)
{
	if (fs || !iommu || (iommu->sagaw & BIT(2)))
		return 4;
	return max_levels(iommu->sagaw);
}

static uint64_t pgsizes(struct intel_driver *drv, bool fs)
{
	uint64_t sz = SZ_4K | SZ_2M | SZ_1G;
	struct intel_iommu *iommu;
	list_for_each_entry(iommu, &drv->iommus, node) {
		if (fs) {
			if (!(iommu->cap & VTD_CAP_FL1GP))
				sz &= ~SZ_1G;
		} else {
			unsigned sllps = VTD_CAP_SLLPS(iommu->cap);
			if (!(sllps & 1))
				sz &= ~(SZ_2M | SZ_1G);
			if (!(sllps & 2))
				sz &= ~SZ_1G;
		}
	}
	return sz;
}

struct dmar_domain *intel_domain_new(struct intel_driver *drv, const struct intel_iommu *iommu,
				     bool fs, unsigned flags, int *err)
{
	struct dmar_domain *d = kcalloc(1, sizeof(*d));
	if (!d) {
		*err = -ENOMEM;
		return NULL;
	}
	iommu_domain_init(&d->domain, IOMMU_DOMAIN_UNMANAGED, &intel_paging_ops, &intel_iommu_ops,
			  drv->host);
	d->drv = drv;
	d->fs = fs;
	d->nest_parent = flags & IOMMU_DOMAIN_FLAG_NEST_PARENT;
	d->dirty_tracking = flags & IOMMU_DOMAIN_FLAG_DIRTY_TRACKING;
	d->levels = pick_levels(iommu, fs);
	spin_init(&d->lock);
	mutex_init(&d->mutex);
	list_init(&d->iommus);
	list_init(&d->tags);
	struct io_pgtable_cfg cfg = {
		.fmt = fs ? IO_PGTABLE_X86_FS : IO_PGTABLE_VTD_SS,
		.levels = d->levels,
		.pgsize_bitmap = pgsizes(drv, fs),
		/* Read-only second-stage mappings of a nesting parent trip an
		 * erratum on some parts (ERRATA_772415_SPR17); Linux maps them
		 * writable, and so do we. */
		.force_writeable = d->nest_parent,
	};
	int rc = io_pgtable_init(&d->pgt, &cfg, drv->pool);
	if (rc) {
		free(d);
		*err = rc;
		return NULL;
	}
	d->domain.pgsize_bitmap = cfg.pgsize_bitmap;
	d->domain.geometry.aperture_start = 0;
	d->domain.geometry.aperture_end = (1ull << (12 + 9 * d->levels)) - 1;
	d->domain.geometry.force_aperture = true;
	d->domain.dirty_ops = d->dirty_tracking;
	return d;
}

/* ---- domain IDs per unit ---- */

static int did_alloc(struct intel_iommu *iommu, uint16_t *did)
{
	unsigned ndoms = 1u << (4 + 2 * VTD_CAP_ND(iommu->cap));
	for (unsigned i = 0; i < ndoms / 64; i++) {
		if (iommu->did_map[i] == ~0ull)
			continue;
		unsigned b = (unsigned)__builtin_ctzll(~iommu->did_map[i]);
		iommu->did_map[i] |= 1ull << b;
		*did = (uint16_t)(i * 64 + b);
		return 0;
	}
	return -ENOSPC;
}

int domain_attach_iommu(struct dmar_domain *dom, struct intel_iommu *iommu, uint16_t *did)
{
	struct domain_iommu *di;
	list_for_each_entry(di, &dom->iommus, node) {
		if (di->iommu == iommu) {
			di->refcnt++;
			*did = di->did;
			return 0;
		}
	}
	di = kcalloc(1, sizeof(*di));
	if (!di)
		return -ENOMEM;
	pthread_mutex_lock(&iommu->lock);
	int rc = did_alloc(iommu, &di->did);
	pthread_mutex_unlock(&iommu->lock);
	if (rc) {
		free(di);
		return rc;
	}
	di->iommu = iommu;
	di->refcnt = 1;
	list_add_tail(&di->node, &dom->iommus);
	*did = di->did;
	return 0;
}

void domain_detach_iommu(struct dmar_domain *dom, struct intel_iommu *iommu)
{
	struct domain_iommu *di;
	list_for_each_entry(di, &dom->iommus, node) {
		if (di->iommu != iommu)
			continue;
		if (--di->refcnt)
			return;
		pthread_mutex_lock(&iommu->lock);
		iommu->did_map[di->did / 64] &= ~(1ull << (di->did % 64));
		pthread_mutex_unlock(&iommu->lock);
		list_del(&di->node);
		free(di);
		return;
	}
}

uint16_t domain_id_on(struct dmar_domain *dom, struct intel_iommu *iommu)
{
	struct domain_iommu *di;
	list_for_each_entry(di, &dom->iommus, node)
		if (di->iommu == iommu)
			return di->did;
	return 0;
}

/* ---- installing a domain on (device, PASID) ---- */

/* a unit narrower than what the domain already maps cannot take it;
 * one with fewer levels takes it if the mappings fit (levels trimmed). */
static int check_width(struct dmar_domain *dom, struct intel_iommu *iommu, unsigned *out_width)
{
	*out_width = 64;
	if (dom->pt || dom->blocked || dom->s2)
		return 0;
	unsigned levels = dom->fs ? ((iommu->cap & VTD_CAP_FL5LP) ? 5 : 4) : max_levels(iommu->sagaw);
	if (levels > dom->levels)
		levels = dom->levels;
	unsigned width = 12 + 9 * levels;
	if (width > iommu->mgaw)
		width = iommu->mgaw;
	if (width < 64 && dom->pgt.max_iova > (1ull << width))
		return -EFAULT;
	if (dom->fs && levels < dom->levels)
		return -EINVAL; /* first-stage levels are not trimmed */
	*out_width = width;
	return 0;
}

/*
 * A nested domain has a domain ID of its own, as in Linux: nested
 * translations are cached by (DID, PASID), so two guest tables over one
 * parent, installed at the same PASID of two devices, must not share one.
 * The parent keeps a tag of it (cache_tag_assign_parent) to flush that ID
 * when its own mappings change.
 */
static int tag_parent(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid,
		      uint16_t did, bool add)
{
	int rc = 0;
	if (!dom->s2)
		return 0;
	mutex_lock(&dom->s2->mutex);
	if (add)
		rc = cache_tag_assign_parent(dom->s2, info, pasid, did);
	else
		cache_tag_unassign_parent(dom->s2, info, pasid, did);
	mutex_unlock(&dom->s2->mutex);
	return rc;
}

static void release(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid)
{
	mutex_lock(&dom->mutex);
	uint16_t did = domain_id_on(dom, info->iommu);
	mutex_unlock(&dom->mutex);
	tag_parent(dom, info, pasid, did, false);
	mutex_lock(&dom->mutex);
	cache_tag_unassign(dom, info, pasid);
	domain_detach_iommu(dom, info->iommu);
	mutex_unlock(&dom->mutex);
}

/*
 * Make `dom` the translation of (info, pasid), replacing `old` (NULL if
 * nothing is installed). Called with the core's group lock held.
 */
int intel_dev_set_domain(struct device_domain_info *info, ioasid_t pasid,
			 struct dmar_domain *dom, struct dmar_domain *old)
{
	struct intel_iommu *iommu = info->iommu;
	uint16_t did = 0, old_did = 0;
	int rc;

	if (old) {
		mutex_lock(&old->mutex);
		old_did = domain_id_on(old, iommu);
		mutex_unlock(&old->mutex);
	}
	if (dom->blocked) {
		if (old && !old->blocked) {
			intel_pasid_tear_down(info, pasid, old, old_did, false);
			release(old, info, pasid);
		}
		return 0;
	}

	unsigned width;
	if (dom->s2 && (rc = intel_nested_check(dom, iommu)))
		return rc;
	mutex_lock(&dom->mutex);
	spin_lock(&dom->lock);
	rc = check_width(dom, iommu, &width);
	spin_unlock(&dom->lock);
	if (!rc)
		rc = domain_attach_iommu(dom, iommu, &did);
	if (!rc) {
		rc = cache_tag_assign(dom, info, pasid, did);
		if (rc)
			domain_detach_iommu(dom, iommu);
	}
	mutex_unlock(&dom->mutex);
	if (!rc && (rc = tag_parent(dom, info, pasid, did, true))) {
		mutex_lock(&dom->mutex);
		cache_tag_unassign(dom, info, pasid);
		domain_detach_iommu(dom, iommu);
		mutex_unlock(&dom->mutex);
	}
	if (rc)
		return rc;

	rc = intel_pasid_setup(info, pasid, dom, did, old && !old->blocked ? old : NULL, old_did);
	if (rc) {
		release(dom, info, pasid);
		return rc;
	}
	/* From now on the domain cannot map beyond what this unit reaches
	 * (the 2018 driver lowered the domain's width the same way). */
	spin_lock(&dom->lock);
	if (width < 64 && dom->domain.geometry.aperture_end > (1ull << width) - 1)
		dom->domain.geometry.aperture_end = (1ull << width) - 1;
	spin_unlock(&dom->lock);
	if (old && !old->blocked)
		release(old, info, pasid);
	return 0;
}

/* ---- paging operations ---- */

static int intel_map_pages(struct iommu_domain *d, uint64_t iova, uint64_t paddr, uint64_t size,
			   int prot, uint64_t *mapped)
{
	struct dmar_domain *dom = to_dmar_domain(d);
	spin_lock(&dom->lock);
	int rc = io_pgtable_map(&dom->pgt, iova, paddr, size, prot, mapped);
	spin_unlock(&dom->lock);
	return rc;
}

static uint64_t intel_unmap_pages(struct iommu_domain *d, uint64_t iova, uint64_t size,
				  struct iommu_iotlb_gather *g)
{
	struct dmar_domain *dom = to_dmar_domain(d);
	spin_lock(&dom->lock);
	uint64_t n = io_pgtable_unmap(&dom->pgt, iova, size, g);
	spin_unlock(&dom->lock);
	return n;
}

/* One batched invalidation per unmap call: the gathered range,
 * then the table pages it unlinked go back. The flush waits for the unit
 * under the tags' mutex, never under the page-table spinlock. */
static void intel_iotlb_sync(struct iommu_domain *d, struct iommu_iotlb_gather *g)
{
	struct dmar_domain *dom = to_dmar_domain(d);
	if (!iommu_iotlb_gather_empty(g)) {
		mutex_lock(&dom->mutex);
		cache_tag_flush_range(dom, g->start, g->end, g->leaf_only);
		mutex_unlock(&dom->mutex);
	}
	spin_lock(&dom->lock);
	io_pgtable_release(&dom->pgt, g);
	spin_unlock(&dom->lock);
	iommu_iotlb_gather_init(g);
}

static void intel_flush_iotlb_all(struct iommu_domain *d)
{
	struct dmar_domain *dom = to_dmar_domain(d);
	mutex_lock(&dom->mutex);
	cache_tag_flush_all(dom);
	mutex_unlock(&dom->mutex);
}

static int intel_iova_to_phys(struct iommu_domain *d, uint64_t iova, uint64_t *pa)
{
	struct dmar_domain *dom = to_dmar_domain(d);
	spin_lock(&dom->lock);
	int rc = io_pgtable_iova_to_phys(&dom->pgt, iova, pa);
	spin_unlock(&dom->lock);
	return rc;
}

static int intel_set_dirty_tracking(struct iommu_domain *d, bool enable);
static int intel_read_and_clear_dirty(struct iommu_domain *d, uint64_t iova, uint64_t size,
				      bool no_clear, void (*fn)(uint64_t, uint64_t, void *),
				      void *arg);

void intel_domain_free(struct iommu_domain *d)
{
	struct dmar_domain *dom = to_dmar_domain(d);
	io_pgtable_destroy(&dom->pgt);
	intel_domain_free_common(dom);
}

void intel_domain_free_common(struct dmar_domain *dom)
{
	/* Tags and unit IDs are gone with the last detach; leftovers would
	 * be a core bug, so just release them. */
	cache_tag_free_all(dom);
	struct domain_iommu *di, *dt;
	list_for_each_entry_safe(di, dt, &dom->iommus, node) {
		list_del(&di->node);
		free(di);
	}
	free(dom);
}

const struct iommu_domain_ops intel_paging_ops = {
	.attach_dev = intel_attach_dev,
	.set_dev_pasid = intel_set_dev_pasid,
	.map_pages = intel_map_pages,
	.unmap_pages = intel_unmap_pages,
	.iotlb_sync = intel_iotlb_sync,
	.flush_iotlb_all = intel_flush_iotlb_all,
	.iova_to_phys = intel_iova_to_phys,
	.set_dirty_tracking = intel_set_dirty_tracking,
	.read_and_clear_dirty = intel_read_and_clear_dirty,
	.free = intel_domain_free,
};

/* Identity and blocking domains translate nothing of their own. */
const struct iommu_domain_ops intel_fixed_ops = {
	.attach_dev = intel_attach_dev,
	.set_dev_pasid = intel_set_dev_pasid,
	.free = intel_domain_free,
};

/* ---- dirty tracking (U-12): SSADE in every PASID entry of the domain ---- */

static int intel_set_dirty_tracking(struct iommu_domain *d, bool enable)
{
	struct dmar_domain *dom = to_dmar_domain(d);
	if (!dom->dirty_tracking || dom->fs)
		return -EOPNOTSUPP;
	mutex_lock(&dom->mutex);
	if (dom->dirty_enabled == enable) {
		mutex_unlock(&dom->mutex);
		return 0;
	}
	/* Under the page-table lock too: intel_pasid_setup builds entries
	 * from it under that lock, so an entry built now either has the new
	 * SSADE or is rewritten below (its tag is in already). */
	spin_lock(&dom->lock);
	dom->dirty_enabled = enable;
	/* From now on the walker may write A/D into our entries; it stays
	 * so even after disabling, for entries cached before the flush. */
	dom->pgt.hw_writes = true;
	spin_unlock(&dom->lock);
	/* Rewrite each installed PASID entry's SSADE and flush it. */
	struct cache_tag *t;
	int rc = 0;
	list_for_each_entry(t, &dom->tags, node) {
		uint64_t pasid;
		void *e;
		xa_for_each(&t->pasids, pasid, e) {
			uint64_t *pe = intel_pasid_entry(t->info, (ioasid_t)pasid, false);
			if (!pe)
				continue;
			uint64_t q0 = __atomic_load_n(&pe[0], __ATOMIC_RELAXED);
			q0 = enable ? q0 | VTD_PE0_SSADE : q0 & ~VTD_PE0_SSADE;
			__atomic_store_n(&pe[0], q0, __ATOMIC_RELEASE);
			struct qi_batch batch = { .n = 0 }, *b = &batch;
			qi_add_pc(b, VTD_INV_PC_PASID, t->did, (ioasid_t)pasid);
			qi_add_iotlb(b, VTD_INV_IOTLB_DSI, t->did, 0, 0, false);
			if (t->info->ats_enabled)
				qi_add_devtlb(b, t->info, (ioasid_t)pasid, 0, 64);
			int r = qi_batch_flush(t->iommu, b);
			if (r)
				rc = r;
		}
	}
	mutex_unlock(&dom->mutex);
	return rc;
}

static void dirty_ignore(uint64_t iova, uint64_t len, void *arg)
{
	(void)iova;
	(void)len;
	(void)arg;
}

static int intel_read_and_clear_dirty(struct iommu_domain *d, uint64_t iova, uint64_t size,
				      bool no_clear, void (*fn)(uint64_t, uint64_t, void *),
				      void *arg)
{
	struct dmar_domain *dom = to_dmar_domain(d);
	if (!dom->dirty_tracking || dom->fs)
		return -EOPNOTSUPP;
	/* A report needs tracking on (Linux: EINVAL); fn NULL only clears,
	 * before tracking is turned on. */
	if (fn && !dom->dirty_enabled)
		return -EINVAL;
	struct iommu_iotlb_gather g;
	iommu_iotlb_gather_init(&g);
	spin_lock(&dom->lock);
	int rc = io_pgtable_read_and_clear_dirty(&dom->pgt, iova, size, no_clear,
						 fn ? fn : dirty_ignore, arg, &g);
	spin_unlock(&dom->lock);
	/* Cleared D bits must be refetched before the next write counts. */
	if (!rc && !iommu_iotlb_gather_empty(&g)) {
		mutex_lock(&dom->mutex);
		cache_tag_flush_range(dom, g.start, g.end, true);
		mutex_unlock(&dom->mutex);
	}
	return rc;
}
