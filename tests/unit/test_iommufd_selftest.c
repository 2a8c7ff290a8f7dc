/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU_TEST_CMD and the mock IOMMU driver (SPEC U-15), op by op as the
 * kernel's tools/testing/selftests/iommu/iommufd.c uses them: the
 * command exists only on a selftest host, MOCK_DOMAIN makes a device of
 * the mock bus bound and attached, the mock's domains have its page
 * size, aperture and page-table types, and the checks (MD_CHECK_MAP,
 * MD_CHECK_REFS, MD_CHECK_IOTLB) see what the core did to them.
 */
#include <pthread.h>
#include <unistd.h>

#include "selftest_utils.h"

#include "base/device.h"

#define BUF_SIZE (16 * 4096ul)

/* Without the selftest the command is ENOTTY (no CONFIG_IOMMUFD_TEST);
 * with it, the size rules of every command apply, numbers between the
 * last command and it are ENOTTY, and an unknown op EOPNOTSUPP. */
static void test_command_exists_only_with_selftest(void **s)
{
	(void)s;
	struct ifd plain, t;
	ifd_open(&plain);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };
	assert_int_equal(test_cmd(plain.fd, &c), -ENOTTY);
	ifd_close(&plain);

	st_open(&t);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DMABUF_REVOKE + 1 };
	assert_int_equal(test_cmd(t.fd, &c), -EOPNOTSUPP);
	struct {
		struct iommu_test_cmd cmd;
		uint8_t extra;
	} big = { .cmd = { .size = offsetof(struct iommu_test_cmd, last) + 3,
			   .op = IOMMU_TEST_OP_MD_CHECK_REFS },
		  .extra = 1 };
	assert_int_equal(ioc(t.fd, IOMMU_TEST_CMD, &big), -EINVAL);
	big.cmd.size = sizeof(big.cmd) + 1;
	assert_int_equal(ioc(t.fd, IOMMU_TEST_CMD, &big), -E2BIG);
	big.extra = 0;
	assert_int_equal(ioc(t.fd, IOMMU_TEST_CMD, &big), 0);
	assert_int_equal(ioc(t.fd, _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC + 1), &big),
			 -ENOTTY);
	ifd_close(&t);
}

/* MOCK_DOMAIN: a device of the mock bus, served by the mock IOMMU, bound
 * and attached to an automatic HWPT with the mock's aperture and 2 KiB
 * page; destroying the object takes the device away. */
static void test_mock_domain(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, stdev, hwpt, idev, stdev2, hwpt2, idev2;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(mock_domain(t.fd, 0, 0, &stdev, &hwpt, &idev), -ENOENT);
	assert_int_equal(mock_domain(t.fd, ioas, 1u << 1, &stdev, &hwpt, &idev), -EINVAL);
	assert_int_equal(ictx_objects(&t), 1);
	assert_int_equal(mock_domain(t.fd, ioas, 0, &stdev, &hwpt, &idev), 0);
	struct device *dev = uiommu_device_find(t.h, "iommufd_mock0");
	assert_non_null(dev);
	assert_string_equal(dev->bus->name, "iommufd_mock");
	assert_non_null(dev->iommu);
	/* A second device shares the automatic HWPT. */
	assert_int_equal(mock_domain(t.fd, ioas, 0, &stdev2, &hwpt2, &idev2), 0);
	assert_int_equal(hwpt2, hwpt);
	assert_int_not_equal(idev2, idev);
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges rc = { .size = sizeof(rc), .ioas_id = ioas, .num_iovas = 4,
					     .allowed_iovas = (uintptr_t)r };
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_IOVA_RANGES, &rc), 0);
	assert_int_equal(rc.num_iovas, 1);
	assert_int_equal(r[0].start, MOCK_APERTURE_START);
	assert_int_equal(r[0].last, MOCK_APERTURE_LAST);
	assert_int_equal(rc.out_iova_alignment, MOCK_PAGE_SIZE);
	/* In use: the IOAS and HWPT cannot go; the object can. */
	assert_int_equal(obj_destroy(t.fd, ioas), -EBUSY);
	assert_int_equal(obj_destroy(t.fd, idev), -EBUSY);
	assert_int_equal(obj_destroy(t.fd, stdev), 0);
	assert_null(uiommu_device_find(t.h, "iommufd_mock0"));
	assert_int_equal(obj_destroy(t.fd, stdev2), 0);
	assert_int_equal(obj_destroy(t.fd, hwpt), -ENOENT); /* the automatic HWPT went */
	assert_int_equal(obj_destroy(t.fd, ioas), 0);
	/* Left behind, MOCK_DOMAIN objects go with the context. */
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(mock_domain(t.fd, ioas, 0, &stdev, &hwpt, &idev), 0);
	ifd_close(&t);
}

