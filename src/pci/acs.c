/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access Control Services as isolation (PCIe 6.12; Linux
 * pci_acs_enabled): whether peer-to-peer traffic from a function can
 * bypass the IOMMU, which is what IOMMU groups are formed from.
 */
#include "pci.h"

/* Source validation, request and completion redirect, upstream forwarding:
 * what peer-to-peer isolation needs (Linux REQ_ACS_FLAGS). */
#define REQ_ACS_FLAGS (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

static bool acs_flags_enabled(const struct pci_dev *pdev, uint16_t flags)
{
	if (!pdev->acs_cap)
		return false;
	/* Features the function does not implement are not required of it. */
	uint16_t cap, ctrl;
	pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CAP, &cap);
	pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CTRL, &ctrl);
	flags &= cap | PCI_ACS_EC;
	return (ctrl & flags) == flags;
}

bool pci_acs_enabled(const struct pci_dev *pdev)
{
	/* Conventional PCI is a shared bus: never isolated. */
	if (!pci_is_pcie(pdev))
		return false;
	switch (pci_pcie_type(pdev)) {
	case PCI_EXP_TYPE_PCI_BRIDGE:
	case PCI_EXP_TYPE_PCIE_BRIDGE:
		/* ACS is never applicable to a PCIe-to-PCI bridge (6.12.1). */
		return false;
	case PCI_EXP_TYPE_ROOT_PORT:
	case PCI_EXP_TYPE_DOWNSTREAM:
		return acs_flags_enabled(pdev, REQ_ACS_FLAGS);
	default:
		break;
	}
	/* Other types only implement ACS as part of a multifunction device
	 * (PCIe 6.12.1.2); a single function cannot do peer-to-peer. */
	if (pdev->multifunction)
		return acs_flags_enabled(pdev, REQ_ACS_FLAGS);
	return true;
}

bool pci_acs_path_enabled(const struct pci_dev *start)
{
	for (const struct pci_dev *pdev = start;; pdev = pdev->bus->self) {
		if (!pci_acs_enabled(pdev))
			return false;
		if (!pdev->bus->self)
			return true;
	}
}
