/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Auxiliary domains: several IOMMU domains on one PCI device, each
 * reached by its own PASID (the 2018 "IOMMU aware mediated device"
 * series, patches 1-5; SPEC A-3 .. A-12). Built on PASID attach: a
 * domain's first aux attach gives it a default PASID from the global
 * space; the device driver programs that PASID into the slice of the
 * device (ADI) it hands out, and the slice's DMA then lands in the domain.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommu.h"
#include "group.h"
#include "../base/device.h"
#include "../util/slab.h"

int iommu_get_dev_attr(struct device *dev, enum iommu_dev_attr attr, void *data)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!data)
		return -EINVAL;
	if (!di)
		return -ENODEV;
	switch (attr) {
	case IOMMU_DEV_ATTR_AUXD_CAPABILITY:
		if (!di->ops->dev_has_feat)
			return -ENODEV;
		*(bool *)data = di->ops->dev_has_feat(dev, IOMMU_DEV_FEAT_AUX);
		return 0;
	case IOMMU_DEV_ATTR_AUXD_ENABLED:
		*(bool *)data = di->aux_enabled;
		return 0;
	default:
		return -EINVAL;
	}
}

int iommu_set_dev_attr(struct device *dev, enum iommu_dev_attr attr, void *data)
{
	(void)data;
	struct dev_iommu *di = dev_iommu(dev);
	if (!di)
		return -ENODEV;
	struct iommu_group *gr = dev->group;
	if (!iommu_group_translated(gr))
		return -ENODEV;
	int rc;
	switch (attr) {
	case IOMMU_DEV_ATTR_AUXD_ENABLE:
		if (!di->ops->dev_enable_feat)
			return -ENODEV;
		pthread_mutex_lock(&gr->lock);
		rc = di->aux_enabled ? 0 : di->ops->dev_enable_feat(dev, IOMMU_DEV_FEAT_AUX);
		if (!rc)
			di->aux_enabled = true;
		pthread_mutex_unlock(&gr->lock);
		return rc;
	case IOMMU_DEV_ATTR_AUXD_DISABLE:
		if (!di->ops->dev_disable_feat)
			return -ENODEV;
		pthread_mutex_lock(&gr->lock);
		if (di->nr_aux) {
			rc = -EBUSY; /* detach every aux domain first */
		} else {
			rc = di->aux_enabled ? di->ops->dev_disable_feat(dev, IOMMU_DEV_FEAT_AUX) : 0;
			if (!rc)
				di->aux_enabled = false;
		}
		pthread_mutex_unlock(&gr->lock);
		return rc;
	default:
		return -EINVAL;
	}
}

static struct aux_attach *find_aux(struct dev_iommu *di, struct iommu_domain *domain)
{
	struct aux_attach *a;
	list_for_each_entry(a, &di->aux_domains, node)
		if (a->domain == domain)
			return a;
	return NULL;
}

int iommu_attach_device_aux(struct iommu_domain *domain, struct device *dev)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!domain)
		return -EINVAL;
	if (!di)
		return -ENODEV;
	/* only an aux-enabled device, only a paging domain. */
	if (!di->aux_enabled || domain->type != IOMMU_DOMAIN_UNMANAGED)
		return -EPERM;
	if (domain->host != dev->host)
		return -EINVAL;
	struct aux_attach *a = find_aux(di, domain);
	if (a) {
		/* Another subdevice of this device in the same domain shares
		 * the PASID entry (Jan 2021 fix for the detach use-after-free). */
		a->users++;
		return 0;
	}
	a = kcalloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;

	bool fresh = domain->aux_pasid == IOMMU_PASID_INVALID;
	if (fresh) {
		domain->aux_pasid = iommu_alloc_global_pasid(dev);
		if (domain->aux_pasid == IOMMU_PASID_INVALID) {
			free(a);
			return -ENODEV; /* "Can't allocate default pasid" */
		}
	}
	int rc = domain->aux_pasid < iommu_dev_max_pasids(dev) ?
			 iommu_attach_device_pasid(domain, dev, domain->aux_pasid) :
			 -EINVAL;
	if (rc) {
		if (fresh) {
			iommu_free_global_pasid(dev, domain->aux_pasid);
			domain->aux_pasid = IOMMU_PASID_INVALID;
		}
		free(a);
		return rc;
	}
	a->domain = domain;
	a->users = 1;
	list_add_tail(&a->node, &di->aux_domains);
	di->nr_aux++;
	domain->aux_users++;
	return 0;
}

