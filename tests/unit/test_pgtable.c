/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The page-table library (SPEC A-1, H-3 formats): io_pgtable map, unmap,
 * iova_to_phys, leaf_size, for_each_leaf and read_and_clear_dirty for the
 * VT-d second-stage and x86 first-stage formats at 3, 4 and 5 levels.
 * Leaf sizes follow alignment and pgsize_bitmap; failures change nothing
 * beyond what *mapped reports; empty tables are unlinked into the gather
 * and reused; the raw entries are the real VT-d bit layouts.
 *
 * The table walks here are the test's own, written from the VT-d formats,
 * so that the library is checked against the layout rather than itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hw/mem/mem.h"
#include "iommu/pgtable/io_pgtable.h"
#include <uiommu/hw/vtd_regs.h>

/* Bits 61:52 of a table's first entry carry the library's entry count. */
#define SW_BITS GENMASK_ULL(61, 52)
#define PA0 0x40000000ull /* a 1 GiB-aligned output address; never dereferenced */

struct rig {
	struct hw_mem mem;
	struct pt_pool *pool;
	struct io_pgtable pt;
	struct iommu_iotlb_gather g;
};

struct fmt_case {
	enum io_pgtable_fmt fmt;
	unsigned levels;
};

static const struct fmt_case cases[] = {
	{ IO_PGTABLE_VTD_SS, 3 }, { IO_PGTABLE_VTD_SS, 4 }, { IO_PGTABLE_VTD_SS, 5 },
	{ IO_PGTABLE_X86_FS, 4 }, { IO_PGTABLE_X86_FS, 5 },
};

static void rig_init_cfg(struct rig *r, const struct io_pgtable_cfg *cfg)
{
	hw_mem_init(&r->mem);
	r->pool = pt_pool_new(&r->mem);
	assert_non_null(r->pool);
	assert_int_equal(io_pgtable_init(&r->pt, cfg, r->pool), 0);
	assert_int_equal(r->pt.nr_tables, 1);
	iommu_iotlb_gather_init(&r->g);
}

static void rig_init(struct rig *r, enum io_pgtable_fmt fmt, unsigned levels, uint64_t pgsizes)
{
	struct io_pgtable_cfg cfg = { .fmt = fmt, .levels = levels, .pgsize_bitmap = pgsizes };
	rig_init_cfg(r, &cfg);
}

/* Everything goes back: after the pool is freed no table page is live. */
static void rig_fini(struct rig *r)
{
	io_pgtable_release(&r->pt, &r->g);
	io_pgtable_destroy(&r->pt);
	pt_pool_free(r->pool);
	assert_int_equal(atomic_load(&r->mem.table_pages), 0);
}

static uint64_t width_of(unsigned levels)
{
	return 12 + 9 * levels;
}

static bool is_present(enum io_pgtable_fmt fmt, uint64_t e)
{
	/* Second stage: valid iff R or W (VT-d 9.8); first stage: P. */
	return fmt == IO_PGTABLE_X86_FS ? (e & VTD_FS_P) : (e & (VTD_SS_R | VTD_SS_W));
}

/* The entry for iova at `level` (1 = 4 KiB), or NULL if the walk ends
 * above it. Written from the format, not from the library. */
static uint64_t *raw_pte(const struct io_pgtable *pt, uint64_t iova, unsigned level)
{
	uint64_t *table = pt->root;
	for (unsigned l = pt->cfg.levels; l >= 1; l--) {
		unsigned idx = (unsigned)(iova >> (12 + 9 * (l - 1))) & 511;
		if (l == level)
			return &table[idx];
		uint64_t e = table[idx] & ~SW_BITS;
		if (!is_present(pt->cfg.fmt, e) || (e & VTD_SS_PS)) /* PS is bit 7 in both */
			return NULL;
		table = (uint64_t *)(uintptr_t)(e & VTD_SS_ADDR_MASK);
	}
	return NULL;
}

static uint64_t leaf_bits(const struct io_pgtable *pt, uint64_t iova, unsigned level)
{
	uint64_t *p = raw_pte(pt, iova, level);
	assert_non_null(p);
	return *p & ~SW_BITS;
}

static uint64_t phys(const struct io_pgtable *pt, uint64_t iova)
{
	uint64_t pa = 0;
	if (io_pgtable_iova_to_phys(pt, iova, &pa))
		return 0;
	return pa;
}

static void map_ok(struct rig *r, uint64_t iova, uint64_t pa, uint64_t size, int prot)
{
	uint64_t mapped = ~0ull;
	int rc = io_pgtable_map(&r->pt, iova, pa, size, prot, &mapped);
	if (rc)
		fail_msg("map %#llx+%#llx: %d", (unsigned long long)iova, (unsigned long long)size,
			 rc);
	assert_int_equal(mapped, size);
}

static uint64_t unmap(struct rig *r, uint64_t iova, uint64_t size)
{
	return io_pgtable_unmap(&r->pt, iova, size, &r->g);
}

/* ---- leaves as the walk reports them ---- */

