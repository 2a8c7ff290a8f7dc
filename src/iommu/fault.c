/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Faults (SPEC A-1, H-8, U-11): a DMA remapping fault the driver's fault
 * interrupt reports goes to the log and to the handler of the domain
 * installed at the (RID, PASID) that faulted; a page request to the
 * domain's I/O page fault handler, or is answered Invalid.
 *
 * Delivery looks the domain up under the lock that guards the attachment
 * (the group's for the RID, the device's for a PASID) and holds a
 * reference while the handler runs: a detach and a free meanwhile leave
 * it alive until the handler returns.
 */
#include <errno.h>

#include "iommu.h"
#include "group.h"

void iommu_set_fault_handler(struct iommu_domain *domain, iommu_fault_handler_t handler,
			     void *token)
{
	if (!domain)
		return;
	atomic_store_explicit(&domain->handler_token, token, memory_order_relaxed);
	atomic_store_explicit(&domain->handler, handler, memory_order_release);
}

void iommu_set_fault_event_handler(struct iommu_domain *domain,
				   void (*fn)(struct iommu_domain *domain,
					      const struct iommu_fault_record *f, void *token),
				   void *token)
{
	if (!domain)
		return;
	atomic_store_explicit(&domain->fault_event_token, token, memory_order_relaxed);
	atomic_store_explicit(&domain->fault_event, fn, memory_order_release);
}

void iommu_set_iopf_handler(struct iommu_domain *domain, iommu_iopf_handler_t handler,
			    void *token)
{
	if (!domain)
		return;
	atomic_store_explicit(&domain->iopf_token, token, memory_order_relaxed);
	atomic_store_explicit(&domain->iopf_handler, handler, memory_order_release);
}

/* The domain installed for (dev, pasid) right now, with a reference the
 * caller puts. */
static struct iommu_domain *domain_at(struct device *dev, bool pasid_valid, ioasid_t pasid)
{
	struct iommu_group *g = dev->group;
	struct dev_iommu *di = dev->iommu;
	if (!iommu_group_translated(g) || !di)
		return NULL;
	struct iommu_domain *d;
	if (!pasid_valid || pasid == IOMMU_NO_PASID) {
		pthread_mutex_lock(&g->lock);
		d = g->domain;
		if (d)
			iommu_domain_get(d);
		pthread_mutex_unlock(&g->lock);
	} else {
		pthread_mutex_lock(&di->lock);
		d = xa_load(&di->pasids, pasid);
		if (d)
			iommu_domain_get(d);
		pthread_mutex_unlock(&di->lock);
		/* A guest-owned PASID table: its PASIDs are the nested
		 * domain's on the RID. */
		if (!d && di->ops->user_pasid_table) {
			pthread_mutex_lock(&g->lock);
			if (g->domain && g->domain->type == IOMMU_DOMAIN_NESTED) {
				d = g->domain;
				iommu_domain_get(d);
			}
			pthread_mutex_unlock(&g->lock);
		}
	}
	return d;
}

void iommu_report_fault(struct device *dev, ioasid_t pasid, bool pasid_valid, uint64_t addr,
			bool write, uint8_t reason)
{
	struct iommu_core *core = iommu_core_of(dev->host);
	struct iommu_fault_record rec = { .dev = dev, .pasid = pasid, .pasid_valid = pasid_valid,
					  .addr = addr, .write = write, .reason = reason };
	pthread_mutex_lock(&core->fault_lock);
	core->nr_faults++;
	core->fault_log[core->fault_head++ % IOMMU_FAULT_LOG] = rec;
	pthread_mutex_unlock(&core->fault_lock);

	struct iommu_domain *d = domain_at(dev, pasid_valid, pasid);
	if (!d)
		return;
	iommu_fault_handler_t fn = atomic_load_explicit(&d->handler, memory_order_acquire);
	if (fn)
		fn(d, dev, addr, write ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ,
		   atomic_load_explicit(&d->handler_token, memory_order_relaxed));
	void (*ev)(struct iommu_domain *, const struct iommu_fault_record *, void *) =
		atomic_load_explicit(&d->fault_event, memory_order_acquire);
	if (ev)
		ev(d, &rec, atomic_load_explicit(&d->fault_event_token, memory_order_relaxed));
	iommu_domain_put(d);
}

unsigned long iommu_fault_count(struct uiommu_host *h)
{
	struct iommu_core *core = iommu_core_of(h);
	if (!core)
		return 0;
	pthread_mutex_lock(&core->fault_lock);
	unsigned long n = core->nr_faults;
	pthread_mutex_unlock(&core->fault_lock);
	return n;
}

bool iommu_fault_last(struct uiommu_host *h, struct iommu_fault_record *out)
{
	struct iommu_core *core = iommu_core_of(h);
	if (!core)
		return false;
	pthread_mutex_lock(&core->fault_lock);
	bool any = core->nr_faults != 0;
	if (any)
		*out = core->fault_log[(core->fault_head - 1) % IOMMU_FAULT_LOG];
	pthread_mutex_unlock(&core->fault_lock);
	return any;
}

void iommu_report_page_request(struct iommu_page_request *req)
{
	struct iommu_domain *d = domain_at(req->dev, req->pasid_valid, req->pasid);
	iommu_iopf_handler_t fn = d ? atomic_load_explicit(&d->iopf_handler, memory_order_acquire) :
				      NULL;
	if (fn) {
		fn(d, req, atomic_load_explicit(&d->iopf_token, memory_order_relaxed));
		iommu_domain_put(d);
		return;
	}
	if (d)
		iommu_domain_put(d);
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