static int hw_info(int fd, uint32_t idev, uint32_t type, void *data, uint32_t len,
		   struct iommu_hw_info *out)
{
	*out = (struct iommu_hw_info){ .size = sizeof(*out), .dev_id = idev, .data_len = len,
				       .data_uptr = (uintptr_t)data, .in_data_type = type };
	if (type != IOMMU_HW_INFO_TYPE_DEFAULT)
		out->flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	return ioc(fd, IOMMU_GET_HW_INFO, out);
}

/* GET_HW_INFO of a mock device: the selftest type and register, dirty
 * tracking unless NO_DIRTY, a 20-bit PASID width only with the flag. */
static void test_hw_info(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, idev, idev_nd, idev_pasid;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(mock_domain(t.fd, ioas, 0, NULL, NULL, &idev), 0);
	assert_int_equal(mock_domain(t.fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL, NULL, &idev_nd),
			 0);
	assert_int_equal(mock_domain(t.fd, ioas, MOCK_FLAGS_DEVICE_PASID, NULL, NULL, &idev_pasid),
			 0);
	struct {
		struct iommu_test_hw_info info;
		uint64_t tail;
	} d = { .info = { .flags = 7 }, .tail = ~0ull };
	struct iommu_hw_info c;
	assert_int_equal(hw_info(t.fd, idev, IOMMU_HW_INFO_TYPE_DEFAULT, &d, sizeof(d), &c), 0);
	assert_int_equal(c.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	assert_int_equal(c.data_len, sizeof(d.info));
	assert_int_equal(d.info.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	assert_int_equal(d.info.flags, 0);
	assert_int_equal(d.tail, 0);
	assert_true(c.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	assert_int_equal(c.out_max_pasid_log2, 0);
	assert_int_equal(hw_info(t.fd, idev, IOMMU_HW_INFO_TYPE_SELFTEST, &d, sizeof(d), &c), 0);
	assert_int_equal(hw_info(t.fd, idev, IOMMU_HW_INFO_TYPE_SELFTEST + 1, &d, sizeof(d), &c),
			 -EOPNOTSUPP);
	assert_int_equal(hw_info(t.fd, idev_nd, IOMMU_HW_INFO_TYPE_DEFAULT, NULL, 0, &c), 0);
	assert_false(c.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	assert_int_equal(hw_info(t.fd, idev_pasid, IOMMU_HW_INFO_TYPE_DEFAULT, NULL, 0, &c), 0);
	assert_int_equal(c.out_max_pasid_log2, MOCK_PASID_WIDTH);
	ifd_close(&t);
}

/* MD_CHECK_MAP walks the mock's own table; MD_CHECK_REFS counts pins of
 * the user's pages process-wide. */
static void test_check_map_and_refs(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, hwpt;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(mock_domain(t.fd, ioas, 0, NULL, &hwpt, NULL), 0);
	uint8_t *buf = buf_alloc(BUF_SIZE);
	assert_int_equal(check_refs(t.fd, buf, BUF_SIZE, 0), 0);
	uint64_t iova = MOCK_APERTURE_START + MOCK_PAGE_SIZE;
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf + 4096, 3 * 4096, iova), 0);
	assert_int_equal(check_map(t.fd, hwpt, iova, 3 * 4096, buf + 4096), 0);
	assert_int_equal(check_map(t.fd, hwpt, iova + MOCK_PAGE_SIZE, MOCK_PAGE_SIZE,
				   buf + 4096 + MOCK_PAGE_SIZE),
			 0);
	/* Another page, an unaligned length, a range past the mapping. */
	assert_int_equal(check_map(t.fd, hwpt, iova, 4096, buf), -EINVAL);
	assert_int_equal(check_map(t.fd, hwpt, iova, 100, buf + 4096), -EINVAL);
	assert_int_equal(check_map(t.fd, hwpt, iova, 4 * 4096, buf + 4096), -EINVAL);
	assert_int_equal(check_map(t.fd, ioas, iova, 4096, buf + 4096), -ENOENT);
	assert_int_equal(check_refs(t.fd, buf + 4096, 3 * 4096, 1), 0);
	assert_int_equal(check_refs(t.fd, buf, 4096, 0), 0);
	assert_int_equal(check_refs(t.fd, buf + 4096, 4096, 2), -EIO);
	assert_int_equal(check_refs(t.fd, buf + 1, 4096, 1), -EINVAL);
	/* A second mapping of the same pages pins them again. */
	uint64_t iova2 = 0;
	assert_int_equal(ioas_map(t.fd, ioas, buf + 4096, 4096, &iova2, MAP_RW), 0);
	assert_int_equal(check_refs(t.fd, buf + 4096, 4096, 2), 0);
	assert_int_equal(ioas_unmap(t.fd, ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(check_refs(t.fd, buf, BUF_SIZE, 0), 0);
	/* Nothing mapped there any more. */
	assert_int_equal(check_map(t.fd, hwpt, iova, 4096, buf + 4096), -EINVAL);

	/* A memory file: the user's mapping of it names the same pages. */
	int mfd = memfd_create("buf", 0);
	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, BUF_SIZE), 0);
	uint8_t *m = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	assert_true(m != MAP_FAILED);
	uint64_t fiova = 0;
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 2 * 4096, 4096, &fiova, MAP_RW), 0);
	assert_int_equal(check_map(t.fd, hwpt, fiova, 4096, m + 2 * 4096), 0);
	assert_int_equal(check_refs(t.fd, m + 2 * 4096, 4096, 1), 0);
	assert_int_equal(check_refs(t.fd, m, 4096, 0), 0);
	assert_int_equal(ioas_unmap(t.fd, ioas, fiova, 4096, NULL), 0);
	munmap(m, BUF_SIZE);
	close(mfd);
	munmap(buf, BUF_SIZE);
	ifd_close(&t);
}

