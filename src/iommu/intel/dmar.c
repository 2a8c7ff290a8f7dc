/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driver's bring-up: the units the DMAR table lists (dmar_table.c),
 * each brought up in scalable mode in the order the specification and
 * Linux use - root table (10.4.6), queued invalidation (6.5.2),
 * interrupts, global invalidations, then translation enable - and then
 * registered with the IOMMU core.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intel.h"
#include "../../hw/iface/firmware.h"
#include "../../hw/iface/mem.h"
#include "../../hw/iface/vtd.h"
#include "../../util/compiler.h"
#include "../../util/slab.h"

uint64_t dmar_readq(struct intel_iommu *iommu, unsigned off)
{
	uint64_t v = 0;
	vtd_mmio_read(iommu->hw, off, 8, &v);
	return v;
}

uint32_t dmar_readl(struct intel_iommu *iommu, unsigned off)
{
	uint64_t v = 0;
	vtd_mmio_read(iommu->hw, off, 4, &v);
	return (uint32_t)v;
}

void dmar_writeq(struct intel_iommu *iommu, unsigned off, uint64_t v)
{
	vtd_mmio_write(iommu->hw, off, 8, v);
}

void dmar_writel(struct intel_iommu *iommu, unsigned off, uint32_t v)
{
	vtd_mmio_write(iommu->hw, off, 4, v);
}

/* Set or clear persistent GCMD bits, or fire one-shot ones, and wait
 * for GSTS to agree (10.4.4: one command at a time). */
static int gcmd_wait(struct intel_iommu *iommu, uint32_t set, uint32_t clear, uint32_t oneshot,
		     uint32_t want_sts, uint32_t want_mask)
{
	uint32_t persistent = dmar_readl(iommu, VTD_REG_GSTS) &
			      (VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_IRES | VTD_GSTS_CFIS);
	persistent = (persistent | set) & ~clear;
	dmar_writel(iommu, VTD_REG_GCMD, persistent | oneshot);
	for (unsigned i = 0; i < 1000000; i++)
		if ((dmar_readl(iommu, VTD_REG_GSTS) & want_mask) == want_sts)
			return 0;
	return -ETIMEDOUT;
}

static void iommu_free(struct intel_driver *drv, struct intel_iommu *iommu)
{
	struct hw_mem *mem = drv->mem;
	for (unsigned i = 0; iommu->root && i < 2 * VTD_ROOT_ENTRIES; i++)
		if (iommu->root[i] & VTD_SM_ROOT_P)
			hw_page_free(mem, (void *)(uintptr_t)(iommu->root[i] & VTD_PAGE_MASK));
	hw_page_free(mem, iommu->root);
	hw_page_free(mem, iommu->qi.ring);
	hw_page_free(mem, (void *)iommu->qi.status);
	free(iommu->prq);
	pthread_mutex_destroy(&iommu->lock);
	pthread_mutex_destroy(&iommu->prq_lock);
	free(iommu);
}

static int iommu_bring_up(struct intel_driver *drv, const struct dmar_drhd *drhd,
			  struct intel_iommu **out)
{
	struct hw_mem *mem = drv->mem;
	/* The register page where firmware says it is. */
	struct vtd_unit *u = hw_vtd_ioremap(drv->host->m, drhd->reg_base);
	if (!u)
		return -ENODEV;
	struct intel_iommu *iommu = kcalloc(1, sizeof(*iommu));
	if (!iommu)
		return -ENOMEM;
	iommu->drv = drv;
	iommu->hw = u;
	iommu->drhd = *drhd;
	pthread_mutex_init(&iommu->lock, NULL);
	mutex_init(&iommu->qi.lock);
	iommu->qi.free_cnt = INTEL_QI_DESCS;
	pthread_mutex_init(&iommu->prq_lock, NULL);
	snprintf(iommu->name, sizeof(iommu->name), "%s", vtd_unit_name(u));
	iommu->cap = dmar_readq(iommu, VTD_REG_CAP);
	iommu->ecap = dmar_readq(iommu, VTD_REG_ECAP);
	iommu->sagaw = VTD_CAP_SAGAW(iommu->cap);
	iommu->mgaw = VTD_CAP_MGAW(iommu->cap);
	iommu->pasid_bits = (iommu->ecap & VTD_ECAP_PASID) ? VTD_ECAP_PSS(iommu->ecap) + 1 : 0;
	/* Domain ID 0 is reserved (caching mode uses it for invalid
	 * entries); start from 1. */
	iommu->did_map[0] = 1;

	int rc = -ENODEV;
	/* Scalable mode with queued invalidation is all this driver does. */
	if (!(iommu->ecap & VTD_ECAP_SMTS) || !(iommu->ecap & VTD_ECAP_QI))
		goto fail;
	rc = -ENOMEM;
	iommu->root = hw_page_alloc(mem);
	iommu->qi.ring = hw_page_alloc(mem);
	iommu->qi.status = hw_page_alloc(mem);
	if (!iommu->root || !iommu->qi.ring || !iommu->qi.status)
		goto fail;

	rc = -ETIMEDOUT;
	dmar_writeq(iommu, VTD_REG_RTADDR, hw_pa(iommu->root) | VTD_RTADDR_TTM_SCALABLE);
	if (gcmd_wait(iommu, 0, 0, VTD_GCMD_SRTP, VTD_GSTS_RTPS, VTD_GSTS_RTPS))
		goto fail;
	dmar_writeq(iommu, VTD_REG_IQT, 0);
	dmar_writeq(iommu, VTD_REG_IQA, hw_pa(iommu->qi.ring) | VTD_IQA_DW | (INTEL_QI_PAGES - 1));
	if (gcmd_wait(iommu, VTD_GCMD_QIE, 0, 0, VTD_GSTS_QIES, VTD_GSTS_QIES))
		goto fail;

