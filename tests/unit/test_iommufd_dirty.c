/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty tracking (SPEC U-12) on the VT-d model: a HWPT allocated with
 * DIRTY_TRACKING, tracking switched on, DMA writes setting second-stage D
 * bits, and GET_DIRTY_BITMAP reporting (and clearing, unless NO_CLEAR)
 * them into a user bitmap at any alignment. The DSA writes a chosen set of
 * pages and the bitmap shows exactly those; leaves of 2 MiB and 1 GiB are
 * reported whole; a nesting parent tracks what DMA through a guest's
 * first stage writes.
 */
#include "iommufd_utils.h"
#include "guest/dsa_wq.h"
#include "guest/guest.h"
#include "iommu/intel/intel.h"

#define PG 4096ull
#define BASE (1ull << 30)
#define NPAGES 64

struct rig {
	struct ifd t;
	struct device *d;
	struct iommufd_device *idev;
	uint32_t dev, ioas, hwpt;
	uint8_t *buf;
};

static int set_tracking(int fd, uint32_t hwpt, bool on)
{
	struct iommu_hwpt_set_dirty_tracking c = {
		.size = sizeof(c), .hwpt_id = hwpt,
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0 };
	return ioc(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &c);
}

static int get_bitmap(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t pgsize,
		      void *data, uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap c = { .size = sizeof(c), .hwpt_id = hwpt,
						 .flags = flags, .iova = iova, .length = len,
						 .page_size = pgsize, .data = (uintptr_t)data };
	return ioc(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &c);
}

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	ifd_open(&r->t);
	r->d = th_device(r->t.h, "dmatest0");
	int err;
	r->idev = iommufd_device_bind(r->t.ictx, r->d, &r->dev, &err);
	assert_non_null(r->idev);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				      .dev_id = r->dev, .pt_id = r->ioas };
	assert_int_equal(ioc(r->t.fd, IOMMU_HWPT_ALLOC, &c), 0);
	r->hwpt = c.out_hwpt_id;
	uint32_t pt = r->hwpt;
	assert_int_equal(iommufd_device_attach(r->idev, IOMMU_NO_PASID, &pt), 0);
	/* 4 KiB pages only: a 2 MiB aligned buffer would map large. */
	r->buf = buf_alloc(NPAGES * PG);
	assert_int_equal(ioas_map_fixed(r->t.fd, r->ioas, r->buf, NPAGES * PG, BASE + PG), 0);
}

static void rig_fini(struct rig *r)
{
	iommufd_device_detach(r->idev, IOMMU_NO_PASID);
	assert_int_equal(obj_destroy(r->t.fd, r->hwpt), 0);
	iommufd_device_unbind(r->idev);
	munmap(r->buf, NPAGES * PG);
	ifd_close(&r->t);
}

static void dma_write(struct rig *r, uint64_t iova)
{
	uint8_t v = 0x5a;
	assert_int_equal(th_kdma(r->d, PCI_NO_PASID, iova, &v, 1, true, NULL), 0);
}

static bool bit(const uint8_t *bm, unsigned n)
{
	return bm[n / 8] & (1u << (n % 8));
}

static struct iommu_domain *domain_of_hwpt(struct rig *r)
{
	int err;
	struct iommufd_object *obj = iommufd_get_object(r->t.ictx, r->hwpt, IOMMUFD_OBJ_ANY, &err);
	assert_non_null(obj);
	struct iommu_domain *d = ((struct iommufd_hw_pagetable *)obj)->domain;
	iommufd_put_object(r->t.ictx, obj);
	return d;
}

