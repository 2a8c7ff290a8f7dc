/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Faults (SPEC A-1, H-8, U-11): a DMA remapping fault the driver's fault
 * interrupt reports goes to the log and to the handler of the domain
 * installed at the (RID, PASID) that faulted; a page request to the
 * domain's I/O page fault handler, or is answered Invalid.
 */
#include <errno.h>

#include "iommu.h"
#include "group.h"

void iommu_set_fault_handler(struct iommu_domain *domain, iommu_fault_handler_t handler,
			     void *token)
{
	if (!domain)
		return;
	domain->handler = handler;
	domain->handler_token = token;
}

void iommu_set_fault_event_handler(struct iommu_domain *domain,
				   void (*fn)(struct iommu_domain *domain,
					      const struct iommu_fault_record *f, void *token),
				   void *token)
{
	if (!domain)
		return;
	domain->fault_event = fn;
	domain->fault_event_token = token;
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
	struct iommu_group *g = dev->group;
	if (!iommu_group_translated(g))
		return NULL;
	pthread_mutex_lock(&g->lock);
	struct iommu_domain *d = NULL;
	if (!pasid_valid || pasid == IOMMU_NO_PASID) {
		d = g->domain;
	} else {
		struct group_pasid *gp;
		list_for_each_entry(gp, &g->pasids, node)
			if (gp->dev == dev && gp->pasid == pasid)
				d = gp->domain;
		/* A guest-owned PASID table: its PASIDs are the nested
		 * domain's on the RID. */
		if (!d && dev->iommu && dev->iommu->ops->user_pasid_table && g->domain &&
		    g->domain->type == IOMMU_DOMAIN_NESTED)
			d = g->domain;
	}
	pthread_mutex_unlock(&g->lock);
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
	if (d && d->handler)
		d->handler(d, dev, addr, write ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ,
			   d->handler_token);
	if (d && d->fault_event)
		d->fault_event(d, &rec, d->fault_event_token);
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
