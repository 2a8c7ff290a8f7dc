/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU_TEST_CMD's view of the selftest IOMMU driver (SPEC U-15). The
 * test ops themselves live in selftest.c; what only the mock driver
 * knows - its devices, its nested domains' IOTLB values, its devices'
 * caches, its dirty bits, its vIOMMU's events - it gives through these
 * ops, registered when a host is made with uiommu_host_opts.selftest.
 * Without a registration IOMMU_TEST_CMD is ENOTTY, as on a kernel
 * without CONFIG_IOMMUFD_TEST.
 */
#ifndef UIOMMU_IOMMUFD_SELFTEST_H
#define UIOMMU_IOMMUFD_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>

struct device;
struct iommu_domain;
struct iommu_ops;
struct uiommu_host;

struct iommufd_selftest_ops {
	/* The IOMMU driver whose devices and domains these are: a domain
	 * or device of another is EINVAL to the ops that need the mock's. */
	const struct iommu_ops *iommu_ops;
	/* A new mock device with MOCK_FLAGS_DEVICE_* flags, added to the
	 * host (the mock IOMMU serves it): -EINVAL for unknown flags. */
	struct device *(*dev_create)(struct uiommu_host *h, uint32_t dev_flags, int *err);
	void (*dev_destroy)(struct device *dev);
	/* 0 if cache entry `id` of the device holds `value`, else -EINVAL. */
	int (*dev_check_cache)(struct device *dev, uint32_t id, uint32_t value);
	/* The device reports an event to the vIOMMU of the nested domain it
	 * is attached to: -ENOENT without one or without a virtual ID. */
	int (*dev_trigger_vevent)(struct device *dev);
	/* 0 if IOTLB entry `id` of a nested domain holds `value`, else -EINVAL. */
	int (*nested_check_iotlb)(struct iommu_domain *domain, uint32_t id, uint32_t value);
	bool (*domain_dirty_tracking)(struct iommu_domain *domain);
	/* The device writes at iova of a paging domain. */
	int (*domain_set_dirty)(struct iommu_domain *domain, uint64_t iova);
	bool (*domain_is_nested)(const struct iommu_domain *domain);
};

int iommufd_selftest_register(struct uiommu_host *h, const struct iommufd_selftest_ops *ops);
void iommufd_selftest_unregister(struct uiommu_host *h);

#endif