static void tracking_and_bitmap(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint64_t start = BASE + PG, len = NPAGES * PG;
	uint8_t storage[16 + 1];
	/* The user's bitmap may sit at any address. */
	uint8_t *bm = storage + 1;
	memset(storage, 0, sizeof(storage));
	/* Not tracking yet: nothing to report (Linux: EINVAL). */
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, PG, bm, 0), -EINVAL);
	/* Writes before tracking starts do not count. */
	dma_write(&r, start + 3 * PG);
	assert_int_equal(set_tracking(r.t.fd, r.hwpt, true), 0);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, PG, bm, 0), 0);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_false(bit(bm, i));
	dma_write(&r, start + 5 * PG + 17);
	dma_write(&r, start + 63 * PG);
	/* Reads dirty nothing. */
	uint8_t v;
	assert_int_equal(th_kdma(r.d, PCI_NO_PASID, start + 7 * PG, &v, 1, false, NULL), 0);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, PG, bm,
				    IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
			 0);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(bit(bm, i), i == 5 || i == 63);
	/* NO_CLEAR left them; the next read reports and clears. */
	memset(storage, 0, sizeof(storage));
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, PG, bm, 0), 0);
	assert_true(bit(bm, 5) && bit(bm, 63));
	memset(storage, 0, sizeof(storage));
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, PG, bm, 0), 0);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_false(bit(bm, i));
	/* Bits are only ever set: what the user had stays. */
	memset(storage, 0, sizeof(storage));
	bm[1] = 0x80;
	dma_write(&r, start + 2 * PG);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, PG, bm, 0), 0);
	assert_true(bit(bm, 2) && bit(bm, 15));
	/* A coarser page size: one bit per 8 pages, the range aligned to it. */
	memset(storage, 0, sizeof(storage));
	dma_write(&r, BASE + 18 * PG);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, BASE + 8 * PG, 56 * PG, 8 * PG, bm, 0), 0);
	assert_int_equal(bm[0], 1u << 1);
	rig_fini(&r);
}

static void bitmap_errors(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint64_t bm[2] = { 0 };
	uint64_t start = BASE + PG, len = NPAGES * PG;
	assert_int_equal(set_tracking(r.t.fd, r.hwpt, true), 0);
	/* Ranges: unaligned, zero page size, a hole, a wrap. */
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start + 1, len, PG, bm, 0), -EINVAL);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, 0, bm, 0), -EINVAL);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, 3 * PG, bm, 0), -EINVAL);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len + PG, PG, bm, 0), -EINVAL);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, UINT64_MAX - PG + 1, 2 * PG, PG, bm, 0),
			 -EOVERFLOW);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, PG, (void *)8, 0), -EFAULT);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, start, len, PG, bm, 2), -EOPNOTSUPP);
	assert_int_equal(get_bitmap(r.t.fd, r.ioas, start, len, PG, bm, 0), -ENOENT);
	struct iommu_hwpt_set_dirty_tracking c = { .size = sizeof(c), .hwpt_id = r.hwpt,
						   .flags = 2 };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &c), -EOPNOTSUPP);
	/* A HWPT made without DIRTY_TRACKING cannot track. */
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .dev_id = r.dev, .pt_id = r.ioas };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &a), 0);
	assert_int_equal(set_tracking(r.t.fd, a.out_hwpt_id, true), -EOPNOTSUPP);
	assert_int_equal(get_bitmap(r.t.fd, a.out_hwpt_id, start, len, PG, bm, 0), -EOPNOTSUPP);
	assert_int_equal(obj_destroy(r.t.fd, a.out_hwpt_id), 0);
	assert_int_equal(set_tracking(r.t.fd, r.hwpt, false), 0);
	rig_fini(&r);
}

/* The bitmap holds exactly the pages in want[] (n of them), of total. */
static void expect_bits(const uint8_t *bm, unsigned total, const unsigned *want, unsigned n)
{
	for (unsigned i = 0, k = 0; i < total; i++) {
		bool expected = k < n && want[k] == i;
		if (bit(bm, i) != expected)
			fail_msg("page %u: dirty %d, expected %d", i, bit(bm, i), expected);
		k += expected;
	}
}

/* One DSA descriptor on WQ 0 with its record at cr / cr_iova. */
static void dsa_run(struct hw_pci_function *fn, struct dsa_completion_record *cr, uint64_t cr_iova,
		    uint8_t op, uint64_t src, uint64_t dst, uint32_t len)
{
	memset(cr, 0, sizeof(*cr));
	struct dsa_hw_desc desc = dsa_desc(op, 0, src, dst, len, cr_iova);
	assert_int_equal(dsa_wq_submit(fn, 0, &desc), 0);
	assert_int_equal(dsa_wait(cr, 10), DSA_COMP_SUCCESS);
}

/*
 * The DSA (ATS: it caches translations in its device TLB) fills a chosen
 * set of pages at its PASID and copies from others; only the written
 * pages are dirty. Cleared, none are - and writing one again marks it
 * again, which needs the cleared D bits flushed from the device TLB too.
 */
