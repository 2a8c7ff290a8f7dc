/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI / PCI Express configuration space layout (PCI Local Bus 3.0,
 * PCIe Base 5.0 chapter 7): the offsets and bits uiommu's devices expose
 * and its kernel side reads, and how a requester ID is made of bus,
 * device and function.
 */
#ifndef UIOMMU_HW_PCI_REGS_PUBLIC_H
#define UIOMMU_HW_PCI_REGS_PUBLIC_H

#include <stdint.h>

#define PCI_DEVFN(slot, fn) ((uint8_t)((((slot) & 0x1f) << 3) | ((fn) & 7)))
#define PCI_SLOT(devfn)     (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)     ((devfn) & 7)
#define PCI_RID(bus, devfn) ((uint16_t)(((bus) << 8) | (devfn)))
#define PCI_RID_BUS(rid)    ((uint8_t)((rid) >> 8))
#define PCI_RID_DEVFN(rid)  ((uint8_t)((rid) & 0xff))

#define PCI_CFG_SPACE_SIZE      256
#define PCI_CFG_SPACE_EXP_SIZE  4096

#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define  PCI_COMMAND_MEMORY     0x0002
#define  PCI_COMMAND_MASTER     0x0004
#define PCI_STATUS              0x06
#define  PCI_STATUS_CAP_LIST    0x0010
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0a
#define PCI_HEADER_TYPE         0x0e
#define  PCI_HEADER_TYPE_NORMAL 0x00
#define  PCI_HEADER_TYPE_BRIDGE 0x01
#define  PCI_HEADER_TYPE_MFD    0x80
#define PCI_BASE_ADDRESS_0      0x10   /* BARs 0-5 at 0x10 + 4 * n */
#define  PCI_BASE_ADDRESS_SPACE_IO   0x01
#define  PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define  PCI_BASE_ADDRESS_MEM_MASK   (~0x0fu)
#define PCI_PRIMARY_BUS         0x18
#define PCI_SECONDARY_BUS       0x19
#define PCI_SUBORDINATE_BUS     0x1a
#define PCI_CAPABILITY_LIST     0x34

/* Standard capability list entry: ID, next. */
#define PCI_CAP_LIST_ID         0x00
#define PCI_CAP_LIST_NEXT       0x01
#define PCI_CAP_ID_MSI          0x05
#define PCI_CAP_ID_EXP          0x10
#define PCI_CAP_ID_MSIX         0x11
#define PCI_CAP_ID_AF           0x13

/* MSI capability, 64-bit with per-vector masking (PCI 3.0 6.8.1). */
#define PCI_MSI_FLAGS           0x02
#define  PCI_MSI_FLAGS_ENABLE   0x0001
#define  PCI_MSI_FLAGS_QMASK    0x000e     /* multiple message capable, log2 */
#define  PCI_MSI_FLAGS_QSIZE    0x0070     /* multiple message enable, log2 */
#define  PCI_MSI_FLAGS_64BIT    0x0080
#define  PCI_MSI_FLAGS_MASKBIT  0x0100
#define PCI_MSI_ADDRESS_LO      0x04
#define PCI_MSI_ADDRESS_HI      0x08
#define PCI_MSI_DATA_64         0x0c
#define PCI_MSI_MASK_64         0x10
#define PCI_MSI_PENDING_64      0x14
#define PCI_MSI_SIZEOF_64       0x18

/* MSI-X capability (PCI 3.0 6.8.2); the table and PBA live in a BAR. */
#define PCI_MSIX_FLAGS          0x02
#define  PCI_MSIX_FLAGS_QSIZE   0x07ff     /* table size - 1 */
#define  PCI_MSIX_FLAGS_MASKALL 0x4000
#define  PCI_MSIX_FLAGS_ENABLE  0x8000
#define PCI_MSIX_TABLE          0x04       /* offset | BIR */
#define PCI_MSIX_PBA            0x08
#define  PCI_MSIX_TABLE_BIR     0x00000007
#define  PCI_MSIX_TABLE_OFFSET  0xfffffff8
#define PCI_MSIX_SIZEOF         0x0c
#define PCI_MSIX_ENTRY_SIZE     16
#define  PCI_MSIX_ENTRY_LOWER_ADDR  0x0
#define  PCI_MSIX_ENTRY_UPPER_ADDR  0x4
#define  PCI_MSIX_ENTRY_DATA        0x8
#define  PCI_MSIX_ENTRY_VECTOR_CTRL 0xc
#define   PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1

/* Where MSI messages go on x86: the local APICs' window. */
#define PCI_MSI_WINDOW_BASE     0xfee00000ull
#define PCI_MSI_WINDOW_SIZE     0x00100000ull

/* PCI Express capability (PCIe 7.5.3). */
#define PCI_EXP_FLAGS           0x02
#define  PCI_EXP_FLAGS_TYPE_SHIFT 4
#define PCI_EXP_DEVCAP          0x04
#define  PCI_EXP_DEVCAP_FLR     0x10000000 /* function-level reset */
#define PCI_EXP_DEVCTL          0x08
#define  PCI_EXP_DEVCTL_BCR_FLR 0x8000     /* initiate FLR; reads as 0 */
#define PCI_EXP_DEVCAP2         0x24
#define  PCI_EXP_DEVCAP2_EE_PREFIX 0x00200000 /* passes End-End TLP prefixes */
#define PCI_EXP_SIZEOF          0x3c

/* Advanced Features capability (conventional PCI FLR, PCI AF ECN). */
#define PCI_AF_LENGTH           0x02
#define PCI_AF_CAP              0x03
#define  PCI_AF_CAP_FLR         0x02
#define PCI_AF_CTRL             0x04
#define  PCI_AF_CTRL_FLR        0x01     /* initiate FLR; reads as 0 */
#define PCI_AF_SIZEOF           0x06