static int add_reserved(int fd, uint32_t ioas, uint64_t start, uint64_t len)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ADD_RESERVED, .id = ioas,
				    .add_reserved = { .start = start, .length = len } };
	return test_cmd(fd, &c);
}

/* ADD_RESERVED: what automatic IOVAs avoid and allowed ranges may not
 * cover; never over a mapping. */
static void test_add_reserved(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(BUF_SIZE);
	assert_int_equal(add_reserved(t.fd, ioas, 4096, 0), -EINVAL);
	assert_int_equal(add_reserved(t.fd, ioas, 2, UINT64_MAX), -EOVERFLOW);
	assert_int_equal(add_reserved(t.fd, ioas + 1, 4096, 4096), -ENOENT);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 4096, 1 << 20), 0);
	assert_int_equal(add_reserved(t.fd, ioas, (1 << 20) + 4095, 1), -EADDRINUSE);
	assert_int_equal(add_reserved(t.fd, ioas, 4096, 100 * 4096), 0);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t iova = 0;
		assert_int_equal(ioas_map(t.fd, ioas, buf, 4096 * (i + 1), &iova, MAP_RW), 0);
		assert_true(iova >= 101 * 4096 || iova + 4096 * (i + 1) <= 4096);
	}
	struct iommu_iova_range r = { .start = 4096, .last = 600 * 4096 };
	assert_int_equal(ioas_allow(t.fd, ioas, &r, 1), -EADDRINUSE);
	/* Almost everything reserved: no room for an automatic IOVA (the
	 * kernel's reserved_overflow, a range ending near the top). */
	uint32_t ioas2;
	assert_int_equal(ioas_alloc(t.fd, &ioas2), 0);
	assert_int_equal(add_reserved(t.fd, ioas2, 6, 0xffffffffffff8001ull), 0);
	uint64_t iova = 0;
	/* An address aligned well enough that the IOVA must be 32 KiB
	 * aligned too (no domain: nothing is pinned, any address will do). */
	assert_int_equal(ioas_map(t.fd, ioas2, (void *)(1ul << 31), 0x5000, &iova, MAP_RW),
			 -ENOSPC);
	munmap(buf, BUF_SIZE);
	ifd_close(&t);
}

