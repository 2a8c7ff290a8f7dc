/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cache tags: everywhere a domain is installed, so a change to its
 * mappings is flushed exactly where it can be cached, in one queued batch
 * per unit (SPEC ):
 *   second stage: page-selective IOTLB by DID (all PASIDs of the DID);
 *   first stage:  page-selective PASID-based IOTLB per (DID, PASID);
 *   ATS devices:  device-TLB (PASID-based for PASIDs other than the RID's).
 * A nesting parent also carries a tag for each place a nested domain over
 * it is installed: its second stage is part of every nested translation
 * cached under the nested domain's DID (3.8), and a device TLB holds the
 * combined result under guest addresses no second-stage range names.
 *
 * One tag per (unit, DID, device, kind); the PASIDs of the device that use the
 * domain are an xarray in it (PASID -> count of assignments), so a domain
 * on 65,536 PASIDs of a device costs a few bytes a PASID and assign and
 * unassign are one xarray step, not a search (issue #7). The tag list is
 * kept grouped by unit, then by DID, so a flush is one pass over the tags
 * and their PASIDs. Everything here runs under the domain's mutex.
 */
#include <errno.h>
#include <stdlib.h>

#include "intel.h"
#include "../../util/compiler.h"
#include "../../util/slab.h"

/* A count as an xarray entry: odd, so never NULL nor a pointer. */
static void *count_entry(uintptr_t n)
{
	return (void *)((n << 1) | 1);
}

static uintptr_t entry_count(void *e)
{
	return (uintptr_t)e >> 1;
}

static struct cache_tag *find_tag(struct dmar_domain *dom, struct device_domain_info *info,
				  uint16_t did, bool nesting, struct list_node **after)
{
	struct cache_tag *t;
	/* A new tag goes after the last of the same (unit, DID), else of the
	 * same unit, else at the end: the list stays grouped. */
	*after = dom->tags.prev;
	bool same_did = false;
	list_for_each_entry(t, &dom->tags, node) {
		if (t->info == info && t->did == did && t->nesting == nesting)
			return t;
		if (t->iommu == info->iommu && (!same_did || t->did == did)) {
			*after = &t->node;
			same_did = t->did == did;
		}
	}
	return NULL;
}

static int assign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid,
		  uint16_t did, bool nesting)
{
	struct list_node *after;
	struct cache_tag *t = find_tag(dom, info, did, nesting, &after), *fresh = NULL;
	if (!t) {
		fresh = t = kcalloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		t->iommu = info->iommu;
		t->did = did;
		t->info = info;
		t->nested = !nesting && dom->s2 != NULL;
		t->nesting = nesting;
		xa_init(&t->pasids);
	}
	void *e = xa_load(&t->pasids, pasid);
	int rc = xa_store(&t->pasids, pasid, count_entry(e ? entry_count(e) + 1 : 1), NULL);
	if (rc) {
		free(fresh);
		return rc;
	}
	t->users++;
	if (fresh)
		list_add_head(&t->node, after);
	return 0;
}

/* `did` < 0: whichever DID the device's tag of that kind has. */
static void unassign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid,
		     int did, bool nesting)
{
	struct cache_tag *t;
	list_for_each_entry(t, &dom->tags, node) {
		if (t->info != info || t->nesting != nesting || (did >= 0 && t->did != did))
			continue;
		void *e = xa_load(&t->pasids, pasid);
		if (!e)
			continue;
		if (entry_count(e) > 1)
			xa_store(&t->pasids, pasid, count_entry(entry_count(e) - 1), NULL);
		else
			xa_erase(&t->pasids, pasid);
		if (--t->users == 0) {
			list_del(&t->node);
			xa_destroy(&t->pasids);
			free(t);
		}
		return;
	}
}

int cache_tag_assign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid,
		     uint16_t did)
{
	return assign(dom, info, pasid, did, false);
}

void cache_tag_unassign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid)
{
	unassign(dom, info, pasid, -1, false);
}

