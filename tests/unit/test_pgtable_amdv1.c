/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AMD v1 page table in the selftest's 2 KiB-granule variant (SPEC
 * U-15): the entry layout (PR, Next Level, the address field in granules,
 * IR/IW, D), large pages written into every entry they cover with their
 * size in the low address bits, the page sizes alignment picks, unmap of
 * whole pages, emptied tables replaced by large pages, and the dirty bits.
 * Entries are decoded here from the specification's layout, not by the
 * library's own helpers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "iommu/pgtable/amdv1.h"

#define G 11                       /* the granule: 2 KiB */
#define PA0 0x40000000ull          /* 1 GiB aligned; never dereferenced */
#define IOVA0 (1ull << 24)         /* the selftest's aperture start */
#define RW (IOMMU_READ | IOMMU_WRITE)

static uint64_t field_units(uint64_t e)
{
	return (e >> 12) & ((1ull << 40) - 1);
}

static unsigned field_nl(uint64_t e)
{
	return (unsigned)(e >> 9) & 7;
}

static void init(struct amdv1_pt *pt)
{
	assert_int_equal(amdv1_pt_init(pt, G, 2), 0);
}

static int map(struct amdv1_pt *pt, uint64_t iova, uint64_t pa, uint64_t size, int prot)
{
	uint64_t mapped = 0;
	return amdv1_pt_map(pt, iova, pa, size, prot, pt->pgsize_bitmap, &mapped);
}

/* Three levels of 2 KiB, 1 MiB and 512 MiB entries: a 256 GiB space and
 * every page size from 2 KiB to 64 GiB. */
static void test_geometry(void **s)
{
	(void)s;
	struct amdv1_pt pt;
	init(&pt);
	assert_int_equal(pt.last_iova, (1ull << 38) - 1);
	assert_int_equal(pt.pgsize_bitmap, ((1ull << 37) - 1) & ~((1ull << 11) - 1));
	assert_int_equal(pt.nr_tables, 1);
	assert_int_equal(amdv1_pt_init(&pt, 10, 2), -EINVAL);
	assert_int_equal(amdv1_pt_init(&pt, G, 0), -EINVAL);
	amdv1_pt_destroy(&pt);
}

/* A granule page: one level-0 entry, Next Level 0, the address in 2 KiB
 * units at bit 12; the tables above point down with NL = their level. */
static void test_granule_entry(void **s)
{
	(void)s;
	struct amdv1_pt pt;
	init(&pt);
	assert_int_equal(map(&pt, IOVA0 + 0x800, PA0 + 0x1800, 0x800, IOMMU_READ), 0);
	uint64_t *top = amdv1_pt_entry(&pt, IOVA0, 2), *mid = amdv1_pt_entry(&pt, IOVA0, 1);
	assert_true(*top & AMDV1_PTE_PR);
	assert_int_equal(field_nl(*top), 2);
	assert_int_equal(field_nl(*mid), 1);
	assert_true((*top & AMDV1_PTE_IR) && (*top & AMDV1_PTE_IW));
	uint64_t e = *amdv1_pt_entry(&pt, IOVA0 + 0x800, 0);
	assert_int_equal(e & AMDV1_PTE_PR, AMDV1_PTE_PR);
	assert_int_equal(field_nl(e), 0);
	assert_int_equal(field_units(e), (PA0 + 0x1800) >> G);
	assert_true(e & AMDV1_PTE_IR);
	assert_false(e & AMDV1_PTE_IW);
	assert_int_equal(*amdv1_pt_entry(&pt, IOVA0, 0), 0);
	uint64_t pa;
	assert_int_equal(amdv1_pt_iova_to_phys(&pt, IOVA0 + 0x8ab, &pa), 0);
	assert_int_equal(pa, PA0 + 0x18ab);
	assert_int_equal(amdv1_pt_iova_to_phys(&pt, IOVA0 + 0x7ff, &pa), -ENOENT);
	assert_int_equal(amdv1_pt_page_size(&pt, IOVA0 + 0x800), 0x800);
	assert_int_equal(pt.nr_tables, 3);
	amdv1_pt_destroy(&pt);
}

/* A page larger than its level's entry: NL 7 in each of the entries it
 * covers, the same address in all, ones below it saying the size. */