/* Dirty tracking of the mock: HWPTs that track, devices that cannot
 * (NO_DIRTY), the device's writes (DIRTY) seen in GET_DIRTY_BITMAP at
 * the granule of the entry written through. */
static void test_dirty(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, idev, hwpt, ioas2, stdev_nd, idev_nd;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(mock_domain(t.fd, ioas, 0, NULL, NULL, &idev), 0);
	assert_int_equal(ioas_alloc(t.fd, &ioas2), 0);
	assert_int_equal(mock_domain(t.fd, ioas2, MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev_nd, NULL,
				     &idev_nd),
			 0);
	assert_int_equal(hwpt_alloc(t.fd, idev_nd, ioas2, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL,
				    0, &hwpt),
			 -EOPNOTSUPP);
	uint8_t *buf = buf_alloc(8 * 4096);
	uint64_t iova = MOCK_APERTURE_START;
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 8 * 4096, iova), 0);
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
				    &hwpt),
			 0);
	/* A device that cannot track dirty pages cannot join it. */
	assert_int_equal(mock_domain(t.fd, hwpt, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL, NULL, NULL),
			 -EINVAL);
	uint8_t bits[4] = { 0x05 }; /* granules 0 and 2 */
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY, .id = hwpt,
				    .dirty = { .iova = iova, .length = 16 * MOCK_PAGE_SIZE,
					       .page_size = MOCK_PAGE_SIZE,
					       .uptr = (uintptr_t)bits } };
	assert_int_equal(test_cmd(t.fd, &c), -EINVAL); /* tracking is off */
	assert_int_equal(set_dirty_tracking(t.fd, hwpt, true), 0);
	c.dirty.page_size = 3;
	assert_int_equal(test_cmd(t.fd, &c), -EINVAL);
	c.dirty.page_size = MOCK_PAGE_SIZE;
	assert_int_equal(test_cmd(t.fd, &c), 0);
	assert_int_equal(c.dirty.out_nr_dirty, 2);
	uint8_t got[4] = { 0 };
	assert_int_equal(get_dirty(t.fd, hwpt, iova, 16 * MOCK_PAGE_SIZE, MOCK_PAGE_SIZE, got, 0),
			 0);
	assert_int_equal(got[0], 0x05);
	memset(got, 0, sizeof(got));
	assert_int_equal(get_dirty(t.fd, hwpt, iova, 16 * MOCK_PAGE_SIZE, MOCK_PAGE_SIZE, got, 0),
			 0);
	assert_int_equal(got[0], 0);
	/* A HUGE table maps the 32 KiB in 4 KiB pages... and 1 MiB pages
	 * where it can: one write dirties all of such a page. */
	uint32_t huge;
	struct iommu_hwpt_selftest cfg = { .pagetable_type = MOCK_IOMMUPT_HUGE };
	uint8_t *big = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			    0);
	uint8_t *aligned = (uint8_t *)(((uintptr_t)big + (1 << 20) - 1) & ~((1ul << 20) - 1));
	uint64_t biova = MOCK_APERTURE_START + (8 << 20);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, aligned, 2 << 20, biova), 0);
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				    IOMMU_HWPT_DATA_SELFTEST, &cfg, sizeof(cfg), &huge),
			 0);
	assert_int_equal(check_map(t.fd, huge, biova, 2 << 20, aligned), 0);
	assert_int_equal(set_dirty_tracking(t.fd, huge, true), 0);
	uint8_t one = 1;
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DIRTY, .id = huge,
				     .dirty = { .iova = biova + (1 << 20), .length = 4096,
						.page_size = 4096, .uptr = (uintptr_t)&one } };
	assert_int_equal(test_cmd(t.fd, &c), 0);
	uint8_t hb[8] = { 0 }; /* a bit per 32 KiB */
	assert_int_equal(get_dirty(t.fd, huge, biova, 2 << 20, 4096 * 8, hb, 0), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(hb[i], i < 4 ? 0 : 0xff);
	munmap(big, 4 << 20);
	cfg.pagetable_type = 7;
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, 0, IOMMU_HWPT_DATA_SELFTEST, &cfg,
				    sizeof(cfg), &huge),
			 -EOPNOTSUPP);
	munmap(buf, 8 * 4096);
	ifd_close(&t);
}