struct leaf {
	uint64_t iova, pa, size, pte;
};

struct leaves {
	struct leaf l[1024];
	unsigned n;
	unsigned long total;
};

static void collect(uint64_t iova, uint64_t pa, uint64_t size, uint64_t pte, void *arg)
{
	struct leaves *ls = arg;
	if (ls->n < ARRAY_SIZE(ls->l))
		ls->l[ls->n++] = (struct leaf){ iova, pa, size, pte };
	ls->total++;
}

static void leaves_of(const struct io_pgtable *pt, struct leaves *ls)
{
	memset(ls, 0, sizeof(*ls));
	io_pgtable_for_each_leaf(pt, collect, ls);
}

/* ---- init ---- */

static void test_init_rejects_bad_configs(void **s)
{
	(void)s;
	struct hw_mem mem;
	hw_mem_init(&mem);
	struct pt_pool *pool = pt_pool_new(&mem);
	struct io_pgtable pt;
	const struct io_pgtable_cfg bad[] = {
		{ IO_PGTABLE_VTD_SS, 2, SZ_4K, false },
		{ IO_PGTABLE_VTD_SS, 6, SZ_4K, false },
		/* IA-32e paging has no 3-level form. */
		{ IO_PGTABLE_X86_FS, 3, SZ_4K, false },
		/* 4 KiB pages are mandatory; nothing but 4K/2M/1G exists. */
		{ IO_PGTABLE_VTD_SS, 4, SZ_2M, false },
		{ IO_PGTABLE_VTD_SS, 4, SZ_4K | (1ull << 16), false },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(io_pgtable_init(&pt, &bad[i], pool), -EINVAL);
	/* A failed init allocates nothing. */
	assert_int_equal(atomic_load(&mem.table_pages), 0);
	pt_pool_free(pool);
}

/* ---- map and look up ---- */

static void test_map_4k_every_format(void **s)
{
	(void)s;
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		struct rig r;
		unsigned lv = cases[c].levels;
		rig_init(&r, cases[c].fmt, lv, SZ_4K | SZ_2M | SZ_1G);
		uint64_t top = (1ull << width_of(lv)) - SZ_4K;
		map_ok(&r, 0x5000, PA0 + 0x3000, SZ_4K, IOMMU_READ | IOMMU_WRITE);
		/* One table per level on the path of the first page. */
		assert_int_equal(r.pt.nr_tables, lv);
		map_ok(&r, top, PA0 + 0x7000, SZ_4K, IOMMU_READ);
		assert_int_equal(r.pt.nr_tables, 2 * lv - 1);

		assert_int_equal(phys(&r.pt, 0x5000), PA0 + 0x3000);
		assert_int_equal(phys(&r.pt, 0x5abc), PA0 + 0x3abc);
		assert_int_equal(phys(&r.pt, top + 0xfff), PA0 + 0x7fff);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, 0x5000), SZ_4K);
		uint64_t pa;
		assert_int_equal(io_pgtable_iova_to_phys(&r.pt, 0x4000, &pa), -ENOENT);
		assert_int_equal(io_pgtable_iova_to_phys(&r.pt, 0x6000, &pa), -ENOENT);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, 0x6000), 0);
		/* Beyond the width nothing is ever mapped. */
		uint64_t lim = 1ull << width_of(lv);
		assert_int_equal(io_pgtable_iova_to_phys(&r.pt, lim, &pa), -ENOENT);
		assert_int_equal(r.pt.max_iova, 1ull << width_of(lv));
		rig_fini(&r);
	}
}

static void test_large_pages_by_alignment(void **s)
{
	(void)s;
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		struct rig r;
		rig_init(&r, cases[c].fmt, cases[c].levels, SZ_4K | SZ_2M | SZ_1G);
		int rw = IOMMU_READ | IOMMU_WRITE;

		map_ok(&r, SZ_2M, PA0, SZ_2M, rw);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, SZ_2M + 0x12345), SZ_2M);
		assert_int_equal(phys(&r.pt, SZ_2M + 0x12345), PA0 + 0x12345);

		map_ok(&r, SZ_1G, PA0, SZ_1G, rw);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, SZ_1G + 0x1234567), SZ_1G);
		assert_int_equal(phys(&r.pt, SZ_1G + 0x1234567), PA0 + 0x1234567);

		/* An output address not 2 MiB aligned forces 4 KiB pages. */
		map_ok(&r, 4 * SZ_2M, PA0 + SZ_4K, SZ_2M, rw);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, 4 * SZ_2M), SZ_4K);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, 5 * SZ_2M - SZ_4K), SZ_4K);
		assert_int_equal(phys(&r.pt, 5 * SZ_2M - 1), PA0 + SZ_2M + SZ_4K - 1);

		/* A region straddling 2 MiB boundaries: 4K head, 2M body, 4K tail. */
		uint64_t base = 8 * SZ_2M;
		map_ok(&r, base - SZ_4K, PA0 - SZ_4K, SZ_2M + 2 * SZ_4K, rw);
		struct leaves *ls = malloc(sizeof(*ls));
		leaves_of(&r.pt, ls);
		unsigned seen = 0;
		for (unsigned i = 0; i < ls->n; i++) {
			if (ls->l[i].iova < base - SZ_4K || ls->l[i].iova > base + SZ_2M)
				continue;
			const uint64_t want[3][2] = { { base - SZ_4K, SZ_4K },
						      { base, SZ_2M },
						      { base + SZ_2M, SZ_4K } };
			assert_true(seen < 3);
			assert_int_equal(ls->l[i].iova, want[seen][0]);
			assert_int_equal(ls->l[i].size, want[seen][1]);
			uint64_t off = ls->l[i].iova - (base - SZ_4K);
			assert_int_equal(ls->l[i].pa, PA0 - SZ_4K + off);
			seen++;
		}
		assert_int_equal(seen, 3);
		free(ls);
		rig_fini(&r);
	}
}

