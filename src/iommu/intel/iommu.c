/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driver's iommu_ops: probing devices (PASID table, context entries,
 * PCI capabilities), allocating domains, attaching them to RIDs and
 * PASIDs, and the per-device features of the 2018 series.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uapi/linux/iommufd.h>

#include "intel.h"
#include "../../pci/pci.h"
#include "../../util/compiler.h"
#include "../../util/slab.h"

static struct intel_driver *drv_of(struct device *dev)
{
	return dev->host->intel;
}

static struct device_domain_info *info_of(struct device *dev)
{
	return dev_iommu_priv_get(dev);
}

/* ---- RID and PASID attach, shared by every domain kind ---- */

int intel_attach_dev(struct iommu_domain *d, struct device *dev)
{
	struct device_domain_info *info = info_of(dev);
	if (!info)
		return -ENODEV;
	struct dmar_domain *dom = to_dmar_domain(d);
	int rc = intel_dev_set_domain(info, IOMMU_NO_PASID, dom, info->domain);
	if (!rc)
		info->domain = dom;
	return rc;
}

int intel_set_dev_pasid(struct iommu_domain *d, struct device *dev, ioasid_t pasid,
			struct iommu_domain *old)
{
	struct device_domain_info *info = info_of(dev);
	if (!info)
		return -ENODEV;
	if (!info->pasid_enabled || pasid == IOMMU_NO_PASID || pasid >= info->max_pasids)
		return -EINVAL;
	/* Requests with a PASID need PASIDE in the context entry (9.4). */
	if (!info->paside) {
		int rc = intel_context_set_paside(info, true);
		if (rc)
			return rc;
	}
	int rc = intel_dev_set_domain(info, pasid, to_dmar_domain(d),
				      old ? to_dmar_domain(old) : NULL);
	if (!rc && !old)
		info->nr_pasid_attach++;
	return rc;
}

static void intel_remove_dev_pasid(struct device *dev, ioasid_t pasid, struct iommu_domain *d)
{
	struct device_domain_info *info = info_of(dev);
	if (!info)
		return;
	intel_dev_set_domain(info, pasid, drv_of(dev)->blocked, to_dmar_domain(d));
	if (info->nr_pasid_attach)
		info->nr_pasid_attach--;
}

/* ---- devices ---- */

/* Every requester ID the function's DMA may carry gets a context entry:
 * its own and the aliases a bridge or a quirk gives it. */
static int add_sid(struct pci_dev *pdev, uint16_t alias, void *data)
{
	struct device_domain_info *info = data;
	(void)pdev;
	for (unsigned i = 0; i < info->nr_sids; i++)
		if (info->sids[i] == alias)
			return 0;
	if (info->nr_sids < ARRAY_SIZE(info->sids))
		info->sids[info->nr_sids++] = alias;
	return 0;
}

/* Capabilities in the order the PCI rules want: PASID before ATS. */
static void enable_pci_caps(struct device_domain_info *info)
{
	struct intel_iommu *iommu = info->iommu;
	struct pci_dev *p = info->pdev;
	info->max_pasids = 1;
	if (iommu->pasid_bits && pci_max_pasids(p)) {
		info->pasid_supported = true;
		if (pci_enable_pasid(p, true) == 0) {
			info->pasid_enabled = true;
			info->max_pasids = MIN(pci_max_pasids(p), 1u << iommu->pasid_bits);
		}
	}
	if ((iommu->ecap & VTD_ECAP_DT) && p->ats_cap) {
		info->ats_supported = true;
		if (pci_enable_ats(p) == 0) {
			info->ats_enabled = true;
			info->ats_qdep = pci_ats_queue_depth(p);
		}
	}
	info->pri_supported = (iommu->ecap & VTD_ECAP_PRS) && p->pri_cap && info->ats_enabled;
}

static struct iommu_device *intel_probe_device(struct device *dev)
{
	struct intel_driver *drv = drv_of(dev);
	if (!drv || !dev_is_pci(dev))
		return ERR_PTR(-ENODEV);
	struct pci_dev *p = to_pci_dev(dev);
	struct intel_iommu *iommu = dmar_find_matched_unit(drv, p);
	if (!iommu)
		return ERR_PTR(-ENODEV);
	struct device_domain_info *info = kcalloc(1, sizeof(*info));
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->dev = dev;
	info->pdev = p;
	info->iommu = iommu;
	info->rid = pci_dev_id(p);
	pci_for_each_dma_alias(p, add_sid, info);
	enable_pci_caps(info);