static int check_iotlb(int fd, uint32_t hwpt, uint32_t id, uint32_t v)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = hwpt,
				    .check_iotlb = { .id = id, .iotlb = v } };
	return test_cmd(fd, &c);
}

static int invalidate(int fd, uint32_t hwpt, void *reqs, uint32_t type, uint32_t len,
		      uint32_t *num)
{
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = hwpt,
					   .data_uptr = (uintptr_t)reqs, .data_type = type,
					   .entry_len = len, .entry_num = *num };
	int rc = ioc(fd, IOMMU_HWPT_INVALIDATE, &c);
	struct iommu_hwpt_invalidate back;
	memcpy(&back, &c, sizeof(back));
	*num = back.entry_num;
	return rc;
}

/* Nested HWPTs of the mock: an IOTLB of four values the user
 * invalidates entry by entry, stopping at the first bad request. */
static void test_nested_iotlb(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, stdev, idev, parent, plain, nested, n;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(mock_domain(t.fd, ioas, 0, &stdev, NULL, &idev), 0);
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
				    &parent),
			 0);
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, 0, 0, NULL, 0, &plain), 0);
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	assert_int_equal(hwpt_alloc(t.fd, idev, plain, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), &nested),
			 -EINVAL);
	assert_int_equal(hwpt_alloc(t.fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST + 1, &data,
				    sizeof(data), &nested),
			 -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(t.fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data, 3,
				    &nested),
			 -EINVAL);
	assert_int_equal(hwpt_alloc(t.fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, NULL,
				    sizeof(data), &nested),
			 -EFAULT);
	assert_int_equal(hwpt_alloc(t.fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), &nested),
			 0);
	for (uint32_t i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		assert_int_equal(check_iotlb(t.fd, nested, i, IOMMU_TEST_IOTLB_DEFAULT), 0);
	assert_int_equal(check_iotlb(t.fd, nested, 0, 0), -EINVAL);
	assert_int_equal(check_iotlb(t.fd, nested, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1,
				     IOMMU_TEST_IOTLB_DEFAULT),
			 -EINVAL);
	assert_int_equal(check_iotlb(t.fd, parent, 0, 0), -ENOENT);
	struct iommu_hwpt_invalidate_selftest req[2] = { { .iotlb_id = 0 },
							 { .flags = 0xffffffff, .iotlb_id = 1 } };
	n = 2;
	assert_int_equal(invalidate(t.fd, nested, req, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    sizeof(req[0]), &n),
			 -EOPNOTSUPP);
	assert_int_equal(n, 1);
	assert_int_equal(check_iotlb(t.fd, nested, 0, 0), 0);
	assert_int_equal(check_iotlb(t.fd, nested, 1, IOMMU_TEST_IOTLB_DEFAULT), 0);
	n = 1;
	assert_int_equal(invalidate(t.fd, nested, req, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    sizeof(req[0]) + 1, &n),
			 -EINVAL);
	assert_int_equal(n, 0);
	n = 1;
	assert_int_equal(invalidate(t.fd, nested, req, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
				    sizeof(req[0]), &n),
			 -EINVAL);
	req[0] = (struct iommu_hwpt_invalidate_selftest){ .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL };
	n = 1;
	assert_int_equal(invalidate(t.fd, nested, req, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    sizeof(req[0]), &n),
			 0);
	assert_int_equal(n, 1);
	for (uint32_t i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		assert_int_equal(check_iotlb(t.fd, nested, i, 0), 0);
	/* Attached, it is busy; replaced away, it can go. */
	uint32_t pt = nested;
	assert_int_equal(mock_replace(t.fd, stdev, &pt), 0);
	assert_int_equal(obj_destroy(t.fd, nested), -EBUSY);
	pt = ioas;
	assert_int_equal(mock_replace(t.fd, stdev, &pt), 0);
	assert_int_not_equal(pt, ioas);
	assert_int_equal(obj_destroy(t.fd, nested), 0);
	assert_int_equal(obj_destroy(t.fd, parent), 0);
	ifd_close(&t);
}

static int pasid_op(int fd, uint32_t op, uint32_t stdev, uint32_t pasid, uint32_t pt)
{
	struct iommu_test_cmd c = { .op = op, .id = stdev,
				    .pasid_attach = { .pasid = pasid, .pt_id = pt } };
	return test_cmd(fd, &c);
}

#define PASID_ATTACH IOMMU_TEST_OP_PASID_ATTACH
#define PASID_REPLACE IOMMU_TEST_OP_PASID_REPLACE
#define PASID_DETACH IOMMU_TEST_OP_PASID_DETACH
#define PASID_CHECK IOMMU_TEST_OP_PASID_CHECK_HWPT

/* PASIDs of a MOCK_DOMAIN device: attach, replace, detach, what is
 * attached; PASID 1024 fails its second attach (ENOMEM) and the old
 * domain stays. */
static void test_pasid(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, stdev, idev, s2, plain, stdev_np;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(mock_domain(t.fd, ioas, MOCK_FLAGS_DEVICE_PASID, &stdev, NULL, &idev), 0);
	assert_int_equal(mock_domain(t.fd, ioas, 0, &stdev_np, NULL, NULL), 0);
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, IOMMU_HWPT_ALLOC_PASID, 0, NULL, 0, &s2), 0);
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, 0, 0, NULL, 0, &plain), 0);
	assert_int_equal(pasid_op(t.fd, PASID_DETACH, stdev, 100, 0), 0);
	/* PASID 0 is the RID. */
	uint32_t auto_hwpt;
	assert_int_equal(mock_domain(t.fd, ioas, 0, NULL, &auto_hwpt, NULL), 0);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, 0, auto_hwpt), 0);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, 0, 0), -EINVAL);
	/* The RID's HWPT (automatic, not PASID-capable) forbids PASIDs. */
	assert_int_equal(pasid_op(t.fd, PASID_ATTACH, stdev, 100, s2), -EINVAL);
	uint32_t pt = s2;
	assert_int_equal(mock_replace(t.fd, stdev, &pt), 0);
	assert_int_equal(pasid_op(t.fd, PASID_ATTACH, stdev, 100, plain), -EINVAL);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, 100, 0), 0);
	assert_int_equal(pasid_op(t.fd, PASID_ATTACH, stdev, 100, s2), 0);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, 100, s2), 0);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, 100, 0), -EINVAL);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, 100, plain), -EINVAL);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, 100, ioas), -EINVAL);
	assert_int_equal(pasid_op(t.fd, PASID_ATTACH, stdev, 100, s2), -EBUSY);
	assert_int_equal(pasid_op(t.fd, PASID_DETACH, stdev, 100, 0), 0);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, 100, 0), 0);
	assert_int_equal(pasid_op(t.fd, PASID_REPLACE, stdev, 200, s2), -EINVAL);
	/* A device without PASIDs takes none. */
	assert_int_equal(pasid_op(t.fd, PASID_ATTACH, stdev_np, 100, s2), -EINVAL);
	/* The designed failure. */
	uint32_t s2b;
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, IOMMU_HWPT_ALLOC_PASID, 0, NULL, 0, &s2b),
			 0);
	assert_int_equal(pasid_op(t.fd, PASID_ATTACH, stdev, IOMMU_TEST_PASID_RESERVED, s2), 0);
	assert_int_equal(pasid_op(t.fd, PASID_REPLACE, stdev, IOMMU_TEST_PASID_RESERVED, s2b),
			 -ENOMEM);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, IOMMU_TEST_PASID_RESERVED, s2), 0);
	assert_int_equal(pasid_op(t.fd, PASID_REPLACE, stdev, IOMMU_TEST_PASID_RESERVED, s2b), 0);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, IOMMU_TEST_PASID_RESERVED, s2b), 0);
	/* Left attached, the PASID goes with the object. */
	assert_int_equal(obj_destroy(t.fd, s2b), -EBUSY);
	assert_int_equal(obj_destroy(t.fd, stdev), 0);
	assert_int_equal(obj_destroy(t.fd, s2b), 0);
	assert_int_equal(pasid_op(t.fd, PASID_CHECK, stdev, 100, 0), -ENOENT);
	ifd_close(&t);
}

