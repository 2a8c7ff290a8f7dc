/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration and MMIO accessors (Linux drivers/pci/access.c): every
 * access the kernel makes to a function goes through the host bridge's
 * ECAM window or the function's BARs (hw/iface/pci.h).
 */
#include <errno.h>

#include "pci.h"
#include "../hw/iface/pci.h"

static bool bad(const struct pci_dev *pdev, unsigned off, unsigned size)
{
	return off + size > pdev->cfg_size || (off & (size - 1));
}

static uint32_t rd(const struct pci_dev *pdev, unsigned off, unsigned size)
{
	return hw_ecam_read(pdev->bus->bridge->m, pdev->bus->number, pdev->devfn, off, size);
}

static int wr(struct pci_dev *pdev, unsigned off, unsigned size, uint32_t val)
{
	if (bad(pdev, off, size))
		return -EINVAL;
	return hw_ecam_write(pdev->bus->bridge->m, pdev->bus->number, pdev->devfn, off, size, val);
}

int pci_read_config_byte(const struct pci_dev *pdev, unsigned off, uint8_t *val)
{
	*val = 0xff;
	if (bad(pdev, off, 1))
		return -EINVAL;
	*val = (uint8_t)rd(pdev, off, 1);
	return 0;
}

int pci_read_config_word(const struct pci_dev *pdev, unsigned off, uint16_t *val)
{
	*val = 0xffff;
	if (bad(pdev, off, 2))
		return -EINVAL;
	*val = (uint16_t)rd(pdev, off, 2);
	return 0;
}

int pci_read_config_dword(const struct pci_dev *pdev, unsigned off, uint32_t *val)
{
	*val = ~0u;
	if (bad(pdev, off, 4))
		return -EINVAL;
	*val = rd(pdev, off, 4);
	return 0;
}

int pci_write_config_byte(struct pci_dev *pdev, unsigned off, uint8_t val)
{
	return wr(pdev, off, 1, val);
}

int pci_write_config_word(struct pci_dev *pdev, unsigned off, uint16_t val)
{
	return wr(pdev, off, 2, val);
}

int pci_write_config_dword(struct pci_dev *pdev, unsigned off, uint32_t val)
{
	return wr(pdev, off, 4, val);
}

int pci_bar_read(struct pci_dev *pdev, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	return hw_bar_read(pdev->bus->bridge->m, pdev->bus->number, pdev->devfn, bar, off, size,
			   val);
}

int pci_bar_write(struct pci_dev *pdev, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	return hw_bar_write(pdev->bus->bridge->m, pdev->bus->number, pdev->devfn, bar, off, size,
			    val);
}

int pci_bar_memory_fd(struct pci_dev *pdev, unsigned bar)
{
	return hw_bar_memory_fd(pdev->bus->bridge->m, pdev->bus->number, pdev->devfn, bar);
}

int pci_bar_movdir64b(struct pci_dev *pdev, unsigned bar, uint64_t off, const void *data)
{
	return hw_bar_store64b(pdev->bus->bridge->m, pdev->bus->number, pdev->devfn, bar, off,
			       data, HW_MOVDIR64B, 0, NULL);
}

int pci_bar_enqcmd(struct pci_dev *pdev, unsigned bar, uint64_t off, const void *data,
		   uint32_t pasid, bool *accepted)
{
	return hw_bar_store64b(pdev->bus->bridge->m, pdev->bus->number, pdev->devfn, bar, off,
			       data, HW_ENQCMD, pasid, accepted);
}

static void command_bits(struct pci_dev *pdev, uint16_t set, uint16_t clear)
{
	uint16_t cmd;
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	pci_write_config_word(pdev, PCI_COMMAND, (uint16_t)((cmd | set) & ~clear));
}

void pci_set_master(struct pci_dev *pdev)
{
	command_bits(pdev, PCI_COMMAND_MASTER, 0);
}

void pci_clear_master(struct pci_dev *pdev)
{
	command_bits(pdev, 0, PCI_COMMAND_MASTER);
}

void pci_enable_device_mem_master(struct pci_dev *pdev)
{
	command_bits(pdev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
}
