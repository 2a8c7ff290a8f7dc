/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mock vIOMMU and the events of the mock device (SPEC U-11, U-13,
 * U-15): VIOMMU_ALLOC's loop-back through its data and its mmap region;
 * nested HWPTs of the vIOMMU that need a vDEVICE; the device caches a
 * vIOMMU invalidation clears; TRIGGER_VEVENT into a vEVENTQ; HW queues
 * in index order where the nesting parent maps them; TRIGGER_IOPF into a
 * fault queue, by the RID and by a PASID the guest owns.
 */
#include <poll.h>
#include <sys/mman.h>

#include "selftest_utils.h"

struct rig {
	struct ifd t;
	uint32_t ioas, stdev, idev, parent, viommu;
};

static int viommu_alloc(int fd, uint32_t idev, uint32_t hwpt, uint32_t type, void *data,
			uint32_t len, uint32_t *out)
{
	struct iommu_viommu_alloc c = { .size = sizeof(c), .type = type, .dev_id = idev,
					.hwpt_id = hwpt, .data_uptr = (uintptr_t)data,
					.data_len = len };
	int rc = ioc(fd, IOMMU_VIOMMU_ALLOC, &c);
	if (out)
		*out = rc ? 0 : c.out_viommu_id;
	return rc;
}

static int vdevice_alloc(int fd, uint32_t viommu, uint32_t idev, uint64_t virt_id, uint32_t *out)
{
	struct iommu_vdevice_alloc c = { .size = sizeof(c), .viommu_id = viommu, .dev_id = idev,
					 .virt_id = virt_id };
	int rc = ioc(fd, IOMMU_VDEVICE_ALLOC, &c);
	if (out)
		*out = rc ? 0 : c.out_vdevice_id;
	return rc;
}

static void rig_init(struct rig *r)
{
	st_open(&r->t);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
	assert_int_equal(mock_domain(r->t.fd, r->ioas, 0, &r->stdev, NULL, &r->idev), 0);
	assert_int_equal(hwpt_alloc(r->t.fd, r->idev, r->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				    NULL, 0, &r->parent),
			 0);
	assert_int_equal(viommu_alloc(r->t.fd, r->idev, r->parent, IOMMU_VIOMMU_TYPE_SELFTEST,
				      NULL, 0, &r->viommu),
			 0);
}

/* VIOMMU_ALLOC with data: in_data comes back, and in a two-page region
 * of /dev/iommu that only its exact offset and length map. */
static void test_viommu_loopback(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	uint32_t v;
	assert_int_equal(viommu_alloc(r.t.fd, r.idev, r.parent, 0xdead, NULL, 0, &v), -EOPNOTSUPP);
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	assert_int_equal(viommu_alloc(r.t.fd, r.idev, r.parent, IOMMU_VIOMMU_TYPE_SELFTEST, &data,
				      3, &v),
			 -EINVAL);
	assert_int_equal(viommu_alloc(r.t.fd, r.idev, r.parent, IOMMU_VIOMMU_TYPE_SELFTEST, &data,
				      sizeof(data), &v),
			 0);
	assert_int_equal(data.out_data, 0xbeef);
	assert_int_equal(data.out_mmap_length, 2 * 4096);
	void *p;
	assert_int_equal(uiommu_mmap(r.t.fd, NULL, data.out_mmap_length, PROT_READ | PROT_WRITE,
				     MAP_SHARED, (int64_t)data.out_mmap_offset + 4096, &p),
			 -ENXIO);
	assert_int_equal(uiommu_mmap(r.t.fd, NULL, data.out_mmap_length / 2,
				     PROT_READ | PROT_WRITE, MAP_SHARED,
				     (int64_t)data.out_mmap_offset, &p),
			 -ENXIO);
	assert_int_equal(uiommu_mmap(r.t.fd, NULL, data.out_mmap_length, PROT_READ | PROT_WRITE,
				     MAP_SHARED, (int64_t)data.out_mmap_offset, &p),
			 0);
	assert_int_equal(*(uint32_t *)p, 0xbeef);
	assert_int_equal(obj_destroy(r.t.fd, v), -EBUSY);
	assert_int_equal(uiommu_munmap(p, data.out_mmap_length), 0);
	assert_int_equal(obj_destroy(r.t.fd, v), 0);
	ifd_close(&r.t);
}

