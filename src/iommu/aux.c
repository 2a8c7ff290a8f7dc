/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Auxiliary domains: several IOMMU domains on one PCI device, each
 * reached by its own PASID (the 2018 "IOMMU aware mediated device"
 * series, patches 1-5; SPEC A-3 .. A-12). Built on PASID attach: a
 * domain's first aux attach gives it a default PASID from the global
 * space; the device driver programs that PASID into the slice of the
 * device (ADI) it hands out, and the slice's DMA then lands in the domain.
 *
 * A device's aux state - aux mode, its aux attachments, the PASIDs they
 * use - is under its dev_iommu lock, so tenants attaching their domains to
 * one device at once (two VFIO containers doing VFIO_SET_IOMMU) serialize
 * there. A domain's default PASID and its count of aux devices are under
 * the core's aux_lock, as one domain may be aux-attached to several
 * devices at once.
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
		pthread_mutex_lock(&di->lock);
		*(bool *)data = di->aux_enabled;
		pthread_mutex_unlock(&di->lock);
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
	if (!iommu_group_translated(dev->group))
		return -ENODEV;
	int rc;
	switch (attr) {
	case IOMMU_DEV_ATTR_AUXD_ENABLE:
		if (!di->ops->dev_enable_feat)
			return -ENODEV;
		pthread_mutex_lock(&di->lock);
		rc = di->aux_enabled ? 0 : di->ops->dev_enable_feat(dev, IOMMU_DEV_FEAT_AUX);
		if (!rc)
			di->aux_enabled = true;
		pthread_mutex_unlock(&di->lock);
		return rc;
	case IOMMU_DEV_ATTR_AUXD_DISABLE:
		if (!di->ops->dev_disable_feat)
			return -ENODEV;
		pthread_mutex_lock(&di->lock);
		if (di->nr_aux) {
			rc = -EBUSY; /* detach every aux domain first */
		} else {
			rc = di->aux_enabled ? di->ops->dev_disable_feat(dev, IOMMU_DEV_FEAT_AUX) : 0;
			if (!rc)
				di->aux_enabled = false;
		}
		pthread_mutex_unlock(&di->lock);
		return rc;
	default:
		return -EINVAL;
	}
}

static ioasid_t aux_pasid_of(struct uiommu_host *h, struct iommu_domain *domain)
{
	struct iommu_core *core = iommu_core_of(h);
	pthread_mutex_lock(&core->aux_lock);
	ioasid_t p = domain->aux_pasid;
	pthread_mutex_unlock(&core->aux_lock);
	return p;
}

/* The device's aux attachment of `domain`: it sits at the domain's
 * default PASID, so one lookup finds it. di->lock held. */
static struct aux_attach *find_aux(struct dev_iommu *di, struct iommu_domain *domain,
				   ioasid_t pasid)
{
	struct aux_attach *a = pasid == IOMMU_PASID_INVALID ? NULL : xa_load(&di->aux, pasid);
	return a && a->domain == domain ? a : NULL;
}

/* A user of the domain's default PASID, allocated by the first: the
 * PASID, or IOMMU_PASID_INVALID if none is left. */
static ioasid_t aux_pasid_get(struct device *dev, struct iommu_domain *domain)
{
	struct iommu_core *core = iommu_core_of(dev->host);
	pthread_mutex_lock(&core->aux_lock);
	if (domain->aux_pasid == IOMMU_PASID_INVALID)
		domain->aux_pasid = iommu_alloc_global_pasid(dev);
	ioasid_t p = domain->aux_pasid;
	if (p != IOMMU_PASID_INVALID)
		domain->aux_users++;
	pthread_mutex_unlock(&core->aux_lock);
	return p;
}

/* The last user of the domain's default PASID gives it back. */
static void aux_pasid_put(struct device *dev, struct iommu_domain *domain)
{
	struct iommu_core *core = iommu_core_of(dev->host);
	pthread_mutex_lock(&core->aux_lock);
	if (--domain->aux_users == 0) {
		iommu_free_global_pasid(dev, domain->aux_pasid);
		domain->aux_pasid = IOMMU_PASID_INVALID;
	}
	pthread_mutex_unlock(&core->aux_lock);
}