	int rc = intel_pasid_alloc_table(info);
	if (!rc)
		rc = domain_context_setup(info);
	if (rc) {
		intel_pasid_free_table(info);
		free(info);
		return ERR_PTR(rc);
	}
	dev_iommu_priv_set(dev, info);
	dev->iommu->max_pasids = info->pasid_enabled ? info->max_pasids : 0;
	return &iommu->iommu;
}

static void intel_release_device(struct device *dev)
{
	struct device_domain_info *info = info_of(dev);
	if (!info)
		return;
	if (info->domain && !info->domain->blocked)
		intel_dev_set_domain(info, IOMMU_NO_PASID, drv_of(dev)->blocked, info->domain);
	domain_context_clear(info);
	intel_pasid_free_table(info);
	if (info->pri_enabled)
		pci_disable_pri(info->pdev);
	if (info->ats_enabled)
		pci_disable_ats(info->pdev);
	if (info->pasid_enabled)
		pci_disable_pasid(info->pdev);
	dev_iommu_priv_set(dev, NULL);
	free(info);
}

/* ---- domains ---- */

static struct iommu_domain *intel_domain_alloc_paging(struct device *dev, unsigned flags, int *err)
{
	struct intel_driver *drv = drv_of(dev);
	struct device_domain_info *info = info_of(dev);
	if (!drv || !info) {
		*err = -ENODEV;
		return NULL;
	}
	struct intel_iommu *iommu = info->iommu;
	bool fs = flags & IOMMU_DOMAIN_FLAG_FIRST_STAGE;
	/* Every VT-d paging domain can be installed in a PASID entry, so
	 * IOMMU_DOMAIN_FLAG_PASID asks for nothing more. */
	if (flags & ~(IOMMU_DOMAIN_FLAG_FIRST_STAGE | IOMMU_DOMAIN_FLAG_NEST_PARENT |
		      IOMMU_DOMAIN_FLAG_DIRTY_TRACKING | IOMMU_DOMAIN_FLAG_PASID)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	/* Nesting parents and dirty tracking are second-stage features. */
	if ((fs && (flags & (IOMMU_DOMAIN_FLAG_NEST_PARENT | IOMMU_DOMAIN_FLAG_DIRTY_TRACKING))) ||
	    (fs && !(iommu->ecap & VTD_ECAP_FLTS)) || (!fs && !(iommu->ecap & VTD_ECAP_SLTS)) ||
	    ((flags & IOMMU_DOMAIN_FLAG_NEST_PARENT) && !(iommu->ecap & VTD_ECAP_NEST)) ||
	    ((flags & IOMMU_DOMAIN_FLAG_DIRTY_TRACKING) && !(iommu->ecap & VTD_ECAP_SLADS))) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	struct dmar_domain *dom = intel_domain_new(drv, iommu, fs, flags, err);
	return dom ? &dom->domain : NULL;
}

/* Pass-through PASID entries need ECAP.PT (VT-d 9.6, PGTT 100b). */
static struct iommu_domain *intel_identity_domain(struct device *dev)
{
	struct intel_driver *drv = drv_of(dev);
	struct device_domain_info *info = info_of(dev);
	if (!drv || !info || !(info->iommu->ecap & VTD_ECAP_PT))
		return NULL;
	return &drv->identity->domain;
}

static struct iommu_domain *intel_blocked_domain(struct device *dev)
{
	struct intel_driver *drv = drv_of(dev);
	return drv ? &drv->blocked->domain : NULL;
}

static bool intel_capable(struct device *dev, enum iommu_cap cap)
{
	struct device_domain_info *info = info_of(dev);
	if (!info)
		return false;
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_ENFORCE_CACHE_COHERENCY:
		return info->iommu->ecap & VTD_ECAP_SC;
	case IOMMU_CAP_DIRTY_TRACKING:
		return info->iommu->ecap & VTD_ECAP_SLADS;
	case IOMMU_CAP_PASID:
		return info->pasid_enabled;
	case IOMMU_CAP_PCI_ATS_SUPPORTED:
		return info->ats_supported;
	}
	return false;
}

/* ---- features: auxiliary domains (patches 2/8, 3/8) ---- */

static bool intel_dev_has_feat(struct device *dev, enum iommu_dev_features f)
{
	struct device_domain_info *info = info_of(dev);
	if (!info)
		return false;
	if (f == IOMMU_DEV_FEAT_AUX) {
		/* Scalable mode with PASID on every unit, and a PCI function
		 * with a PASID capability. */
		struct intel_iommu *iommu;
		list_for_each_entry(iommu, &info->iommu->drv->iommus, node)
			if (!(iommu->ecap & VTD_ECAP_SMTS) || !(iommu->ecap & VTD_ECAP_PASID))
				return false;
		return info->pasid_supported;
	}
	if (f == IOMMU_DEV_FEAT_IOPF)
		return info->pri_supported;
	return false;
}

