/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PASID attach in today's form (SPEC A-13): a domain installed on a
 * (device, PASID), replaced atomically, detached; and one global PASID
 * space, so a PASID names the same address space on every device that a
 * user (a VM, a tenant) shares it with. PASID 0 is IOMMU_NO_PASID, the
 * RID's own entry.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommu.h"
#include "group.h"
#include "../base/device.h"

#define PASID_SPACE (1u << 20)

int iommu_pasid_space_init(struct iommu_core *core)
{
	pthread_mutex_init(&core->pasid_lock, NULL);
	core->pasid_map = calloc(PASID_SPACE / 64, sizeof(uint64_t));
	if (!core->pasid_map) {
		pthread_mutex_destroy(&core->pasid_lock);
		return -ENOMEM;
	}
	core->pasid_map[0] = 1; /* IOMMU_NO_PASID */
	return 0;
}

void iommu_pasid_space_fini(struct iommu_core *core)
{
	if (!core->pasid_map)
		return;
	free(core->pasid_map);
	core->pasid_map = NULL;
	pthread_mutex_destroy(&core->pasid_lock);
}

ioasid_t iommu_alloc_global_pasid(struct device *dev)
{
	unsigned max = iommu_dev_max_pasids(dev);
	struct iommu_core *core = max ? iommu_core_of(dev->host) : NULL;
	if (!core || !core->pasid_map)
		return IOMMU_PASID_INVALID;
	pthread_mutex_lock(&core->pasid_lock);
	ioasid_t got = IOMMU_PASID_INVALID;
	for (unsigned w = 0; w * 64 < max && got == IOMMU_PASID_INVALID; w++) {
		if (core->pasid_map[w] == ~0ull)
			continue;
		unsigned b = (unsigned)__builtin_ctzll(~core->pasid_map[w]);
		if (w * 64 + b < max) {
			core->pasid_map[w] |= 1ull << b;
			got = w * 64 + b;
		}
	}
	pthread_mutex_unlock(&core->pasid_lock);
	return got;
}

static void free_pasid(struct iommu_core *core, ioasid_t pasid)
{
	if (!core || !core->pasid_map || pasid == IOMMU_NO_PASID || pasid >= PASID_SPACE)
		return;
	pthread_mutex_lock(&core->pasid_lock);
	core->pasid_map[pasid / 64] &= ~(1ull << (pasid % 64));
	pthread_mutex_unlock(&core->pasid_lock);
}

void iommu_free_global_pasid(struct device *dev, ioasid_t pasid)
{
	if (dev)
		free_pasid(iommu_core_of(dev->host), pasid);
}

unsigned iommu_dev_max_pasids(struct device *dev)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!di)
		return 0;
	return di->ops->max_pasids ? di->ops->max_pasids(dev) : di->max_pasids;
}

static struct group_pasid *find(struct iommu_group *gr, struct device *dev, ioasid_t pasid)
{
	struct group_pasid *gp;
	list_for_each_entry(gp, &gr->pasids, node)
		if (gp->dev == dev && gp->pasid == pasid)
			return gp;
	return NULL;
}

static int check(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)
{
	if (!domain || !dev)
		return -EINVAL;
	struct dev_iommu *di = dev_iommu(dev);
	if (!di || !iommu_group_translated(dev->group))
		return -ENODEV;
	if (!domain->ops->set_dev_pasid || !di->ops->remove_dev_pasid)
		return -ENODEV;
	if (domain->owner != di->ops || domain->host != dev->host)
		return -EINVAL;
	if (pasid == IOMMU_NO_PASID || pasid >= iommu_dev_max_pasids(dev))
		return -EINVAL;
	/* Every {RID, PASID} must name exactly one device: PASIDs on a
	 * group shared with other functions would not (U-7). */
	if (dev->group->nr_devices != 1)
		return -EINVAL;
	return 0;
}

int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)
{
	int rc = check(domain, dev, pasid);
	if (rc)
		return rc;
	struct iommu_group *gr = dev->group;
	struct group_pasid *gp = calloc(1, sizeof(*gp));
	if (!gp)
		return -ENOMEM;
	pthread_mutex_lock(&gr->lock);
	if (find(gr, dev, pasid)) {
		rc = -EBUSY;
	} else {
		rc = domain->ops->set_dev_pasid(domain, dev, pasid, NULL);
		if (!rc) {
			gp->dev = dev;
			gp->pasid = pasid;
			gp->domain = domain;
			list_add_tail(&gp->node, &gr->pasids);
			domain->attach_users++;
			gp = NULL;
		}
	}
	pthread_mutex_unlock(&gr->lock);
	free(gp);
	return rc;
}

int iommu_replace_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)
{
	int rc = check(domain, dev, pasid);
	if (rc)
		return rc;
	struct iommu_group *gr = dev->group;
	pthread_mutex_lock(&gr->lock);
	struct group_pasid *gp = find(gr, dev, pasid);
	if (!gp) {
		rc = -EINVAL;
	} else if (gp->domain != domain) {
		rc = domain->ops->set_dev_pasid(domain, dev, pasid, gp->domain);
		if (!rc) {
			gp->domain->attach_users--;
			domain->attach_users++;
			gp->domain = domain;
		}
	}
	pthread_mutex_unlock(&gr->lock);
	return rc;
}

void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)
{
	if (check(domain, dev, pasid))
		return;
	struct iommu_group *gr = dev->group;
	pthread_mutex_lock(&gr->lock);
	struct group_pasid *gp = find(gr, dev, pasid);
	if (gp && gp->domain == domain) {
		dev->iommu->ops->remove_dev_pasid(dev, pasid, domain);
		domain->attach_users--;
		list_del(&gp->node);
		free(gp);
	}
	pthread_mutex_unlock(&gr->lock);
}

struct iommu_domain *iommu_get_domain_for_dev_pasid(struct device *dev, ioasid_t pasid)
{
	if (!dev || !iommu_group_translated(dev->group))
		return NULL;
	struct iommu_group *gr = dev->group;
	pthread_mutex_lock(&gr->lock);
	struct group_pasid *gp = find(gr, dev, pasid);
	struct iommu_domain *d = gp ? gp->domain : NULL;
	pthread_mutex_unlock(&gr->lock);
	return d;
}
