/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated physical memory.
 *
 * uiommu's convention (SPEC section 0): a "physical address" is the host
 * virtual address of the backing memory. IOMMU structures are 4 KiB-aligned
 * pages of ordinary process memory and a leaf PTE holds the host VA of the
 * page it maps. This file is the single place that turns a physical address
 * into a pointer, so the policy on which addresses can ever be touched by
 * the emulated hardware lives here.
 */
#ifndef UIOMMU_HW_MEM_H
#define UIOMMU_HW_MEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HW_PAGE_SIZE 4096u

/*
 * Addresses the hardware may decode as memory: the canonical lower half of
 * a 48-bit address space, minus the first 64 KiB that Linux never maps
 * (vm.mmap_min_addr). Anything else is a master abort, which the remapping
 * unit reports as an access error and a device as a bus error.
 */
#define HW_PA_MIN   0x10000ull
#define HW_PA_LIMIT (1ull << 47)

struct hw_mem {
	atomic_ullong table_pages;   /* table pages currently allocated */
	atomic_ullong table_allocs;  /* allocations ever made */
};

void hw_mem_init(struct hw_mem *mem);

/* A zeroed, 4 KiB-aligned page for IOMMU tables; NULL when out of memory. */
void *hw_page_alloc(struct hw_mem *mem);
void hw_page_free(struct hw_mem *mem, void *page);
/* `n` physically (here: virtually) contiguous zeroed pages. */
void *hw_pages_alloc(struct hw_mem *mem, unsigned n);
void hw_pages_free(struct hw_mem *mem, void *pages, unsigned n);

static inline uint64_t hw_pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static inline bool hw_pa_valid(uint64_t pa, uint64_t len)
{
	return pa >= HW_PA_MIN && len <= HW_PA_LIMIT && pa <= HW_PA_LIMIT - len;
}

/* The pointer behind [pa, pa+len), or NULL for a master abort. */
static inline void *hw_mem_ptr(uint64_t pa, uint64_t len)
{
	return hw_pa_valid(pa, len) ? (void *)(uintptr_t)pa : NULL;
}

/*
 * Hardware reads of in-memory structures. Entries wider than 64 bits are
 * read one qword at a time, as real walkers do; software keeps them
 * consistent by publishing the present bit last.
 */
static inline bool hw_read64(uint64_t pa, uint64_t *out)
{
	_Atomic uint64_t *p = hw_mem_ptr(pa, 8);
	if (!p || (pa & 7))
		return false;
	*out = atomic_load_explicit(p, memory_order_relaxed);
	return true;
}

/*
 * Atomic set of accessed/dirty bits in a paging entry (9.7, 9.8): only
 * if the entry still holds `expect`. Returns 1 when set, 0 when software
 * changed the entry meanwhile (the walker starts over), -1 on an access
 * error.
 */
static inline int hw_or64(uint64_t pa, uint64_t bits, uint64_t expect)
{
	_Atomic uint64_t *p = hw_mem_ptr(pa, 8);
	if (!p || (pa & 7))
		return -1;
	return atomic_compare_exchange_strong(p, &expect, expect | bits) ? 1 : 0;
}

static inline bool hw_write32(uint64_t pa, uint32_t v)
{
	_Atomic uint32_t *p = hw_mem_ptr(pa, 4);
	if (!p || (pa & 3))
		return false;
	atomic_store_explicit(p, v, memory_order_release);
	return true;
}

#endif
