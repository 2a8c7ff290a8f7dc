/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Used only when the fetched tree's tools/include/linux/pci_ids.h is a
 * dangling link (linux-source.sh extracts tools/, not include/linux/):
 * the IDs the VFIO selftest library's drivers match on. The DSA ID is
 * the one uiommu's DSA model carries (include/uiommu/hw/dsa.h); devices
 * no uiommu model emulates get IDs that match nothing.
 */
#ifndef UIOMMU_CONFORMANCE_PCI_IDS_H
#define UIOMMU_CONFORMANCE_PCI_IDS_H

#define PCI_VENDOR_ID_INTEL           0x8086
#define PCI_DEVICE_ID_INTEL_DSA_SPR0  0x0b25
#define PCI_DEVICE_ID_INTEL_DSA_DMR   0xfffe /* not emulated */
#define PCI_DEVICE_ID_INTEL_DSA_GNRD  0xfffd /* not emulated */
#define PCI_DEVICE_ID_INTEL_IOAT_SKX  0xfffc /* not emulated */

#endif
