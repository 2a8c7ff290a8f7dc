/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's way into PCI hardware (hw/iface/pci.h): configuration
 * cycles by bus and devfn, and MMIO to BARs, routed to the function that
 * answers or aborted as the bus would.
 */
#include <errno.h>

#include "pci.h"
#include "../machine.h"

uint32_t hw_ecam_read(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned off,
		      unsigned size)
{
	struct hw_pci_function *d = hw_pci_function_by_rid(m, PCI_RID(bus, devfn));
	if (d)
		return hw_pci_cfg_read(d, off, size);
	/* Master abort: all ones, as wide as the access. */
	return size == 1 ? 0xffu : size == 2 ? 0xffffu : ~0u;
}

int hw_ecam_write(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned off, unsigned size,
		  uint32_t val)
{
	struct hw_pci_function *d = hw_pci_function_by_rid(m, PCI_RID(bus, devfn));
	return d ? hw_pci_cfg_write(d, off, size, val) : -ENODEV;
}

int hw_bar_read(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned bar, uint64_t off,
		unsigned size, uint64_t *val)
{
	struct hw_pci_function *d = hw_pci_function_by_rid(m, PCI_RID(bus, devfn));
	return d ? hw_pci_bar_read(d, bar, off, size, val) : -ENODEV;
}

int hw_bar_write(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned bar, uint64_t off,
		 unsigned size, uint64_t val)
{
	struct hw_pci_function *d = hw_pci_function_by_rid(m, PCI_RID(bus, devfn));
	return d ? hw_pci_bar_write(d, bar, off, size, val) : -ENODEV;
}

int hw_bar_memory_fd(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned bar)
{
	struct hw_pci_function *d = hw_pci_function_by_rid(m, PCI_RID(bus, devfn));
	if (!d || bar >= PCI_MAX_BARS)
		return -ENODEV;
	return d->bar_mem[bar] ? d->bar_memfd[bar] : -ENODEV;
}

int hw_bar_store64b(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned bar, uint64_t off,
		    const void *data, enum hw_store64b op, uint32_t pasid, bool *accepted)
{
	struct hw_pci_function *d = hw_pci_function_by_rid(m, PCI_RID(bus, devfn));
	bool dummy;
	if (!accepted)
		accepted = &dummy;
	*accepted = false;
	if (!d || !d->ops || !d->ops->bar_write64b)
		return -ENODEV;
	if (bar >= PCI_MAX_BARS || !d->bar_size[bar] || off >= d->bar_size[bar] ||
	    d->bar_size[bar] - off < 64)
		return -EINVAL;
	return d->ops->bar_write64b(d, bar, off, data, op, pasid, accepted);
}