enum pci_exp_type {
	PCI_EXP_TYPE_ENDPOINT    = 0x0,
	PCI_EXP_TYPE_LEG_END     = 0x1,
	PCI_EXP_TYPE_ROOT_PORT   = 0x4,
	PCI_EXP_TYPE_UPSTREAM    = 0x5,
	PCI_EXP_TYPE_DOWNSTREAM  = 0x6,
	PCI_EXP_TYPE_PCI_BRIDGE  = 0x7, /* PCIe-to-PCI/PCI-X bridge */
	PCI_EXP_TYPE_PCIE_BRIDGE = 0x8, /* PCI/PCI-X-to-PCIe bridge */
	PCI_EXP_TYPE_RC_END      = 0x9, /* root complex integrated endpoint */
};

/* Extended capabilities start at 0x100: ID 15:0, version 19:16, next 31:20. */
#define PCI_EXT_CAP_START       0x100
#define PCI_EXT_CAP_ID(h)       ((h) & 0xffff)
#define PCI_EXT_CAP_NEXT(h)     (((h) >> 20) & 0xffc)
#define PCI_EXT_CAP_ID_VNDR     0x000b
#define PCI_EXT_CAP_ID_ACS      0x000d
#define PCI_EXT_CAP_ID_ATS      0x000f
#define PCI_EXT_CAP_ID_PRI      0x0013
#define PCI_EXT_CAP_ID_PASID    0x001b
#define PCI_EXT_CAP_ID_DVSEC    0x0023

/* Access Control Services (PCIe 7.7.11). */
#define PCI_ACS_CAP             0x04
#define PCI_ACS_CTRL            0x06
#define  PCI_ACS_SV             0x0001 /* source validation */
#define  PCI_ACS_TB             0x0002 /* translation blocking */
#define  PCI_ACS_RR             0x0004 /* P2P request redirect */
#define  PCI_ACS_CR             0x0008 /* P2P completion redirect */
#define  PCI_ACS_UF             0x0010 /* upstream forwarding */
#define  PCI_ACS_EC             0x0020 /* P2P egress control */
#define  PCI_ACS_DT             0x0040 /* direct translated P2P */
#define PCI_ACS_SIZEOF          0x08

/* Address Translation Services (PCIe 10.5.1). */
#define PCI_ATS_CAP             0x04
#define  PCI_ATS_CAP_QDEP(x)    ((x) & 0x1f)
#define  PCI_ATS_CAP_PAGE_ALIGNED 0x0020
#define PCI_ATS_CTRL            0x06
#define  PCI_ATS_CTRL_ENABLE    0x8000
#define  PCI_ATS_CTRL_STU(x)    ((x) & 0x1f)
#define PCI_ATS_SIZEOF          0x08

/* Page Request Interface (PCIe 10.5.2). */
#define PCI_PRI_CTRL            0x04
#define  PCI_PRI_CTRL_ENABLE    0x0001
#define  PCI_PRI_CTRL_RESET     0x0002
#define PCI_PRI_STATUS          0x06
#define  PCI_PRI_STATUS_RF      0x0001 /* response failure */
#define  PCI_PRI_STATUS_UPRGI   0x0002 /* unexpected PRG index */
#define  PCI_PRI_STATUS_STOPPED 0x0100
#define  PCI_PRI_STATUS_PASID   0x8000 /* PRG response needs PASID */
#define PCI_PRI_MAX_REQ         0x08   /* outstanding page request capacity */
#define PCI_PRI_ALLOC_REQ       0x0c   /* outstanding page request allocation */
#define PCI_PRI_SIZEOF          0x10

/* Process Address Space ID (PCIe 7.8.8). */
#define PCI_PASID_CAP           0x04
#define  PCI_PASID_CAP_EXEC     0x0002
#define  PCI_PASID_CAP_PRIV     0x0004
#define  PCI_PASID_CAP_WIDTH(c) (((c) >> 8) & 0x1f)
#define PCI_PASID_CTRL          0x06
#define  PCI_PASID_CTRL_ENABLE  0x0001
#define  PCI_PASID_CTRL_EXEC    0x0002
#define  PCI_PASID_CTRL_PRIV    0x0004
#define PCI_PASID_SIZEOF        0x08

/* Designated vendor-specific extended capability (PCIe 7.9.6). */
#define PCI_DVSEC_HEADER1       0x04 /* vendor 15:0, rev 19:16, length 31:20 */
#define PCI_DVSEC_HEADER2       0x08 /* DVSEC ID 15:0 */
#define PCI_DVSEC_ID_INTEL_SIOV 0x0005

/* Vendor-specific extended capability (PCIe 7.9.5). */
#define PCI_VNDR_HEADER         0x04 /* VSEC ID 15:0, rev 19:16, length 31:20 */

/*
 * uiommu's requester-ID alias VSEC: a function that issues DMA with
 * requester IDs other than its own lists them here, as the Switchtec NTB
 * lists its proxy IDs in a register table, so that the kernel's DMA-alias
 * quirk can read them rather than know them by device ID. A model
 * convention, not a PCI-SIG structure.
 */
#define PCI_VSEC_ID_DMA_ALIAS   0x0a11
#define PCI_VSEC_DMA_ALIAS_NR   0x08 /* byte: number of aliases */
#define PCI_VSEC_DMA_ALIAS_DEVFN 0x09 /* bytes: alias devfns on the function's bus */
#define PCI_VSEC_DMA_ALIAS_SIZEOF 0x10

#define PCI_VENDOR_ID_INTEL     0x8086

#endif
