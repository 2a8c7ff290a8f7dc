/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cache tags: every place a domain is installed - (unit, domain ID,
 * PASID, device) - so a change to its mappings is flushed exactly where it
 * can be cached, in one queued batch per unit (SPEC ):
 *   second stage: page-selective IOTLB by DID (all PASIDs of the DID);
 *   first stage:  page-selective PASID-based IOTLB per (DID, PASID);
 *   ATS devices:  device-TLB (PASID-based for PASIDs other than the RID's).
 *
 * The tag list is kept grouped: the tags of one unit together, and within
 * them the tags of one domain ID together, so a flush is one pass over the
 * tags however many PASIDs share a domain ID (issue #7: linear in the
 * number of tags). Everything here runs under the domain's mutex.
 */
#include <errno.h>
#include <stdlib.h>

#include "intel.h"
#include "../../util/compiler.h"

int cache_tag_assign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid,
		     uint16_t did)
{
	struct cache_tag *t;
	/* After the last tag of the same (unit, DID), else of the same
	 * unit, else at the end: the list stays grouped. */
	struct list_node *after = dom->tags.prev;
	bool same_did = false;
	list_for_each_entry(t, &dom->tags, node) {
		if (t->info == info && t->pasid == pasid) {
			t->users++;
			return 0;
		}
		if (t->iommu == info->iommu && (!same_did || t->did == did)) {
			after = &t->node;
			same_did = t->did == did;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->iommu = info->iommu;
	t->did = did;
	t->pasid = pasid;
	t->info = info;
	t->nested = dom->s2 != NULL;
	t->users = 1;
	list_add_head(&t->node, after);
	return 0;
}

void cache_tag_unassign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid)
{
	struct cache_tag *t;
	list_for_each_entry(t, &dom->tags, node) {
		if (t->info == info && t->pasid == pasid) {
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
	if (t->info->ats_enabled)
		qi_add_devtlb(b, t->info, t->pasid, addr, all ? 64 : am);
}

static void flush(struct dmar_domain *dom, uint64_t start, uint64_t end, bool all, bool ih)
{
	uint64_t addr = 0;
	unsigned am = 0;
	if (!all)
		qi_range(start, end, &addr, &am);
	struct qi_batch batch, *b = &batch;
	b->n = 0;
	const struct cache_tag *prev = NULL;
	struct cache_tag *t;
	list_for_each_entry(t, &dom->tags, node) {
		if (prev && prev->iommu != t->iommu)
			qi_batch_flush(prev->iommu, b);
		else if (b->n + 2 >= INTEL_MAX_BATCH)
			qi_batch_flush(t->iommu, b);
		/* The DID-wide second-stage flush once per (unit, DID): the
		 * group's first tag gives it. */
		bool done = prev && prev->iommu == t->iommu && prev->did == t->did;
		add_tag_flush(b, dom, t, addr, am, all, ih, &done);
		prev = t;
	}
	if (prev && b->n)
		qi_batch_flush(prev->iommu, b);
}

void cache_tag_flush_range(struct dmar_domain *dom, uint64_t start, uint64_t end, bool ih)
{
	flush(dom, start, end, false, ih);
}

void cache_tag_flush_all(struct dmar_domain *dom)
{
	flush(dom, 0, ~0ull, true, false);
}
