/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cache tags: every place a domain is installed - (unit, domain ID,
 * PASID, device) - so a change to its mappings is flushed exactly where it
 * can be cached, in one queued batch per unit (SPEC ):
 *   second stage: page-selective IOTLB by DID (all PASIDs of the DID);
 *   first stage:  page-selective PASID-based IOTLB per (DID, PASID);
 *   ATS devices:  device-TLB (PASID-based for PASIDs other than the RID's).
 * A nesting parent also carries a tag for each place a nested domain over
 * it is installed: its second stage is part of every nested translation
 * cached under the nested domain's DID (3.8), and a device TLB holds the
 * combined result under guest addresses no second-stage range names.
 */
#include <errno.h>
#include <stdlib.h>

#include "intel.h"
#include "../../util/compiler.h"
#include "../../util/slab.h"

int cache_tag_assign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid,
		     uint16_t did)
{
	struct cache_tag *t;
	list_for_each_entry(t, &dom->tags, node) {
		if (t->info == info && t->pasid == pasid && !t->nesting) {
			t->users++;
			return 0;
		}
	}
	t = kcalloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->iommu = info->iommu;
	t->did = did;
	t->pasid = pasid;
	t->info = info;
	t->nested = dom->s2 != NULL;
	t->users = 1;
	list_add_tail(&t->node, &dom->tags);
	return 0;
}

void cache_tag_unassign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid)
{
	struct cache_tag *t;
	list_for_each_entry(t, &dom->tags, node) {
		if (t->info == info && t->pasid == pasid && !t->nesting) {
			if (--t->users == 0) {
				list_del(&t->node);
				free(t);
			}
			return;
		}
	}
}

/* Called with s2->lock held. During a replacement the old and the new
 * nested domain are both installed at (info, pasid): the DID tells them
 * apart. */
int cache_tag_assign_parent(struct dmar_domain *s2, struct device_domain_info *info,
			    ioasid_t pasid, uint16_t did)
{
	struct cache_tag *t;
	list_for_each_entry(t, &s2->tags, node) {
		if (t->nesting && t->info == info && t->pasid == pasid && t->did == did) {
			t->users++;
			return 0;
		}
	}
	t = kcalloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->iommu = info->iommu;
	t->did = did;
	t->pasid = pasid;
	t->info = info;
	t->nesting = true;
	t->users = 1;
	list_add_tail(&t->node, &s2->tags);
	return 0;
}

void cache_tag_unassign_parent(struct dmar_domain *s2, struct device_domain_info *info,
			       ioasid_t pasid, uint16_t did)
{
	struct cache_tag *t;
	list_for_each_entry(t, &s2->tags, node) {
		if (t->nesting && t->info == info && t->pasid == pasid && t->did == did) {
			if (--t->users == 0) {
				list_del(&t->node);
				free(t);
			}
			return;
		}
	}
}

/* Add this tag's invalidation for [addr, 2^am pages) to the batch. */
static void add_tag_flush(struct qi_batch *b, const struct dmar_domain *dom,
			  const struct cache_tag *t, uint64_t addr, unsigned am, bool all, bool ih,
			  bool *did_done)
{
	unsigned mamv = VTD_CAP_MAMV(t->iommu->cap);
	bool psi = !all && am <= mamv && (t->iommu->cap & VTD_CAP_PSI);
	if (dom->fs || t->nested) {
		if (psi)
			qi_add_piotlb(b, VTD_INV_PIOTLB_PSI, t->did, t->pasid, addr, am, ih);
		else
			qi_add_piotlb(b, VTD_INV_PIOTLB_ALL_IN_PASID, t->did, t->pasid, 0, 0, false);
	} else if (!*did_done) {
		/* One IOTLB flush covers every PASID that uses this DID. */
		if (psi)
			qi_add_iotlb(b, VTD_INV_IOTLB_PSI, t->did, addr, am, ih);
		else
			qi_add_iotlb(b, VTD_INV_IOTLB_DSI, t->did, 0, 0, false);
		*did_done = true;
	}
	/* A device TLB caches nested results by guest address: a change of
	 * the second stage under them flushes the whole of it. */
	if (t->info->ats_enabled)
		qi_add_devtlb(b, t->info, t->pasid, addr, all || t->nesting ? 64 : am);
}

static void flush(struct dmar_domain *dom, uint64_t start, uint64_t end, bool all, bool ih)
{
	uint64_t addr = 0;
	unsigned am = 0;
	if (!all)
		qi_range(start, end, &addr, &am);
	struct qi_batch batch, *b = &batch;
	struct intel_iommu *iommu;
	list_for_each_entry(iommu, &dom->drv->iommus, node) {
		struct cache_tag *t;
		bool any = false;
		list_for_each_entry(t, &dom->tags, node)
			any |= t->iommu == iommu;
		if (!any)
			continue;
		b->n = 0;
		/* The DID-wide second-stage flush once per (unit, DID). */
		struct cache_tag *u;
		list_for_each_entry(t, &dom->tags, node) {
			if (t->iommu != iommu)
				continue;
			bool done = false;
			list_for_each_entry(u, &dom->tags, node) {
				if (u == t)
					break;
				if (u->iommu == iommu && u->did == t->did)
					done = true;
			}
			if (b->n + 2 >= INTEL_MAX_BATCH)
				qi_batch_flush(iommu, b);
			add_tag_flush(b, dom, t, addr, am, all, ih, &done);
		}
		qi_batch_flush(iommu, b);
	}
}

void cache_tag_flush_range(struct dmar_domain *dom, uint64_t start, uint64_t end, bool ih)
{
	flush(dom, start, end, false, ih);
}

void cache_tag_flush_all(struct dmar_domain *dom)
{
	flush(dom, 0, ~0ull, true, false);
}
