/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PASID tables (9.5, 9.6): a directory sized for the device's PASID width
 * and 64-entry leaf tables allocated on first use. Setting up an entry
 * writes everything but the present bit first; tearing one down and
 * replacing one follow the invalidation order of 6.5.3.3 / 6.5.3.5.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "intel.h"
#include "../../hw/iface/mem.h"
#include "../../util/compiler.h"

static uint64_t ld(uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void st(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

int intel_pasid_alloc_table(struct device_domain_info *info)
{
	/* 2^(PDTS+7) directory entries, each covering 64 PASIDs. */
	unsigned entries = info->max_pasids >> VTD_PASID_PDE_SHIFT;
	if (entries < 128)
		entries = 128;
	unsigned pdts = 0;
	while ((128u << pdts) < entries)
		pdts++;
	unsigned pages = (unsigned)(((128u << pdts) * 8 + 4095) / 4096);
	info->pasid_dir = hw_pages_alloc(info->iommu->drv->mem, pages);
	if (!info->pasid_dir)
		return -ENOMEM;
	info->pasid_dir_entries = 128u << pdts;
	info->pdts = pdts;
	return 0;
}

void intel_pasid_free_table(struct device_domain_info *info)
{
	struct hw_mem *mem = info->iommu->drv->mem;
	if (!info->pasid_dir)
		return;
	for (unsigned i = 0; i < info->pasid_dir_entries; i++) {
		uint64_t de = info->pasid_dir[i];
		if (de & VTD_PASID_DIR_P)
			hw_page_free(mem, (void *)(uintptr_t)(de & VTD_PAGE_MASK));
	}
	hw_pages_free(mem, info->pasid_dir, (info->pasid_dir_entries * 8 + 4095) / 4096);
	info->pasid_dir = NULL;
}

uint64_t *intel_pasid_entry(struct device_domain_info *info, ioasid_t pasid, bool alloc)
{
	if (!info->pasid_dir || pasid >= info->max_pasids)
		return NULL;
	uint64_t *de = &info->pasid_dir[pasid >> VTD_PASID_PDE_SHIFT];
	uint64_t v = ld(de);
	if (!(v & VTD_PASID_DIR_P)) {
		if (!alloc)
			return NULL;
		uint64_t *tbl = hw_page_alloc(info->iommu->drv->mem);
		if (!tbl)
			return NULL;
		/* Racing installers: the first wins, as in Linux. */
		uint64_t want = hw_pa(tbl) | VTD_PASID_DIR_P;
		uint64_t expect = 0;
		if (!__atomic_compare_exchange_n(de, &expect, want, false, __ATOMIC_RELEASE,
						 __ATOMIC_RELAXED)) {
			hw_page_free(info->iommu->drv->mem, tbl);
			v = expect;
		} else {
			v = want;
		}
	}
	uint64_t *tbl = (uint64_t *)(uintptr_t)(v & VTD_PAGE_MASK);
	return &tbl[(pasid & 0x3f) * VTD_PASID_ENTRY_QWORDS];
}

static bool uses_did_only(const struct dmar_domain *d)
{
	/* Second-stage and nested translations are cached by domain ID
	 * alone, so they are flushed domain-selectively; first-stage and
	 * pass-through ones by (DID, PASID) (6.5.3.3). */
	return d->s2 || (!d->fs && !d->pt);
}

static void add_flush_for(struct qi_batch *b, const struct dmar_domain *d, uint16_t did,
			  ioasid_t pasid)
{
	qi_add_pc(b, VTD_INV_PC_PASID, did, pasid);
	if (uses_did_only(d))
		qi_add_iotlb(b, VTD_INV_IOTLB_DSI, did, 0, 0, false);
	else
		qi_add_piotlb(b, VTD_INV_PIOTLB_ALL_IN_PASID, did, pasid, 0, 0, false);
}

static unsigned levels_on(const struct dmar_domain *dom, const struct intel_iommu *iommu)
{
	unsigned sagaw = iommu->sagaw;
	unsigned max = (sagaw & BIT(3)) ? 5 : (sagaw & BIT(2)) ? 4 : 3;
	return MIN(dom->levels, max);
}

/* The entry for `dom`, as eight qwords. Called with the lock of dom's
 * second stage held (dom's own, or its parent's if nested). */
static int build_entry(struct device_domain_info *info, struct dmar_domain *dom, uint16_t did,
		       uint64_t q[8])
{
	struct intel_iommu *iommu = info->iommu;
	memset(q, 0, 8 * sizeof(uint64_t));
	q[1] = did;
	if (iommu->ecap & VTD_ECAP_SMPWC)
		q[1] |= VTD_PE1_PWSNP;

	if (dom->pt) {
		q[0] = ((uint64_t)VTD_PGTT_PT << VTD_PE0_PGTT_SHIFT) | VTD_PE0_P;
		return 0;
	}
	if (dom->s2) {
		struct dmar_domain *s2 = dom->s2;
		unsigned lv = levels_on(s2, iommu);
		uint64_t *root = lv == s2->levels ? s2->pgt.root : io_pgtable_subroot(&s2->pgt, lv);
		if (!root)
			return -ENOMEM;
		q[0] = hw_pa(root) | ((uint64_t)(lv - 2) << VTD_PE0_AW_SHIFT) |
		       ((uint64_t)VTD_PGTT_NESTED << VTD_PE0_PGTT_SHIFT) | VTD_PE0_P;
		if (s2->dirty_enabled)
			q[0] |= VTD_PE0_SSADE;
		q[2] = (dom->s1_pgtbl & VTD_PAGE_MASK) | dom->s1_flags |
		       (dom->s1_addr_width > 48 ? 1ull << VTD_PE2_FSPM_SHIFT : 0);
		return 0;
	}
	if (dom->fs) {
		q[0] = ((uint64_t)VTD_PGTT_FS << VTD_PE0_PGTT_SHIFT) | VTD_PE0_P;
		q[2] = hw_pa(dom->pgt.root) | (dom->levels == 5 ? 1ull << VTD_PE2_FSPM_SHIFT : 0);
		return 0;
	}
	unsigned lv = levels_on(dom, iommu);
	uint64_t *root = lv == dom->levels ? dom->pgt.root : io_pgtable_subroot(&dom->pgt, lv);
	if (!root)
		return -ENOMEM;
	q[0] = hw_pa(root) | ((uint64_t)(lv - 2) << VTD_PE0_AW_SHIFT) |
	       ((uint64_t)VTD_PGTT_SS << VTD_PE0_PGTT_SHIFT) | VTD_PE0_P;
	if (dom->dirty_enabled)
		q[0] |= VTD_PE0_SSADE;
	return 0;
}

int intel_pasid_setup(struct device_domain_info *info, ioasid_t pasid, struct dmar_domain *dom,
		      uint16_t did, struct dmar_domain *old, uint16_t old_did)
{
	uint64_t q[8];
	/* The lock of the domain whose second stage the entry names (a
	 * nested domain's parent), held until the entry is in memory: a
	 * dirty-tracking switch rewriting SSADE in its installed entries
	 * either sees this one or happens before it is built. */
	struct dmar_domain *owner = dom->s2 ? dom->s2 : dom;
	uint64_t *pe = intel_pasid_entry(info, pasid, true);
	if (!pe)
		return -ENOMEM;
	spin_lock(&owner->lock);
	int rc = build_entry(info, dom, did, q);
	if (rc) {
		spin_unlock(&owner->lock);
		return rc;
	}
	bool present = ld(&pe[0]) & VTD_PE0_P;
	/* Everything but qword 0 first, then qword 0 with P: a walker sees
	 * either the old entry or the new one's present bit last. */
	for (unsigned i = 7; i >= 1; i--)
		st(&pe[i], q[i]);
	st(&pe[0], q[0]);
	spin_unlock(&owner->lock);
	if (!present)
		return 0; /* not present to present: nothing was cached */

	/* Replacing a live entry (6.5.3.5): what either translation left in
	 * the caches goes. */
	struct qi_batch batch = { .n = 0 }, *b = &batch;
	if (old)
		add_flush_for(b, old, old_did, pasid);
	add_flush_for(b, dom, did, pasid);
	if (info->ats_enabled)
		qi_add_devtlb(b, info, pasid, 0, 64);
	rc = qi_batch_flush(info->iommu, b);
	return rc;
}

void intel_pasid_tear_down(struct device_domain_info *info, ioasid_t pasid,
			   struct dmar_domain *old, uint16_t old_did, bool fault_ignore)
{
	uint64_t *pe = intel_pasid_entry(info, pasid, false);
	if (!pe || !(ld(&pe[0]) & VTD_PE0_P))
		return;
	/* Clear P first; FPD may stay to keep a quiescing device's faults
	 * quiet (Linux "fault_ignore"). */
	st(&pe[0], fault_ignore ? VTD_PE0_FPD : 0);
	for (unsigned i = 1; i < 8; i++)
		st(&pe[i], 0);

	struct qi_batch batch = { .n = 0 }, *b = &batch;
	add_flush_for(b, old, old_did, pasid);
	if (info->ats_enabled)
		qi_add_devtlb(b, info, pasid, 0, 64);
	qi_batch_flush(info->iommu, b);
}
