/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Function-level reset and the configuration state around it (Linux
 * pci_reset_function, pci_save_state/pci_restore_state): the writable
 * state a reset clears - bus mastering, BARs, the kernel's PASID, ATS and
 * PRI enables, the MSI/MSI-X programming - comes back once the function
 * is out of reset.
 */
#include <errno.h>
#include <stdlib.h>

#include "pci.h"
#include "../util/slab.h"

int pci_save_state(struct pci_dev *pdev)
{
	if (!pdev->saved_config) {
		pdev->saved_config = kcalloc(PCI_CFG_SPACE_EXP_SIZE / 4, sizeof(uint32_t));
		if (!pdev->saved_config)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < pdev->cfg_size / 4u; i++)
		pci_read_config_dword(pdev, 4 * i, &pdev->saved_config[i]);
	return 0;
}

void pci_restore_state(struct pci_dev *pdev)
{
	if (!pdev->saved_config)
		return;
	/* Only the writable bits take: the function keeps what it owns. The
	 * reset commands (DEVCTL/AF FLR) were saved as 0 and stay quiet. */
	for (unsigned i = 0; i < pdev->cfg_size / 4u; i++)
		pci_write_config_dword(pdev, 4 * i, pdev->saved_config[i]);
	/* The MSI-X table is in a BAR, not in config space. */
	pci_restore_msi_state(pdev);
}

int pci_reset_function_locked(struct pci_dev *pdev)
{
	if (pdev->pcie_cap) {
		uint32_t devcap;
		pci_read_config_dword(pdev, pdev->pcie_cap + PCI_EXP_DEVCAP, &devcap);
		if (devcap & PCI_EXP_DEVCAP_FLR) {
			uint16_t ctl;
			pci_read_config_word(pdev, pdev->pcie_cap + PCI_EXP_DEVCTL, &ctl);
			return pci_write_config_word(pdev, pdev->pcie_cap + PCI_EXP_DEVCTL,
						     ctl | PCI_EXP_DEVCTL_BCR_FLR);
		}
	}
	if (pdev->af_cap) {
		uint8_t cap;
		pci_read_config_byte(pdev, pdev->af_cap + PCI_AF_CAP, &cap);
		if (cap & PCI_AF_CAP_FLR)
			return pci_write_config_byte(pdev, pdev->af_cap + PCI_AF_CTRL,
						     PCI_AF_CTRL_FLR);
	}
	return -ENOTTY;
}

int pci_reset_function(struct pci_dev *pdev)
{
	int rc = pci_save_state(pdev);
	if (rc)
		return rc;
	rc = pci_reset_function_locked(pdev);
	pci_restore_state(pdev);
	return rc;
}