static void test_pgsize_bitmap_limits_leaves(void **s)
{
	(void)s;
	struct rig r;
	struct leaves *ls = malloc(sizeof(*ls));

	/* No 1 GiB pages: a 1 GiB region becomes 512 2 MiB leaves. */
	rig_init(&r, IO_PGTABLE_VTD_SS, 4, SZ_4K | SZ_2M);
	map_ok(&r, SZ_1G, PA0, SZ_1G, IOMMU_READ);
	leaves_of(&r.pt, ls);
	assert_int_equal(ls->total, 512);
	for (unsigned i = 0; i < ls->n; i++)
		assert_int_equal(ls->l[i].size, SZ_2M);
	rig_fini(&r);

	/* 4 KiB only: a 2 MiB region becomes 512 4 KiB leaves. */
	rig_init(&r, IO_PGTABLE_X86_FS, 4, SZ_4K);
	map_ok(&r, SZ_2M, PA0, SZ_2M, IOMMU_READ);
	leaves_of(&r.pt, ls);
	assert_int_equal(ls->total, 512);
	for (unsigned i = 0; i < ls->n; i++) {
		assert_int_equal(ls->l[i].size, SZ_4K);
		assert_int_equal(ls->l[i].iova, SZ_2M + i * SZ_4K);
		assert_int_equal(ls->l[i].pa, PA0 + i * SZ_4K);
	}
	rig_fini(&r);
	free(ls);
}

static void test_map_overlap_eexist(void **s)
{
	(void)s;
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		struct rig r;
		rig_init(&r, cases[c].fmt, cases[c].levels, SZ_4K | SZ_2M | SZ_1G);
		uint64_t mapped;
		map_ok(&r, 0x10000, PA0, SZ_4K, IOMMU_READ);

		/* Pages before the collision are mapped and reported; the
		 * existing page and everything after it are untouched. */
		assert_int_equal(io_pgtable_map(&r.pt, 0xe000, PA0 + 0x100000, 4 * SZ_4K,
						IOMMU_READ | IOMMU_WRITE, &mapped),
				 -EEXIST);
		assert_int_equal(mapped, 2 * SZ_4K);
		assert_int_equal(phys(&r.pt, 0xe000), PA0 + 0x100000);
		assert_int_equal(phys(&r.pt, 0xf000), PA0 + 0x101000);
		assert_int_equal(phys(&r.pt, 0x10000), PA0);
		assert_int_equal(phys(&r.pt, 0x11000), 0);

		/* A 4 KiB map inside a 2 MiB leaf collides at once. */
		map_ok(&r, 2 * SZ_2M, PA0, SZ_2M, IOMMU_READ);
		assert_int_equal(io_pgtable_map(&r.pt, 2 * SZ_2M + 0x5000, PA0, SZ_4K, IOMMU_READ,
						&mapped),
				 -EEXIST);
		assert_int_equal(mapped, 0);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, 2 * SZ_2M), SZ_2M);

		/* A 2 MiB map over a lone 4 KiB page cannot be one leaf: it
		 * fills 4 KiB pages up to the collision. */
		map_ok(&r, 6 * SZ_2M + 0x5000, PA0, SZ_4K, IOMMU_READ);
		assert_int_equal(io_pgtable_map(&r.pt, 6 * SZ_2M, PA0 + SZ_2M, SZ_2M, IOMMU_READ,
						&mapped),
				 -EEXIST);
		assert_int_equal(mapped, 0x5000);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, 6 * SZ_2M), SZ_4K);
		assert_int_equal(phys(&r.pt, 6 * SZ_2M + 0x4000), PA0 + SZ_2M + 0x4000);
		assert_int_equal(phys(&r.pt, 6 * SZ_2M + 0x5000), PA0);
		assert_int_equal(phys(&r.pt, 6 * SZ_2M + 0x6000), 0);
		rig_fini(&r);
	}
}