/* Recoverable faults: PRI on in the function, PRE in its context entry
 * (9.4), so page requests reach the queue instead of faulting SCT.8. */
static int enable_iopf(struct device_domain_info *info, bool on)
{
	if (on == info->pri_enabled)
		return 0;
	if (on) {
		if (!info->pri_supported)
			return -EINVAL;
		int rc = pci_enable_pri(info->pdev, 32);
		if (rc)
			return rc;
	}
	info->pri_enabled = on;
	int rc = intel_context_update(info);
	if (!on)
		pci_disable_pri(info->pdev);
	return rc;
}

static int intel_dev_enable_feat(struct device *dev, enum iommu_dev_features f)
{
	struct device_domain_info *info = info_of(dev);
	if (f == IOMMU_DEV_FEAT_IOPF)
		return info ? enable_iopf(info, true) : -ENODEV;
	if (f != IOMMU_DEV_FEAT_AUX)
		return -EOPNOTSUPP;
	if (!info || !intel_dev_has_feat(dev, f))
		return -EINVAL;
	/* The function's PASID capability could not be turned on (a port
	 * above drops PASID prefixes): the 2018 code answers -ENODEV. */
	if (!info->pasid_enabled)
		return -ENODEV;
	return info->paside ? 0 : intel_context_set_paside(info, true);
}

static int intel_dev_disable_feat(struct device *dev, enum iommu_dev_features f)
{
	struct device_domain_info *info = info_of(dev);
	if (f == IOMMU_DEV_FEAT_IOPF)
		return info ? enable_iopf(info, false) : -ENODEV;
	if (f != IOMMU_DEV_FEAT_AUX)
		return -EOPNOTSUPP;
	if (!info)
		return -EINVAL;
	if (info->paside && info->nr_pasid_attach == 0)
		return intel_context_set_paside(info, false);
	return 0;
}

static unsigned intel_max_pasids(struct device *dev)
{
	struct device_domain_info *info = info_of(dev);
	return info && info->pasid_enabled ? info->max_pasids : 0;
}

/* The interrupt address range 0xFEEx_xxxx is decoded as interrupt
 * requests before any translation (VT-d 3.14, SGN.8 for translated
 * output): no DMA mapping can live there. No RMRRs are modelled. */
static int intel_get_resv_regions(struct device *dev, struct iommu_resv_region *out, int max)
{
	(void)dev;
	if (max >= 1 && out)
		out[0] = (struct iommu_resv_region){ .start = 0xfee00000ull, .length = 0x100000,
						     .prot = IOMMU_WRITE, .type = IOMMU_RESV_MSI };
	return 1;
}

/* GET_HW_INFO (U-9): the unit's own CAP and ECAP. Linux reports the
 * ERRATA_772415_SPR17 flag on every unit (nest parents are then mapped
 * writable, see intel_domain_new); so does this. */
static int intel_hw_info(struct device *dev, uint32_t *type, void *data, uint32_t *len)
{
	struct device_domain_info *info = info_of(dev);
	if (!info)
		return -ENODEV;
	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT && *type != IOMMU_HW_INFO_TYPE_INTEL_VTD)
		return -EOPNOTSUPP;
	struct iommu_hw_info_vtd vtd = {
		.flags = IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17,
		.cap_reg = info->iommu->cap,
		.ecap_reg = info->iommu->ecap,
	};
	memcpy(data, &vtd, MIN(*len, (uint32_t)sizeof(vtd)));
	*len = sizeof(vtd);
	*type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	return 0;
}

const struct iommu_ops intel_iommu_ops = {
	.name = "intel-iommu",
	.probe_device = intel_probe_device,
	.release_device = intel_release_device,
	.device_group = pci_device_group,
	.domain_alloc_paging = intel_domain_alloc_paging,
	.domain_alloc_nested = intel_domain_alloc_nested,
	.default_viommu = true,
	.identity_domain = intel_identity_domain,
	.blocked_domain = intel_blocked_domain,
	.capable = intel_capable,
	.dev_has_feat = intel_dev_has_feat,
	.dev_enable_feat = intel_dev_enable_feat,
	.dev_disable_feat = intel_dev_disable_feat,
	.max_pasids = intel_max_pasids,
	.remove_dev_pasid = intel_remove_dev_pasid,
	.page_response = intel_page_response,
	.get_resv_regions = intel_get_resv_regions,
	.hw_info = intel_hw_info,
};