	vtd_set_irq_handler(u, intel_irq, iommu);
	dmar_writel(iommu, VTD_REG_FECTL, 0); /* unmask the fault event */
	if (iommu->ecap & VTD_ECAP_PRS) {
		rc = intel_prq_setup(iommu);
		if (rc)
			goto fail;
	}

	/* Nothing cached may survive from before us (6.5). */
	struct qi_batch batch = { .n = 0 }, *b = &batch;
	qi_add_cc_global(b);
	qi_add_pc(b, VTD_INV_PC_GLOBAL, 0, 0);
	qi_add_iotlb(b, VTD_INV_IOTLB_GLOBAL, 0, 0, 0, false);
	rc = qi_batch_flush(iommu, b);
	if (rc)
		goto fail;
	rc = -ETIMEDOUT;
	if (gcmd_wait(iommu, VTD_GCMD_TE, 0, 0, VTD_GSTS_TES, VTD_GSTS_TES))
		goto fail;
	*out = iommu;
	return 0;
fail:
	vtd_set_irq_handler(u, NULL, NULL);
	iommu_free(drv, iommu);
	return rc;
}

static int fixed_domains(struct intel_driver *drv)
{
	int err = 0;
	drv->identity = intel_domain_new(drv, NULL, false, 0, &err);
	if (drv->identity) {
		drv->identity->pt = true;
		drv->identity->domain.type = IOMMU_DOMAIN_IDENTITY;
		drv->identity->domain.ops = &intel_fixed_ops;
	}
	drv->blocked = intel_domain_new(drv, NULL, false, 0, &err);
	if (drv->blocked) {
		drv->blocked->blocked = true;
		drv->blocked->domain.type = IOMMU_DOMAIN_BLOCKED;
		drv->blocked->domain.ops = &intel_fixed_ops;
	}
	return drv->identity && drv->blocked ? 0 : -ENOMEM;
}

/* Every unit the DMAR table lists, in table order, brought up. */
static int bring_up_units(struct intel_driver *drv, const void *table, size_t len)
{
	struct dmar_drhd *drhd = NULL;
	unsigned nr = 0;
	int rc = dmar_parse_table(table, len, &drhd, &nr);
	for (unsigned i = 0; !rc && i < nr; i++) {
		struct intel_iommu *iommu;
		rc = iommu_bring_up(drv, &drhd[i], &iommu);
		if (rc)
			break;
		iommu->seq = i;
		list_add_tail(&iommu->node, &drv->iommus);
		drv->nr_iommus++;
	}
	free(drhd);
	return rc;
}

int intel_iommu_init(struct uiommu_host *h)
{
	const void *table;
	size_t len;
	/* No DMAR table: the platform has no VT-d, and this driver nothing
	 * to drive. */
	if (hw_acpi_get_table(h->m, "DMAR", &table, &len))
		return 0;
	struct intel_driver *drv = kcalloc(1, sizeof(*drv));
	if (!drv)
		return -ENOMEM;
	drv->host = h;
	drv->mem = hw_machine_mem(h->m);
	list_init(&drv->iommus);
	drv->pool = pt_pool_new(drv->mem);
	if (!drv->pool) {
		free(drv);
		return -ENOMEM;
	}
	h->intel = drv;
	int rc = bring_up_units(drv, table, len);
	if (!rc)
		rc = fixed_domains(drv);
	/* Registered once all can serve: the core probes every device as the
	 * first one registers, and a device may sit behind any unit. */
	struct intel_iommu *iommu;
	list_for_each_entry(iommu, &drv->iommus, node) {
		if (rc)
			break;
		snprintf(iommu->iommu.name, sizeof(iommu->iommu.name), "%s", iommu->name);
		rc = iommu_device_register(&iommu->iommu, &intel_iommu_ops, h);
		iommu->registered = !rc;
	}
	if (rc)
		intel_iommu_exit(h);
	return rc;
}

void intel_iommu_exit(struct uiommu_host *h)
{
	struct intel_driver *drv = h->intel;
	if (!drv)
		return;
	struct intel_iommu *iommu, *t;
	/* The core releases every device first, while all units still work. */
	list_for_each_entry(iommu, &drv->iommus, node)
		if (iommu->registered)
			iommu_device_unregister(&iommu->iommu);
	list_for_each_entry_safe(iommu, t, &drv->iommus, node) {
		/* Translation off, queue quiesced, interrupt released. */
		gcmd_wait(iommu, 0, VTD_GCMD_TE, 0, 0, VTD_GSTS_TES);
		gcmd_wait(iommu, 0, VTD_GCMD_QIE, 0, 0, VTD_GSTS_QIES);
		vtd_set_irq_handler(iommu->hw, NULL, NULL);
		list_del(&iommu->node);
		iommu_free(drv, iommu);
	}
	if (drv->identity)
		drv->identity->domain.ops->free(&drv->identity->domain);
	if (drv->blocked)
		drv->blocked->domain.ops->free(&drv->blocked->domain);
	pt_pool_free(drv->pool);
	free(drv);
	h->intel = NULL;
}
