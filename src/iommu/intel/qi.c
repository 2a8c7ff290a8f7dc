/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queued invalidation, the driver side (6.5.2): descriptors go into the
 * ring, a wait descriptor with a status write follows every batch, and the
 * caller returns only once the status has landed - after which nothing
 * the batch removed can be in use (qi_submit_sync).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "intel.h"
#include "../../hw/iface/mem.h"
#include "../../util/compiler.h"

void qi_batch_add(struct qi_batch *b, uint64_t q0, uint64_t q1)
{
	if (b->n == INTEL_MAX_BATCH)
		return; /* callers size batches; see cache.c */
	b->desc[b->n][0] = q0;
	b->desc[b->n][1] = q1;
	b->desc[b->n][2] = 0;
	b->desc[b->n][3] = 0;
	b->n++;
}

void qi_add_cc_global(struct qi_batch *b)
{
	qi_batch_add(b, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4), 0);
}

void qi_add_cc_device(struct qi_batch *b, uint16_t sid)
{
	/* In scalable mode the DID field is ignored (6.5.2.1). */
	qi_batch_add(b, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_DEVICE << 4) |
				((uint64_t)sid << 32),
		     0);
}

void qi_add_pc(struct qi_batch *b, unsigned g, uint16_t did, ioasid_t pasid)
{
	qi_batch_add(b, vtd_inv_qw0(VTD_INV_PC) | ((uint64_t)g << 4) | ((uint64_t)did << 16) |
				((uint64_t)(pasid & 0xfffff) << 32),
		     0);
}

void qi_add_iotlb(struct qi_batch *b, unsigned g, uint16_t did, uint64_t addr, unsigned am, bool ih)
{
	/* Drain reads and writes too, so nothing in flight uses what goes. */
	uint64_t q0 = vtd_inv_qw0(VTD_INV_IOTLB) | ((uint64_t)g << 4) | VTD_INV_IOTLB_DR |
		      VTD_INV_IOTLB_DW | ((uint64_t)did << 16);
	uint64_t q1 = g == VTD_INV_IOTLB_PSI ? (addr & VTD_PAGE_MASK) | am | (ih ? VTD_INV_ADDR_IH : 0) :
					       0;
	qi_batch_add(b, q0, q1);
}

void qi_add_piotlb(struct qi_batch *b, unsigned g, uint16_t did, ioasid_t pasid, uint64_t addr,
		   unsigned am, bool ih)
{
	uint64_t q0 = vtd_inv_qw0(VTD_INV_PIOTLB) | ((uint64_t)g << 4) | ((uint64_t)did << 16) |
		      ((uint64_t)(pasid & 0xfffff) << 32);
	uint64_t q1 = g == VTD_INV_PIOTLB_PSI ? (addr & VTD_PAGE_MASK) | am | (ih ? VTD_INV_ADDR_IH : 0) :
						0;
	qi_batch_add(b, q0, q1);
}

/* 6.5.2.4/6.5.2.6: the size is encoded in the address with the S bit. */
static uint64_t devtlb_addr(uint64_t addr, unsigned am, bool *s)
{
	if (am == 0) {
		*s = false;
		return addr & VTD_PAGE_MASK;
	}
	*s = true;
	if (am >= 52)
		return ~0ull >> 1 & VTD_PAGE_MASK; /* everything */
	uint64_t size = VTD_PAGE_SIZE << am;
	return (addr & ~(size - 1)) | ((size >> 1) - 1 - (VTD_PAGE_SIZE - 1));
}

void qi_add_devtlb(struct qi_batch *b, const struct device_domain_info *info, ioasid_t pasid,
		   uint64_t addr, unsigned am)
{
	bool s;
	uint64_t a = devtlb_addr(addr, am, &s);
	unsigned qdep = info->ats_qdep >= 32 ? 0 : info->ats_qdep;
	if (pasid == IOMMU_NO_PASID)
		qi_batch_add(b, vtd_inv_qw0(VTD_INV_DEVTLB) | ((uint64_t)qdep << 16) |
					((uint64_t)info->rid << 32),
			     a | (s ? VTD_INV_DEVTLB_S : 0));
	else
		qi_batch_add(b, vtd_inv_qw0(VTD_INV_PDEVTLB) | ((uint64_t)(qdep & 0x1f) << 4) |
					((uint64_t)info->rid << 16) |
					((uint64_t)(pasid & 0xfffff) << 32),
			     a | (s ? VTD_INV_PDEVTLB_S : 0));
}