/* Called with s2->mutex held. During a replacement the old and the new
 * nested domain are both installed at (info, pasid): the DID tells them
 * apart. */
int cache_tag_assign_parent(struct dmar_domain *s2, struct device_domain_info *info,
			    ioasid_t pasid, uint16_t did)
{
	return assign(s2, info, pasid, did, true);
}

void cache_tag_unassign_parent(struct dmar_domain *s2, struct device_domain_info *info,
			       ioasid_t pasid, uint16_t did)
{
	unassign(s2, info, pasid, did, true);
}

void cache_tag_free_all(struct dmar_domain *dom)
{
	struct cache_tag *t, *tt;
	list_for_each_entry_safe(t, tt, &dom->tags, node) {
		list_del(&t->node);
		xa_destroy(&t->pasids);
		free(t);
	}
}

struct flush_range {
	uint64_t addr;
	unsigned am;
	bool all, ih;
};

/* Room for two more descriptors, flushing what is queued if need be. */
static void room(struct intel_iommu *iommu, struct qi_batch *b)
{
	if (b->n + 2 >= INTEL_MAX_BATCH)
		qi_batch_flush(iommu, b);
}

/* The invalidations of one (device, PASID) of a tag. */
static void add_pasid_flush(struct qi_batch *b, const struct dmar_domain *dom,
			    const struct cache_tag *t, ioasid_t pasid, const struct flush_range *r)
{
	unsigned mamv = VTD_CAP_MAMV(t->iommu->cap);
	bool psi = !r->all && r->am <= mamv && (t->iommu->cap & VTD_CAP_PSI);
	room(t->iommu, b);
	if (dom->fs || t->nested) {
		if (psi)
			qi_add_piotlb(b, VTD_INV_PIOTLB_PSI, t->did, pasid, r->addr, r->am, r->ih);
		else
			qi_add_piotlb(b, VTD_INV_PIOTLB_ALL_IN_PASID, t->did, pasid, 0, 0, false);
	}
	/* A device TLB caches nested results by guest address: a change of
	 * the second stage under them flushes the whole of it. */
	if (t->info->ats_enabled)
		qi_add_devtlb(b, t->info, pasid, r->addr, r->all || t->nesting ? 64 : r->am);
}

/* The DID-wide second-stage IOTLB flush, once per (unit, DID). */
static void add_did_flush(struct qi_batch *b, const struct cache_tag *t,
			  const struct flush_range *r)
{
	unsigned mamv = VTD_CAP_MAMV(t->iommu->cap);
	bool psi = !r->all && r->am <= mamv && (t->iommu->cap & VTD_CAP_PSI);
	room(t->iommu, b);
	if (psi)
		qi_add_iotlb(b, VTD_INV_IOTLB_PSI, t->did, r->addr, r->am, r->ih);
	else
		qi_add_iotlb(b, VTD_INV_IOTLB_DSI, t->did, 0, 0, false);
}

static void flush(struct dmar_domain *dom, uint64_t start, uint64_t end, bool all, bool ih)
{
	struct flush_range r = { .all = all, .ih = ih };
	if (!all)
		qi_range(start, end, &r.addr, &r.am);
	struct qi_batch batch, *b = &batch;
	b->n = 0;
	const struct cache_tag *prev = NULL;
	struct cache_tag *t;
	bool per_pasid_iotlb = dom->fs || dom->s2;
	list_for_each_entry(t, &dom->tags, node) {
		if (prev && prev->iommu != t->iommu)
			qi_batch_flush(prev->iommu, b);
		if (!per_pasid_iotlb && !(prev && prev->iommu == t->iommu && prev->did == t->did))
			add_did_flush(b, t, &r);
		/* Second stage without ATS: the DID flush was all. */
		if (per_pasid_iotlb || t->info->ats_enabled) {
			uint64_t pasid;
			void *e;
			xa_for_each(&t->pasids, pasid, e)
				add_pasid_flush(b, dom, t, (ioasid_t)pasid, &r);
		}
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