/* MOCK_DOMAIN_REPLACE moves the device; an automatic HWPT goes with its
 * last device. */
static void test_replace(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, ioas2, stdev, hwpt;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(ioas_alloc(t.fd, &ioas2), 0);
	assert_int_equal(mock_domain(t.fd, ioas, 0, &stdev, &hwpt, NULL), 0);
	uint32_t pt = ioas2;
	assert_int_equal(mock_replace(t.fd, stdev, &pt), 0);
	assert_int_not_equal(pt, hwpt);
	uint32_t old = hwpt;
	assert_int_equal(mock_replace(t.fd, stdev, &old), -ENOENT);
	assert_int_equal(mock_replace(t.fd, ioas, &pt), -ENOENT);
	pt = ioas;
	assert_int_equal(mock_replace(t.fd, stdev, &pt), 0);
	assert_int_equal(obj_destroy(t.fd, ioas2), 0);
	ifd_close(&t);
}

/* IOAS_COPY in the fuzzers' form: the source is {n-th area, offset},
 * only on a selftest host. */
static void test_syz_copy(void **s)
{
	(void)s;
	struct ifd t, plain;
	st_open(&t);
	ifd_open(&plain);
	uint32_t ioas, ioas_p;
	uint8_t *buf = buf_alloc(4 * 4096);
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(ioas_alloc(plain.fd, &ioas_p), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 4096, 1 << 20), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf + 4096, 2 * 4096, 2 << 20), 0);
	assert_int_equal(ioas_map_fixed(plain.fd, ioas_p, buf, 4096, 1 << 20), 0);
	uint64_t dst = 0;
	uint32_t syz = MOCK_FLAGS_ACCESS_SYZ | MAP_RW;
	/* The second area, one page in: buf + 2 pages. */
	assert_int_equal(ioas_copy(t.fd, ioas, ioas, 1 | (4096ull << 32), 4096, &dst, syz), 0);
	struct iopt_area *a = iopt_area_iter_first(&ioas_of(&t, ioas)->iopt, dst, dst);
	assert_non_null(a);
	assert_int_equal(a->pages->uptr + iopt_area_start_byte(a, dst),
			 (uint64_t)(uintptr_t)(buf + 2 * 4096));
	assert_int_equal(ioas_copy(plain.fd, ioas_p, ioas_p, 0, 4096, &dst, syz), -EOPNOTSUPP);
	munmap(buf, 4 * 4096);
	ifd_close(&plain);
	ifd_close(&t);
}

