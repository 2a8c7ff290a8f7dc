/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domains (SPEC A-1): allocation from the driver that serves a device,
 * map and unmap through the driver's page-table ops with one batched
 * invalidation per unmap, and freeing. The core lists what users
 * allocate, so that a driver's last instance can release what they left.
 */
#include <errno.h>
#include <string.h>

#include "iommu.h"
#include "group.h"

void iommu_domain_init(struct iommu_domain *d, enum iommu_domain_type type,
		       const struct iommu_domain_ops *ops, const struct iommu_ops *owner,
		       struct uiommu_host *h)
{
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->ops = ops;
	d->owner = owner;
	d->host = h;
	d->aux_pasid = IOMMU_PASID_INVALID;
	atomic_init(&d->refs, 1);
	atomic_init(&d->attach_users, 0);
}

void iommu_domain_put(struct iommu_domain *d)
{
	if (atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) == 1)
		d->ops->free(d);
}

static bool domain_in_use(struct iommu_domain *d)
{
	if (atomic_load(&d->attach_users))
		return true;
	struct iommu_core *core = iommu_core_of(d->host);
	pthread_mutex_lock(&core->aux_lock);
	bool aux = d->aux_users != 0;
	pthread_mutex_unlock(&core->aux_lock);
	return aux;
}

enum iommu_domain_type iommu_domain_type(const struct iommu_domain *domain)
{
	return domain ? domain->type : IOMMU_DOMAIN_BLOCKED;
}

static bool is_paging(const struct iommu_domain *d)
{
	return d && (d->type == IOMMU_DOMAIN_UNMANAGED || d->type == IOMMU_DOMAIN_DMA);
}

struct iommu_domain *iommu_paging_domain_alloc_flags(struct device *dev, unsigned flags, int *err)
{
	return iommu_paging_domain_alloc_user(dev, flags, NULL, err);
}

struct iommu_domain *iommu_paging_domain_alloc_user(struct device *dev, unsigned flags,
						    const struct iommu_user_data *user_data,
						    int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	struct dev_iommu *di = dev_iommu(dev);
	if (!di || !di->ops->domain_alloc_paging) {
		*err = -ENODEV;
		return NULL;
	}
	if (user_data && !di->ops->domain_alloc_paging_user) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	*err = 0;
	struct iommu_domain *d =
		user_data ? di->ops->domain_alloc_paging_user(dev, flags, user_data, err) :
			    di->ops->domain_alloc_paging(dev, flags, err);
	if (d) {
		d->type = IOMMU_DOMAIN_UNMANAGED;
		struct iommu_core *core = iommu_core_of(dev->host);
		pthread_mutex_lock(&core->lock);
		list_add_tail(&d->host_node, &core->domains);
		d->listed = true;
		pthread_mutex_unlock(&core->lock);
	} else if (!*err) {
		*err = -ENOMEM;
	}
	return d;
}

struct iommu_domain *iommu_paging_domain_alloc(struct device *dev)
{
	return iommu_paging_domain_alloc_flags(dev, 0, NULL);
}

static int first_served(struct device *dev, void *data)
{
	struct device **out = data;
	if (!dev->iommu)
		return 0;
	*out = dev;
	return 1;
}

struct iommu_domain *iommu_domain_alloc(struct uiommu_host *h)
{
	/* Any device an IOMMU serves can stand for "the bus" of the old
	 * interface. */
	struct device *dev = NULL;
	if (!h)
		return NULL;
	bus_for_each_dev(h, NULL, &dev, first_served);
	return dev ? iommu_paging_domain_alloc(dev) : NULL;
}

int iommu_domain_free(struct iommu_domain *domain)
{
	if (!domain)
		return 0;
	if (domain_in_use(domain))
		return -EBUSY;
	/* Default domains belong to their group, the identity and blocking
	 * domains to the driver: only what a user allocated is theirs. */
	if (!domain->listed)
		return -EBUSY;
	if (!domain->ops->free)
		return -ENODEV;
	struct iommu_core *core = iommu_core_of(domain->host);
	pthread_mutex_lock(&core->lock);
	list_del(&domain->host_node);
	domain->listed = false;
	pthread_mutex_unlock(&core->lock);
	/* A fault being delivered to it keeps it until the handler returns. */
	iommu_domain_put(domain);
	return 0;
}

void iommu_domains_free_owned(struct iommu_core *core, const struct iommu_ops *ops)
{
	pthread_mutex_lock(&core->lock);
	struct iommu_domain *d, *dt;
	list_for_each_entry_safe(d, dt, &core->domains, host_node) {
		if (d->owner != ops)
			continue;
		list_del(&d->host_node);
		d->listed = false;
		atomic_store(&d->attach_users, 0);
		d->aux_users = 0;
		iommu_domain_put(d);
	}
	pthread_mutex_unlock(&core->lock);
}

int iommu_map(struct iommu_domain *domain, uint64_t iova, uint64_t paddr, uint64_t size, int prot)
{
	if (!is_paging(domain))
		return -EINVAL;
	if (!domain->ops->map_pages)
		return -ENODEV;
	uint64_t min = domain->pgsize_bitmap & -domain->pgsize_bitmap;
	if (!size || ((iova | paddr | size) & (min - 1)) || iova + size < iova)
		return -EINVAL;
	if (domain->geometry.force_aperture &&
	    (iova < domain->geometry.aperture_start ||
	     iova + size - 1 > domain->geometry.aperture_end))
		return -EFAULT;
	uint64_t mapped = 0;
	int rc = domain->ops->map_pages(domain, iova, paddr, size, prot, &mapped);
	if (rc && mapped)
		iommu_unmap(domain, iova, mapped); /* nothing half-done stays */
	return rc;
}

uint64_t iommu_unmap_fast(struct iommu_domain *domain, uint64_t iova, uint64_t size,
			  struct iommu_iotlb_gather *gather)
{
	if (!is_paging(domain) || !domain->ops->unmap_pages || !size || iova + size < iova)
		return 0;
	return domain->ops->unmap_pages(domain, iova, size, gather);
}

void iommu_iotlb_sync(struct iommu_domain *domain, struct iommu_iotlb_gather *gather)
{
	if (domain->ops->iotlb_sync)
		domain->ops->iotlb_sync(domain, gather);
}

uint64_t iommu_unmap(struct iommu_domain *domain, uint64_t iova, uint64_t size)
{
	struct iommu_iotlb_gather g;
	iommu_iotlb_gather_init(&g);
	uint64_t n = iommu_unmap_fast(domain, iova, size, &g);
	if (is_paging(domain))
		iommu_iotlb_sync(domain, &g);
	return n;
}

uint64_t iommu_iova_to_phys(struct iommu_domain *domain, uint64_t iova)
{
	uint64_t pa;
	if (domain && domain->type == IOMMU_DOMAIN_IDENTITY)
		return iova;
	if (!is_paging(domain) || !domain->ops->iova_to_phys)
		return 0;
	return domain->ops->iova_to_phys(domain, iova, &pa) ? 0 : pa;
}
