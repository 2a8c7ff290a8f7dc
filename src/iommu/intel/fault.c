/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The units' interrupts: the fault event (7.3) drains the fault recording
 * registers and reports each fault to the owner of the (RID, PASID) that
 * caused it; the page request event (7.5) drains the page request queue
 * into recoverable-fault reports, answered later by page-group responses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "intel.h"
#include "../../hw/iface/mem.h"
#include "../../pci/pci.h"
#include "../../util/compiler.h"
#include "../../util/slab.h"

static struct device *dev_for_sid(struct intel_iommu *iommu, uint16_t sid)
{
	struct pci_dev *p = pci_get_by_rid(iommu->drv->host, sid);
	return p ? &p->dev : NULL;
}

static void fault_event(struct intel_iommu *iommu)
{
	uint32_t fsts = dmar_readl(iommu, VTD_REG_FSTS);
	unsigned nfr = VTD_CAP_NFR(iommu->cap), fro = VTD_CAP_FRO(iommu->cap);
	if (fsts & VTD_FSTS_PPF) {
		unsigned idx = VTD_FSTS_FRI(fsts);
		for (unsigned n = 0; n < nfr; n++, idx = (idx + 1) % nfr) {
			unsigned off = fro + 16 * idx;
			uint64_t hi = dmar_readq(iommu, off + 8);
			if (!(hi & VTD_FRCD_HI_F))
				break;
			uint64_t lo = dmar_readq(iommu, off);
			dmar_writel(iommu, off + 12, 1u << 31); /* clear F */
			uint16_t sid = VTD_FRCD_HI_SID(hi);
			struct device *dev = dev_for_sid(iommu, sid);
			if (!dev)
				continue;
			struct device_domain_info *info = dev_iommu_priv_get(dev);
			if (info)
				atomic_fetch_add_explicit(&info->faults, 1, memory_order_relaxed);
			bool pp = hi & VTD_FRCD_HI_PP;
			iommu_report_fault(dev, pp ? VTD_FRCD_HI_PV(hi) : IOMMU_NO_PASID, pp,
					   lo & VTD_PAGE_MASK, !(hi & VTD_FRCD_HI_T),
					   VTD_FRCD_HI_FR(hi));
		}
	}
	dmar_writel(iommu, VTD_REG_FSTS, VTD_FSTS_PFO | VTD_FSTS_PPF);
}

int intel_prq_setup(struct intel_iommu *iommu)
{
	iommu->prq_size = 4096u << INTEL_PRQ_PQS;
	iommu->prq = kmalloc_aligned(4096, iommu->prq_size);
	if (!iommu->prq)
		return -ENOMEM;
	memset(iommu->prq, 0, iommu->prq_size);
	dmar_writeq(iommu, VTD_REG_PQH, 0);
	dmar_writeq(iommu, VTD_REG_PQT, 0);
	dmar_writeq(iommu, VTD_REG_PQA, hw_pa(iommu->prq) | INTEL_PRQ_PQS);
	dmar_writel(iommu, VTD_REG_PECTL, 0);
	return 0;
}

static void page_request_event(struct intel_iommu *iommu)
{
	pthread_mutex_lock(&iommu->prq_lock);
	/* Clear PPR before reading the pointers: a request arriving after
	 * this read raises a new event. */
	dmar_writel(iommu, VTD_REG_PRS, VTD_PRS_PPR);
	uint64_t head = dmar_readq(iommu, VTD_REG_PQH) & VTD_PQ_PTR_MASK;
	uint64_t tail = dmar_readq(iommu, VTD_REG_PQT) & VTD_PQ_PTR_MASK;
	struct iommu_page_request reqs[16];
	unsigned n = 0;
	while (head != tail) {
		uint64_t *d = iommu->prq + head / 8;
		uint64_t q0 = d[0], q1 = d[1];
		head = (head + VTD_PRQ_DESC_SIZE) % iommu->prq_size;
		struct device *dev = dev_for_sid(iommu, VTD_PRQ0_RID(q0));
		if (!dev)
			continue;
		struct iommu_page_request *r = &reqs[n];
		memset(r, 0, sizeof(*r));
		r->dev = dev;
		r->pasid_valid = q0 & VTD_PRQ0_PP;
		r->pasid = r->pasid_valid ? VTD_PRQ0_PASID(q0) : IOMMU_NO_PASID;
		r->grpid = VTD_PRQ1_PRGI(q1);
		r->last_page = q1 & VTD_PRQ1_LPIG;
		r->addr = VTD_PRQ1_ADDR(q1);
		r->perm = ((q1 & VTD_PRQ1_RD) ? IOMMU_FAULT_PERM_READ : 0) |
			  ((q1 & VTD_PRQ1_WR) ? IOMMU_FAULT_PERM_WRITE : 0) |
			  ((q0 & VTD_PRQ0_ER) ? IOMMU_FAULT_PERM_EXEC : 0) |
			  ((q0 & VTD_PRQ0_PMR) ? IOMMU_FAULT_PERM_PRIV : 0);
		r->cookie = ((uint64_t)VTD_PRQ0_RID(q0) << 32) | r->grpid;
		if (++n == ARRAY_SIZE(reqs)) {
			/* Hand a batch over without the queue lock held. */
			dmar_writeq(iommu, VTD_REG_PQH, head);
			pthread_mutex_unlock(&iommu->prq_lock);
			for (unsigned i = 0; i < n; i++)
				iommu_report_page_request(&reqs[i]);
			n = 0;
			pthread_mutex_lock(&iommu->prq_lock);
			tail = dmar_readq(iommu, VTD_REG_PQT) & VTD_PQ_PTR_MASK;
		}
	}
	dmar_writeq(iommu, VTD_REG_PQH, head);
	/* Overflow cleared only once the queue has been drained (7.5.2). */
	if (dmar_readl(iommu, VTD_REG_PRS) & VTD_PRS_PRO)
		dmar_writel(iommu, VTD_REG_PRS, VTD_PRS_PRO);
	pthread_mutex_unlock(&iommu->prq_lock);
	for (unsigned i = 0; i < n; i++)
		iommu_report_page_request(&reqs[i]);
}

void intel_irq(struct vtd_unit *u, enum vtd_irq irq, void *opaque)
{
	struct intel_iommu *iommu = opaque;
	(void)u;
	if (!iommu)
		return;
	if (irq == VTD_IRQ_FAULT)
		fault_event(iommu);
	else if (irq == VTD_IRQ_PAGE_REQUEST)
		page_request_event(iommu);
}

int intel_page_response(struct device *dev, const struct iommu_page_request *req,
			enum iommu_page_response_code code)
{
	struct device_domain_info *info = dev_iommu_priv_get(dev);
	if (!info)
		return -ENODEV;
	/* A stop marker (last, no access asked) needs no answer; everything
	 * else in a group is answered once, for its last request. */
	if (!req->last_page)
		return 0;
	unsigned rc = code == IOMMU_PAGE_RESP_SUCCESS ? VTD_PRG_RESP_SUCCESS :
		      code == IOMMU_PAGE_RESP_INVALID ? VTD_PRG_RESP_INVALID :
							 VTD_PRG_RESP_FAILURE;
	struct qi_batch b = { .n = 0 };
	qi_add_pgrp_resp(&b, (uint16_t)(req->cookie >> 32), req->pasid_valid, req->pasid, req->grpid,
			 rc);
	return qi_batch_flush(info->iommu, &b);
}