static void test_map_invalid_args(void **s)
{
	(void)s;
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		struct rig r;
		unsigned lv = cases[c].levels;
		rig_init(&r, cases[c].fmt, lv, SZ_4K | SZ_2M | SZ_1G);
		uint64_t mapped = 1, lim = 1ull << width_of(lv);
		int rw = IOMMU_READ | IOMMU_WRITE;
		assert_int_equal(io_pgtable_map(&r.pt, 0x1000, PA0, 0, rw, &mapped), -EINVAL);
		assert_int_equal(mapped, 0);
		assert_int_equal(io_pgtable_map(&r.pt, 0x1800, PA0, SZ_4K, rw, &mapped), -EINVAL);
		assert_int_equal(io_pgtable_map(&r.pt, 0x1000, PA0 + 8, SZ_4K, rw, &mapped),
				 -EINVAL);
		assert_int_equal(io_pgtable_map(&r.pt, 0x1000, PA0, 100, rw, &mapped), -EINVAL);
		/* A mapping nobody may use is refused. */
		assert_int_equal(io_pgtable_map(&r.pt, 0x1000, PA0, SZ_4K, 0, &mapped), -EINVAL);
		assert_int_equal(io_pgtable_map(&r.pt, lim, PA0, SZ_4K, rw, &mapped), -EINVAL);
		assert_int_equal(io_pgtable_map(&r.pt, lim - SZ_4K, PA0, 2 * SZ_4K, rw, &mapped),
				 -EINVAL);
		assert_int_equal(io_pgtable_map(&r.pt, ~0ull - 0xfff, PA0, 2 * SZ_4K, rw, &mapped),
				 -EINVAL);
		assert_int_equal(mapped, 0);
		/* Nothing was built for any of them. */
		assert_int_equal(r.pt.nr_tables, 1);
		assert_int_equal(r.pt.max_iova, 0);
		rig_fini(&r);
	}
}

/* ---- unmap ---- */

static void test_unmap_returns_bytes(void **s)
{
	(void)s;
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		struct rig r;
		rig_init(&r, cases[c].fmt, cases[c].levels, SZ_4K | SZ_2M | SZ_1G);
		int rw = IOMMU_READ | IOMMU_WRITE;
		map_ok(&r, 0x3000, PA0, SZ_4K, rw);
		map_ok(&r, 0x5000, PA0, 2 * SZ_4K, rw);
		/* Holes are not counted. */
		assert_int_equal(unmap(&r, 0x1000, 16 * SZ_4K), 3 * SZ_4K);
		assert_int_equal(phys(&r.pt, 0x5000), 0);
		assert_int_equal(unmap(&r, 0x1000, 16 * SZ_4K), 0);

		/* A large page whose start lies in the range goes whole... */
		map_ok(&r, SZ_2M, PA0, SZ_2M, rw);
		assert_int_equal(unmap(&r, SZ_2M, SZ_4K), SZ_2M);
		assert_int_equal(phys(&r.pt, SZ_2M + 0x1000), 0);
		assert_int_equal(phys(&r.pt, 2 * SZ_2M - 1), 0);
		/* ...one that starts before the range is not split. */
		map_ok(&r, SZ_2M, PA0, SZ_2M, rw);
		assert_int_equal(unmap(&r, SZ_2M + SZ_4K, SZ_4K), 0);
		assert_int_equal(phys(&r.pt, SZ_2M + SZ_4K), PA0 + SZ_4K);
		assert_int_equal(unmap(&r, SZ_2M - SZ_4K, 2 * SZ_4K), SZ_2M);

		map_ok(&r, SZ_1G, PA0, SZ_1G, rw);
		assert_int_equal(unmap(&r, SZ_1G + SZ_2M, SZ_2M), 0);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, SZ_1G), SZ_1G);
		assert_int_equal(unmap(&r, SZ_1G, SZ_4K), SZ_1G);
		assert_int_equal(io_pgtable_leaf_size(&r.pt, SZ_1G), 0);

		/* Bad ranges unmap nothing. */
		map_ok(&r, 0x8000, PA0, SZ_4K, rw);
		assert_int_equal(unmap(&r, 0x8000, 0), 0);
		assert_int_equal(unmap(&r, 0x8800, SZ_4K), 0);
		assert_int_equal(unmap(&r, 0x8000, ~0ull & ~0xfffull), 0); /* wraps */
		assert_int_equal(phys(&r.pt, 0x8000), PA0);
		/* A range running past the width stops at it. */
		assert_int_equal(unmap(&r, 0, ~0ull & ~0xfffull), SZ_4K);
		assert_int_equal(r.pt.nr_tables, 1);
		rig_fini(&r);
	}
}

static bool page_is_zero(const void *p)
{
	const uint64_t *q = p;
	for (unsigned i = 0; i < 512; i++)
		if (q[i])
			return false;
	return true;
}

