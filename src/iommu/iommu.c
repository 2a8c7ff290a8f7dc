/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOMMU core (Linux drivers/iommu/iommu.c in shape): probing devices
 * behind an IOMMU, default domains per group, attach/detach of
 * groups and singleton devices, DMA ownership, map/unmap with one
 * batched invalidation per unmap, and fault delivery to the owner
 * of the (RID, PASID) that faulted. A missing driver op is -ENODEV.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "group.h"
#include "intel/intel.h"
#include "../host.h"
#include "../base/device.h"
#include "../hw/machine.h"
#include "../util/compiler.h"

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
}

struct dev_iommu *dev_iommu(struct device *dev)
{
	return dev ? dev->iommu : NULL;
}

static struct group_iommu *gi(struct iommu_group *g)
{
	return g ? g->iommu : NULL;
}

struct device *uiommu_device_find(struct uiommu_host *h, const char *name)
{
	if (!h || !name)
		return NULL;
	return host_find_device(h, name);
}

const char *dev_name(const struct device *dev)
{
	return dev ? dev->name : "(null)";
}

struct iommu_group *iommu_group_get(struct device *dev)
{
	return dev ? dev->group : NULL;
}

unsigned iommu_group_id(const struct iommu_group *g)
{
	return g ? g->id : ~0u;
}

int iommu_get_resv_regions(struct device *dev, struct iommu_resv_region *out, int max)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!di)
		return -ENODEV;
	if (max < 0 || (max && !out))
		return -EINVAL;
	return di->ops->get_resv_regions ? di->ops->get_resv_regions(dev, out, max) : 0;
}

enum iommu_domain_type iommu_domain_type(const struct iommu_domain *domain)
{
	return domain ? domain->type : IOMMU_DOMAIN_BLOCKED;
}

static bool is_paging(const struct iommu_domain *d)
{
	return d && (d->type == IOMMU_DOMAIN_UNMANAGED || d->type == IOMMU_DOMAIN_DMA);
}

/* ---- domains ---- */

struct iommu_domain *iommu_paging_domain_alloc_flags(struct device *dev, unsigned flags, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	struct dev_iommu *di = dev_iommu(dev);
	if (!di) {
		*err = -ENODEV;
		return NULL;
	}
	if (!di->ops->domain_alloc_paging) {
		*err = -ENODEV;
		return NULL;
	}
	*err = 0;
	struct iommu_domain *d = di->ops->domain_alloc_paging(dev, flags, err);
	if (d) {
		d->type = IOMMU_DOMAIN_UNMANAGED;
		/* The host tracks what users allocate, so its teardown can
		 * release what they left attached. */
		pthread_mutex_lock(&dev->host->lock);
		list_add_tail(&d->host_node, &dev->host->domains);
		d->listed = true;
		pthread_mutex_unlock(&dev->host->lock);
	} else if (!*err) {
		*err = -ENOMEM;
	}
	return d;
}

struct iommu_domain *iommu_paging_domain_alloc(struct device *dev)
{
	return iommu_paging_domain_alloc_flags(dev, 0, NULL);
}

struct iommu_domain *iommu_domain_alloc(struct uiommu_host *h)
{
	/* Any device served by the host's IOMMU driver can stand for "the
	 * bus" of the old interface. */
	struct device *dev;
	if (!h)
		return NULL;
	list_for_each_entry(dev, &h->devices, node)
		if (dev->iommu)
			return iommu_paging_domain_alloc(dev);
	return NULL;
}

int iommu_domain_free(struct iommu_domain *domain)
{
	if (!domain)
		return 0;
	if (domain->attach_users || domain->aux_users)
		return -EBUSY;
	/* Default domains belong to their group, the identity and blocking
	 * domains to the driver: only what a user allocated is theirs. */
	if (!domain->listed)
		return -EBUSY;
	if (!domain->ops->free)
		return -ENODEV;
	pthread_mutex_lock(&domain->host->lock);
	list_del(&domain->host_node);
	domain->listed = false;
	pthread_mutex_unlock(&domain->host->lock);
	domain->ops->free(domain);
	return 0;
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
	    (iova < domain->geometry.aperture_start || iova + size - 1 > domain->geometry.aperture_end))
		return -EFAULT;
	uint64_t mapped = 0;
	int rc = domain->ops->map_pages(domain, iova, paddr, size, prot, &mapped);
	if (rc && mapped)
		iommu_unmap(domain, iova, mapped); /* nothing half-done stays */
	return rc;
}