static int check_cache(int fd, uint32_t idev, uint32_t id, uint32_t v)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DEV_CHECK_CACHE, .id = idev,
				    .check_dev_cache = { .id = id, .cache = v } };
	return test_cmd(fd, &c);
}

static int viommu_invalidate(int fd, uint32_t viommu, void *reqs, uint32_t type, uint32_t len,
			     uint32_t *num)
{
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = viommu,
					   .data_uptr = (uintptr_t)reqs, .data_type = type,
					   .entry_len = len, .entry_num = *num };
	int rc = ioc(fd, IOMMU_HWPT_INVALIDATE, &c);
	*num = c.entry_num;
	return rc;
}

/* A vIOMMU invalidation clears cache entries of the device with that
 * virtual ID, up to the first bad request. */
static void test_vdevice_cache(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	uint32_t vdev, n;
	for (uint32_t i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		assert_int_equal(check_cache(r.t.fd, r.idev, i, IOMMU_TEST_DEV_CACHE_DEFAULT), 0);
	assert_int_equal(check_cache(r.t.fd, r.idev, MOCK_DEV_CACHE_ID_MAX + 1, 0), -EINVAL);
	assert_int_equal(check_cache(r.t.fd, r.ioas, 0, 0), -ENOENT);
	assert_int_equal(vdevice_alloc(r.t.fd, r.viommu, r.idev, 0x99, &vdev), 0);
	struct iommu_viommu_invalidate_selftest req[2] = {
		{ .vdev_id = 0x99, .cache_id = 0 },
		{ .vdev_id = 0x99, .cache_id = MOCK_DEV_CACHE_ID_MAX + 1 },
	};
	n = 0;
	assert_int_equal(viommu_invalidate(r.t.fd, r.viommu, req,
					   IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, sizeof(req[0]), &n),
			 0);
	n = 2;
	assert_int_equal(viommu_invalidate(r.t.fd, r.viommu, req,
					   IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, sizeof(req[0]), &n),
			 -EINVAL);
	assert_int_equal(n, 1);
	assert_int_equal(check_cache(r.t.fd, r.idev, 0, 0), 0);
	assert_int_equal(check_cache(r.t.fd, r.idev, 1, IOMMU_TEST_DEV_CACHE_DEFAULT), 0);
	req[0] = (struct iommu_viommu_invalidate_selftest){ .vdev_id = 0x9, .cache_id = 1 };
	n = 1;
	assert_int_equal(viommu_invalidate(r.t.fd, r.viommu, req,
					   IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, sizeof(req[0]), &n),
			 -EINVAL);
	n = 1;
	assert_int_equal(viommu_invalidate(r.t.fd, r.viommu, req,
					   IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
					   sizeof(req[0]), &n),
			 -EINVAL);
	req[0] = (struct iommu_viommu_invalidate_selftest){ .flags = 0xffffffff, .vdev_id = 0x99 };
	n = 1;
	assert_int_equal(viommu_invalidate(r.t.fd, r.viommu, req,
					   IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, sizeof(req[0]), &n),
			 -EOPNOTSUPP);
	assert_int_equal(n, 0);
	req[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	n = 1;
	assert_int_equal(viommu_invalidate(r.t.fd, r.viommu, req,
					   IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, sizeof(req[0]), &n),
			 0);
	for (uint32_t i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		assert_int_equal(check_cache(r.t.fd, r.idev, i, 0), 0);
	ifd_close(&r.t);
}

static int trigger_vevent(int fd, uint32_t idev)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT,
				    .trigger_vevent = { .dev_id = idev } };
	return test_cmd(fd, &c);
}

/* The device's events reach the vIOMMU of the nested domain it is on,
 * with its virtual ID - only while it is on one, and with a vDEVICE. */
static void test_vevent(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t nested, vdev;
	assert_int_equal(hwpt_alloc(r.t.fd, r.idev, r.viommu, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), &nested),
			 0);
	struct iommu_veventq_alloc q = { .size = sizeof(q), .viommu_id = r.viommu,
					 .type = IOMMU_VEVENTQ_TYPE_SELFTEST, .veventq_depth = 2 };
	assert_int_equal(ioc(r.t.fd, IOMMU_VEVENTQ_ALLOC, &q), 0);
	int qfd = (int)q.out_veventq_fd;
	uint32_t pt = nested;
	assert_int_equal(mock_replace(r.t.fd, r.stdev, &pt), -ENOENT); /* no vDEVICE yet */
	assert_int_equal(trigger_vevent(r.t.fd, r.idev), -ENOENT);
	assert_int_equal(vdevice_alloc(r.t.fd, r.viommu, r.idev, 0x99, &vdev), 0);
	assert_int_equal(trigger_vevent(r.t.fd, r.idev), -ENOENT); /* not on the nested HWPT */
	assert_int_equal(mock_replace(r.t.fd, r.stdev, &pt), 0);
	assert_int_equal(trigger_vevent(r.t.fd, r.idev), 0);
	struct pollfd pfd = { .fd = qfd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 1);
	struct {
		struct iommufd_vevent_header hdr;
		struct iommu_viommu_event_selftest ev;
	} rec;
	assert_int_equal(uiommu_read(qfd, &rec, sizeof(rec.hdr)), -EINVAL);
	assert_int_equal(uiommu_read(qfd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.ev.virt_id, 0x99);
	assert_int_equal(rec.hdr.flags, 0);
	pt = r.ioas;
	assert_int_equal(mock_replace(r.t.fd, r.stdev, &pt), 0);
	assert_int_equal(trigger_vevent(r.t.fd, r.idev), -ENOENT);
	assert_int_equal(uiommu_close(qfd), 0);
	ifd_close(&r.t);
}

static int hw_queue_alloc(int fd, uint32_t viommu, uint32_t index, uint64_t iova, uint64_t len,
			  uint32_t *out)
{
	struct iommu_hw_queue_alloc c = { .size = sizeof(c), .viommu_id = viommu,
					  .type = IOMMU_HW_QUEUE_TYPE_SELFTEST, .index = index,
					  .nesting_parent_iova = iova, .length = len };
	int rc = ioc(fd, IOMMU_HW_QUEUE_ALLOC, &c);
	if (out)
		*out = rc ? 0 : c.out_hw_queue_id;
	return rc;
}

/* HW queues: index 0 first, one per index, the second keeping the first;
 * each holds its memory so the user cannot unmap it. */
static void test_hw_queue(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	uint8_t *buf = buf_alloc(2 * 4096);
	uint64_t iova = MOCK_APERTURE_START;
	uint32_t q0, q1;
	assert_int_equal(hw_queue_alloc(r.t.fd, r.viommu, 0, iova, 4096, &q0), -ENOENT);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, buf, 2 * 4096, iova), 0);
	assert_int_equal(hw_queue_alloc(r.t.fd, r.viommu, 1, iova, 4096, &q0), -EIO);
	assert_int_equal(hw_queue_alloc(r.t.fd, r.viommu, IOMMU_TEST_HW_QUEUE_MAX, iova, 4096, &q0),
			 -EINVAL);
	assert_int_equal(hw_queue_alloc(r.t.fd, r.viommu, 0, iova, 4096, &q0), 0);
	assert_int_equal(hw_queue_alloc(r.t.fd, r.viommu, 0, iova, 4096, &q1), -EEXIST);
	assert_int_equal(ioas_unmap(r.t.fd, r.ioas, iova, 2 * 4096, NULL), -EBUSY);
	assert_int_equal(hw_queue_alloc(r.t.fd, r.viommu, 1, iova + 2048, 2048, &q1), 0);
	assert_int_equal(obj_destroy(r.t.fd, q0), -EBUSY);
	assert_int_equal(obj_destroy(r.t.fd, q1), 0);
	assert_int_equal(obj_destroy(r.t.fd, q0), 0);
	assert_int_equal(ioas_unmap(r.t.fd, r.ioas, iova, 2 * 4096, NULL), 0);
	munmap(buf, 2 * 4096);
	ifd_close(&r.t);
}

