/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA entry point for device models (SPEC H-10).
 *
 * A device engine owns a DMA context: its DMA-RCU reader and its
 * micro-TLB. While online, the engine's thread may call the
 * functions below; each one translates page by page through the unit that
 * covers the device (or the device TLB of an ATS function) and touches
 * memory at the translated addresses. A failure stops the transfer at the
 * first untranslatable byte and says how far it got.
 */
#ifndef UIOMMU_HW_PCI_DMA_H
#define UIOMMU_HW_PCI_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../mem/dma_rcu.h"
#include "../vtd/vtd.h"

struct hw_machine;
struct hw_pci_function;

#define PCI_NO_PASID VTD_PASID_NONE

struct pci_dma_ctx {
	struct hw_machine *m;
	struct dma_rcu_reader reader;
	struct vtd_utlb utlb;
	struct list_node node;
	/* A fault seen inside a read-side critical section, recorded once it
	 * ends (the fault path takes register locks that a synchronize_dma()
	 * may be holding). */
	struct vtd_unit *pending_unit;
	struct vtd_fault pending;
};

void pci_dma_flush_pending(struct pci_dma_ctx *c);

/* Request attributes: the PASID TLP prefix and privilege. */
struct pci_dma_attr {
	uint32_t pasid;   /* PCI_NO_PASID for untagged requests */
	bool priv;
};

enum pci_dma_status {
	PCI_DMA_OK,
	PCI_DMA_FAULT,     /* the IOMMU blocked it (a fault may be recorded) */
	PCI_DMA_ATS_NOACCESS, /* device TLB got R=W=0: the device may use PRI */
	PCI_DMA_ABORT,     /* master abort: no memory at the translated address */
	PCI_DMA_BLOCKED,   /* not issued: bus master off, or interrupt window */
};

struct pci_dma_result {
	enum pci_dma_status status;
	size_t done;       /* bytes transferred before the failure */
	uint64_t fault_addr;
	bool fault_write;
	uint8_t reason;    /* VT-d fault reason, when status is FAULT */
};

int pci_dma_ctx_new(struct hw_machine *m, struct pci_dma_ctx **out);
void pci_dma_ctx_free(struct pci_dma_ctx *c);
void pci_dma_ctx_online(struct pci_dma_ctx *c);
void pci_dma_ctx_offline(struct pci_dma_ctx *c);

/* Each returns 0, or -EFAULT / -EIO with *res saying what happened, or
 * -EINVAL for a request the function cannot issue (PASID not enabled).
 * `c` may be NULL: the machine's shared context is used, serialized. */
int pci_dma_read(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		 uint64_t addr, void *buf, size_t len, struct pci_dma_result *res);
int pci_dma_write(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		  uint64_t addr, const void *buf, size_t len, struct pci_dma_result *res);
/* A device-internal memory-to-memory move: reads src, writes dst. */
int pci_dma_copy(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		 uint64_t dst, uint64_t src, size_t len, struct pci_dma_result *res);

/*
 * Zero-copy access for engines: translate one window and get a pointer
 * valid until pci_dma_end(). Must be bracketed by begin/end on an online
 * context; between them the engine must not block.
 */
static inline void pci_dma_begin(struct pci_dma_ctx *c)
{
	dma_read_lock(&c->reader);
}
static inline void pci_dma_end(struct pci_dma_ctx *c)
{
	dma_read_unlock(&c->reader);
	if (__builtin_expect(c->pending_unit != NULL, 0))
		pci_dma_flush_pending(c);
}
int pci_dma_map(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		uint64_t addr, size_t len, bool write, void **host, size_t *avail,
		struct pci_dma_result *res);

#endif
