/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Nested domains (VT-d 3.8, SPEC U-10): a first stage the user owns - a
 * guest's IA-32e page table at a guest-physical address - over the second
 * stage of a nesting parent. The unit walks both: every first-stage table
 * pointer and output address goes through the parent, so no shadow is
 * built and isolation rests on the parent alone. Changes the user makes
 * to its table reach the caches only through HWPT_INVALIDATE, as a
 * guest's reach them through its vIOMMU. Linux's nested.c in shape.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include <uapi/linux/iommufd.h>

#include "intel.h"
#include "../../util/compiler.h"
#include "../../util/slab.h"

#define S1_FLAGS (IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE | IOMMU_VTD_S1_WPE)

static bool is_nest_parent(struct iommu_domain *d)
{
	if (!d || d->ops != &intel_paging_ops)
		return false;
	struct dmar_domain *p = to_dmar_domain(d);
	return !p->fs && p->nest_parent;
}

/*
 * Linux 7.2 takes the stage-1 data as it comes and finds a bad width only
 * at attach; here what no unit could ever use - unknown flags, the
 * reserved word, a width other than 4 or 5 levels, a table pointer that is
 * not a page - fails the allocation, with the errnos the uAPI gives such
 * input elsewhere (EOPNOTSUPP for flags and reserved fields, EINVAL for
 * values). What depends on the unit is checked at attach, as in Linux.
 */
static int check_s1(const struct iommu_hwpt_vtd_s1 *vtd)
{
	if ((vtd->flags & ~(uint64_t)S1_FLAGS) || vtd->__reserved)
		return -EOPNOTSUPP;
	if (vtd->addr_width != 48 && vtd->addr_width != 57)
		return -EINVAL;
	if (vtd->pgtbl_addr & (VTD_PAGE_SIZE - 1))
		return -EINVAL;
	return 0;
}

struct iommu_domain *intel_domain_alloc_nested(struct device *dev, struct iommu_domain *parent,
					       uint32_t flags,
					       const struct iommu_user_data *user_data, int *err)
{
	struct device_domain_info *info = dev_iommu_priv_get(dev);
	if (!info) {
		*err = -ENODEV;
		return NULL;
	}
	if (!(info->iommu->ecap & VTD_ECAP_NEST) || (flags & ~IOMMU_HWPT_ALLOC_PASID) ||
	    !user_data || user_data->type != IOMMU_HWPT_DATA_VTD_S1) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (!is_nest_parent(parent)) {
		*err = -EINVAL;
		return NULL;
	}
	struct iommu_hwpt_vtd_s1 vtd;
	int rc = iommu_copy_struct_from_user(&vtd, sizeof(vtd), user_data, IOMMU_HWPT_DATA_VTD_S1,
					     offsetof(struct iommu_hwpt_vtd_s1, __reserved) +
						     sizeof(vtd.__reserved));
	if (!rc)
		rc = check_s1(&vtd);
	if (rc) {
		*err = rc;
		return NULL;
	}
	struct dmar_domain *d = kcalloc(1, sizeof(*d));
	if (!d) {
		*err = -ENOMEM;
		return NULL;
	}
	iommu_domain_init(&d->domain, IOMMU_DOMAIN_NESTED, &intel_nested_ops, &intel_iommu_ops,
			  dev->host);
	d->domain.parent = parent;
	d->drv = info->iommu->drv;
	d->s2 = to_dmar_domain(parent);
	spin_init(&d->lock);
	mutex_init(&d->mutex);
	list_init(&d->iommus);
	list_init(&d->tags);
	d->s1_pgtbl = vtd.pgtbl_addr;
	d->s1_addr_width = vtd.addr_width;
	/* WPE only qualifies supervisor requests (3.6.1), so only with SRE,
	 * as Linux programs it. */
	if (vtd.flags & IOMMU_VTD_S1_SRE)
		d->s1_flags |= VTD_PE2_SRE | ((vtd.flags & IOMMU_VTD_S1_WPE) ? VTD_PE2_WPE : 0);
	if (vtd.flags & IOMMU_VTD_S1_EAFE)
		d->s1_flags |= VTD_PE2_EAFE;
	return &d->domain;
}

