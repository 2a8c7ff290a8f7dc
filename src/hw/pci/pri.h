/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page Request Interface, the device side (PCIe 10.4): a function with PRI
 * enabled may have up to the allocated number of page requests
 * outstanding; a PRG response for a group releases them and is handed to
 * the device model.
 */
#ifndef UIOMMU_HW_PCI_PRI_H
#define UIOMMU_HW_PCI_PRI_H

#include <stdbool.h>
#include <stdint.h>

struct hw_pci_function;

/* Returns 0 when the request went out (queued, or answered by the unit),
 * -ENODEV without PRI enabled or an IOMMU to take it, -EBUSY when the
 * allocation is used up, -EIO when the unit refused it. */
int pci_pri_page_request(struct hw_pci_function *d, uint32_t pasid, bool priv, uint64_t addr,
			 bool read, bool write, bool exec, unsigned prgi, bool last);

/* From the IOMMU: the response to page group `prgi`. */
void pci_prg_response(struct hw_pci_function *d, uint32_t pasid, bool pasid_valid, unsigned prgi,
		      unsigned code);

#endif
