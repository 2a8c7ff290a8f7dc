/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory, as the kernel side and the hardware share it (the hardware
 * interface of DESIGN.md; SPEC section 0): a "physical address" is the
 * host virtual address of the backing memory, and the tables a driver
 * hands to a unit are 4 KiB-aligned pages from the table allocator
 * below, counted so that leaks show.
 *
 * This header and the others in hw/iface/ are all the kernel side (src/
 * iommu, pci, mdev, drivers, vfio) may include of src/hw.
 */
#ifndef UIOMMU_HW_IFACE_MEM_H
#define UIOMMU_HW_IFACE_MEM_H

#include <stdbool.h>
#include <stdint.h>

struct hw_machine;
struct hw_mem;

#define HW_PAGE_SIZE 4096u

/*
 * Addresses the hardware may decode as memory: the canonical lower half of
 * a 48-bit address space, minus the first 64 KiB that Linux never maps
 * (vm.mmap_min_addr). Anything else is a master abort, which the remapping
 * unit reports as an access error and a device as a bus error.
 */
#define HW_PA_MIN   0x10000ull
#define HW_PA_LIMIT (1ull << 47)

/* The machine's memory, for the allocator. */
struct hw_mem *hw_machine_mem(struct hw_machine *m);

/* A zeroed, 4 KiB-aligned page for IOMMU tables; NULL when out of memory. */
void *hw_page_alloc(struct hw_mem *mem);
void hw_page_free(struct hw_mem *mem, void *page);
/* `n` physically (here: virtually) contiguous zeroed pages. */
void *hw_pages_alloc(struct hw_mem *mem, unsigned n);
void hw_pages_free(struct hw_mem *mem, void *pages, unsigned n);

/* virt_to_phys */
static inline uint64_t hw_pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static inline bool hw_pa_valid(uint64_t pa, uint64_t len)
{
	return pa >= HW_PA_MIN && len <= HW_PA_LIMIT && pa <= HW_PA_LIMIT - len;
}

/* phys_to_virt: the pointer behind [pa, pa+len), or NULL for an address
 * with no memory (a master abort to hardware). */
static inline void *hw_mem_ptr(uint64_t pa, uint64_t len)
{
	return hw_pa_valid(pa, len) ? (void *)(uintptr_t)pa : NULL;
}

#endif
