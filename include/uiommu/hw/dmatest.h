/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmatest: a plain PCI DMA engine (SPEC D-7). One memory-to-memory copy at
 * a time, programmed through a small register BAR; every request carries
 * only the function's requester ID (no PASID), so it is isolated the way
 * a passthrough PCI device is: by the domain attached to its RID.
 *
 * BAR0, 4 KiB, 32- or 64-bit accesses:
 */
#ifndef UIOMMU_HW_DMATEST_H
#define UIOMMU_HW_DMATEST_H

#define DMATEST_VENDOR_ID   0x1b36 /* a "software device" vendor, as QEMU's */
#define DMATEST_DEVICE_ID   0x00d7
#define DMATEST_BAR0_SIZE   0x1000
/* BAR2: on-device memory, plain RAM a driver may map (64 KiB). */
#define DMATEST_BAR2_SIZE   0x10000

#define DMATEST_REG_ID      0x00 /* RO: DMATEST_ID_VALUE */
#define DMATEST_REG_SRC     0x08 /* RW64: source bus address */
#define DMATEST_REG_DST     0x10 /* RW64: destination bus address */
#define DMATEST_REG_LEN     0x18 /* RW32: bytes, 1 .. DMATEST_MAX_LEN */
#define DMATEST_REG_CTRL    0x1c /* WO32: DMATEST_CTRL_* */
#define DMATEST_REG_STATUS  0x20 /* RO32: DMATEST_STATUS_* */
#define DMATEST_REG_ERROR   0x24 /* RO32: DMATEST_ERR_*, valid with STATUS_ERROR */
#define DMATEST_REG_FAULT   0x28 /* RO64: bus address that failed */
#define DMATEST_REG_DONE    0x30 /* RO64: bytes copied by the last operation */
#define DMATEST_REG_COUNT   0x38 /* RO64: operations completed since reset */
#define DMATEST_REG_BYTES   0x40 /* RO64: bytes copied since reset */

#define DMATEST_ID_VALUE    0x444d5401u /* "DMT", version 1 */
#define DMATEST_MAX_LEN     (16u << 20)

#define DMATEST_CTRL_GO     (1u << 0) /* start a copy; runs to completion */
#define DMATEST_CTRL_RESET  (1u << 1) /* clear status and counters */
#define DMATEST_CTRL_INT    (1u << 2) /* with GO: raise vector 0 when it ends */

/* Interrupts: MSI (4 vectors) and MSI-X (4 vectors, table and PBA in
 * BAR0); vector 0 signals the end of an operation asked with CTRL_INT. */
#define DMATEST_MSI_VECTORS_LOG2 2
#define DMATEST_MSIX_VECTORS     4
#define DMATEST_MSIX_TABLE       0x800
#define DMATEST_MSIX_PBA         0xc00

#define DMATEST_STATUS_IDLE  0
#define DMATEST_STATUS_BUSY  1
#define DMATEST_STATUS_DONE  2
#define DMATEST_STATUS_ERROR 3

#define DMATEST_ERR_NONE     0
#define DMATEST_ERR_READ     1 /* the IOMMU blocked a read (fault recorded) */
#define DMATEST_ERR_WRITE    2 /* the IOMMU blocked a write (fault recorded) */
#define DMATEST_ERR_ABORT    3 /* master abort: no memory there */
#define DMATEST_ERR_LEN      4 /* length 0 or above DMATEST_MAX_LEN */
#define DMATEST_ERR_MASTER   5 /* bus mastering disabled in PCI_COMMAND */

#endif
