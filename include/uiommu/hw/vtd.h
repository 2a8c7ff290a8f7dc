/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VT-d remapping unit as software sees it: its MMIO register page and
 * its interrupt lines. Drivers (uiommu's own in src/iommu/intel, or an
 * embedder's) program units only through these, table memory and the
 * invalidation queue - never through the model's internals.
 */
#ifndef UIOMMU_HW_VTD_PUBLIC_H
#define UIOMMU_HW_VTD_PUBLIC_H

#include <stdint.h>

#include <uiommu/hw/vtd_regs.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vtd_unit;

/* 4- or 8-byte, naturally aligned accesses within VTD_MMIO_SIZE;
 * anything else is -EINVAL. Writes have the side effects of 10.4. */
int vtd_mmio_read(struct vtd_unit *u, unsigned off, unsigned size, uint64_t *val);
int vtd_mmio_write(struct vtd_unit *u, unsigned off, unsigned size, uint64_t val);

/* The messages a unit sends (its MSIs): fault event, invalidation
 * completion, page request. Delivered with no unit lock held, possibly
 * from a device engine's thread, like an interrupt. */
enum vtd_irq {
	VTD_IRQ_FAULT,
	VTD_IRQ_INV_COMPLETE,
	VTD_IRQ_PAGE_REQUEST,
	VTD_IRQ_NR
};
typedef void (*vtd_irq_fn)(struct vtd_unit *u, enum vtd_irq irq, void *opaque);
void vtd_set_irq_handler(struct vtd_unit *u, vtd_irq_fn fn, void *opaque);

/* Checker mode (SPEC H-12, not a hardware feature): a DMA served from a
 * cache entry the in-memory tables no longer justify. */
struct vtd_stale_report {
	uint16_t sid;
	uint32_t pasid;       /* 0xffffffff: request without PASID */
	uint64_t addr;
	uint64_t cached_out;  /* what the cache translated to */
	uint8_t cached_perm;
	uint64_t table_out;   /* what the tables say now (0 if nothing) */
	uint8_t table_perm;
	uint8_t table_fault;  /* the fault reason a walk would give, 0 if none */
	const char *cache;    /* which cache served it */
	const char *missing;  /* the invalidation that should have come */
};
typedef void (*vtd_checker_fn)(struct vtd_unit *u, const struct vtd_stale_report *r, void *opaque);
void vtd_set_checker(struct vtd_unit *u, vtd_checker_fn fn, void *opaque);

/* utlb_hits: translations the requesting engine's micro-TLB answered;
 * iotlb_hits: those the IOTLB answered. */
struct vtd_stats {
	uint64_t translations, utlb_hits, iotlb_hits, iotlb_misses, walks;
	uint64_t ctx_hits, ctx_misses, pasid_hits, pasid_misses;
	uint64_t faults, faults_suppressed, faults_overflow;
	uint64_t inv_desc, inv_waits, page_requests, prq_overflow, stale_hits;
	uint64_t ats_translations;
};
void vtd_stats_get(struct vtd_unit *u, struct vtd_stats *s);
const char *vtd_unit_name(const struct vtd_unit *u);
/* "SSS.2 second-stage entry not present" for VTD_FR_SM_SS_NOT_PRESENT. */
const char *vtd_fault_reason_str(unsigned reason);

#ifdef __cplusplus
}
#endif

#endif
