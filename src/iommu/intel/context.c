/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scalable-mode context entries (9.4): one per requester ID, pointing at
 * the device's PASID directory. Entries are written with the present bit
 * last; changing a present entry follows the sequence of 6.5.3.3.
 */
#include <errno.h>
#include <stdlib.h>

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

/* Called with iommu->lock held. */
uint64_t *intel_context_entry(struct intel_iommu *iommu, uint16_t sid, bool alloc)
{
	uint8_t bus = (uint8_t)(sid >> 8), devfn = (uint8_t)sid;
	uint64_t *re = &iommu->root[bus * 2 + (devfn >= 128)];
	uint64_t v = ld(re);
	if (!(v & VTD_SM_ROOT_P)) {
		if (!alloc)
			return NULL;
		uint64_t *ct = hw_page_alloc(iommu->drv->mem);
		if (!ct)
			return NULL;
		/* Not present to present: nothing cached to invalidate. */
		v = hw_pa(ct) | VTD_SM_ROOT_P;
		st(re, v);
	}
	uint64_t *ct = (uint64_t *)(uintptr_t)(v & VTD_PAGE_MASK);
	return &ct[(devfn & 0x7f) * 4];
}

static uint64_t context_lo(const struct device_domain_info *info)
{
	uint64_t lo = hw_pa(info->pasid_dir) | ((uint64_t)info->pdts << VTD_SM_CTX_PDTS_SHIFT) |
		      VTD_SM_CTX_P;
	if (info->ats_enabled)
		lo |= VTD_SM_CTX_DTE;
	if (info->paside)
		lo |= VTD_SM_CTX_PASIDE;
	if (info->pri_enabled)
		lo |= VTD_SM_CTX_PRE;
	return lo;
}

/*
 * A context entry for each requester ID the device's DMA can carry. An
 * alias already set up by another function of the group keeps pointing
 * at that function's PASID table: the group shares one RID domain, so
 * both tables say the same for RID_PASID.
 */
int domain_context_setup(struct device_domain_info *info)
{
	struct intel_iommu *iommu = info->iommu;
	pthread_mutex_lock(&iommu->lock);
	for (unsigned i = 0; i < info->nr_sids; i++) {
		uint64_t *ce = intel_context_entry(iommu, info->sids[i], true);
		if (!ce) {
			pthread_mutex_unlock(&iommu->lock);
			return -ENOMEM;
		}
		if (ld(&ce[0]) & VTD_SM_CTX_P)
			continue;
		st(&ce[1], IOMMU_NO_PASID); /* RID_PASID */
		st(&ce[2], 0);
		st(&ce[3], 0);
		st(&ce[0], context_lo(info));
	}
	pthread_mutex_unlock(&iommu->lock);
	return 0;
}

/* Is this context entry ours (pointing at our PASID table)? */
static bool owns(const struct device_domain_info *info, uint64_t lo)
{
	return (lo & VTD_PAGE_MASK) == hw_pa(info->pasid_dir);
}

/* 6.5.3.3: a present context entry changed - device-selective context
 * invalidation, then whatever was cached through it. */
static int flush_present_change(struct device_domain_info *info)
{
	struct qi_batch batch = { .n = 0 }, *b = &batch;
	for (unsigned i = 0; i < info->nr_sids; i++)
		qi_add_cc_device(b, info->sids[i]);
	qi_add_pc(b, VTD_INV_PC_GLOBAL, 0, 0);
	qi_add_iotlb(b, VTD_INV_IOTLB_GLOBAL, 0, 0, 0, false);
	if (info->ats_enabled)
		qi_add_devtlb(b, info, IOMMU_NO_PASID, 0, 64);
	int rc = qi_batch_flush(info->iommu, b);
	return rc;
}

void domain_context_clear(struct device_domain_info *info)
{
	struct intel_iommu *iommu = info->iommu;
	bool changed = false;
	pthread_mutex_lock(&iommu->lock);
	for (unsigned i = 0; i < info->nr_sids; i++) {
		uint64_t *ce = intel_context_entry(iommu, info->sids[i], false);
		if (!ce || !(ld(&ce[0]) & VTD_SM_CTX_P) || !owns(info, ld(&ce[0])))
			continue;
		st(&ce[0], 0);
		st(&ce[1], 0);
		changed = true;
	}
	pthread_mutex_unlock(&iommu->lock);
	if (changed)
		flush_present_change(info);
}

/* Rewrite the device's present context entries from its info (PASIDE,
 * PRE, DTE) and flush as a present entry change requires. */
int intel_context_update(struct device_domain_info *info)
{
	struct intel_iommu *iommu = info->iommu;
	pthread_mutex_lock(&iommu->lock);
	for (unsigned i = 0; i < info->nr_sids; i++) {
		uint64_t *ce = intel_context_entry(iommu, info->sids[i], false);
		if (!ce || !owns(info, ld(&ce[0])))
			continue;
		st(&ce[0], context_lo(info));
	}
	pthread_mutex_unlock(&iommu->lock);
	return flush_present_change(info);
}

/* PASID enable in the context entry: requests with a PASID prefix
 * are refused (SCT.6) without it. */
int intel_context_set_paside(struct device_domain_info *info, bool on)
{
	info->paside = on;
	return intel_context_update(info);
}
