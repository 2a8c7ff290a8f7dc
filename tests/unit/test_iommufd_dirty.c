/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty tracking (SPEC U-12) on the VT-d model: a HWPT allocated with
 * DIRTY_TRACKING, tracking switched on, DMA writes setting second-stage D
 * bits, and GET_DIRTY_BITMAP reporting (and clearing, unless NO_CLEAR)
 * them into a user bitmap at any alignment.
 */
#include "iommufd_utils.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tracking_and_bitmap),
		cmocka_unit_test(bitmap_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