/*
 * Can `iommu` walk this nested domain (Linux intel_pasid_setup_nested's
 * checks, -EINVAL each): a 5-level first stage needs FL5LP, supervisor
 * requests SRS, the extended accessed flag EAFS; and the parent must fit
 * the unit's width.
 */
int intel_nested_check(struct dmar_domain *dom, struct intel_iommu *iommu)
{
	if (dom->s1_addr_width == 57 && !(iommu->cap & VTD_CAP_FL5LP))
		return -EINVAL;
	if ((dom->s1_flags & VTD_PE2_SRE) && !(iommu->ecap & VTD_ECAP_SRS))
		return -EINVAL;
	if ((dom->s1_flags & VTD_PE2_EAFE) && !(iommu->ecap & VTD_ECAP_EAFS))
		return -EINVAL;
	unsigned sagaw = iommu->sagaw;
	unsigned levels = (sagaw & BIT(3)) ? 5 : (sagaw & BIT(2)) ? 4 : 3;
	unsigned width = 12 + 9 * MIN(levels, dom->s2->levels);
	spin_lock(&dom->s2->lock);
	bool fits = width >= 64 || dom->s2->pgt.max_iova <= (1ull << width);
	spin_unlock(&dom->s2->lock);
	return fits ? 0 : -EINVAL;
}

/*
 * HWPT_INVALIDATE with IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 entries: each a
 * page range of the user's first stage, flushed where the domain is
 * installed - PASID-based IOTLB by (DID, PASID), page-selective when the
 * range fits MAMV, and the device TLB of ATS devices (cache.c). Entries
 * are handled in order; a bad one stops there, array->entry_num says how
 * many went through. Errnos as Linux: a wrong type EINVAL, unknown flags
 * or a non-zero reserved word EOPNOTSUPP, an unaligned address or "all
 * pages" from a non-zero address EINVAL.
 */
static int intel_nested_cache_invalidate_user(struct iommu_domain *d,
					      struct iommu_user_data_array *array)
{
	struct dmar_domain *dom = to_dmar_domain(d);
	uint32_t done = 0;
	int rc = 0;
	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) {
		array->entry_num = 0;
		return -EINVAL;
	}
	for (uint32_t i = 0; i < array->entry_num; i++) {
		struct iommu_hwpt_vtd_s1_invalidate inv;
		rc = iommu_copy_struct_from_user_array(
			&inv, sizeof(inv), array, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, i,
			offsetof(struct iommu_hwpt_vtd_s1_invalidate, __reserved) +
				sizeof(inv.__reserved));
		if (rc)
			break;
		if ((inv.flags & ~(uint32_t)IOMMU_VTD_INV_FLAGS_LEAF) || inv.__reserved) {
			rc = -EOPNOTSUPP;
			break;
		}
		if ((inv.addr & (VTD_PAGE_SIZE - 1)) || (inv.npages == UINT64_MAX && inv.addr)) {
			rc = -EINVAL;
			break;
		}
		/* A range running past the top of the address space is the
		 * rest of it. */
		uint64_t room = (UINT64_MAX - inv.addr) >> VTD_PAGE_SHIFT;
		mutex_lock(&dom->mutex);
		if (inv.npages > room)
			cache_tag_flush_all(dom);
		else if (inv.npages)
			cache_tag_flush_range(dom, inv.addr,
					      inv.addr + (inv.npages << VTD_PAGE_SHIFT) - 1,
					      inv.flags & IOMMU_VTD_INV_FLAGS_LEAF);
		mutex_unlock(&dom->mutex);
		done++;
	}
	array->entry_num = done;
	return rc;
}

static void intel_nested_free(struct iommu_domain *d)
{
	/* Nothing of its own but bookkeeping: tags and IDs went with the
	 * last detach. */
	intel_domain_free_common(to_dmar_domain(d));
}

const struct iommu_domain_ops intel_nested_ops = {
	.attach_dev = intel_attach_dev,
	.set_dev_pasid = intel_set_dev_pasid,
	.cache_invalidate_user = intel_nested_cache_invalidate_user,
	.free = intel_nested_free,
};
