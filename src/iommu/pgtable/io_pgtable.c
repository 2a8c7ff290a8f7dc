/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/hw/vtd_regs.h>

#include "io_pgtable.h"
#include "../../hw/iface/mem.h"
#include "../../util/compiler.h"
#include "../../util/slab.h"

#define ENTRIES 512
#define COUNT_SHIFT 52
#define COUNT_MASK (0x3ffull << COUNT_SHIFT)

/* ---- the two formats ---- */

static inline bool is_fs(const struct io_pgtable *pt)
{
	return pt->cfg.fmt == IO_PGTABLE_X86_FS;
}

static inline bool pte_present(const struct io_pgtable *pt, uint64_t e)
{
	/* Second stage has no present bit: valid iff R or W (9.8). */
	return is_fs(pt) ? (e & VTD_FS_P) : (e & (VTD_SS_R | VTD_SS_W));
}

static inline bool pte_leaf(const struct io_pgtable *pt, uint64_t e, unsigned level)
{
	return level == 1 || (e & (is_fs(pt) ? VTD_FS_PS : VTD_SS_PS));
}

static inline uint64_t pte_addr(uint64_t e)
{
	return e & VTD_SS_ADDR_MASK; /* same field in both formats */
}

static uint64_t make_table(const struct io_pgtable *pt, const void *table)
{
	uint64_t pa = (uint64_t)(uintptr_t)table;
	/* Non-leaf entries grant everything; leaves decide. A first-stage
	 * entry comes with A set so the walker has no reason to write it. */
	return is_fs(pt) ? pa | VTD_FS_P | VTD_FS_RW | VTD_FS_US | VTD_FS_A :
			   pa | VTD_SS_R | VTD_SS_W;
}

static uint64_t make_leaf(const struct io_pgtable *pt, uint64_t pa, unsigned level, int prot)
{
	uint64_t e = pa;
	if (is_fs(pt)) {
		/* Linux sets U/S on IOMMU-owned first-stage pages because DMA is
		 * issued with user privilege; IOMMU_PRIV makes a supervisor page. */
		e |= VTD_FS_P | VTD_FS_A;
		if (prot & IOMMU_WRITE)
			e |= VTD_FS_RW | VTD_FS_D;
		if (!(prot & IOMMU_PRIV))
			e |= VTD_FS_US;
		if (prot & IOMMU_NOEXEC)
			e |= VTD_FS_XD;
		if (level > 1)
			e |= VTD_FS_PS;
	} else {
		if (prot & IOMMU_READ)
			e |= VTD_SS_R;
		if ((prot & IOMMU_WRITE) || pt->cfg.force_writeable)
			e |= VTD_SS_W;
		if (level > 1)
			e |= VTD_SS_PS;
	}
	return e;
}