static void dsa_writes_exactly_the_chosen_pages(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open_on(&t, th_host(NULL, false));
	struct device *d = th_device(t.h, "dsa0");
	struct hw_pci_function *fn = th_fn(d);
	int err;
	uint32_t dev, ioas, hwpt;
	struct iommufd_device *idev = iommufd_device_bind(t.ictx, d, &dev, &err);
	assert_non_null(idev);
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(hwpt_alloc_data(t.fd,
					 IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID,
					 dev, ioas, 0, NULL, 0, &hwpt),
			 0);
	uint32_t pt = hwpt;
	assert_int_equal(iommufd_device_attach(idev, 1, &pt), 0);
	uint8_t *data = buf_alloc(NPAGES * PG), *crs = buf_alloc(PG);
	const uint64_t cr_iova = BASE + 2 * NPAGES * PG;
	assert_int_equal(ioas_map_fixed(t.fd, ioas, data, NPAGES * PG, BASE), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, crs, PG, cr_iova), 0);
	assert_int_equal(dsa_wq_setup(fn, 0, 16, 1, false), 0);
	struct dsa_completion_record *cr = (void *)crs;
	assert_int_equal(set_tracking(t.fd, hwpt, true), 0);

	static const unsigned chosen[] = { 0, 3, 17, 40, 63 };
	for (unsigned i = 0; i < ARRAY_SIZE(chosen); i++) {
		/* Fill one chosen page; copy into it from the page after. */
		dsa_run(fn, cr, cr_iova, DSA_OPCODE_MEMFILL, 0x0101010101010101ull * i,
			BASE + chosen[i] * PG, PG);
		dsa_run(fn, cr, cr_iova, DSA_OPCODE_MEMMOVE, BASE + ((chosen[i] + 1) % NPAGES) * PG,
			BASE + chosen[i] * PG + 128, 64);
	}
	assert_int_equal(data[17 * PG + 5], 2);
	uint8_t bm[NPAGES / 8];
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(t.fd, hwpt, BASE, NPAGES * PG, PG, bm, 0), 0);
	expect_bits(bm, NPAGES, chosen, ARRAY_SIZE(chosen));
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(t.fd, hwpt, BASE, NPAGES * PG, PG, bm, 0), 0);
	expect_bits(bm, NPAGES, NULL, 0);
	/* Page 17 again, where the device TLB had a writable entry. */
	dsa_run(fn, cr, cr_iova, DSA_OPCODE_MEMFILL, 7, BASE + 17 * PG, 64);
	assert_int_equal(get_bitmap(t.fd, hwpt, BASE, NPAGES * PG, PG, bm, 0), 0);
	expect_bits(bm, NPAGES, (const unsigned[]){ 17 }, 1);

	dsa_wq_teardown(fn);
	iommufd_device_detach(idev, 1);
	assert_int_equal(obj_destroy(t.fd, hwpt), 0);
	iommufd_device_unbind(idev);
	assert_int_equal(uiommu_close(t.fd), 0);
	t.fd = -1;
	munmap(data, NPAGES * PG);
	munmap(crs, PG);
	ifd_close(&t);
}

/* 1 GiB-aligned memory of `len` bytes (untouched until pinned). */
static uint8_t *aligned_1g(size_t len, uint8_t **raw)
{
	*raw = mmap(NULL, len + (1ul << 30), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(*raw != MAP_FAILED);
	uint8_t *p = (uint8_t *)(((uintptr_t)*raw + (1ul << 30) - 1) & ~((1ul << 30) - 1));
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

/* A write anywhere in a large leaf dirties the whole leaf, as the D bit
 * is the leaf's: every bitmap page it covers is reported. */
static void large_leaves_are_reported_whole(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint8_t *raw;
	const uint64_t gib = 1ull << 30, big = 4ull << 30, mid = 2ull << 30;
	uint8_t *mem = aligned_1g(gib, &raw);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, mem, gib, big), 0);
	struct dmar_domain *dom = to_dmar_domain(domain_of_hwpt(&r));
	assert_int_equal(io_pgtable_leaf_size(&dom->pgt, big), gib);
	/* A 2 MiB leaf: the same memory's first 2 MiB again. */
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, mem, 2u << 20, mid), 0);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, mem + (2u << 20), 2u << 20,
					mid + (2u << 20)),
			 0);
	assert_int_equal(io_pgtable_leaf_size(&dom->pgt, mid), 2u << 20);
	assert_int_equal(set_tracking(r.t.fd, r.hwpt, true), 0);

	dma_write(&r, big + gib / 2 + 5);
	dma_write(&r, mid + 0x12345);
	/* 4 KiB granularity over the GiB: 262144 bits, all set. */
	const size_t words = gib / PG / 64;
	uint64_t *bm = calloc(words, 8);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, big, gib, PG, bm, 0), 0);
	for (size_t i = 0; i < words; i++)
		if (bm[i] != UINT64_MAX)
			fail_msg("bitmap word %zu: %#llx", i, (unsigned long long)bm[i]);
	memset(bm, 0, words * 8);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, big, gib, PG, bm, 0), 0);
	for (size_t i = 0; i < words; i++)
		assert_int_equal(bm[i], 0);
	/* 2 MiB granularity over 4 MiB: the first 2 MiB leaf only. */
	memset(bm, 0, 8);
	assert_int_equal(get_bitmap(r.t.fd, r.hwpt, mid, 4u << 20, 2u << 20, bm, 0), 0);
	assert_int_equal(bm[0], 1);
	free(bm);
	rig_fini(&r);
	munmap(raw, 2 * gib);
}