static void test_unmap_frees_tables_into_gather(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r, IO_PGTABLE_VTD_SS, 4, SZ_4K | SZ_2M | SZ_1G);
	map_ok(&r, 0x7000, PA0, SZ_4K, IOMMU_READ);
	assert_int_equal(r.pt.nr_tables, 4);
	assert_int_equal(atomic_load(&r.mem.table_pages), 4);

	assert_int_equal(unmap(&r, 0x7000, SZ_4K), SZ_4K);
	/* The leaf table, then its parents, each empty: unlinked, kept for
	 * after the flush (a walker may still read them), never freed now. */
	assert_int_equal(r.pt.nr_tables, 1);
	assert_int_equal(r.g.nr_pages, 3);
	assert_false(r.g.leaf_only);
	assert_true(r.g.start <= 0x7000 && r.g.end >= 0x7fff);
	assert_int_equal(atomic_load(&r.mem.table_pages), 4);
	for (unsigned i = 0; i < r.g.nr_pages; i++) {
		assert_ptr_not_equal(r.g.pages[i], r.pt.root);
		/* Pages come back clean: the pool hands them out as zeroed. */
		assert_true(page_is_zero(r.g.pages[i]));
	}
	/* The root no longer points anywhere. */
	assert_true(page_is_zero(r.pt.root));

	/* After the flush the pages are reused: a new map allocates none. */
	io_pgtable_release(&r.pt, &r.g);
	assert_int_equal(r.g.nr_pages, 0);
	unsigned long long allocs = atomic_load(&r.mem.table_allocs);
	map_ok(&r, 0x40000000, PA0, SZ_4K, IOMMU_READ);
	assert_int_equal(r.pt.nr_tables, 4);
	assert_int_equal(atomic_load(&r.mem.table_allocs), allocs);
	assert_int_equal(atomic_load(&r.mem.table_pages), 4);

	/* Only the leaf changed: the gather says so (IH hint). */
	iommu_iotlb_gather_init(&r.g);
	map_ok(&r, 0x40001000, PA0, SZ_4K, IOMMU_READ);
	assert_int_equal(unmap(&r, 0x40001000, SZ_4K), SZ_4K);
	assert_int_equal(r.g.nr_pages, 0);
	assert_true(r.g.leaf_only);
	assert_int_equal(r.g.start, 0x40001000);
	assert_int_equal(r.g.end, 0x40001fff);

	/* destroy returns every table to the pool; freeing the pool frees
	 * them (rig_fini checks the count reaches zero). */
	io_pgtable_destroy(&r.pt);
	assert_int_equal(atomic_load(&r.mem.table_pages), 4);
	pt_pool_free(r.pool);
	assert_int_equal(atomic_load(&r.mem.table_pages), 0);
}

static void test_1g_of_4k_pages_leaves_only_root(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r, IO_PGTABLE_VTD_SS, 4, SZ_4K);
	map_ok(&r, SZ_1G, PA0, SZ_1G, IOMMU_READ | IOMMU_WRITE);
	/* root + one L3 + one L2 + 512 leaf tables */
	assert_int_equal(r.pt.nr_tables, 3 + 512);
	assert_int_equal(phys(&r.pt, SZ_1G + 0x12345678), PA0 + 0x12345678);
	assert_int_equal(io_pgtable_leaf_size(&r.pt, 2 * SZ_1G - 1), SZ_4K);

	assert_int_equal(unmap(&r, SZ_1G, SZ_1G), SZ_1G);
	assert_int_equal(r.pt.nr_tables, 1);
	assert_int_equal(r.g.nr_pages, 2 + 512);
	assert_true(r.g.start <= SZ_1G && r.g.end >= 2 * SZ_1G - 1);
	io_pgtable_release(&r.pt, &r.g);
	/* Everything beyond the stash went back to the pool, none leaked. */
	assert_int_equal(atomic_load(&r.mem.table_pages), 3 + 512);
	rig_fini(&r);
}

static void test_cursor_allocates_each_table_once(void **s)
{
	(void)s;
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		struct rig r;
		unsigned lv = cases[c].levels;
		rig_init(&r, cases[c].fmt, lv, SZ_4K);
		/* 512 PTEs in one leaf table: the path is built once. */
		map_ok(&r, SZ_1G, PA0, SZ_2M, IOMMU_READ);
		assert_int_equal(r.pt.nr_tables, lv);
		assert_int_equal(atomic_load(&r.mem.table_allocs), lv);
		/* The same amount across a leaf-table boundary: exactly one more. */
		map_ok(&r, 3 * SZ_1G - SZ_1G / 2 - SZ_4K, PA0, SZ_2M, IOMMU_READ);
		assert_int_equal(r.pt.nr_tables, lv + 3); /* a new L2 and two leaf tables */
		/* Unmapping walks the same cursor and takes it all down. */
		assert_int_equal(unmap(&r, 0, 4 * SZ_1G), 2 * SZ_2M);
		assert_int_equal(r.pt.nr_tables, 1);
		rig_fini(&r);
	}
}

/* ---- raw entry formats ---- */