static void test_large_page_runs(void **s)
{
	(void)s;
	struct amdv1_pt pt;
	init(&pt);
	/* 64 KiB: 32 level-0 entries; the size code is 4 ones (2^(4+1)
	 * granules). */
	assert_int_equal(map(&pt, IOVA0, PA0, 0x10000, RW), 0);
	for (unsigned i = 0; i < 32; i++) {
		uint64_t e = *amdv1_pt_entry(&pt, IOVA0 + i * 0x800ull, 0);
		assert_int_equal(field_nl(e), 7);
		assert_int_equal(field_units(e), (PA0 >> G) | 0xf);
	}
	assert_int_equal(*amdv1_pt_entry(&pt, IOVA0 + 0x10000, 0), 0);
	assert_int_equal(amdv1_pt_page_size(&pt, IOVA0 + 0x8000), 0x10000);
	uint64_t pa;
	assert_int_equal(amdv1_pt_iova_to_phys(&pt, IOVA0 + 0xfff0, &pa), 0);
	assert_int_equal(pa, PA0 + 0xfff0);
	/* 1 MiB is a level-1 entry of its own size; 4 MiB a run of four. */
	assert_int_equal(map(&pt, IOVA0 + (1 << 20), PA0 + (1 << 20), 1 << 20, RW), 0);
	uint64_t e = *amdv1_pt_entry(&pt, IOVA0 + (1 << 20), 1);
	assert_int_equal(field_nl(e), 0);
	assert_int_equal(field_units(e), (PA0 + (1 << 20)) >> G);
	assert_int_equal(map(&pt, IOVA0 + (4 << 20), PA0, 4 << 20, RW), 0);
	for (unsigned i = 0; i < 4; i++) {
		e = *amdv1_pt_entry(&pt, IOVA0 + (4 << 20) + i * (1ull << 20), 1);
		assert_int_equal(field_nl(e), 7);
		assert_int_equal(field_units(e), (PA0 >> G) | 0x3ff); /* 2^11 granules */
	}
	amdv1_pt_destroy(&pt);
}

/* Alignment picks the pages; a narrower bitmap (the selftest's HUGE
 * table: 4 KiB and 1 MiB) is obeyed. */
static void test_page_sizes(void **s)
{
	(void)s;
	struct amdv1_pt pt;
	init(&pt);
	/* 2 KiB + 4 KiB + 2 KiB when the start is only 2 KiB aligned. */
	assert_int_equal(map(&pt, IOVA0 + 0x800, PA0 + 0x800, 0x2000, RW), 0);
	assert_int_equal(amdv1_pt_page_size(&pt, IOVA0 + 0x800), 0x800);
	assert_int_equal(amdv1_pt_page_size(&pt, IOVA0 + 0x1000), 0x1000);
	assert_int_equal(amdv1_pt_page_size(&pt, IOVA0 + 0x2000), 0x800);
	uint64_t mapped = 0;
	uint64_t huge = (1ull << 20) | (1ull << 12);
	assert_int_equal(amdv1_pt_map(&pt, IOVA0 + (8 << 20), PA0, 3 << 20, RW, huge, &mapped), 0);
	assert_int_equal(mapped, 3 << 20);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(field_nl(*amdv1_pt_entry(&pt, IOVA0 + (8 << 20) + i * (1ull << 20),
							  1)),
				 0);
	assert_int_equal(amdv1_pt_map(&pt, IOVA0 + (16 << 20), PA0, 0x800, RW, huge, &mapped),
			 -EINVAL);
	assert_int_equal(amdv1_pt_map(&pt, IOVA0 + (16 << 20), PA0, 0x3000, RW, huge, &mapped), 0);
	assert_int_equal(amdv1_pt_page_size(&pt, IOVA0 + (16 << 20)), 0x1000);
	amdv1_pt_destroy(&pt);
}

static void test_bad_maps(void **s)
{
	(void)s;
	struct amdv1_pt pt;
	init(&pt);
	assert_int_equal(map(&pt, IOVA0 + 0x400, PA0, 0x800, RW), -EINVAL);
	assert_int_equal(map(&pt, IOVA0, PA0 + 0x400, 0x800, RW), -EINVAL);
	assert_int_equal(map(&pt, IOVA0, PA0, 0x400, RW), -EINVAL);
	assert_int_equal(map(&pt, IOVA0, PA0, 0x800, 0), -EINVAL);
	assert_int_equal(map(&pt, pt.last_iova + 1 - 0x800, PA0, 0x1000, RW), -EINVAL);
	assert_int_equal(map(&pt, IOVA0, 1ull << 51, 0x800, RW), -EINVAL);
	assert_int_equal(map(&pt, IOVA0, PA0, 0x1000, RW), 0);
	uint64_t mapped = 0;
	assert_int_equal(amdv1_pt_map(&pt, IOVA0 - 0x800, PA0, 0x1000, RW, pt.pgsize_bitmap,
				      &mapped),
			 -EEXIST);
	assert_int_equal(mapped, 0x800); /* the part before the overlap */
	assert_int_equal(map(&pt, IOVA0 + 0x800, PA0, 0x800, RW), -EEXIST);
	assert_int_equal(map(&pt, IOVA0 & ~((1ull << 20) - 1), PA0, 1 << 20, RW), -EEXIST);
	amdv1_pt_destroy(&pt);
}

