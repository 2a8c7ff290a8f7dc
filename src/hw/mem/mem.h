/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated physical memory.
 *
 * uiommu's convention (SPEC section 0): a "physical address" is the host
 * virtual address of the backing memory. IOMMU structures are 4 KiB-aligned
 * pages of ordinary process memory and a leaf PTE holds the host VA of the
 * page it maps. hw_mem_ptr() (hw/iface/mem.h) is the single place that
 * turns a physical address into a pointer, so the policy on which addresses
 * can ever be touched by the emulated hardware lives there; the accessors
 * below are how the hardware reads and updates table memory.
 */
#ifndef UIOMMU_HW_MEM_H
#define UIOMMU_HW_MEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../iface/mem.h"
#include "../../util/fixup_access.h"

struct hw_mem {
	atomic_ullong table_pages;   /* table pages currently allocated */
	atomic_ullong table_allocs;  /* allocations ever made */
	atomic_ullong dma_errors;    /* device accesses that found no memory */
};

void hw_mem_init(struct hw_mem *mem);

/* A device access found no memory (a master abort): counted. */
static inline void hw_mem_dma_error(struct hw_mem *mem)
{
	atomic_fetch_add_explicit(&mem->dma_errors, 1, memory_order_relaxed);
}

/*
 * Hardware reads of in-memory structures. Entries wider than 64 bits are
 * read one qword at a time, as real walkers do; software keeps them
 * consistent by publishing the present bit last.
 *
 * Every access here goes through an exception-table access
 * (util/fixup_access.h): an address inside the window of memory that has
 * nothing mapped behind it - a table a driver freed, a queue it pointed
 * anywhere - is an access error the unit or device reports, as a master
 * abort is on a bus, never a fault of the process.
 */
static inline bool hw_read64(uint64_t pa, uint64_t *out)
{
	void *p = hw_mem_ptr(pa, 8);
	if (!p || (pa & 7))
		return false;
	return fixup_load64(p, out);
}

/*
 * Atomic set of accessed/dirty bits in a paging entry (9.7, 9.8): only
 * if the entry still holds `expect`. Returns 1 when set, 0 when software
 * changed the entry meanwhile (the walker starts over), -1 on an access
 * error.
 */
static inline int hw_or64(uint64_t pa, uint64_t bits, uint64_t expect)
{
	void *p = hw_mem_ptr(pa, 8);
	if (!p || (pa & 7))
		return -1;
	return fixup_cmpxchg64(p, expect, expect | bits);
}

static inline bool hw_write32(uint64_t pa, uint32_t v)
{
	void *p = hw_mem_ptr(pa, 4);
	if (!p || (pa & 3))
		return false;
	return fixup_store32(p, v);
}

static inline bool hw_write64(uint64_t pa, uint64_t v)
{
	void *p = hw_mem_ptr(pa, 8);
	if (!p || (pa & 7))
		return false;
	return fixup_store64(p, v);
}

#endif