static inline unsigned shift_of(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static inline uint64_t *table_of(uint64_t e)
{
	return (uint64_t *)(uintptr_t)pte_addr(e);
}

/* ---- entry access: hardware may CAS A/D into any entry concurrently ---- */

static inline uint64_t ld(uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Replace an entry's hardware fields, keeping the table's count bits. */
static inline void set_entry_hw(uint64_t *table, unsigned idx, uint64_t v, bool hw_writes)
{
	uint64_t *p = &table[idx];
	if (idx != 0) {
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
		return;
	}
	uint64_t old = ld(p);
	if (!hw_writes) {
		__atomic_store_n(p, (old & COUNT_MASK) | (v & ~COUNT_MASK), __ATOMIC_RELEASE);
		return;
	}
	while (!__atomic_compare_exchange_n(p, &old, (old & COUNT_MASK) | (v & ~COUNT_MASK), false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

#define set_entry(table, idx, v) set_entry_hw(table, idx, v, pt->hw_writes)

static inline uint64_t hw_bits(uint64_t *table, unsigned idx)
{
	uint64_t e = ld(&table[idx]);
	return idx == 0 ? e & ~COUNT_MASK : e;
}

static inline unsigned count_of(uint64_t *table)
{
	return (unsigned)((ld(&table[0]) & COUNT_MASK) >> COUNT_SHIFT);
}

static inline void count_add_hw(uint64_t *table, int delta, bool hw_writes)
{
	uint64_t d = (uint64_t)(int64_t)delta << COUNT_SHIFT;
	if (hw_writes)
		__atomic_fetch_add(&table[0], d, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&table[0], ld(&table[0]) + d, __ATOMIC_RELEASE);
}

#define count_add(table, delta) count_add_hw(table, delta, pt->hw_writes)

/* ---- pool of zeroed table pages ---- */

struct pt_pool {
	struct hw_mem *mem;
	pthread_mutex_t lock;
	void **free;
	unsigned nr, cap;
};


struct pt_pool *pt_pool_new(struct hw_mem *mem)
{
	struct pt_pool *p = kcalloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->mem = mem;
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void pt_pool_free(struct pt_pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nr; i++)
		hw_page_free(p->mem, p->free[i]);
	free(p->free);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void *pt_page_get(struct pt_pool *p)
{
	pthread_mutex_lock(&p->lock);
	void *pg = p->nr ? p->free[--p->nr] : NULL;
	pthread_mutex_unlock(&p->lock);
	return pg ? pg : hw_page_alloc(p->mem);
}

/* Pages come back empty (every entry cleared), so they stay zeroed. A
 * bounded stash keeps the map/unmap of a single page off malloc. */
#define POOL_MAX 1024

void pt_page_put(struct pt_pool *p, void *page)
{
	pthread_mutex_lock(&p->lock);
	if (p->nr == p->cap && p->cap < POOL_MAX) {
		unsigned ncap = p->cap ? p->cap * 2 : 64;
		void **n = krealloc(p->free, ncap * sizeof(*n));
		if (n) {
			p->free = n;
			p->cap = ncap;
		}
	}
	if (p->nr < p->cap) {
		p->free[p->nr++] = page;
		page = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if (page)
		hw_page_free(p->mem, page);
}

unsigned pt_pool_stashed(struct pt_pool *p)
{
	pthread_mutex_lock(&p->lock);
	unsigned n = p->nr;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void pt_pages_put(struct pt_pool *p, struct iommu_iotlb_gather *g)
{
	for (unsigned i = 0; i < g->nr_pages; i++)
		pt_page_put(p, g->pages[i]);
	if (g->pages != g->inline_pages)
		free(g->pages);
	g->pages = g->inline_pages;
	g->cap = 8;
	g->nr_pages = 0;
}

static bool gather_page(struct iommu_iotlb_gather *g, void *page)
{
	if (g->nr_pages == g->cap) {
		unsigned ncap = g->cap * 4;
		void **n = g->pages == g->inline_pages ? kmalloc(ncap * sizeof(*n)) :
							  krealloc(g->pages, ncap * sizeof(*n));
		if (!n)
			return false;
		if (g->pages == g->inline_pages)
			memcpy(n, g->inline_pages, sizeof(g->inline_pages));
		g->pages = n;
		g->cap = ncap;
	}
	g->pages[g->nr_pages++] = page;
	return true;
}

/* ---- init / destroy ---- */

int io_pgtable_init(struct io_pgtable *pt, const struct io_pgtable_cfg *cfg, struct pt_pool *pool)
{
	if (cfg->levels < 3 || cfg->levels > 5 || (cfg->fmt == IO_PGTABLE_X86_FS && cfg->levels == 3))
		return -EINVAL;
	if (!(cfg->pgsize_bitmap & SZ_4K) || (cfg->pgsize_bitmap & ~(SZ_4K | SZ_2M | SZ_1G)))
		return -EINVAL;
	memset(pt, 0, sizeof(*pt));
	pt->cfg = *cfg;
	pt->pool = pool;
	pt->root = pt_page_get(pool);
	if (!pt->root)
		return -ENOMEM;
	pt->nr_tables = 1;
	return 0;
}

static void free_tables(struct io_pgtable *pt, uint64_t *table, unsigned level)
{
	for (unsigned i = 0; level > 1 && i < ENTRIES; i++) {
		uint64_t e = hw_bits(table, i);
		if (pte_present(pt, e) && !pte_leaf(pt, e, level))
			free_tables(pt, table_of(e), level - 1);
	}
	memset(table, 0, VTD_PAGE_SIZE);
	pt_page_put(pt->pool, table);
}

void io_pgtable_destroy(struct io_pgtable *pt)
{
	if (pt->root)
		free_tables(pt, pt->root, pt->cfg.levels);
	pt->root = NULL;
	while (pt->nr_stash)
		pt_page_put(pt->pool, pt->stash[--pt->nr_stash]);
}

void io_pgtable_release(struct io_pgtable *pt, struct iommu_iotlb_gather *g)
{
	unsigned i = 0;
	for (; i < g->nr_pages && pt->nr_stash < ARRAY_SIZE(pt->stash); i++)
		pt->stash[pt->nr_stash++] = g->pages[i];
	for (; i < g->nr_pages; i++)
		pt_page_put(pt->pool, g->pages[i]);
	if (g->pages != g->inline_pages)
		free(g->pages);
	g->pages = g->inline_pages;
	g->cap = 8;
	g->nr_pages = 0;
}

uint64_t *io_pgtable_subroot(struct io_pgtable *pt, unsigned level)
{
	uint64_t *table = pt->root;
	for (unsigned l = pt->cfg.levels; l > level; l--) {
		uint64_t e = hw_bits(table, 0);
		if (!pte_present(pt, e)) {
			uint64_t *child = pt->nr_stash ? pt->stash[--pt->nr_stash] :
							 pt_page_get(pt->pool);
			if (!child)
				return NULL;
			pt->nr_tables++;
			set_entry(table, 0, make_table(pt, child));
			count_add(table, 1);
			e = hw_bits(table, 0);
		} else if (pte_leaf(pt, e, l)) {
			return NULL;
		}
		table = table_of(e);
		pt->pinned[l - 2] = table; /* levels 4..1 below a 5-level root */
	}
	return table;
}

/* ---- map ---- */

struct map_state {
	uint64_t iova, pa, end; /* end exclusive */
	int prot;
	int err;
};

static bool can_leaf(const struct io_pgtable *pt, const struct map_state *s, unsigned level)
{
	uint64_t sz = 1ull << shift_of(level);
	if (level > 3 || !(pt->cfg.pgsize_bitmap & sz))
		return false;
	return !(s->iova & (sz - 1)) && !(s->pa & (sz - 1)) && s->end - s->iova >= sz;
}

/* Fill the part of [s->iova, s->end) that `table` at `level` covers. The
 * table's entry count is updated once per visit, not once per entry: it
 * is an atomic operation on a word the hardware may update too. */
static void map_level(struct io_pgtable *pt, uint64_t *table, unsigned level, struct map_state *s)
{
	unsigned sh = shift_of(level);
	uint64_t step = 1ull << sh;
	uint64_t span_end = (s->iova | ((1ull << (sh + 9)) - 1)) + 1; /* end of this table */
	if (span_end == 0 || span_end > s->end)
		span_end = s->end;
	int added = 0;
	while (s->iova < span_end && !s->err) {
		unsigned idx = (unsigned)(s->iova >> sh) & 511;
		uint64_t e = hw_bits(table, idx);
		if (pte_present(pt, e)) {
			if (pte_leaf(pt, e, level)) {
				s->err = -EEXIST;
				break;
			}
			map_level(pt, table_of(e), level - 1, s);
			continue;
		}
		if (level == 1) {
			/* A run of 4 KiB leaves: the hot loop of a map. Entry 0 holds
			 * the count bits, so it goes through set_entry. */
			uint64_t leaf = make_leaf(pt, s->pa, 1, s->prot);
			unsigned n = (unsigned)((span_end - s->iova) >> 12), i = idx;
			if (i == 0) {
				set_entry(table, 0, leaf);
				leaf += step;
				i++;
			}
			bool fs = is_fs(pt);
			for (; i < idx + n; i++, leaf += step) {
				uint64_t cur = table[i];
				if (fs ? (cur & VTD_FS_P) : (cur & (VTD_SS_R | VTD_SS_W)))
					break;
				__atomic_store_n(&table[i], leaf, __ATOMIC_RELAXED);
			}
			added += (int)(i - idx);
			s->iova += (uint64_t)(i - idx) << 12;
			s->pa += (uint64_t)(i - idx) << 12;
			continue;
		}
		if (can_leaf(pt, s, level)) {
			uint64_t leaf = make_leaf(pt, s->pa, level, s->prot);
			do {
				set_entry(table, idx, leaf);
				added++;
				s->iova += step;
				s->pa += step;
				leaf += step;
				idx++;
			} while (s->iova < span_end && idx < 512 &&
				 !pte_present(pt, hw_bits(table, idx)) && can_leaf(pt, s, level));
			continue;
		}
		if (level == 1) { /* cannot happen: 4 KiB always fits */
			s->err = -EINVAL;
			break;
		}
		uint64_t *child = pt->nr_stash ? pt->stash[--pt->nr_stash] : pt_page_get(pt->pool);
		if (!child) {
			s->err = -ENOMEM;
			break;
		}
		/* Filled before it is published: the hardware sees the new
		 * subtree whole, and one that failed empty (an allocation
		 * below it, SPEC R-2) was never seen and goes straight back,
		 * so a failed map leaves no table behind. */
		uint64_t at = s->iova;
		map_level(pt, child, level - 1, s);
		if (s->iova == at) {
			pt_page_put(pt->pool, child);
			break;
		}
		pt->nr_tables++;
		set_entry(table, idx, make_table(pt, child));
		added++;
	}
	if (added)
		count_add(table, added);
}

int io_pgtable_map(struct io_pgtable *pt, uint64_t iova, uint64_t pa, uint64_t size, int prot,
		   uint64_t *mapped)
{
	*mapped = 0;
	uint64_t width = shift_of(pt->cfg.levels) + 9;
	if (!size || (iova | pa | size) & (SZ_4K - 1))
		return -EINVAL;
	if (!(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	if (iova + size < iova || (width < 64 && (iova + size - 1) >> width))
		return -EINVAL;
	struct map_state s = { .iova = iova, .pa = pa, .end = iova + size, .prot = prot };
	map_level(pt, pt->root, pt->cfg.levels, &s);
	*mapped = s.iova - iova;
	if (s.iova > pt->max_iova)
		pt->max_iova = s.iova;
	return s.err;
}

/* ---- unmap ---- */

struct unmap_state {
	uint64_t iova, end;
	uint64_t unmapped;
	struct iommu_iotlb_gather *g;
};

static bool is_pinned(const struct io_pgtable *pt, const uint64_t *table)
{
	for (unsigned i = 0; i < ARRAY_SIZE(pt->pinned); i++)
		if (pt->pinned[i] == table)
			return true;
	return false;
}

/* Returns true when `table` became empty. */
static bool unmap_level(struct io_pgtable *pt, uint64_t *table, unsigned level,
			struct unmap_state *s)
{
	unsigned sh = shift_of(level);
	uint64_t span_end = (s->iova | ((1ull << (sh + 9)) - 1)) + 1;
	if (span_end == 0 || span_end > s->end)
		span_end = s->end;
	int removed = 0;
	uint64_t run_start = 0, run_len = 0;
	if (level == 1) {
		/* A leaf table: clear its part of the range in one sweep and
		 * record it as one gathered run. */
		unsigned first = (unsigned)(s->iova >> 12) & 511;
		unsigned n = (unsigned)((span_end - s->iova) >> 12);
		bool fs = is_fs(pt);
		uint64_t lo = UINT64_MAX, hi = 0;
		for (unsigned i = first; i < first + n; i++) {
			uint64_t e = i == 0 ? hw_bits(table, 0) : table[i];
			if (!(fs ? (e & VTD_FS_P) : (e & (VTD_SS_R | VTD_SS_W))))
				continue;
			if (i == 0)
				set_entry(table, 0, 0);
			else
				__atomic_store_n(&table[i], 0, __ATOMIC_RELEASE);
			removed++;
			if (i < lo)
				lo = i;
			hi = i;
		}
		uint64_t base = s->iova & ~0x1fffffull;
		if (removed) {
			iommu_iotlb_gather_add(s->g, base + ((uint64_t)lo << 12), (hi - lo + 1) << 12);
			s->unmapped += (uint64_t)removed << 12;
			count_add(table, -removed);
		}
		s->iova = span_end;
		return count_of(table) == 0 && table != pt->root && !is_pinned(pt, table);
	}
	while (s->iova < span_end) {
		unsigned idx = (unsigned)(s->iova >> sh) & 511;
		uint64_t base = s->iova & ~((1ull << sh) - 1);
		uint64_t next = base + (1ull << sh);
		uint64_t e = hw_bits(table, idx);
		if (!pte_present(pt, e)) {
			s->iova = next ? next : s->end;
			continue;
		}
		if (pte_leaf(pt, e, level)) {
			if (base < s->iova && level > 1) {
				/* A large page started before the range: it is not
				 * ours to split; skip it. */
				s->iova = next;
				continue;
			}
			set_entry(table, idx, 0);
			removed++;
			/* Gather contiguous runs, then record them once. */
			if (run_len && run_start + run_len == base) {
				run_len += 1ull << sh;
			} else {
				if (run_len)
					iommu_iotlb_gather_add(s->g, run_start, run_len);
				run_start = base;
				run_len = 1ull << sh;
			}
			s->unmapped += 1ull << sh;
			s->iova = next ? next : s->end;
			continue;
		}
		uint64_t *child = table_of(e);
		if (unmap_level(pt, child, level - 1, s)) {
			if (gather_page(s->g, child)) {
				set_entry(table, idx, 0);
				removed++;
				pt->nr_tables--;
				s->g->leaf_only = false;
				iommu_iotlb_gather_add(s->g, base, 1ull << sh);
			}
		}
	}
	if (run_len)
		iommu_iotlb_gather_add(s->g, run_start, run_len);
	if (removed)
		count_add(table, -removed);
	return count_of(table) == 0 && table != pt->root && !is_pinned(pt, table);
}

uint64_t io_pgtable_unmap(struct io_pgtable *pt, uint64_t iova, uint64_t size,
			  struct iommu_iotlb_gather *gather)
{
	if (!size || (iova | size) & (SZ_4K - 1) || iova + size < iova)
		return 0;
	uint64_t width = shift_of(pt->cfg.levels) + 9;
	uint64_t end = iova + size;
	if (width < 64 && end > (1ull << width))
		end = 1ull << width;
	if (iova >= end)
		return 0;
	struct unmap_state s = { .iova = iova, .end = end, .g = gather };
	unmap_level(pt, pt->root, pt->cfg.levels, &s);
	return s.unmapped;
}

/* ---- lookups ---- */

static uint64_t lookup(const struct io_pgtable *pt, uint64_t iova, unsigned *level_out)
{
	uint64_t width = shift_of(pt->cfg.levels) + 9;
	if (width < 64 && iova >> width)
		return 0;
	uint64_t *table = pt->root;
	for (unsigned level = pt->cfg.levels; level >= 1; level--) {
		unsigned idx = (unsigned)(iova >> shift_of(level)) & 511;
		uint64_t e = hw_bits(table, idx);
		if (!pte_present(pt, e))
			return 0;
		if (pte_leaf(pt, e, level)) {
			*level_out = level;
			return e;
		}
		table = table_of(e);
	}
	return 0;
}

int io_pgtable_iova_to_phys(const struct io_pgtable *pt, uint64_t iova, uint64_t *pa)
{
	unsigned level;
	uint64_t e = lookup(pt, iova, &level);
	if (!e)
		return -ENOENT;
	uint64_t sz = 1ull << shift_of(level);
	*pa = (pte_addr(e) & ~(sz - 1)) | (iova & (sz - 1));
	return 0;
}

uint64_t io_pgtable_leaf_size(const struct io_pgtable *pt, uint64_t iova)
{
	unsigned level;
	return lookup(pt, iova, &level) ? 1ull << shift_of(level) : 0;
}

/* ---- dirty tracking (second stage D bit, 9.8) ---- */

struct dirty_state {
	uint64_t iova, end;
	bool no_clear;
	void (*fn)(uint64_t, uint64_t, void *);
	void *arg;
	struct iommu_iotlb_gather *g;
};

static void dirty_level(struct io_pgtable *pt, uint64_t *table, unsigned level,
			struct dirty_state *s)
{
	unsigned sh = shift_of(level);
	uint64_t span_end = (s->iova | ((1ull << (sh + 9)) - 1)) + 1;
	if (span_end == 0 || span_end > s->end)
		span_end = s->end;
	uint64_t dbit = is_fs(pt) ? VTD_FS_D : VTD_SS_D;
	while (s->iova < span_end) {
		unsigned idx = (unsigned)(s->iova >> sh) & 511;
		uint64_t base = s->iova & ~((1ull << sh) - 1);
		uint64_t next = base + (1ull << sh);
		uint64_t e = hw_bits(table, idx);
		if (pte_present(pt, e) && !pte_leaf(pt, e, level)) {
			dirty_level(pt, table_of(e), level - 1, s);
			continue;
		}
		if (pte_present(pt, e) && (e & dbit)) {
			s->fn(base, 1ull << sh, s->arg);
			if (!s->no_clear) {
				__atomic_fetch_and(&table[idx], ~dbit, __ATOMIC_RELAXED);
				iommu_iotlb_gather_add(s->g, base, 1ull << sh);
			}
		}
		s->iova = next ? next : s->end;
	}
}

int io_pgtable_read_and_clear_dirty(struct io_pgtable *pt, uint64_t iova, uint64_t size,
				    bool no_clear,
				    void (*fn)(uint64_t iova, uint64_t len, void *arg), void *arg,
				    struct iommu_iotlb_gather *gather)
{
	if (!size || iova + size < iova)
		return -EINVAL;
	struct dirty_state s = { .iova = iova, .end = iova + size, .no_clear = no_clear,
				 .fn = fn, .arg = arg, .g = gather };
	dirty_level(pt, pt->root, pt->cfg.levels, &s);
	return 0;
}

static void leaves(const struct io_pgtable *pt, uint64_t *table, unsigned level, uint64_t base,
		   void (*fn)(uint64_t, uint64_t, uint64_t, uint64_t, void *), void *arg)
{
	unsigned sh = shift_of(level);
	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t e = hw_bits(table, i);
		if (!pte_present(pt, e))
			continue;
		uint64_t iova = base + ((uint64_t)i << sh);
		if (pte_leaf(pt, e, level))
			fn(iova, pte_addr(e) & ~((1ull << sh) - 1), 1ull << sh, e, arg);
		else
			leaves(pt, table_of(e), level - 1, iova, fn, arg);
	}
}

void io_pgtable_for_each_leaf(const struct io_pgtable *pt,
			      void (*fn)(uint64_t iova, uint64_t pa, uint64_t size, uint64_t pte,
					 void *arg),
			      void *arg)
{
	leaves(pt, pt->root, pt->cfg.levels, 0, fn, arg);
}