void iommu_detach_device_aux(struct iommu_domain *domain, struct device *dev)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!domain || !di)
		return;
	struct aux_attach *a = find_aux(di, domain);
	if (!a || --a->users)
		return; /* not an aux attachment: nothing to do */
	iommu_detach_device_pasid(domain, dev, domain->aux_pasid);
	list_del(&a->node);
	free(a);
	di->nr_aux--;
	/* The last user of the domain's default PASID gives it back. */
	if (--domain->aux_users == 0) {
		iommu_free_global_pasid(dev, domain->aux_pasid);
		domain->aux_pasid = IOMMU_PASID_INVALID;
	}
}

int iommu_domain_get_attr(struct iommu_domain *domain, enum iommu_attr attr, void *data)
{
	if (!domain || !data)
		return -EINVAL;
	if (attr != DOMAIN_ATTR_AUXD_ID)
		return -EINVAL;
	/* only after the first aux attach. */
	if (domain->aux_pasid == IOMMU_PASID_INVALID)
		return -EINVAL;
	*(int *)data = (int)domain->aux_pasid;
	return 0;
}

/* ---- the names as merged in Linux 5.2 ---- */

bool iommu_dev_has_feature(struct device *dev, enum iommu_dev_features f)
{
	struct dev_iommu *di = dev_iommu(dev);
	return di && di->ops->dev_has_feat && di->ops->dev_has_feat(dev, f);
}

int iommu_dev_enable_feature(struct device *dev, enum iommu_dev_features f)
{
	if (f == IOMMU_DEV_FEAT_AUX)
		return iommu_set_dev_attr(dev, IOMMU_DEV_ATTR_AUXD_ENABLE, NULL);
	struct dev_iommu *di = dev_iommu(dev);
	if (!di || !di->ops->dev_enable_feat)
		return -ENODEV;
	int rc = di->ops->dev_enable_feat(dev, f);
	if (!rc && f == IOMMU_DEV_FEAT_IOPF)
		di->iopf_enabled = true;
	return rc;
}

int iommu_dev_disable_feature(struct device *dev, enum iommu_dev_features f)
{
	if (f == IOMMU_DEV_FEAT_AUX)
		return iommu_set_dev_attr(dev, IOMMU_DEV_ATTR_AUXD_DISABLE, NULL);
	struct dev_iommu *di = dev_iommu(dev);
	if (!di || !di->ops->dev_disable_feat)
		return -EBUSY; /* as merged: no op means busy */
	int rc = di->ops->dev_disable_feat(dev, f);
	if (!rc && f == IOMMU_DEV_FEAT_IOPF)
		di->iopf_enabled = false;
	return rc;
}

bool iommu_dev_feature_enabled(struct device *dev, enum iommu_dev_features f)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!di)
		return false;
	return f == IOMMU_DEV_FEAT_AUX ? di->aux_enabled :
	       f == IOMMU_DEV_FEAT_IOPF ? di->iopf_enabled : false;
}

int iommu_aux_attach_device(struct iommu_domain *domain, struct device *dev)
{
	return iommu_attach_device_aux(domain, dev);
}

void iommu_aux_detach_device(struct iommu_domain *domain, struct device *dev)
{
	iommu_detach_device_aux(domain, dev);
}

int iommu_aux_get_pasid(struct iommu_domain *domain, struct device *dev)
{
	if (!iommu_dev_feature_enabled(dev, IOMMU_DEV_FEAT_AUX))
		return -ENODEV;
	int id;
	int rc = iommu_domain_get_attr(domain, DOMAIN_ATTR_AUXD_ID, &id);
	return rc ? rc : id;
}
