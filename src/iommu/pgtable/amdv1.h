/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AMD IOMMU v1 I/O page table ("AMD I/O Virtualization Technology
 * (IOMMU) Specification", 2.2.3 "I/O Page Tables for Host Translations"),
 * the format of Linux 7.2's selftest mock driver (SPEC U-15).
 *
 * Tables are 4 KiB pages of 512 64-bit entries. An entry is present (PR,
 * bit 0); its Next Level field (bits 11:9) is the level of a table it
 * points to, 0 for a leaf of the level's own size, or 7 for a leaf larger
 * than that: such a page is written into every entry it covers, and the
 * low bits of its address field, all ones, say how large it is (Table 14,
 * "Example Page Size Encodings"). IR (61) and IW (62) grant reads and
 * writes; D (6) is the dirty bit a write through the entry sets.
 *
 * The selftest variant scales the granule down to 2 KiB (addresses in the
 * address field, bits 51:12, count 2 KiB units), so the IOMMU's page is
 * smaller than the CPU's: a level-0 entry maps 2 KiB, a level-1 entry
 * 1 MiB, a level-2 entry 512 MiB; every power of two from the granule to
 * 256 entries of a level is a page size.
 *
 * The caller serializes every call on one table (the mock domain's lock).
 */
#ifndef UIOMMU_IOMMU_PGTABLE_AMDV1_H
#define UIOMMU_IOMMU_PGTABLE_AMDV1_H

#include <stdbool.h>
#include <stdint.h>

#include <uiommu/iommu.h> /* IOMMU_READ, IOMMU_WRITE */

struct amdv1_pt {
	uint64_t *top;             /* the table at top_level */
	unsigned top_level;        /* levels 0 .. top_level */
	unsigned granule_lg2;      /* 11 (the selftest's 2 KiB) or 12 */
	uint64_t pgsize_bitmap;    /* every page size the format can write */
	uint64_t last_iova;        /* the aperture is [0, last_iova] */
	unsigned long nr_tables;
	/* Every table page, as plain pointers: entries hold them shifted
	 * into the address field, where nothing (a leak checker, the
	 * destroy of a half-built table) can follow them. */
	uint64_t **tables;
	unsigned long tables_cap;
};

/* An empty table of levels 0 .. top_level (1 .. 4). */
int amdv1_pt_init(struct amdv1_pt *pt, unsigned granule_lg2, unsigned top_level);
void amdv1_pt_destroy(struct amdv1_pt *pt);

/* Map [iova, +size) to [pa, ...) in the largest pages of pgsize_bitmap
 * (a subset of pt->pgsize_bitmap) that alignment allows: -EINVAL
 * (misaligned, no R/W, past the aperture or the output width), -EEXIST
 * (something is mapped there), -ENOMEM; *mapped grows by what was
 * mapped before a failure. */
int amdv1_pt_map(struct amdv1_pt *pt, uint64_t iova, uint64_t pa, uint64_t size, int prot,
		 uint64_t pgsize_bitmap, uint64_t *mapped);
/* Unmap every page that starts in [iova, +size), whole; the bytes unmapped. */
uint64_t amdv1_pt_unmap(struct amdv1_pt *pt, uint64_t iova, uint64_t size);
/* 0 and *pa, or -ENOENT. */
int amdv1_pt_iova_to_phys(const struct amdv1_pt *pt, uint64_t iova, uint64_t *pa);
/* Size of the page mapping iova (0: none). */
uint64_t amdv1_pt_page_size(const struct amdv1_pt *pt, uint64_t iova);

/* A device write at iova: D in the entry it went through (one entry of a
 * large page's run). -ENOENT if nothing is mapped there. */
int amdv1_pt_set_dirty(struct amdv1_pt *pt, uint64_t iova);
/* fn(iova, len, arg) for each dirty entry in [iova, +size) - a large
 * page's run reports the entries written through, a granule each - and
 * clear D unless no_clear. */
void amdv1_pt_read_and_clear_dirty(struct amdv1_pt *pt, uint64_t iova, uint64_t size,
				   bool no_clear, void (*fn)(uint64_t iova, uint64_t len, void *arg),
				   void *arg);

/* Entry fields, for tests and dumps. */
#define AMDV1_PTE_PR (1ull << 0)
#define AMDV1_PTE_D (1ull << 6)
#define AMDV1_PTE_NL_SHIFT 9
#define AMDV1_PTE_NL_MASK (7ull << AMDV1_PTE_NL_SHIFT)
#define AMDV1_PTE_NL_SIZE 7ull
#define AMDV1_PTE_OA_MASK 0x000ffffffffff000ull /* bits 51:12 */
#define AMDV1_PTE_IR (1ull << 61)
#define AMDV1_PTE_IW (1ull << 62)

/* The entry that translates iova at `level` (NULL: no table there). */
uint64_t *amdv1_pt_entry(const struct amdv1_pt *pt, uint64_t iova, unsigned level);

#endif