struct worker {
	struct ifd *t;
	uint32_t ioas, dirty_hwpt;
	unsigned idx;
	int fails;
};

/* One thread's churn: its own mock device on the shared IOAS, its own
 * mappings, a replace back and forth, the device's writes into the
 * shared dirty-tracking HWPT, and the checks - against the others'. */
static void *churn(void *arg)
{
	struct worker *w = arg;
	uint8_t *buf = buf_alloc(4 * 4096);
	uint64_t iova = MOCK_APERTURE_START + (w->idx + 1) * (1ull << 24);
	uint8_t bits = 0xff;
	for (unsigned i = 0; i < 40; i++) {
		uint32_t stdev, hwpt;
		w->fails += !!mock_domain(w->t->fd, w->ioas, 0, &stdev, &hwpt, NULL);
		w->fails += !!ioas_map_fixed(w->t->fd, w->ioas, buf, 4 * 4096, iova);
		w->fails += !!check_map(w->t->fd, hwpt, iova, 4 * 4096, buf);
		uint32_t pt = w->dirty_hwpt;
		w->fails += !!mock_replace(w->t->fd, stdev, &pt);
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY, .id = w->dirty_hwpt,
					    .dirty = { .iova = iova, .length = 8 * MOCK_PAGE_SIZE,
						       .page_size = MOCK_PAGE_SIZE,
						       .uptr = (uintptr_t)&bits } };
		w->fails += !!test_cmd(w->t->fd, &c);
		pt = w->ioas;
		w->fails += !!mock_replace(w->t->fd, stdev, &pt);
		w->fails += !!ioas_unmap(w->t->fd, w->ioas, iova, 4 * 4096, NULL);
		w->fails += !!obj_destroy(w->t->fd, stdev);
	}
	munmap(buf, 4 * 4096);
	return NULL;
}

