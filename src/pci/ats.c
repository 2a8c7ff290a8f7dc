/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PASID, ATS and PRI (Linux drivers/pci/ats.c in shape): how the kernel
 * turns them on in a function's configuration space, with the ordering
 * rules the spec imposes.
 */
#include <errno.h>

#include "pci.h"

static uint16_t rd16(const struct pci_dev *pdev, unsigned off)
{
	uint16_t v;
	pci_read_config_word(pdev, off, &v);
	return v;
}

bool pci_pasid_enabled(const struct pci_dev *pdev)
{
	return pdev->pasid_cap &&
	       (rd16(pdev, pdev->pasid_cap + PCI_PASID_CTRL) & PCI_PASID_CTRL_ENABLE);
}

bool pci_ats_enabled(const struct pci_dev *pdev)
{
	return pdev->ats_cap && (rd16(pdev, pdev->ats_cap + PCI_ATS_CTRL) & PCI_ATS_CTRL_ENABLE);
}

bool pci_pri_enabled(const struct pci_dev *pdev)
{
	return pdev->pri_cap && (rd16(pdev, pdev->pri_cap + PCI_PRI_CTRL) & PCI_PRI_CTRL_ENABLE);
}

int pci_enable_pasid(struct pci_dev *pdev, bool priv)
{
	if (!pdev->pasid_cap)
		return -EINVAL;
	if (pci_ats_enabled(pdev))
		return -EBUSY;
	if (!pdev->eetlp_prefix_path)
		return -EIO;
	uint16_t cap = rd16(pdev, pdev->pasid_cap + PCI_PASID_CAP);
	uint16_t ctrl = PCI_PASID_CTRL_ENABLE;
	if (priv && (cap & PCI_PASID_CAP_PRIV))
		ctrl |= PCI_PASID_CTRL_PRIV;
	return pci_write_config_word(pdev, pdev->pasid_cap + PCI_PASID_CTRL, ctrl);
}

void pci_disable_pasid(struct pci_dev *pdev)
{
	if (pdev->pasid_cap)
		pci_write_config_word(pdev, pdev->pasid_cap + PCI_PASID_CTRL, 0);
}

unsigned pci_max_pasids(const struct pci_dev *pdev)
{
	if (!pdev->pasid_cap)
		return 0;
	unsigned w = PCI_PASID_CAP_WIDTH(rd16(pdev, pdev->pasid_cap + PCI_PASID_CAP));
	return w ? 1u << w : 0;
}

int pci_enable_ats(struct pci_dev *pdev)
{
	if (!pdev->ats_cap)
		return -EINVAL;
	/* Smallest translation unit: 4 KiB (STU 0). */
	return pci_write_config_word(pdev, pdev->ats_cap + PCI_ATS_CTRL, PCI_ATS_CTRL_ENABLE);
}

void pci_disable_ats(struct pci_dev *pdev)
{
	if (pdev->ats_cap)
		pci_write_config_word(pdev, pdev->ats_cap + PCI_ATS_CTRL, 0);
}

unsigned pci_ats_queue_depth(const struct pci_dev *pdev)
{
	if (!pdev->ats_cap)
		return 0;
	unsigned q = PCI_ATS_CAP_QDEP(rd16(pdev, pdev->ats_cap + PCI_ATS_CAP));
	return q ? q : 32;
}

int pci_enable_pri(struct pci_dev *pdev, unsigned requests)
{
	if (!pdev->pri_cap)
		return -EINVAL;
	uint32_t max;
	pci_read_config_dword(pdev, pdev->pri_cap + PCI_PRI_MAX_REQ, &max);
	if (requests > max)
		requests = max;
	pci_write_config_word(pdev, pdev->pri_cap + PCI_PRI_CTRL, PCI_PRI_CTRL_RESET);
	pci_write_config_dword(pdev, pdev->pri_cap + PCI_PRI_ALLOC_REQ, requests);
	return pci_write_config_word(pdev, pdev->pri_cap + PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE);
}

void pci_disable_pri(struct pci_dev *pdev)
{
	if (pdev->pri_cap)
		pci_write_config_word(pdev, pdev->pri_cap + PCI_PRI_CTRL, 0);
}