static int trigger_iopf(int fd, uint32_t idev, uint32_t pasid)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_IOPF,
				    .trigger_iopf = { .dev_id = idev, .pasid = pasid, .grpid = 2,
						      .perm = IOMMU_PGFAULT_PERM_READ |
							      IOMMU_PGFAULT_PERM_WRITE,
						      .addr = 0xdeadbeaf } };
	return test_cmd(fd, &c);
}

/* A page request of the mock device lands in the fault queue of the
 * HWPT it is attached to - on the RID, and for a PASID nothing is
 * attached to, through the nested domain (the guest owns the PASIDs). */
static void test_iopf(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	assert_int_equal(ioc(r.t.fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .flags = IOMMU_HWPT_FAULT_ID_VALID,
				       .dev_id = r.idev, .pt_id = r.parent,
				       .data_type = IOMMU_HWPT_DATA_SELFTEST,
				       .data_len = sizeof(data), .data_uptr = (uintptr_t)&data,
				       .fault_id = fa.out_fault_id };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &ha), 0);
	uint32_t pt = ha.out_hwpt_id;
	assert_int_equal(mock_replace(r.t.fd, r.stdev, &pt), 0);
	assert_int_equal(trigger_iopf(r.t.fd, r.ioas, 0), -ENOENT);
	for (uint32_t pasid = 0; pasid <= 1; pasid++) {
		assert_int_equal(trigger_iopf(r.t.fd, r.idev, pasid), 0);
		struct iommu_hwpt_pgfault f;
		assert_int_equal(uiommu_read((int)fa.out_fault_fd, &f, sizeof(f)), sizeof(f));
		assert_int_equal(f.dev_id, r.idev);
		assert_int_equal(f.addr, 0xdeadbeaf);
		assert_int_equal(f.grpid, 2);
		assert_int_equal(f.pasid, pasid);
		assert_int_equal(!!(f.flags & IOMMU_PGFAULT_FLAGS_PASID_VALID), pasid);
		assert_true(f.flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE);
		struct iommu_hwpt_page_response resp = { .cookie = f.cookie,
							 .code = IOMMUFD_PAGE_RESP_SUCCESS };
		assert_int_equal(uiommu_write((int)fa.out_fault_fd, &resp, sizeof(resp)),
				 sizeof(resp));
	}
	pt = r.ioas;
	assert_int_equal(mock_replace(r.t.fd, r.stdev, &pt), 0);
	/* Nobody takes them now: answered Invalid, nothing queued. */
	assert_int_equal(trigger_iopf(r.t.fd, r.idev, 0), 0);
	struct iommu_hwpt_pgfault f;
	assert_int_equal(uiommu_read((int)fa.out_fault_fd, &f, sizeof(f)), 0);
	assert_int_equal(uiommu_close((int)fa.out_fault_fd), 0);
	ifd_close(&r.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_viommu_loopback),
		cmocka_unit_test(test_vdevice_cache),
		cmocka_unit_test(test_vevent),
		cmocka_unit_test(test_hw_queue),
		cmocka_unit_test(test_iopf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