uint64_t iommu_unmap(struct iommu_domain *domain, uint64_t iova, uint64_t size)
{
	if (!is_paging(domain) || !domain->ops->unmap_pages || !size || iova + size < iova)
		return 0;
	struct iommu_iotlb_gather g;
	iommu_iotlb_gather_init(&g);
	uint64_t n = domain->ops->unmap_pages(domain, iova, size, &g);
	if (domain->ops->iotlb_sync)
		domain->ops->iotlb_sync(domain, &g);
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

/* ---- attaching groups ---- */

/* Switch every device of the group to `domain`; undo on failure. Caller
 * holds the group lock. */
static int group_set_domain(struct iommu_group *g, struct iommu_domain *domain)
{
	struct group_iommu *gr = gi(g);
	struct iommu_domain *old = gr->domain;
	if (old == domain)
		return 0;
	if (!domain->ops->attach_dev)
		return -ENODEV;
	struct device *dev;
	int rc = 0;
	list_for_each_entry(dev, &g->devices, group_node) {
		if (!dev->iommu)
			continue;
		rc = domain->ops->attach_dev(domain, dev);
		if (rc)
			break;
	}
	if (rc) {
		struct device *d2;
		list_for_each_entry(d2, &g->devices, group_node) {
			if (d2 == dev)
				break;
			if (d2->iommu && old)
				old->ops->attach_dev(old, d2);
		}
		return rc;
	}
	if (old)
		old->attach_users--;
	domain->attach_users++;
	gr->domain = domain;
	return 0;
}

static bool group_has_aux(struct iommu_group *g)
{
	struct device *dev;
	list_for_each_entry(dev, &g->devices, group_node)
		if (dev->iommu && dev->iommu->nr_aux)
			return true;
	return false;
}

int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	struct group_iommu *gr = gi(group);
	if (!domain || !gr)
		return -ENODEV;
	if (domain->host != group->host)
		return -EINVAL; /* another machine's domain: its flushes never reach here */
	if (domain->type == IOMMU_DOMAIN_NESTED ? false : !domain->ops->attach_dev)
		return -ENODEV;
	pthread_mutex_lock(&gr->lock);
	int rc;
	if (group_has_aux(group))
		rc = -EPERM; /* the whole device is not handed out under PASID users */
	else if (gr->domain != gr->default_domain && gr->domain != gr->blocking_domain)
		rc = -EBUSY;
	else
		rc = group_set_domain(group, domain);
	pthread_mutex_unlock(&gr->lock);
	return rc;
}

void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	struct group_iommu *gr = gi(group);
	if (!domain || !gr)
		return;
	pthread_mutex_lock(&gr->lock);
	if (gr->domain == domain)
		group_set_domain(group, gr->owner_cnt ? gr->blocking_domain : gr->default_domain);
	pthread_mutex_unlock(&gr->lock);
}

int iommu_attach_device(struct iommu_domain *domain, struct device *dev)
{
	if (!dev || !dev->iommu || !dev->group)
		return -ENODEV;
	/* Only a device alone in its group can be attached on its own. */
	if (dev->group->nr_devices != 1)
		return -EINVAL;
	return iommu_attach_group(domain, dev->group);
}

void iommu_detach_device(struct iommu_domain *domain, struct device *dev)
{
	if (dev && dev->group && dev->group->nr_devices == 1)
		iommu_detach_group(domain, dev->group);
}

struct iommu_domain *iommu_get_domain_for_dev(struct device *dev)
{
	struct group_iommu *gr = dev ? gi(dev->group) : NULL;
	if (!gr)
		return NULL;
	pthread_mutex_lock(&gr->lock);
	struct iommu_domain *d = gr->domain;
	pthread_mutex_unlock(&gr->lock);
	return d;
}

int iommu_group_replace_domain(struct iommu_group *group, struct iommu_domain *domain)
{
	struct group_iommu *gr = gi(group);
	if (!gr || !domain)
		return -ENODEV;
	if (domain->host != group->host)
		return -EINVAL;
	pthread_mutex_lock(&gr->lock);
	int rc = gr->owner_cnt ? group_set_domain(group, domain) : -EPERM;
	pthread_mutex_unlock(&gr->lock);
	return rc;
}

/* ---- DMA ownership (VFIO, iommufd) ---- */