static void test_ss_entry_bits(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r, IO_PGTABLE_VTD_SS, 4, SZ_4K | SZ_2M | SZ_1G);
	map_ok(&r, 0x1000, PA0 + 0x1000, SZ_4K, IOMMU_READ);
	map_ok(&r, 0x2000, PA0 + 0x2000, SZ_4K, IOMMU_READ | IOMMU_WRITE);
	/* Write-only: no present bit exists, W alone makes it valid. */
	map_ok(&r, 0x3000, PA0 + 0x3000, SZ_4K, IOMMU_WRITE);
	map_ok(&r, SZ_2M, PA0, SZ_2M, IOMMU_READ | IOMMU_WRITE);
	map_ok(&r, SZ_1G, PA0, SZ_1G, IOMMU_READ);

	assert_int_equal(leaf_bits(&r.pt, 0x1000, 1), (PA0 + 0x1000) | VTD_SS_R);
	assert_int_equal(leaf_bits(&r.pt, 0x2000, 1), (PA0 + 0x2000) | VTD_SS_R | VTD_SS_W);
	assert_int_equal(leaf_bits(&r.pt, 0x3000, 1), (PA0 + 0x3000) | VTD_SS_W);
	assert_int_equal(phys(&r.pt, 0x3000), PA0 + 0x3000);
	assert_int_equal(leaf_bits(&r.pt, SZ_2M, 2), PA0 | VTD_SS_R | VTD_SS_W | VTD_SS_PS);
	assert_int_equal(leaf_bits(&r.pt, SZ_1G, 3), PA0 | VTD_SS_R | VTD_SS_PS);
	/* Non-leaf entries grant R/W and let the leaf decide; no PS. */
	uint64_t l4 = leaf_bits(&r.pt, 0, 4);
	assert_true((l4 & (VTD_SS_R | VTD_SS_W)) == (VTD_SS_R | VTD_SS_W));
	assert_false(l4 & VTD_SS_PS);
	rig_fini(&r);

	/* A nesting parent never maps read-only (SPR erratum). */
	struct io_pgtable_cfg cfg = { .fmt = IO_PGTABLE_VTD_SS, .levels = 4,
				      .pgsize_bitmap = SZ_4K, .force_writeable = true };
	rig_init_cfg(&r, &cfg);
	map_ok(&r, 0x1000, PA0, SZ_4K, IOMMU_READ);
	assert_int_equal(leaf_bits(&r.pt, 0x1000, 1), PA0 | VTD_SS_R | VTD_SS_W);
	rig_fini(&r);
}

static void test_fs_entry_bits(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r, IO_PGTABLE_X86_FS, 4, SZ_4K | SZ_2M | SZ_1G);
	map_ok(&r, 0x1000, PA0 + 0x1000, SZ_4K, IOMMU_READ);
	map_ok(&r, 0x2000, PA0 + 0x2000, SZ_4K, IOMMU_READ | IOMMU_WRITE);
	map_ok(&r, 0x3000, PA0 + 0x3000, SZ_4K, IOMMU_READ | IOMMU_NOEXEC);
	map_ok(&r, 0x4000, PA0 + 0x4000, SZ_4K, IOMMU_READ | IOMMU_PRIV);
	map_ok(&r, SZ_2M, PA0, SZ_2M, IOMMU_READ | IOMMU_WRITE);
	map_ok(&r, SZ_1G, PA0, SZ_1G, IOMMU_READ);

	/* DMA is user-privileged: U/S on unless IOMMU_PRIV. A and D are
	 * preset so the unit never has to write them back. */
	uint64_t user = VTD_FS_P | VTD_FS_US | VTD_FS_A;
	assert_int_equal(leaf_bits(&r.pt, 0x1000, 1), (PA0 + 0x1000) | user);
	assert_int_equal(leaf_bits(&r.pt, 0x2000, 1),
			 (PA0 + 0x2000) | user | VTD_FS_RW | VTD_FS_D);
	assert_int_equal(leaf_bits(&r.pt, 0x3000, 1), (PA0 + 0x3000) | user | VTD_FS_XD);
	assert_int_equal(leaf_bits(&r.pt, 0x4000, 1), (PA0 + 0x4000) | VTD_FS_P | VTD_FS_A);
	assert_int_equal(leaf_bits(&r.pt, SZ_2M, 2),
			 PA0 | user | VTD_FS_RW | VTD_FS_D | VTD_FS_PS);
	assert_int_equal(leaf_bits(&r.pt, SZ_1G, 3), PA0 | user | VTD_FS_PS);
	/* Tables: present, writable, user; never PS. */
	uint64_t l4 = leaf_bits(&r.pt, 0, 4);
	assert_int_equal(l4 & (VTD_FS_P | VTD_FS_RW | VTD_FS_US | VTD_FS_PS),
			 VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	assert_int_equal(l4 & VTD_FS_ADDR_MASK & ~SW_BITS,
			 (uint64_t)(uintptr_t)raw_pte(&r.pt, 0, 3) & VTD_FS_ADDR_MASK);
	rig_fini(&r);
}

