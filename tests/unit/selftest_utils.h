/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the tests of IOMMU_TEST_CMD (SPEC U-15): a host made with
 * the selftest interface, /dev/iommu open on it, and each test op as a
 * one-line call returning 0 (or a descriptor) or -errno, shaped as the
 * kernel's tools/testing/selftests/iommu/iommufd_utils.h uses them.
 */
#ifndef UIOMMU_TESTS_SELFTEST_UTILS_H
#define UIOMMU_TESTS_SELFTEST_UTILS_H

#include <uapi/linux/iommufd_test.h>

#include "iommufd_utils.h"

static inline void st_open(struct ifd *t)
{
	struct uiommu_host *h = NULL;
	char err[256];
	struct uiommu_host_opts o = { .selftest = true, .no_drivers = true };
	if (uiommu_host_new(&o, &h, err, sizeof(err)))
		fail_msg("host: %s", err);
	ifd_open_on(t, h);
}

static inline int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	long rc = uiommu_ioctl(fd, IOMMU_TEST_CMD, (unsigned long)(uintptr_t)cmd);
	return (int)rc;
}

/* A mock device attached to pt_id: its MOCK_DOMAIN object, HWPT, DEVICE. */
static inline int mock_domain(int fd, uint32_t pt_id, uint32_t flags, uint32_t *stdev,
			      uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = pt_id,
				    .mock_domain_flags = { .dev_flags = flags } };
	int rc = test_cmd(fd, &c);
	/* Outputs are set on failure too (0), so callers never read garbage. */
	if (stdev)
		*stdev = rc ? 0 : c.mock_domain_flags.out_stdev_id;
	if (hwpt)
		*hwpt = rc ? 0 : c.mock_domain_flags.out_hwpt_id;
	if (idev)
		*idev = rc ? 0 : c.mock_domain_flags.out_idev_id;
	return rc;
}

static inline int mock_replace(int fd, uint32_t stdev, uint32_t *pt_id)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
				    .mock_domain_replace = { .pt_id = *pt_id } };
	int rc = test_cmd(fd, &c);
	if (!rc)
		*pt_id = c.mock_domain_replace.pt_id;
	return rc;
}

static inline int check_map(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, void *p)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt,
				    .check_map = { .iova = iova, .length = len,
						   .uptr = (uintptr_t)p } };
	return test_cmd(fd, &c);
}

static inline int check_refs(int fd, void *p, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS,
				    .check_refs = { .length = len, .uptr = (uintptr_t)p,
						    .refs = refs } };
	return test_cmd(fd, &c);
}

static inline int hwpt_alloc(int fd, uint32_t idev, uint32_t pt_id, uint32_t flags,
			     uint32_t data_type, void *data, uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = flags, .dev_id = idev,
				      .pt_id = pt_id, .data_type = data_type, .data_len = len,
				      .data_uptr = (uintptr_t)data };
	int rc = ioc(fd, IOMMU_HWPT_ALLOC, &c);
	if (out)
		*out = rc ? 0 : c.out_hwpt_id;
	return rc;
}

static inline int set_dirty_tracking(int fd, uint32_t hwpt, bool on)
{
	struct iommu_hwpt_set_dirty_tracking c = {
		.size = sizeof(c), .hwpt_id = hwpt,
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0
	};
	return ioc(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &c);
}

static inline int get_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t len,
			    uint64_t page_size, void *bitmap, uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap c = { .size = sizeof(c), .hwpt_id = hwpt,
						 .flags = flags, .iova = iova, .length = len,
						 .page_size = page_size,
						 .data = (uintptr_t)bitmap };
	return ioc(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &c);
}

#endif