/*
 * Migration of a guest with a vIOMMU: the nesting parent tracks dirty
 * GPAs; DMA through the guest's first stage (its leaves already accessed
 * and dirty, so the unit writes no guest PTE) dirties the GPA its table
 * points at, and only that.
 */
static void nest_parent_tracks_nested_dma(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	struct device *d = th_device(t.h, "dmatest0");
	int err;
	uint32_t dev, ioas, parent, nested;
	struct iommufd_device *idev = iommufd_device_bind(t.ictx, d, &dev, &err);
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	struct guest g;
	struct guest_pt gpt;
	const uint64_t gpa = 0x80000000ull, ram = 4ull << 20;
	assert_int_equal(guest_init(&g, gpa, ram, 1ull << 20), 0);
	/* 4 KiB pages, so the bitmap can name single pages. */
	struct iommu_option opt = { .size = sizeof(opt), .option_id = IOMMU_OPTION_HUGE_PAGES,
				    .op = IOMMU_OPTION_OP_SET, .object_id = ioas, .val64 = 0 };
	assert_int_equal(ioc(t.fd, IOMMU_OPTION, &opt), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, g.ram, ram, gpa), 0);
	assert_int_equal(hwpt_alloc_data(t.fd,
					 IOMMU_HWPT_ALLOC_NEST_PARENT |
						 IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					 dev, ioas, 0, NULL, 0, &parent),
			 0);
	assert_int_equal(guest_pt_init(&gpt, &g, 4), 0);
	const uint64_t leaf = GUEST_PTE_USER | GUEST_PTE_A | GUEST_PTE_D;
	assert_int_equal(guest_pt_map(&gpt, 0x1000, gpa + 5 * PG, 12, leaf), 0);
	assert_int_equal(guest_pt_map(&gpt, 0x2000, gpa + 9 * PG, 12, leaf), 0);
	assert_int_equal(hwpt_alloc_s1(t.fd, 0, dev, parent, gpt.root, 48, 0, &nested), 0);
	uint32_t pt = nested;
	assert_int_equal(iommufd_device_attach(idev, IOMMU_NO_PASID, &pt), 0);
	/* Switched on after the attach, tracking reaches the nested entry. */
	assert_int_equal(set_tracking(t.fd, parent, true), 0);
	uint8_t v = 1;
	assert_int_equal(th_kdma(d, PCI_NO_PASID, 0x1000 + 8, &v, 1, true, NULL), 0);
	assert_int_equal(th_kdma(d, PCI_NO_PASID, 0x2000, &v, 1, false, NULL), 0);
	const unsigned npages = (unsigned)(ram / PG);
	uint8_t *bm = calloc(npages / 8, 1);
	assert_int_equal(get_bitmap(t.fd, parent, gpa, ram, PG, bm, 0), 0);
	expect_bits(bm, npages, (const unsigned[]){ 5 }, 1);
	/* Cleared; the next write marks it again (the nested DID flushed). */
	assert_int_equal(th_kdma(d, PCI_NO_PASID, 0x1000 + 16, &v, 1, true, NULL), 0);
	memset(bm, 0, npages / 8);
	assert_int_equal(get_bitmap(t.fd, parent, gpa, ram, PG, bm, 0), 0);
	expect_bits(bm, npages, (const unsigned[]){ 5 }, 1);
	free(bm);
	iommufd_device_detach(idev, IOMMU_NO_PASID);
	iommufd_device_unbind(idev);
	assert_int_equal(uiommu_close(t.fd), 0);
	t.fd = -1;
	guest_fini(&g);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tracking_and_bitmap),
		cmocka_unit_test(bitmap_errors),
		cmocka_unit_test(dsa_writes_exactly_the_chosen_pages),
		cmocka_unit_test(large_leaves_are_reported_whole),
		cmocka_unit_test(nest_parent_tracks_nested_dma),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