/* Unmap takes whole pages - all the entries of a run - and counts them;
 * a table left empty may give way to a large page. */
static void test_unmap(void **s)
{
	(void)s;
	struct amdv1_pt pt;
	init(&pt);
	assert_int_equal(map(&pt, IOVA0, PA0, 0x10000, RW), 0);
	assert_int_equal(map(&pt, IOVA0 + 0x20000, PA0, 0x800, RW), 0);
	assert_int_equal(amdv1_pt_unmap(&pt, IOVA0 + 0x8000, 0x800), 0x10000);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(*amdv1_pt_entry(&pt, IOVA0 + i * 0x800ull, 0), 0);
	assert_int_equal(amdv1_pt_page_size(&pt, IOVA0 + 0x20000), 0x800);
	assert_int_equal(amdv1_pt_unmap(&pt, IOVA0, 1ull << 30), 0x800);
	assert_int_equal(amdv1_pt_unmap(&pt, IOVA0, 1ull << 30), 0);
	unsigned long tables = pt.nr_tables;
	assert_int_equal(tables, 3);
	assert_int_equal(map(&pt, IOVA0, PA0, 1 << 20, RW), 0);
	assert_int_equal(pt.nr_tables, tables - 1); /* the empty level-0 table went */
	assert_int_equal(amdv1_pt_unmap(&pt, 0, UINT64_MAX), 1 << 20);
	amdv1_pt_destroy(&pt);
}

struct dirty_log {
	uint64_t iova[64], len[64];
	unsigned n;
};

static void log_dirty(uint64_t iova, uint64_t len, void *arg)
{
	struct dirty_log *l = arg;
	assert_true(l->n < 64);
	l->iova[l->n] = iova;
	l->len[l->n++] = len;
}

/* A write dirties the entry it went through: a run reports the granules
 * written through, a single large entry itself; reading clears unless
 * asked not to. */
static void test_dirty(void **s)
{
	(void)s;
	struct amdv1_pt pt;
	init(&pt);
	assert_int_equal(map(&pt, IOVA0, PA0, 0x2000, RW), 0);                 /* a 8 KiB run */
	assert_int_equal(map(&pt, IOVA0 + (1 << 20), PA0, 1 << 20, RW), 0);    /* one entry */
	assert_int_equal(amdv1_pt_set_dirty(&pt, IOVA0 + 0x1000), 0);
	assert_int_equal(amdv1_pt_set_dirty(&pt, IOVA0 + (1 << 20) + 0x12345), 0);
	assert_int_equal(amdv1_pt_set_dirty(&pt, IOVA0 + 0x4000), -ENOENT);
	assert_true(*amdv1_pt_entry(&pt, IOVA0 + 0x1000, 0) & AMDV1_PTE_D);
	assert_false(*amdv1_pt_entry(&pt, IOVA0, 0) & AMDV1_PTE_D);
	struct dirty_log l = { .n = 0 };
	amdv1_pt_read_and_clear_dirty(&pt, IOVA0, 2 << 20, true, log_dirty, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.iova[0], IOVA0 + 0x1000);
	assert_int_equal(l.len[0], 0x800);
	assert_int_equal(l.iova[1], IOVA0 + (1 << 20));
	assert_int_equal(l.len[1], 1 << 20);
	/* Within a range only. */
	l.n = 0;
	amdv1_pt_read_and_clear_dirty(&pt, IOVA0, 0x1000, false, log_dirty, &l);
	assert_int_equal(l.n, 0);
	amdv1_pt_read_and_clear_dirty(&pt, IOVA0, 2 << 20, false, log_dirty, &l);
	assert_int_equal(l.n, 2);
	l.n = 0;
	amdv1_pt_read_and_clear_dirty(&pt, IOVA0, 2 << 20, false, log_dirty, &l);
	assert_int_equal(l.n, 0);
	amdv1_pt_destroy(&pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_granule_entry),
		cmocka_unit_test(test_large_page_runs),
		cmocka_unit_test(test_page_sizes),
		cmocka_unit_test(test_bad_maps),
		cmocka_unit_test(test_unmap),
		cmocka_unit_test(test_dirty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
