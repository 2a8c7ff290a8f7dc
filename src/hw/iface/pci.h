/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI as the kernel reaches it: configuration space through an ECAM-like
 * window (PCIe 7.2.2), keyed by bus and devfn of segment 0, and the
 * memory BARs of a function. Register layouts are <uiommu/hw/pci_regs.h>.
 * A read of a function that is not there returns all ones, as a master
 * abort on a configuration read does; writes to it go nowhere.
 */
#ifndef UIOMMU_HW_IFACE_PCI_H
#define UIOMMU_HW_IFACE_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct hw_machine;

/* size 1, 2 or 4, naturally aligned, within 4 KiB: else ~0 / -EINVAL.
 * A write to an absent function is -ENODEV. */
uint32_t hw_ecam_read(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned off,
		      unsigned size);
int hw_ecam_write(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned off, unsigned size,
		  uint32_t val);

/* MMIO of `size` (1/2/4/8) bytes at `off` in BAR `bar` of bus:devfn.
 * -ENODEV without a function or a device behind the BAR, -EINVAL outside
 * it. (BAR addresses are not assigned: the window is named, not mapped.) */
int hw_bar_read(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned bar, uint64_t off,
		unsigned size, uint64_t *val);
int hw_bar_write(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned bar, uint64_t off,
		 unsigned size, uint64_t val);

/* A BAR that is plain memory (on-device RAM, not registers): a memory
 * file of the BAR's size the CPU may map, shared with the device; owned
 * by the machine. -ENODEV for a register BAR or none. */
int hw_bar_memory_fd(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned bar);

/* The CPU's 64-byte stores to device memory: MOVDIR64B is posted;
 * ENQCMD (PASID from the submitter's IA32_PASID) and ENQCMDS (PASID and
 * privilege in the data) are non-posted and come back accepted or not. */
enum hw_store64b {
	HW_MOVDIR64B,
	HW_ENQCMD,
	HW_ENQCMDS,
};
int hw_bar_store64b(struct hw_machine *m, uint8_t bus, uint8_t devfn, unsigned bar, uint64_t off,
		    const void *data, enum hw_store64b op, uint32_t pasid, bool *accepted);

/* The interrupt controller: every MSI/MSI-X message a function sends to
 * the interrupt window (0xFEE00000-0xFEEFFFFF) reaches `fn` as its
 * address and data, in the thread of the device that raised it; NULL
 * removes it (returning once no message is being delivered). */
typedef void (*hw_msi_fn)(uint64_t addr, uint32_t data, void *opaque);
void hw_msi_set_handler(struct hw_machine *m, hw_msi_fn fn, void *opaque);

#endif
