/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "pci.h"
#include "../hw/pci/pci.h"

static bool prefix_path_ok(const struct hw_pci_function *p)
{
	for (const struct hw_pci_function *b = p->bus->self; b; b = b->bus->self)
		if (b->cap_exp && !(hw_pci_cfg_read(b, b->cap_exp + PCI_EXP_DEVCAP2, 4) &
				    PCI_EXP_DEVCAP2_EE_PREFIX))
			return false;
	return true;
}

int pci_enable_pasid(struct hw_pci_function *p, bool priv)
{
	if (!p->ecap_pasid)
		return -EINVAL;
	if (hw_pci_ats_enabled(p))
		return -EBUSY;
	if (!prefix_path_ok(p))
		return -EIO;
	uint16_t cap = hw_pci_cfg_get16(p, p->ecap_pasid + PCI_PASID_CAP);
	uint16_t ctrl = PCI_PASID_CTRL_ENABLE;
	if (priv && (cap & PCI_PASID_CAP_PRIV))
		ctrl |= PCI_PASID_CTRL_PRIV;
	return hw_pci_cfg_write(p, p->ecap_pasid + PCI_PASID_CTRL, 2, ctrl);
}

void pci_disable_pasid(struct hw_pci_function *p)
{
	if (p->ecap_pasid)
		hw_pci_cfg_write(p, p->ecap_pasid + PCI_PASID_CTRL, 2, 0);
}

unsigned pci_max_pasids(const struct hw_pci_function *p)
{
	unsigned w = hw_pci_pasid_width(p);
	return w ? 1u << w : 0;
}

int pci_enable_ats(struct hw_pci_function *p)
{
	if (!p->ecap_ats)
		return -EINVAL;
	/* Smallest translation unit: 4 KiB (STU 0). */
	return hw_pci_cfg_write(p, p->ecap_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
}

void pci_disable_ats(struct hw_pci_function *p)
{
	if (p->ecap_ats)
		hw_pci_cfg_write(p, p->ecap_ats + PCI_ATS_CTRL, 2, 0);
}

unsigned pci_ats_queue_depth(const struct hw_pci_function *p)
{
	if (!p->ecap_ats)
		return 0;
	unsigned q = PCI_ATS_CAP_QDEP(hw_pci_cfg_get16(p, p->ecap_ats + PCI_ATS_CAP));
	return q ? q : 32;
}

int pci_enable_pri(struct hw_pci_function *p, unsigned requests)
{
	if (!p->ecap_pri)
		return -EINVAL;
	uint32_t max = hw_pci_cfg_read(p, p->ecap_pri + PCI_PRI_MAX_REQ, 4);
	if (requests > max)
		requests = max;
	hw_pci_cfg_write(p, p->ecap_pri + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_RESET);
	hw_pci_cfg_write(p, p->ecap_pri + PCI_PRI_ALLOC_REQ, 4, requests);
	return hw_pci_cfg_write(p, p->ecap_pri + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
}

void pci_disable_pri(struct hw_pci_function *p)
{
	if (p->ecap_pri)
		hw_pci_cfg_write(p, p->ecap_pri + PCI_PRI_CTRL, 2, 0);
}