int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner)
{
	struct group_iommu *gr = gi(group);
	if (!gr || !owner)
		return -EINVAL;
	pthread_mutex_lock(&gr->lock);
	int rc = 0;
	if (gr->owner_cnt) {
		if (gr->owner == owner)
			gr->owner_cnt++;
		else
			rc = -EBUSY;
	} else if (gr->domain != gr->default_domain || group_has_aux(group)) {
		/* The kernel is using the group some other way. */
		rc = -EBUSY;
	} else {
		rc = group_set_domain(group, gr->blocking_domain);
		if (!rc) {
			gr->owner = owner;
			gr->owner_cnt = 1;
		}
	}
	pthread_mutex_unlock(&gr->lock);
	return rc;
}

void iommu_group_release_dma_owner(struct iommu_group *group)
{
	struct group_iommu *gr = gi(group);
	if (!gr)
		return;
	pthread_mutex_lock(&gr->lock);
	if (gr->owner_cnt && --gr->owner_cnt == 0) {
		gr->owner = NULL;
		group_set_domain(group, gr->default_domain);
	}
	pthread_mutex_unlock(&gr->lock);
}

bool iommu_group_dma_owner_claimed(struct iommu_group *group)
{
	struct group_iommu *gr = gi(group);
	return gr && gr->owner_cnt;
}

int iommu_attach_group_owned(struct iommu_domain *domain, struct iommu_group *group)
{
	struct group_iommu *gr = gi(group);
	if (!gr || !domain)
		return -ENODEV;
	if (domain->host != group->host)
		return -EINVAL;
	pthread_mutex_lock(&gr->lock);
	int rc = !gr->owner_cnt ? -EPERM :
		 gr->domain != gr->blocking_domain ? -EBUSY : group_set_domain(group, domain);
	pthread_mutex_unlock(&gr->lock);
	return rc;
}

/* ---- faults ---- */

void iommu_set_fault_handler(struct iommu_domain *domain, iommu_fault_handler_t handler,
			     void *token)
{
	if (!domain)
		return;
	domain->handler = handler;
	domain->handler_token = token;
}

void iommu_set_iopf_handler(struct iommu_domain *domain, iommu_iopf_handler_t handler,
			    void *token)
{
	if (!domain)
		return;
	domain->iopf_handler = handler;
	domain->iopf_token = token;
}

/* The domain installed for (dev, pasid) right now. */
static struct iommu_domain *domain_at(struct device *dev, bool pasid_valid, ioasid_t pasid)
{
	struct group_iommu *gr = gi(dev->group);
	if (!gr)
		return NULL;
	pthread_mutex_lock(&gr->lock);
	struct iommu_domain *d = NULL;
	if (!pasid_valid || pasid == IOMMU_NO_PASID) {
		d = gr->domain;
	} else {
		struct group_pasid *gp;
		list_for_each_entry(gp, &gr->pasids, node)
			if (gp->dev == dev && gp->pasid == pasid)
				d = gp->domain;
	}
	pthread_mutex_unlock(&gr->lock);
	return d;
}

void iommu_report_fault(struct device *dev, ioasid_t pasid, bool pasid_valid, uint64_t addr,
			bool write, uint8_t reason)
{
	struct uiommu_host *h = dev->host;
	pthread_mutex_lock(&h->fault_lock);
	h->nr_faults++;
	struct host_fault *f = &h->fault_log[h->fault_head++ % HOST_FAULT_LOG];
	f->dev = dev;
	f->pasid = pasid;
	f->pasid_valid = pasid_valid;
	f->addr = addr;
	f->write = write;
	f->reason = reason;
	pthread_mutex_unlock(&h->fault_lock);

	struct iommu_domain *d = domain_at(dev, pasid_valid, pasid);
	if (d && d->handler)
		d->handler(d, dev, addr, write ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ,
			   d->handler_token);
}

void iommu_report_page_request(struct iommu_page_request *req)
{
	struct iommu_domain *d = domain_at(req->dev, req->pasid_valid, req->pasid);
	if (d && d->iopf_handler) {
		d->iopf_handler(d, req, d->iopf_token);
		return;
	}
	/* Nobody handles recoverable faults there: answer Invalid so the
	 * device stops waiting. */
	iommu_page_response(req->dev, req, IOMMU_PAGE_RESP_INVALID);
}

int iommu_page_response(struct device *dev, const struct iommu_page_request *req,
			enum iommu_page_response_code code)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!di || !req)
		return -ENODEV;
	if (!di->ops->page_response)
		return -ENODEV;
	return di->ops->page_response(dev, req, code);
}

/* ---- host bring-up ---- */

