/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI core's capability helpers (Linux drivers/pci/ats.c in shape):
 * how the kernel side turns on PASID, ATS and PRI in a function's
 * configuration space, with the ordering rules the spec imposes.
 */
#ifndef UIOMMU_BASE_PCI_H
#define UIOMMU_BASE_PCI_H

#include <stdbool.h>

struct pci_dev;

/* PASID must be enabled before ATS (PCIe 6.20: changing it while ATS is
 * on is undefined): -EBUSY then; -EINVAL without the capability; -EIO if a
 * port above cannot carry the PASID TLP prefix. */
int pci_enable_pasid(struct pci_dev *p, bool priv);
void pci_disable_pasid(struct pci_dev *p);
unsigned pci_max_pasids(const struct pci_dev *p);
/* The PASID control register (PCI_PASID_CTRL_*), -EINVAL without the
 * capability. */
int pci_pasid_status(const struct pci_dev *p);
int pci_enable_ats(struct pci_dev *p);
void pci_disable_ats(struct pci_dev *p);
unsigned pci_ats_queue_depth(const struct pci_dev *p);
int pci_enable_pri(struct pci_dev *p, unsigned requests);
void pci_disable_pri(struct pci_dev *p);

#endif
