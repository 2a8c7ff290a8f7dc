/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page-table formats as a library (SPEC A-1): the VT-d second-stage
 * format and the x86-64 (IA-32e) first-stage format, 3 to 5 levels of
 * 512-entry tables, 4 KiB / 2 MiB / 1 GiB leaves.
 *
 * map and unmap walk each table of the range once, descending from it to
 * its children (a cursor), never re-walking from the root per entry. A
 * table page whose last entry goes away is unlinked and handed to the
 * caller's gather list, to be freed only after the IOTLB flush - a walker
 * may still be reading it until then.
 *
 * The number of present entries of each table lives in software-available
 * bits 61:52 of the table's first entry, which both formats define as
 * ignored by hardware; it is updated atomically so that the unit's A/D
 * updates of that entry are never lost.
 */
#ifndef UIOMMU_IOMMU_IO_PGTABLE_H
#define UIOMMU_IOMMU_IO_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


struct hw_mem;
struct pt_pool;

enum io_pgtable_fmt {
	IO_PGTABLE_VTD_SS,  /* VT-d second stage (9.8) */
	IO_PGTABLE_X86_FS,  /* IA-32e, the VT-d first stage (9.7) */
};

#include <uiommu/iommu.h> /* IOMMU_READ, IOMMU_WRITE, IOMMU_NOEXEC, IOMMU_PRIV */

#define SZ_4K (1ull << 12)
#define SZ_2M (1ull << 21)
#define SZ_1G (1ull << 30)

struct io_pgtable_cfg {
	enum io_pgtable_fmt fmt;
	unsigned levels;           /* 3, 4 or 5 */
	uint64_t pgsize_bitmap;    /* SZ_4K | SZ_2M | SZ_1G as the unit allows */
	bool force_writeable;      /* nest parents: never read-only (SPR erratum) */
};

/*
 * Unmapped ranges and unlinked table pages, flushed together. The pages
 * are kept in an array beside them, never linked through the pages
 * themselves: a walker may still read any entry of them until the flush.
 */
struct iommu_iotlb_gather {
	uint64_t start, end;       /* inclusive range touched; start > end: none */
	void **pages;              /* unlinked table pages */
	unsigned nr_pages, cap;
	void *inline_pages[8];
	bool leaf_only;            /* only leaf entries changed (hint IH) */
};

static inline void iommu_iotlb_gather_init(struct iommu_iotlb_gather *g)
{
	g->start = UINT64_MAX;
	g->end = 0;
	g->pages = g->inline_pages;
	g->nr_pages = 0;
	g->cap = 8;
	g->leaf_only = true;
}

static inline void iommu_iotlb_gather_add(struct iommu_iotlb_gather *g, uint64_t iova,
					  uint64_t size)
{
	if (iova < g->start)
		g->start = iova;
	if (iova + size - 1 > g->end)
		g->end = iova + size - 1;
}

static inline bool iommu_iotlb_gather_empty(const struct iommu_iotlb_gather *g)
{
	return g->start > g->end;
}

struct io_pgtable {
	struct io_pgtable_cfg cfg;
	uint64_t *root;
	struct pt_pool *pool;
	uint64_t max_iova;         /* highest mapped IOVA + 1 ever (address-width checks) */
	unsigned long nr_tables;
	/* Emptied tables kept for this table's next maps, off the pool's
	 * lock: map/unmap of one page then costs no allocation. Only used
	 * under the owner's lock. */
	void *stash[16];
	unsigned nr_stash;
	/* Tables a unit uses as its root (subroot): never freed when empty. */
	uint64_t *pinned[4];
	/* The hardware may write our entries (second-stage A/D with SSADE):
	 * entry-0 count updates must then be atomic. First-stage entries
	 * are created with A (and D where writable) already set, so the
	 * walker never needs to write them. */
	bool hw_writes;
};

/* After the flush: return a gather's table pages (stash, then pool). */
void io_pgtable_release(struct io_pgtable *pt, struct iommu_iotlb_gather *g);
/* The table at `level` on the path of IOVA 0, created if missing: what a
 * unit with fewer levels uses as its root (Linux trims extra levels). */
uint64_t *io_pgtable_subroot(struct io_pgtable *pt, unsigned level);

int io_pgtable_init(struct io_pgtable *pt, const struct io_pgtable_cfg *cfg, struct pt_pool *pool);
/* Free every table; the caller has already made the hardware forget it. */
void io_pgtable_destroy(struct io_pgtable *pt);

/* Map [iova, iova+size) to [pa, ...) with the largest pages alignment
 * allows. Fails with -EEXIST if anything in the range is mapped, -ENOMEM,
 * -EINVAL (misaligned, beyond the levels); *mapped says how much was
 * mapped before a failure. */
int io_pgtable_map(struct io_pgtable *pt, uint64_t iova, uint64_t pa, uint64_t size, int prot,
		   uint64_t *mapped);
/* Unmap [iova, iova+size); a large page whose start lies in the range
 * goes whole. Returns the bytes unmapped. */
uint64_t io_pgtable_unmap(struct io_pgtable *pt, uint64_t iova, uint64_t size,
			  struct iommu_iotlb_gather *gather);
/* 0 and *pa, or -ENOENT. */
int io_pgtable_iova_to_phys(const struct io_pgtable *pt, uint64_t iova, uint64_t *pa);
/* Leaf size at iova (0 if unmapped). */
uint64_t io_pgtable_leaf_size(const struct io_pgtable *pt, uint64_t iova);

/* Dirty tracking on second-stage A/D bits: report (and clear unless
 * no_clear) the D bit of every leaf in the range; `fn` gets each dirty
 * leaf's IOVA range. Clearing needs an IOTLB flush of the range after. */
int io_pgtable_read_and_clear_dirty(struct io_pgtable *pt, uint64_t iova, uint64_t size,
				    bool no_clear,
				    void (*fn)(uint64_t iova, uint64_t len, void *arg), void *arg,
				    struct iommu_iotlb_gather *gather);

/* Walk every leaf (for dumps): fn(iova, pa, size, raw entry). */
void io_pgtable_for_each_leaf(const struct io_pgtable *pt,
			      void (*fn)(uint64_t iova, uint64_t pa, uint64_t size, uint64_t pte,
					 void *arg),
			      void *arg);

/* ---- table-page pool, shared per host ---- */

struct pt_pool *pt_pool_new(struct hw_mem *mem);
void pt_pool_free(struct pt_pool *p);
void *pt_page_get(struct pt_pool *p);
/* Pages on a gather list go back to the pool after the flush. */
void pt_pages_put(struct pt_pool *p, struct iommu_iotlb_gather *g);
void pt_page_put(struct pt_pool *p, void *page);
/* Pages stashed for reuse: allocated table pages that no table holds. */
unsigned pt_pool_stashed(struct pt_pool *p);

#endif
