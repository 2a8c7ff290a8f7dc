/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finding capabilities by walking configuration space (PCI 6.7, PCIe
 * 7.6): the standard list from PCI_CAPABILITY_LIST, the extended list
 * from 0x100. Both walks are bounded, so a looped list cannot hang us.
 */
#include "pci.h"

#define PCI_FIND_CAP_TTL 48

uint8_t pci_find_capability(const struct pci_dev *pdev, uint8_t id)
{
	uint16_t status;
	pci_read_config_word(pdev, PCI_STATUS, &status);
	if (!(status & PCI_STATUS_CAP_LIST))
		return 0;
	uint8_t pos;
	pci_read_config_byte(pdev, PCI_CAPABILITY_LIST, &pos);
	for (unsigned ttl = PCI_FIND_CAP_TTL; ttl && pos >= 0x40; ttl--) {
		pos &= ~3;
		uint8_t cap;
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_ID, &cap);
		if (cap == 0xff)
			break;
		if (cap == id)
			return pos;
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_NEXT, &pos);
	}
	return 0;
}

/* The extended capability `id` after `start` (0: the first). */
static uint16_t find_ext_from(const struct pci_dev *pdev, uint16_t start, uint16_t id)
{
	if (pdev->cfg_size <= PCI_CFG_SPACE_SIZE)
		return 0;
	uint16_t pos = PCI_EXT_CAP_START;
	uint32_t header;
	pci_read_config_dword(pdev, pos, &header);
	/* (PCI_CFG_SPACE_EXP_SIZE - 256) / 8 headers at most. */
	for (unsigned ttl = 480; ttl && header && header != ~0u; ttl--) {
		if (PCI_EXT_CAP_ID(header) == id && pos > start)
			return pos;
		pos = (uint16_t)PCI_EXT_CAP_NEXT(header);
		if (pos < PCI_EXT_CAP_START)
			break;
		pci_read_config_dword(pdev, pos, &header);
	}
	return 0;
}

uint16_t pci_find_ext_capability(const struct pci_dev *pdev, uint16_t id)
{
	return find_ext_from(pdev, 0, id);
}

uint16_t pci_find_vsec_capability(const struct pci_dev *pdev, uint16_t vsec_id)
{
	for (uint16_t pos = find_ext_from(pdev, 0, PCI_EXT_CAP_ID_VNDR); pos;
	     pos = find_ext_from(pdev, pos, PCI_EXT_CAP_ID_VNDR)) {
		uint32_t h;
		pci_read_config_dword(pdev, pos + PCI_VNDR_HEADER, &h);
		if ((h & 0xffff) == vsec_id)
			return pos;
	}
	return 0;
}