static void test_for_each_leaf_reports_all(void **s)
{
	(void)s;
	struct rig r;
	struct leaves *ls = malloc(sizeof(*ls));
	rig_init(&r, IO_PGTABLE_VTD_SS, 5, SZ_4K | SZ_2M | SZ_1G);
	map_ok(&r, 0, PA0, SZ_4K, IOMMU_READ); /* entry 0 everywhere */
	map_ok(&r, SZ_2M, PA0, SZ_2M, IOMMU_WRITE);
	map_ok(&r, 1ull << 50, PA0, SZ_1G, IOMMU_READ | IOMMU_WRITE);
	map_ok(&r, (1ull << 57) - SZ_4K, PA0 + 0x9000, SZ_4K, IOMMU_READ);
	leaves_of(&r.pt, ls);
	assert_int_equal(ls->n, 4);
	const uint64_t want[4][3] = {
		{ 0, PA0, SZ_4K },
		{ SZ_2M, PA0, SZ_2M },
		{ 1ull << 50, PA0, SZ_1G },
		{ (1ull << 57) - SZ_4K, PA0 + 0x9000, SZ_4K },
	};
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(ls->l[i].iova, want[i][0]);
		assert_int_equal(ls->l[i].pa, want[i][1]);
		assert_int_equal(ls->l[i].size, want[i][2]);
		/* The software count never leaks into what callers see. */
		assert_int_equal(ls->l[i].pte & SW_BITS, 0);
	}
	assert_int_equal(ls->l[0].pte, PA0 | VTD_SS_R);
	rig_fini(&r);
	free(ls);
}

/* ---- entry counts and reclaim under churn ---- */

static void test_entry_zero_and_neighbours(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r, IO_PGTABLE_VTD_SS, 4, SZ_4K);
	/* Index 0 of every table holds the count; clearing it must not lose
	 * the neighbours' share. */
	map_ok(&r, 0, PA0, SZ_4K, IOMMU_READ);
	map_ok(&r, SZ_4K, PA0 + SZ_4K, SZ_4K, IOMMU_READ);
	assert_int_equal(unmap(&r, 0, SZ_4K), SZ_4K);
	assert_int_equal(r.pt.nr_tables, 4);
	assert_int_equal(phys(&r.pt, SZ_4K), PA0 + SZ_4K);
	assert_int_equal(r.g.nr_pages, 0);
	map_ok(&r, 0, PA0 + 0x5000, SZ_4K, IOMMU_READ);
	assert_int_equal(phys(&r.pt, 0), PA0 + 0x5000);
	assert_int_equal(unmap(&r, SZ_4K, SZ_4K), SZ_4K);
	assert_int_equal(r.pt.nr_tables, 4);
	assert_int_equal(unmap(&r, 0, SZ_4K), SZ_4K);
	assert_int_equal(r.pt.nr_tables, 1);
	rig_fini(&r);
}

static void test_random_churn_matches_model(void **s)
{
	(void)s;
	enum { N = 2048 };
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		struct rig r;
		rig_init(&r, cases[c].fmt, cases[c].levels, SZ_4K);
		static bool model[N];
		memset(model, 0, sizeof(model));
		uint32_t x = 12345 + c;
		/* Pages spread over four leaf tables in two upper tables. */
		for (unsigned i = 0; i < 20000; i++) {
			x = x * 1103515245 + 12345;
			unsigned pg = (x >> 8) % N;
			uint64_t iova = (pg < N / 2 ? 0 : SZ_1G) + (uint64_t)(pg % (N / 2)) * SZ_4K;
			if (model[pg]) {
				assert_int_equal(unmap(&r, iova, SZ_4K), SZ_4K);
				model[pg] = false;
			} else {
				map_ok(&r, iova, PA0 + (uint64_t)pg * SZ_4K, SZ_4K, IOMMU_READ);
				model[pg] = true;
			}
			if (r.g.nr_pages > 64)
				io_pgtable_release(&r.pt, &r.g);
		}
		for (unsigned pg = 0; pg < N; pg++) {
			uint64_t iova = (pg < N / 2 ? 0 : SZ_1G) + (uint64_t)(pg % (N / 2)) * SZ_4K;
			uint64_t want = model[pg] ? PA0 + (uint64_t)pg * SZ_4K : 0;
			assert_int_equal(phys(&r.pt, iova), want);
		}
		uint64_t live = 0;
		for (unsigned pg = 0; pg < N; pg++)
			live += model[pg] ? SZ_4K : 0;
		assert_int_equal(unmap(&r, 0, 2 * SZ_1G), live);
		assert_int_equal(r.pt.nr_tables, 1);
		rig_fini(&r);
	}
}

/* ---- dirty tracking ---- */

struct dirty_log {
	uint64_t iova[16], len[16];
	unsigned n;
};

static void on_dirty(uint64_t iova, uint64_t len, void *arg)
{
	struct dirty_log *d = arg;
	if (d->n < 16) {
		d->iova[d->n] = iova;
		d->len[d->n] = len;
	}
	d->n++;
}

static int dirty(struct rig *r, uint64_t iova, uint64_t size, bool no_clear, struct dirty_log *d)
{
	return io_pgtable_read_and_clear_dirty(&r->pt, iova, size, no_clear, on_dirty, d, &r->g);
}

