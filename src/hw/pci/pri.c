/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "pci.h"
#include "pri.h"
#include "../vtd/vtd.h"

int pci_pri_page_request(struct hw_pci_function *d, uint32_t pasid, bool priv, uint64_t addr,
			 bool read, bool write, bool exec, unsigned prgi, bool last)
{
	if (!hw_pci_pri_enabled(d) || !d->unit)
		return -ENODEV;
	if (pasid != VTD_PASID_NONE && !hw_pci_pasid_enabled(d))
		return -EINVAL;
	/* After a Response Failure the function issues no page requests
	 * until software resets PRI (PCIe 10.4.2.1). */
	if (hw_pci_cfg_get16(d, d->ecap_pri + PCI_PRI_STATUS) & PCI_PRI_STATUS_RF)
		return -EIO;

	uint32_t alloc = hw_pci_cfg_read(d, d->ecap_pri + PCI_PRI_ALLOC_REQ, 4);
	pthread_mutex_lock(&d->pri_lock);
	if (d->pri_outstanding >= alloc) {
		pthread_mutex_unlock(&d->pri_lock);
		return -EBUSY;
	}
	d->pri_outstanding++;
	pthread_mutex_unlock(&d->pri_lock);

	struct vtd_page_req r = {
		.sid = d->dma_sid,
		.pasid = pasid,
		.priv = priv,
		.exec = exec,
		.read = read,
		.write = write,
		.last = last,
		.prgi = prgi & 0x1ff,
		.addr = addr,
	};
	enum vtd_prq_result res;
	if (vtd_page_request(d->unit, &r, &res) || res == VTD_PRQ_DROPPED) {
		/* Nothing will answer a request the unit did not take. */
		pthread_mutex_lock(&d->pri_lock);
		if (d->pri_outstanding)
			d->pri_outstanding--;
		pthread_mutex_unlock(&d->pri_lock);
		return -EIO;
	}
	return 0;
}

void pci_prg_response(struct hw_pci_function *d, uint32_t pasid, bool pasid_valid, unsigned prgi,
		      unsigned code)
{
	/* A response releases the group's requests; this model counts one
	 * request per group outstanding at a time, as its devices issue. */
	pthread_mutex_lock(&d->pri_lock);
	if (d->pri_outstanding)
		d->pri_outstanding--;
	pthread_mutex_unlock(&d->pri_lock);

	if (d->ecap_pri && code != 0) {
		/* A failure response stops PRI until software resets it
		 * (PCIe 10.4.2.1: Response Failure sets RF). */
		uint16_t st = hw_pci_cfg_get16(d, d->ecap_pri + PCI_PRI_STATUS);
		if (code == 0xf)
			st |= PCI_PRI_STATUS_RF;
		hw_pci_cfg_set16(d, d->ecap_pri + PCI_PRI_STATUS, st);
	}
	if (d->ops && d->ops->prg_response)
		d->ops->prg_response(d, pasid, pasid_valid, prgi, code);
}
