/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device quirks (Linux drivers/pci/quirks.c in shape): fixups matched by
 * vendor and device ID, run once a function is found. Here the DMA alias
 * quirks: functions that issue DMA with a requester ID other than their
 * own, which the IOMMU must know to program every ID and to group the
 * functions that share one.
 */
#include "pci.h"
#include "../util/compiler.h"

void pci_add_dma_alias(struct pci_dev *pdev, uint8_t devfn)
{
	pdev->dma_alias_mask[devfn / 8] |= (uint8_t)(1u << (devfn % 8));
}

/* Every function of the slot DMAs as function 0 (Ricoh card readers). */
static void quirk_dma_func0_alias(struct pci_dev *pdev)
{
	if (PCI_FUNC(pdev->devfn) != 0)
		pci_add_dma_alias(pdev, PCI_DEVFN(PCI_SLOT(pdev->devfn), 0));
}

/* ... as function 1 (Marvell SATA controllers). */
static void quirk_dma_func1_alias(struct pci_dev *pdev)
{
	if (PCI_FUNC(pdev->devfn) != 1)
		pci_add_dma_alias(pdev, PCI_DEVFN(PCI_SLOT(pdev->devfn), 1));
}

/* Functions that list the requester IDs they use in uiommu's alias
 * VSEC (<uiommu/hw/pci_regs.h>), as the Switchtec NTB quirk reads its
 * proxy IDs from the device. */
static void quirk_vsec_dma_alias(struct pci_dev *pdev)
{
	uint16_t pos = pci_find_vsec_capability(pdev, PCI_VSEC_ID_DMA_ALIAS);
	if (!pos)
		return;
	uint8_t n;
	pci_read_config_byte(pdev, pos + PCI_VSEC_DMA_ALIAS_NR, &n);
	for (unsigned i = 0; i < n && PCI_VSEC_DMA_ALIAS_DEVFN + i < PCI_VSEC_DMA_ALIAS_SIZEOF;
	     i++) {
		uint8_t devfn;
		pci_read_config_byte(pdev, pos + PCI_VSEC_DMA_ALIAS_DEVFN + i, &devfn);
		if (devfn != pdev->devfn)
			pci_add_dma_alias(pdev, devfn);
	}
}

static const struct pci_fixup {
	uint32_t vendor, device;       /* PCI_ANY_ID matches any */
	void (*hook)(struct pci_dev *pdev);
} fixups[] = {
	{ 0x1180, 0xe832, quirk_dma_func0_alias },
	{ 0x1180, 0xe476, quirk_dma_func0_alias },
	{ 0x1b4b, 0x9123, quirk_dma_func1_alias },
	{ 0x1b4b, 0x9128, quirk_dma_func1_alias },
	{ PCI_ANY_ID, PCI_ANY_ID, quirk_vsec_dma_alias },
};

void pci_fixup_device(struct pci_dev *pdev)
{
	for (unsigned i = 0; i < ARRAY_SIZE(fixups); i++) {
		const struct pci_fixup *f = &fixups[i];
		if ((f->vendor == PCI_ANY_ID || f->vendor == pdev->vendor) &&
		    (f->device == PCI_ANY_ID || f->device == pdev->device))
			f->hook(pdev);
	}
}
