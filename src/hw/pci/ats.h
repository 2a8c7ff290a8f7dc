/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device TLB (address translation cache) of an ATS-capable function
 * (PCIe 10.2, VT-d 6.2.4, SPEC H-5). It caches translation completions
 * per (PASID, privilege) and drops them only when the IOMMU forwards an
 * invalidation request, or when capacity evicts them.
 */
#ifndef UIOMMU_HW_PCI_ATS_H
#define UIOMMU_HW_PCI_ATS_H

#include <stdbool.h>
#include <stdint.h>

#include "../../util/seqcount.h"
#include "../../util/spinlock.h"

#define PCI_ATC_ENTRIES 256

struct pci_atc_entry {
	seqcount_t seq;
	_Atomic uint64_t key;   /* 63 valid | 22 priv | 21 pasid present | 19:0 pasid */
	_Atomic uint64_t vpn;   /* input address >> 12 */
	_Atomic uint64_t out;   /* output base of the translation | perm (2:0) */
	_Atomic uint64_t shift; /* translation size shift */
};

struct pci_atc {
	struct pci_atc_entry e[PCI_ATC_ENTRIES];
	spinlock_t lock;
	atomic_ullong hits, misses, invalidations;
};

struct pci_atc *pci_atc_new(void);
void pci_atc_free(struct pci_atc *a);

struct pci_atc_hit {
	uint64_t out_base;
	uint8_t perm;
	uint8_t size_shift;
};

bool pci_atc_lookup(struct pci_atc *a, uint32_t pasid, bool priv, uint64_t addr,
		    struct pci_atc_hit *hit);
/* Insert a completion if `gen_now == gen0` (no invalidation raced). */
void pci_atc_insert(struct pci_atc *a, uint32_t pasid, bool priv, uint64_t addr,
		    const struct pci_atc_hit *hit, const _Atomic unsigned long long *gen_now,
		    uint64_t gen0);
/* An invalidation request: without PASID (no_pasid), for one PASID, or all
 * PASIDs; over [base, base+size), size 0 meaning everything. */
void pci_atc_invalidate(struct pci_atc *a, bool no_pasid, uint32_t pasid, bool all_pasids,
			uint64_t base, uint64_t size);
unsigned pci_atc_count(struct pci_atc *a);

#endif