static void test_read_and_clear_dirty(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r, IO_PGTABLE_VTD_SS, 4, SZ_4K | SZ_2M);
	int rw = IOMMU_READ | IOMMU_WRITE;
	map_ok(&r, 0x1000, PA0, 3 * SZ_4K, rw);
	map_ok(&r, SZ_2M, PA0, SZ_2M, rw);
	struct dirty_log d = { .n = 0 };
	assert_int_equal(dirty(&r, 0, SZ_1G, false, &d), 0);
	assert_int_equal(d.n, 0);
	assert_true(iommu_iotlb_gather_empty(&r.g));

	/* What the unit does on a write with SSADE: D (bit 9) in the leaf. */
	*raw_pte(&r.pt, 0x2000, 1) |= VTD_SS_D | VTD_SS_A;
	*raw_pte(&r.pt, SZ_2M, 2) |= VTD_SS_D;

	/* no_clear reports without touching the bits. */
	assert_int_equal(dirty(&r, 0, SZ_1G, true, &d), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.iova[0], 0x2000);
	assert_int_equal(d.len[0], SZ_4K);
	assert_int_equal(d.iova[1], SZ_2M);
	assert_int_equal(d.len[1], SZ_2M);
	assert_true(*raw_pte(&r.pt, 0x2000, 1) & VTD_SS_D);
	assert_true(iommu_iotlb_gather_empty(&r.g));

	/* A range covering only part reports only that part. */
	d.n = 0;
	assert_int_equal(dirty(&r, 0x1000, SZ_4K, false, &d), 0);
	assert_int_equal(d.n, 0);

	/* Clearing: reported once, bits gone, the range gathered for the
	 * flush, nothing else in the entry changed. */
	assert_int_equal(dirty(&r, 0, SZ_1G, false, &d), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.iova[0], 0x2000);
	assert_int_equal(d.iova[1], SZ_2M);
	assert_int_equal(leaf_bits(&r.pt, 0x2000, 1),
			 (PA0 + SZ_4K) | VTD_SS_R | VTD_SS_W | VTD_SS_A);
	assert_int_equal(leaf_bits(&r.pt, SZ_2M, 2), PA0 | VTD_SS_R | VTD_SS_W | VTD_SS_PS);
	assert_false(iommu_iotlb_gather_empty(&r.g));
	assert_true(r.g.start <= 0x2000 && r.g.end >= 2 * SZ_2M - 1);
	d.n = 0;
	assert_int_equal(dirty(&r, 0, SZ_1G, false, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(dirty(&r, 0, 0, false, &d), -EINVAL);
	rig_fini(&r);
}

/* ---- a unit with fewer levels uses a sub-root ---- */

static void test_subroot_is_pinned(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r, IO_PGTABLE_VTD_SS, 4, SZ_4K);
	uint64_t *sub = io_pgtable_subroot(&r.pt, 3);
	assert_non_null(sub);
	assert_int_equal(r.pt.nr_tables, 2);
	/* Idempotent: the same table every time. */
	assert_ptr_equal(io_pgtable_subroot(&r.pt, 3), sub);
	assert_int_equal(r.pt.nr_tables, 2);
	assert_ptr_equal(raw_pte(&r.pt, 0, 3), &sub[0]);

	map_ok(&r, 0x1000, PA0, SZ_4K, IOMMU_READ);
	assert_int_equal(r.pt.nr_tables, 4);
	assert_int_equal(unmap(&r, 0x1000, SZ_4K), SZ_4K);
	/* A unit still uses the sub-root as its top table: it stays. */
	assert_int_equal(r.pt.nr_tables, 2);
	assert_ptr_equal(io_pgtable_subroot(&r.pt, 3), sub);
	map_ok(&r, 0x1000, PA0, SZ_4K, IOMMU_READ);
	assert_ptr_equal(raw_pte(&r.pt, 0x1000, 3), &sub[0]);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_configs),
		cmocka_unit_test(test_map_4k_every_format),
		cmocka_unit_test(test_large_pages_by_alignment),
		cmocka_unit_test(test_pgsize_bitmap_limits_leaves),
		cmocka_unit_test(test_map_overlap_eexist),
		cmocka_unit_test(test_map_invalid_args),
		cmocka_unit_test(test_unmap_returns_bytes),
		cmocka_unit_test(test_unmap_frees_tables_into_gather),
		cmocka_unit_test(test_1g_of_4k_pages_leaves_only_root),
		cmocka_unit_test(test_cursor_allocates_each_table_once),
		cmocka_unit_test(test_ss_entry_bits),
		cmocka_unit_test(test_fs_entry_bits),
		cmocka_unit_test(test_for_each_leaf_reports_all),
		cmocka_unit_test(test_entry_zero_and_neighbours),
		cmocka_unit_test(test_random_churn_matches_model),
		cmocka_unit_test(test_read_and_clear_dirty),
		cmocka_unit_test(test_subroot_is_pinned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