static int aux_attach_locked(struct iommu_domain *domain, struct device *dev,
			     struct aux_attach **spare)
{
	struct dev_iommu *di = dev->iommu;
	/* only an aux-enabled device. */
	if (!di->aux_enabled)
		return -EPERM;
	struct aux_attach *a = find_aux(di, domain, aux_pasid_of(dev->host, domain));
	if (a) {
		/* Another subdevice of this device in the same domain shares
		 * the PASID entry (Jan 2021 fix for the detach use-after-free). */
		a->users++;
		return 0;
	}
	ioasid_t pasid = aux_pasid_get(dev, domain);
	if (pasid == IOMMU_PASID_INVALID)
		return -ENODEV; /* "Can't allocate default pasid" */
	int rc = pasid < iommu_dev_max_pasids(dev) ? xa_insert(&di->aux, pasid, *spare) : -EINVAL;
	if (!rc) {
		rc = iommu_attach_device_pasid_locked(domain, dev, pasid);
		if (rc)
			xa_erase(&di->aux, pasid);
	}
	if (rc) {
		aux_pasid_put(dev, domain);
		return rc;
	}
	(*spare)->domain = domain;
	(*spare)->users = 1;
	*spare = NULL;
	di->nr_aux++;
	return 0;
}

int iommu_attach_device_aux(struct iommu_domain *domain, struct device *dev)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!domain)
		return -EINVAL;
	if (!di)
		return -ENODEV;
	/* only a paging domain. */
	if (domain->type != IOMMU_DOMAIN_UNMANAGED)
		return -EPERM;
	if (domain->host != dev->host)
		return -EINVAL;
	struct aux_attach *spare = kcalloc(1, sizeof(*spare));
	if (!spare)
		return -ENOMEM;
	pthread_mutex_lock(&di->lock);
	int rc = aux_attach_locked(domain, dev, &spare);
	pthread_mutex_unlock(&di->lock);
	free(spare);
	return rc;
}

void iommu_detach_device_aux(struct iommu_domain *domain, struct device *dev)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!domain || !di)
		return;
	pthread_mutex_lock(&di->lock);
	ioasid_t pasid = aux_pasid_of(dev->host, domain);
	struct aux_attach *a = find_aux(di, domain, pasid);
	/* Not an aux attachment: nothing to do. */
	if (a && --a->users == 0) {
		iommu_detach_device_pasid_locked(domain, dev, pasid);
		xa_erase(&di->aux, pasid);
		free(a);
		di->nr_aux--;
		aux_pasid_put(dev, domain);
	}
	pthread_mutex_unlock(&di->lock);
}

int iommu_domain_get_attr(struct iommu_domain *domain, enum iommu_attr attr, void *data)
{
	if (!domain || !data)
		return -EINVAL;
	if (attr != DOMAIN_ATTR_AUXD_ID)
		return -EINVAL;
	ioasid_t p = aux_pasid_of(domain->host, domain);
	/* only after the first aux attach. */
	if (p == IOMMU_PASID_INVALID)
		return -EINVAL;
	*(int *)data = (int)p;
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
	pthread_mutex_lock(&di->lock);
	int rc = di->ops->dev_enable_feat(dev, f);
	if (!rc && f == IOMMU_DEV_FEAT_IOPF)
		di->iopf_enabled = true;
	pthread_mutex_unlock(&di->lock);
	return rc;
}

int iommu_dev_disable_feature(struct device *dev, enum iommu_dev_features f)
{
	if (f == IOMMU_DEV_FEAT_AUX)
		return iommu_set_dev_attr(dev, IOMMU_DEV_ATTR_AUXD_DISABLE, NULL);
	struct dev_iommu *di = dev_iommu(dev);
	if (!di || !di->ops->dev_disable_feat)
		return -EBUSY; /* as merged: no op means busy */
	pthread_mutex_lock(&di->lock);
	int rc = di->ops->dev_disable_feat(dev, f);
	if (!rc && f == IOMMU_DEV_FEAT_IOPF)
		di->iopf_enabled = false;
	pthread_mutex_unlock(&di->lock);
	return rc;
}

bool iommu_dev_feature_enabled(struct device *dev, enum iommu_dev_features f)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!di)
		return false;
	pthread_mutex_lock(&di->lock);
	bool on = f == IOMMU_DEV_FEAT_AUX ? di->aux_enabled :
		  f == IOMMU_DEV_FEAT_IOPF ? di->iopf_enabled : false;
	pthread_mutex_unlock(&di->lock);
	return on;
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
