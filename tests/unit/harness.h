/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness: a host whose first remapping unit the test programs the
 * way a bare-metal driver does - table memory, registers and the
 * invalidation queue - so that hardware behaviour is observed exactly as
 * software sees it, including with deliberately broken structures.
 */
#ifndef UIOMMU_TESTS_HARNESS_H
#define UIOMMU_TESTS_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host/host.h"
#include "hw/machine.h"
#include "hw/pci/dma.h"
#include "util/bdf.h"
#include "util/compiler.h"

/* Requester IDs in the default topology. */
#define SID_DSA      0x0100 /* 01:00.0: PASID, ATS, PRI */
#define SID_DMATEST0 0x0010 /* 00:02.0 */
#define SID_DMATEST1 0x0018 /* 00:03.0 */

struct th_pt {
	uint64_t *root;
	unsigned levels;
	bool fs;
};

struct th {
	struct uiommu_host *host;
	struct hw_machine *m;
	struct vtd_unit *u;
	uint64_t *root;
	uint64_t *iq;
	unsigned iq_tail;
	_Atomic uint32_t *status;
	uint32_t status_seq;
	struct pci_dma_ctx *dma;
	void *pages[4096];
	unsigned nr_pages;
	int irqs[VTD_IRQ_NR];
};

/* A host from `json` (NULL: the default topology), its first unit
 * enabled in scalable mode with queued invalidation, no devices mapped. */
void th_init(struct th *t, const char *json);
void th_init_opts(struct th *t, const char *json, bool enable);
void th_fini(struct th *t);
void *th_page(struct th *t);
struct hw_pci_function *th_dev(struct th *t, uint16_t sid);
/* Give the function bus mastering (and PASID, priv if asked). */
void th_dev_enable(struct th *t, uint16_t sid, bool pasid);

uint64_t th_rd(struct th *t, unsigned off);
void th_wr(struct th *t, unsigned off, uint64_t v);
void th_wr32(struct th *t, unsigned off, uint32_t v);

/* Scalable-mode context entry (4 qwords) for sid, allocating tables. */
uint64_t *th_context(struct th *t, uint16_t sid);
/* Present context with a one-page PASID directory (PDTS=0: PASIDs below
 * 8192), PASIDE set, plus `extra` bits (FPD, DTE, PRE). */
void th_context_setup(struct th *t, uint16_t sid, uint64_t extra);
uint64_t *th_pasid_entry(struct th *t, uint16_t sid, uint32_t pasid);
void th_pasid_ss(struct th *t, uint16_t sid, uint32_t pasid, uint16_t did, const struct th_pt *pt,
		 uint64_t q0_extra);
void th_pasid_fs(struct th *t, uint16_t sid, uint32_t pasid, uint16_t did, const struct th_pt *pt,
		 uint64_t q2_extra);
void th_pasid_pt(struct th *t, uint16_t sid, uint32_t pasid, uint16_t did);
/* Nested: first stage at guest-physical `s1_gpa`, second stage `s2`. */
void th_pasid_nested(struct th *t, uint16_t sid, uint32_t pasid, uint16_t did, uint64_t s1_gpa,
		     const struct th_pt *s2, uint64_t q2_extra);

void th_pt_init(struct th *t, struct th_pt *pt, unsigned levels, bool fs);
/* Map one page of 1 << shift bytes (12, 21, 30); leaf bits as given
 * (VTD_SS_R|W or VTD_FS_P|RW|US...). Intermediate entries get all
 * permissions. */
void th_map(struct th *t, const struct th_pt *pt, uint64_t iova, uint64_t pa, unsigned shift,
	    uint64_t bits);
/* The entry at `level` (1 = 4 KiB leaf) on the walk for iova; NULL if the
 * walk ends above it. */
uint64_t *th_pte(const struct th_pt *pt, uint64_t iova, unsigned level);

/* Queue a 256-bit descriptor; th_qi_sync() appends a wait and runs all.
 * Returns 0, or -EIO if the queue stopped with IQE. */
void th_qi_add(struct th *t, uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3);
int th_qi_sync(struct th *t);
void th_inv_global(struct th *t);
void th_inv_cc_dev(struct th *t, uint16_t sid);
void th_inv_pc(struct th *t, unsigned g, uint16_t did, uint32_t pasid);
void th_inv_iotlb(struct th *t, unsigned g, uint16_t did, uint64_t addr, unsigned am);
void th_inv_piotlb(struct th *t, unsigned g, uint16_t did, uint32_t pasid, uint64_t addr,
		   unsigned am);
void th_inv_devtlb(struct th *t, uint16_t sid, uint32_t pasid, uint64_t addr, bool s);

/* DMA by the function `sid` (no PASID: PCI_NO_PASID). */
int th_dma(struct th *t, uint16_t sid, uint32_t pasid, bool priv, uint64_t addr, void *buf,
	   size_t len, bool write, struct pci_dma_result *res);
int th_read8(struct th *t, uint16_t sid, uint32_t pasid, uint64_t addr, uint8_t *v);
int th_write8(struct th *t, uint16_t sid, uint32_t pasid, uint64_t addr, uint8_t v);

/* Pending fault records, read and cleared as the Linux handler does. */
struct th_frcd {
	uint64_t lo, hi;
};
int th_faults(struct th *t, struct th_frcd *out, int max);
static inline uint8_t th_fr(const struct th_frcd *f)
{
	return VTD_FRCD_HI_FR(f->hi);
}
/* Exactly one fault pending, with this reason; clears it. */
void th_expect_fault(struct th *t, uint8_t reason, uint64_t addr);
void th_expect_no_fault(struct th *t);

/* 4 KiB-aligned data pages, freed with the harness. */
void *th_buf(struct th *t);

/*
 * The kernel side: a host with the IOMMU driver up (the default one for
 * json NULL), for tests that use the IOMMU API, mdev and VFIO rather than
 * program the unit themselves. Without `drivers` every device is left
 * unbound (uiommu_host_opts.no_drivers).
 */
struct device;
struct uiommu_host *th_host(const char *json, bool drivers);
/* A device by name, with memory decoding and bus mastering on. */
struct device *th_device(struct uiommu_host *h, const char *name);
/* The emulated function behind a kernel PCI device: what a test drives
 * to make the device do DMA. */
struct hw_pci_function *th_fn(struct device *d);
/* A zeroed 4 KiB-aligned page; free() it. */
uint8_t *th_alloc_page(void);
/* DMA by `d` through the default context (PCI_NO_PASID: no PASID). */
int th_kdma(struct device *d, uint32_t pasid, uint64_t iova, void *buf, size_t len, bool write,
	    struct pci_dma_result *res);
/* A DMA write that must land in `host`, checked by reading it back. */
void th_dma_lands(struct device *d, uint32_t pasid, uint64_t iova, uint8_t *host,
		  const char *tag);
/* A DMA that must not translate; returns the fault reason (0 for an ATS
 * completion without access, which logs no fault). */
uint8_t th_dma_faults(struct device *d, uint32_t pasid, uint64_t iova);

#endif