void qi_add_pgrp_resp(struct qi_batch *b, uint16_t rid, bool pasid_valid, ioasid_t pasid,
		      unsigned prgi, unsigned code)
{
	uint64_t q0 = vtd_inv_qw0(VTD_INV_PGRP_RESP) | ((uint64_t)(code & 0xf) << 12) |
		      ((uint64_t)rid << 16);
	if (pasid_valid)
		q0 |= VTD_INV_PGRP_PP | ((uint64_t)(pasid & 0xfffff) << 32);
	qi_batch_add(b, q0, VTD_INV_PGRP_LPIG | ((uint64_t)(prgi & 0x1ff) << 3));
}

void qi_range(uint64_t start, uint64_t end, uint64_t *addr, unsigned *am)
{
	/* The smallest aligned block holding both ends is set by the highest
	 * bit in which they differ. */
	uint64_t diff = (start ^ end) >> VTD_PAGE_SHIFT;
	unsigned m = diff ? 64 - (unsigned)__builtin_clzll(diff) : 0;
	if (m > 52)
		m = 52;
	*am = m;
	*addr = m >= 52 ? 0 : (start & VTD_PAGE_MASK) & ~((VTD_PAGE_SIZE << m) - 1);
}

/*
 * Queue the descriptors and a wait descriptor, move the tail, and wait
 * for the status write. On an invalidation queue error the offending
 * descriptor is replaced by a wait descriptor and IQE cleared, so the
 * queue moves on (Linux does the same), and -EIO is returned.
 */
int qi_submit_sync(struct intel_iommu *iommu, const uint64_t (*desc)[4], unsigned n)
{
	if (n > INTEL_MAX_BATCH)
		return -EINVAL;
	spin_lock(&iommu->qi.lock);
	uint32_t seq = ++iommu->qi.seq;
	if (seq == 0)
		seq = ++iommu->qi.seq;
	unsigned start = iommu->qi.tail;
	for (unsigned i = 0; i <= n; i++) {
		uint64_t *slot = iommu->qi.ring + 4 * iommu->qi.tail;
		if (i < n) {
			memcpy(slot, desc[i], 32);
		} else {
			slot[0] = vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW | ((uint64_t)seq << 32);
			slot[1] = hw_pa((void *)iommu->qi.status);
			slot[2] = slot[3] = 0;
		}
		iommu->qi.tail = (iommu->qi.tail + 1) % INTEL_QI_DESCS;
	}
	atomic_thread_fence(memory_order_release);
	dmar_writeq(iommu, VTD_REG_IQT, (uint64_t)iommu->qi.tail * 32);

	int rc = 0;
	for (unsigned spins = 0; atomic_load_explicit(iommu->qi.status, memory_order_acquire) != seq;
	     spins++) {
		uint32_t fsts = dmar_readl(iommu, VTD_REG_FSTS);
		if (fsts & VTD_FSTS_IQE) {
			unsigned head = (unsigned)(dmar_readq(iommu, VTD_REG_IQH) / 32);
			uint64_t *bad = iommu->qi.ring + 4 * head;
			bad[0] = vtd_inv_qw0(VTD_INV_WAIT);
			bad[1] = bad[2] = bad[3] = 0;
			dmar_writel(iommu, VTD_REG_FSTS, VTD_FSTS_IQE);
			iommu->qi.errors++;
			rc = -EIO;
			continue;
		}
		if (spins > 1000000) {
			rc = -ETIMEDOUT;
			break;
		}
		cpu_relax();
	}
	(void)start;
	iommu->qi.submits++;
	iommu->qi.descs += n;
	spin_unlock(&iommu->qi.lock);
	return rc;
}

int qi_batch_flush(struct intel_iommu *iommu, struct qi_batch *b)
{
	int rc = qi_submit_sync(iommu, (const uint64_t(*)[4])b->desc, b->n);
	b->n = 0;
	return rc;
}
