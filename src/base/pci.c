/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "pci.h"
#include "../hw/pci/pci.h"

static bool prefix_path_ok(const struct pci_dev *p)
{
	for (const struct pci_dev *b = p->bus->self; b; b = b->bus->self)
		if (b->no_tlp_prefix)
			return false;
	return true;
}

int pci_enable_pasid(struct pci_dev *p, bool priv)
{
	if (!p->ecap_pasid)
		return -EINVAL;
	if (pci_ats_enabled(p))
		return -EBUSY;
	if (!prefix_path_ok(p))
		return -EIO;
	uint16_t cap = pci_cfg_get16(p, p->ecap_pasid + PCI_PASID_CAP);
	uint16_t ctrl = PCI_PASID_CTRL_ENABLE;
	if (priv && (cap & PCI_PASID_CAP_PRIV))
		ctrl |= PCI_PASID_CTRL_PRIV;
	return pci_cfg_write(p, p->ecap_pasid + PCI_PASID_CTRL, 2, ctrl);
}

void pci_disable_pasid(struct pci_dev *p)
{
	if (p->ecap_pasid)
		pci_cfg_write(p, p->ecap_pasid + PCI_PASID_CTRL, 2, 0);
}

int pci_pasid_status(const struct pci_dev *p)
{
	if (!p->ecap_pasid)
		return -EINVAL;
	return pci_cfg_get16(p, p->ecap_pasid + PCI_PASID_CTRL);
}

unsigned pci_max_pasids(const struct pci_dev *p)
{
	unsigned w = pci_pasid_width(p);
	return w ? 1u << w : 0;
}

int pci_enable_ats(struct pci_dev *p)
{
	if (!p->ecap_ats)
		return -EINVAL;
	/* Smallest translation unit: 4 KiB (STU 0). */
	return pci_cfg_write(p, p->ecap_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
}

void pci_disable_ats(struct pci_dev *p)
{
	if (p->ecap_ats)
		pci_cfg_write(p, p->ecap_ats + PCI_ATS_CTRL, 2, 0);
}

unsigned pci_ats_queue_depth(const struct pci_dev *p)
{
	if (!p->ecap_ats)
		return 0;
	unsigned q = PCI_ATS_CAP_QDEP(pci_cfg_get16(p, p->ecap_ats + PCI_ATS_CAP));
	return q ? q : 32;
}

int pci_enable_pri(struct pci_dev *p, unsigned requests)
{
	if (!p->ecap_pri)
		return -EINVAL;
	uint32_t max = pci_cfg_read(p, p->ecap_pri + PCI_PRI_MAX_REQ, 4);
	if (requests > max)
		requests = max;
	pci_cfg_write(p, p->ecap_pri + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_RESET);
	pci_cfg_write(p, p->ecap_pri + PCI_PRI_ALLOC_REQ, 4, requests);
	return pci_cfg_write(p, p->ecap_pri + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
}

void pci_disable_pri(struct pci_dev *p)
{
	if (p->ecap_pri)
		pci_cfg_write(p, p->ecap_pri + PCI_PRI_CTRL, 2, 0);
}