static int group_init(struct iommu_group *g)
{
	struct group_iommu *gr = calloc(1, sizeof(*gr));
	if (!gr)
		return -ENOMEM;
	pthread_mutex_init(&gr->lock, NULL);
	list_init(&gr->pasids);
	g->iommu = gr;
	struct device *first = NULL, *dev;
	list_for_each_entry(dev, &g->devices, group_node) {
		if (dev->iommu) {
			first = dev;
			break;
		}
	}
	if (!first)
		return 0;
	const struct iommu_ops *ops = first->iommu->ops;
	gr->blocking_domain = ops->blocked_domain ? ops->blocked_domain(first) : NULL;
	/* The default domain: a DMA-API paging domain (strict translation,
	 * nothing mapped), or pass-through if the host asks for it. */
	struct iommu_domain *def = NULL;
	if (first->host->default_identity && ops->identity_domain)
		def = ops->identity_domain(first);
	/* A unit without pass-through support has no identity domain: the
	 * group keeps a translating default domain instead. */
	if (!def) {
		int err;
		def = ops->domain_alloc_paging(first, 0, &err);
		if (def)
			def->type = IOMMU_DOMAIN_DMA;
	}
	if (!def || !gr->blocking_domain)
		return -ENOMEM;
	gr->default_domain = def;
	pthread_mutex_lock(&gr->lock);
	int rc = group_set_domain(g, def);
	pthread_mutex_unlock(&gr->lock);
	return rc;
}

int iommu_host_init(struct uiommu_host *h)
{
	if (h->m->nr_units == 0)
		return 0;
	int rc = intel_iommu_init(h);
	if (rc)
		return rc;
	if ((rc = iommu_pasid_space_init(h)))
		return rc;
	struct device *dev;
	list_for_each_entry(dev, &h->devices, node) {
		if (!dev->group)
			continue;
		struct dev_iommu *di = calloc(1, sizeof(*di));
		if (!di)
			return -ENOMEM;
		di->ops = &intel_iommu_ops;
		list_init(&di->aux_domains);
		dev->iommu = di;
		rc = di->ops->probe_device(dev);
		if (rc) {
			free(di);
			dev->iommu = NULL;
			if (rc != -ENODEV)
				return rc;
		}
	}
	struct iommu_group *g;
	list_for_each_entry(g, &h->groups, node)
		if ((rc = group_init(g)))
			return rc;
	return 0;
}

void iommu_host_fini(struct uiommu_host *h)
{
	struct iommu_group *g;
	list_for_each_entry(g, &h->groups, node) {
		struct group_iommu *gr = gi(g);
		if (!gr)
			continue;
		struct group_pasid *gp, *t;
		list_for_each_entry_safe(gp, t, &gr->pasids, node) {
			if (gp->dev->iommu && gp->dev->iommu->ops->remove_dev_pasid)
				gp->dev->iommu->ops->remove_dev_pasid(gp->dev, gp->pasid, gp->domain);
			gp->domain->attach_users--;
			list_del(&gp->node);
			free(gp);
		}
		if (gr->blocking_domain && gr->domain != gr->blocking_domain)
			group_set_domain(g, gr->blocking_domain);
		if (gr->default_domain && gr->default_domain->type == IOMMU_DOMAIN_DMA) {
			gr->default_domain->attach_users = 0;
			gr->default_domain->ops->free(gr->default_domain);
		}
	}
	struct device *dev;
	list_for_each_entry(dev, &h->devices, node) {
		if (!dev->iommu)
			continue;
		struct aux_attach *a, *at;
		list_for_each_entry_safe(a, at, &dev->iommu->aux_domains, node) {
			list_del(&a->node);
			free(a);
		}
		if (dev->iommu->ops->release_device)
			dev->iommu->ops->release_device(dev);
		free(dev->iommu);
		dev->iommu = NULL;
	}
	list_for_each_entry(g, &h->groups, node) {
		struct group_iommu *gr = gi(g);
		if (!gr)
			continue;
		pthread_mutex_destroy(&gr->lock);
		free(gr);
		g->iommu = NULL;
	}
	/* What users left allocated: nothing uses it any more. */
	struct iommu_domain *d, *dt;
	list_for_each_entry_safe(d, dt, &h->domains, host_node) {
		list_del(&d->host_node);
		d->listed = false;
		d->attach_users = 0;
		d->aux_users = 0;
		d->ops->free(d);
	}
	iommu_pasid_space_fini(h);
	intel_iommu_exit(h);
}
