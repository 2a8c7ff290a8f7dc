/* SPDX-License-Identifier: BSD-3-Clause */
/* IOTLB tag and set arithmetic, shared by iotlb.c and the cached-stream
 * translation path (translate.c). */
#ifndef UIOMMU_HW_VTD_IOTLB_H
#define UIOMMU_HW_VTD_IOTLB_H

#include "vtd.h"

#define TAG_VALID  (1ull << 63)
#define GEN_MASK   0xffffffu
#define OUT_FLAGS  0xfffull

static inline uint64_t make_tag(enum vtd_tlb_class c, unsigned level, uint16_t did, uint32_t pasid,
				uint32_t gen)
{
	return TAG_VALID | ((uint64_t)c << 62) | ((uint64_t)level << 60) | ((uint64_t)did << 44) |
	       ((uint64_t)(c == VTD_TLB_FS ? pasid & 0xfffff : 0) << 24) | (gen & GEN_MASK);
}

static inline unsigned tag_level(uint64_t tag)
{
	return (unsigned)(tag >> 60) & 3;
}

static inline uint16_t tag_did(uint64_t tag)
{
	return (uint16_t)(tag >> 44);
}

static inline uint32_t tag_pasid(uint64_t tag)
{
	return (uint32_t)(tag >> 24) & 0xfffff;
}

static inline enum vtd_tlb_class tag_class(uint64_t tag)
{
	return (enum vtd_tlb_class)((tag >> 62) & 1);
}

static inline unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

/* Consecutive pages of one address space land in consecutive sets. */
static inline uint64_t set_salt(uint16_t did, uint32_t pasid, unsigned level)
{
	return ((uint64_t)did * 0x9e3779b1u) ^ ((uint64_t)pasid * 0x85ebca6bu) ^ ((uint64_t)level << 29);
}

static inline struct vtd_iotlb_set *set_of(const struct vtd_iotlb *t, uint16_t did, uint32_t pasid,
					   uint64_t pfn, unsigned level)
{
	return &t->sets[(unsigned)(pfn + set_salt(did, pasid, level)) & (t->nsets - 1)];
}

static inline uint32_t cur_gen(const struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did)
{
	return atomic_load_explicit(&t->gen[did * 2u + c], memory_order_acquire) & GEN_MASK;
}

static inline void vtd_iotlb_mark_filled(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did)
{
	unsigned bit = did * 2u + c;
	t->filled[bit / 64] |= 1ull << (bit % 64);
}

#endif
