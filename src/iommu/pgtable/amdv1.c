/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AMD IOMMU v1 page table format (amdv1.h): map, unmap, translate and
 * the dirty bits, over tables the library allocates (no unit of the model
 * walks them: the selftest's mock IOMMU has no hardware but the checks
 * IOMMU_TEST_CMD makes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "amdv1.h"
#include "../../util/slab.h"

#define ENTRIES 512u
#define TABLE_BYTES 4096u
#define MAX_CONTIG_LG2 8u   /* a page of up to 256 entries of its level */

static inline unsigned item_lg2(const struct amdv1_pt *pt, unsigned level)
{
	return pt->granule_lg2 + 9 * level;
}

static inline unsigned index_of(const struct amdv1_pt *pt, uint64_t iova, unsigned level)
{
	return (unsigned)(iova >> item_lg2(pt, level)) & (ENTRIES - 1);
}

static inline bool present(uint64_t e)
{
	return e & AMDV1_PTE_PR;
}

static inline unsigned next_level(uint64_t e)
{
	return (unsigned)((e & AMDV1_PTE_NL_MASK) >> AMDV1_PTE_NL_SHIFT);
}

/* A pointer to a lower table (NL 1..6); level 0 holds only leaves. */
static inline bool is_table(uint64_t e, unsigned level)
{
	return present(e) && level && next_level(e) && next_level(e) != AMDV1_PTE_NL_SIZE;
}

/* The address field in granules: bits 51:12 of the entry. */
static inline uint64_t units_of(uint64_t e)
{
	return (e & AMDV1_PTE_OA_MASK) >> 12;
}

static inline uint64_t *table_of(const struct amdv1_pt *pt, uint64_t e)
{
	return (uint64_t *)(uintptr_t)(units_of(e) << pt->granule_lg2);
}

/* A leaf's page size: the level's, or (NL 7) one more than the run of
 * ones at the bottom of its address field. */
static unsigned leaf_lg2(const struct amdv1_pt *pt, uint64_t e, unsigned level)
{
	if (next_level(e) != AMDV1_PTE_NL_SIZE)
		return item_lg2(pt, level);
	return pt->granule_lg2 + (unsigned)__builtin_ctzll(~units_of(e)) + 1;
}

static uint64_t leaf_oa(const struct amdv1_pt *pt, uint64_t e)
{
	uint64_t units = units_of(e);
	if (next_level(e) == AMDV1_PTE_NL_SIZE)
		units &= ~((1ull << __builtin_ctzll(~units)) - 1);
	return units << pt->granule_lg2;
}

static uint64_t make_leaf(const struct amdv1_pt *pt, uint64_t pa, unsigned lg2, unsigned level,
			  int prot)
{
	uint64_t e = AMDV1_PTE_PR, units = pa >> pt->granule_lg2;
	if (prot & IOMMU_READ)
		e |= AMDV1_PTE_IR;
	if (prot & IOMMU_WRITE)
		e |= AMDV1_PTE_IW;
	if (lg2 > item_lg2(pt, level)) {
		e |= AMDV1_PTE_NL_SIZE << AMDV1_PTE_NL_SHIFT;
		units |= (1ull << (lg2 - pt->granule_lg2 - 1)) - 1;
	}
	return e | ((units << 12) & AMDV1_PTE_OA_MASK);
}

/* Tables grant everything; leaves decide (IR and IW are ANDed along the
 * walk). */
static uint64_t make_table(const struct amdv1_pt *pt, const uint64_t *table, unsigned level)
{
	uint64_t units = (uint64_t)(uintptr_t)table >> pt->granule_lg2;
	return AMDV1_PTE_PR | ((uint64_t)level << AMDV1_PTE_NL_SHIFT) |
	       ((units << 12) & AMDV1_PTE_OA_MASK) | AMDV1_PTE_IR | AMDV1_PTE_IW;
}

static uint64_t *table_alloc(struct amdv1_pt *pt)
{
	if (pt->nr_tables == pt->tables_cap) {
		unsigned long cap = pt->tables_cap ? 2 * pt->tables_cap : 16;
		uint64_t **n = krealloc(pt->tables, cap * sizeof(*n));
		if (!n)
			return NULL;
		pt->tables = n;
		pt->tables_cap = cap;
	}
	uint64_t *t = kmalloc_aligned(TABLE_BYTES, TABLE_BYTES);
	if (t) {
		memset(t, 0, TABLE_BYTES);
		pt->tables[pt->nr_tables++] = t;
	}
	return t;
}

/* Only when a large page replaces an empty table: rare, so a search. */
static void table_free(struct amdv1_pt *pt, uint64_t *t, unsigned level)
{
	for (unsigned i = 0; i < ENTRIES && level; i++)
		if (is_table(t[i], level))
			table_free(pt, table_of(pt, t[i]), level - 1);
	for (unsigned long i = 0; i < pt->nr_tables; i++) {
		if (pt->tables[i] == t) {
			pt->tables[i] = pt->tables[--pt->nr_tables];
			break;
		}
	}
	free(t);
}

static bool table_empty(const struct amdv1_pt *pt, const uint64_t *t, unsigned level)
{
	for (unsigned i = 0; i < ENTRIES; i++) {
		if (!present(t[i]))
			continue;
		if (!is_table(t[i], level) || !table_empty(pt, table_of(pt, t[i]), level - 1))
			return false;
	}
	return true;
}

int amdv1_pt_init(struct amdv1_pt *pt, unsigned granule_lg2, unsigned top_level)
{
	if (!pt || (granule_lg2 != 11 && granule_lg2 != 12) || !top_level || top_level > 4)
		return -EINVAL;
	memset(pt, 0, sizeof(*pt));
	pt->granule_lg2 = granule_lg2;
	pt->top_level = top_level;
	unsigned vasz = item_lg2(pt, top_level) + 9;
	pt->last_iova = vasz >= 64 ? UINT64_MAX : (1ull << vasz) - 1;
	/* Every level holds leaves of 1 to 256 of its entries; a page as
	 * large as the whole address space is not one (Linux hides the
	 * top size the same way). */
	for (unsigned l = 0; l <= top_level; l++)
		for (unsigned c = 0; c <= MAX_CONTIG_LG2; c++)
			if (item_lg2(pt, l) + c < vasz - 1)
				pt->pgsize_bitmap |= 1ull << (item_lg2(pt, l) + c);
	pt->top = table_alloc(pt);
	if (pt->top)
		return 0;
	amdv1_pt_destroy(pt);
	return -ENOMEM;
}

void amdv1_pt_destroy(struct amdv1_pt *pt)
{
	if (!pt)
		return;
	for (unsigned long i = 0; i < pt->nr_tables; i++)
		free(pt->tables[i]);
	free(pt->tables);
	pt->tables = NULL;
	pt->nr_tables = pt->tables_cap = 0;
	pt->top = NULL;
}

/* The largest page of `bitmap` that [iova, +len) -> pa can use. */
static unsigned best_lg2(uint64_t bitmap, uint64_t iova, uint64_t pa, uint64_t len)
{
	unsigned max = 63 - (unsigned)__builtin_clzll(len);
	uint64_t mask = iova | pa;
	if (mask && (unsigned)__builtin_ctzll(mask) < max)
		max = (unsigned)__builtin_ctzll(mask);
	if (max < 63)
		bitmap &= (2ull << max) - 1;
	return bitmap ? 63 - (unsigned)__builtin_clzll(bitmap) : 0;
}

/* Write one page of 2^lg2 bytes. Tables on the way are made as needed;
 * a table where the page goes may be replaced only if it maps nothing. */
static int install(struct amdv1_pt *pt, uint64_t iova, uint64_t pa, unsigned lg2, int prot)
{
	unsigned level = (lg2 - pt->granule_lg2) / 9;
	uint64_t *t = pt->top;
	for (unsigned l = pt->top_level; l > level; l--) {
		uint64_t *e = &t[index_of(pt, iova, l)];
		if (!present(*e)) {
			uint64_t *nt = table_alloc(pt);
			if (!nt)
				return -ENOMEM;
			*e = make_table(pt, nt, l);
		} else if (!is_table(*e, l)) {
			return -EEXIST;
		}
		t = table_of(pt, *e);
	}
	unsigned first = index_of(pt, iova, level), n = 1u << (lg2 - item_lg2(pt, level));
	for (unsigned i = first; i < first + n; i++)
		if (present(t[i]) &&
		    (!is_table(t[i], level) || !table_empty(pt, table_of(pt, t[i]), level - 1)))
			return -EEXIST;
	uint64_t e = make_leaf(pt, pa, lg2, level, prot);
	for (unsigned i = first; i < first + n; i++) {
		if (present(t[i]))
			table_free(pt, table_of(pt, t[i]), level - 1);
		t[i] = e;
	}
	return 0;
}

int amdv1_pt_map(struct amdv1_pt *pt, uint64_t iova, uint64_t pa, uint64_t size, int prot,
		 uint64_t pgsize_bitmap, uint64_t *mapped)
{
	uint64_t last, last_pa;
	pgsize_bitmap &= pt->pgsize_bitmap;
	if (!size || !pgsize_bitmap || !(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	uint64_t min = pgsize_bitmap & -pgsize_bitmap;
	if (((iova | pa | size) & (min - 1)) || __builtin_add_overflow(iova, size - 1, &last) ||
	    last > pt->last_iova || __builtin_add_overflow(pa, size - 1, &last_pa) ||
	    (last_pa >> (40 + pt->granule_lg2)))
		return -EINVAL;
	while (size) {
		unsigned lg2 = best_lg2(pgsize_bitmap, iova, pa, size);
		int rc = install(pt, iova, pa, lg2, prot);
		if (rc)
			return rc;
		iova += 1ull << lg2;
		pa += 1ull << lg2;
		size -= 1ull << lg2;
		*mapped += 1ull << lg2;
	}
	return 0;
}

/* The leaf translating iova and its level, or NULL. */
static uint64_t *find_leaf(const struct amdv1_pt *pt, uint64_t iova, unsigned *level,
			   unsigned *skip_lg2)
{
	uint64_t *t = pt->top;
	for (unsigned l = pt->top_level;; l--) {
		uint64_t *e = &t[index_of(pt, iova, l)];
		*level = l;
		*skip_lg2 = item_lg2(pt, l);
		if (!present(*e))
			return NULL;
		if (!is_table(*e, l))
			return e;
		t = table_of(pt, *e);
	}
}

uint64_t amdv1_pt_unmap(struct amdv1_pt *pt, uint64_t iova, uint64_t size)
{
	uint64_t unmapped = 0, last;
	if (!size || iova > pt->last_iova)
		return 0;
	if (__builtin_add_overflow(iova, size - 1, &last) || last > pt->last_iova)
		last = pt->last_iova;
	uint64_t cur = iova;
	for (;;) {
		unsigned level, lg2;
		uint64_t *e = find_leaf(pt, cur, &level, &lg2);
		if (e) {
			/* A page goes whole: every entry of its run. */
			lg2 = leaf_lg2(pt, *e, level);
			uint64_t start = cur & ~((1ull << lg2) - 1);
			unsigned first = index_of(pt, start, level);
			uint64_t *t = e - index_of(pt, cur, level);
			for (unsigned i = first; i < first + (1u << (lg2 - item_lg2(pt, level))); i++)
				t[i] = 0;
			unmapped += 1ull << lg2;
		}
		/* On to the next page, or past the hole. */
		uint64_t next = (cur | ((1ull << lg2) - 1)) + 1;
		if (!next || next > last)
			break;
		cur = next;
	}
	return unmapped;
}

int amdv1_pt_iova_to_phys(const struct amdv1_pt *pt, uint64_t iova, uint64_t *pa)
{
	unsigned level, lg2;
	if (iova > pt->last_iova)
		return -ENOENT;
	uint64_t *e = find_leaf(pt, iova, &level, &lg2);
	if (!e)
		return -ENOENT;
	lg2 = leaf_lg2(pt, *e, level);
	*pa = leaf_oa(pt, *e) + (iova & ((1ull << lg2) - 1));
	return 0;
}

uint64_t amdv1_pt_page_size(const struct amdv1_pt *pt, uint64_t iova)
{
	unsigned level, lg2;
	if (iova > pt->last_iova)
		return 0;
	uint64_t *e = find_leaf(pt, iova, &level, &lg2);
	return e ? 1ull << leaf_lg2(pt, *e, level) : 0;
}

uint64_t *amdv1_pt_entry(const struct amdv1_pt *pt, uint64_t iova, unsigned level)
{
	uint64_t *t = pt->top;
	if (iova > pt->last_iova || level > pt->top_level)
		return NULL;
	for (unsigned l = pt->top_level; l > level; l--) {
		uint64_t e = t[index_of(pt, iova, l)];
		if (!is_table(e, l))
			return NULL;
		t = table_of(pt, e);
	}
	return &t[index_of(pt, iova, level)];
}

int amdv1_pt_set_dirty(struct amdv1_pt *pt, uint64_t iova)
{
	unsigned level, lg2;
	if (iova > pt->last_iova)
		return -ENOENT;
	uint64_t *e = find_leaf(pt, iova, &level, &lg2);
	if (!e)
		return -ENOENT;
	*e |= AMDV1_PTE_D;
	return 0;
}

static void dirty_walk(struct amdv1_pt *pt, uint64_t *t, unsigned level, uint64_t base,
		       uint64_t lo, uint64_t hi, bool no_clear,
		       void (*fn)(uint64_t, uint64_t, void *), void *arg)
{
	unsigned lg2 = item_lg2(pt, level);
	for (unsigned i = index_of(pt, lo, level); i <= index_of(pt, hi, level); i++) {
		uint64_t va = base + ((uint64_t)i << lg2), va_last = va + (1ull << lg2) - 1;
		if (is_table(t[i], level)) {
			dirty_walk(pt, table_of(pt, t[i]), level - 1, va, lo > va ? lo : va,
				   hi < va_last ? hi : va_last, no_clear, fn, arg);
			continue;
		}
		if (!present(t[i]) || !(t[i] & AMDV1_PTE_D))
			continue;
		if (fn)
			fn(va, 1ull << lg2, arg);
		if (!no_clear)
			t[i] &= ~AMDV1_PTE_D;
	}
}

void amdv1_pt_read_and_clear_dirty(struct amdv1_pt *pt, uint64_t iova, uint64_t size,
				   bool no_clear, void (*fn)(uint64_t iova, uint64_t len, void *arg),
				   void *arg)
{
	uint64_t last;
	if (!size || iova > pt->last_iova)
		return;
	if (__builtin_add_overflow(iova, size - 1, &last) || last > pt->last_iova)
		last = pt->last_iova;
	dirty_walk(pt, pt->top, pt->top_level, 0, iova, last, no_clear, fn, arg);
}