/* Four threads at once on one context (SPEC U-1, the locks of mock.h). */
static void test_concurrent(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, idev, dirty;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(mock_domain(t.fd, ioas, 0, NULL, NULL, &idev), 0);
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
				    &dirty),
			 0);
	assert_int_equal(set_dirty_tracking(t.fd, dirty, true), 0);
	struct worker w[4];
	pthread_t th[4];
	for (unsigned i = 0; i < 4; i++) {
		w[i] = (struct worker){ .t = &t, .ioas = ioas, .dirty_hwpt = dirty, .idx = i };
		assert_int_equal(pthread_create(&th[i], NULL, churn, &w[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].fails, 0);
	}
	assert_int_equal(uiommu_pinned_pages(), 0);
	ifd_close(&t);
}

static void test_memory_limit(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
				    .memory_limit = { .limit = 11 } };
	assert_int_equal(test_cmd(t.fd, &c), -EINVAL);
	c.memory_limit.limit = 12;
	assert_int_equal(test_cmd(t.fd, &c), 0);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_exists_only_with_selftest),
		cmocka_unit_test(test_mock_domain),
		cmocka_unit_test(test_hw_info),
		cmocka_unit_test(test_check_map_and_refs),
		cmocka_unit_test(test_add_reserved),
		cmocka_unit_test(test_dirty),
		cmocka_unit_test(test_nested_iotlb),
		cmocka_unit_test(test_pasid),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_syz_copy),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_memory_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
