/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The selftest IOMMU driver (SPEC U-15): Linux 7.2's mock IOMMU of
 * drivers/iommu/iommufd/selftest.c, as a second IOMMU driver of the core.
 * It serves the devices of its own bus ("iommufd_mock"), which
 * IOMMU_TEST_CMD MOCK_DOMAIN creates, and gives them:
 *
 *  - paging domains in the AMD v1 format with a 2 KiB granule
 *    (MOCK_IOMMUPT_DEFAULT: the mock aperture [16 MiB, 2 GiB); HUGE:
 *    4 KiB and 1 MiB pages over the format's whole 256 GiB), with dirty
 *    tracking unless the device is MOCK_FLAGS_DEVICE_NO_DIRTY;
 *  - nested domains whose "IOTLB" is four values the user invalidates;
 *  - a vIOMMU with a two-page mmap region, per-device caches its
 *    invalidation clears, an event queue, and two HW queues made in
 *    order;
 *  - PASIDs (MOCK_FLAGS_DEVICE_PASID: 20 bits), with PASID 1024 failing
 *    every second attach so the core's rollback is tested;
 *  - page requests (TRIGGER_IOPF) and a guest-owned PASID table.
 *
 * It is built on iommufd's driver interface (its vIOMMU and HW queue are
 * iommufd objects), as Linux builds it into iommufd: so it sits on a
 * floor above iommufd, which reaches it only through the ops it
 * registers (iommufd_selftest.h). A host made with
 * uiommu_host_opts.selftest brings it up (assembly).
 *
 * Locks: a device's `lock` guards its vIOMMU, domain and IOPF state and
 * is taken under the IOMMU core's group lock, never around a call into
 * iommufd that takes a vIOMMU's locks; cache entries are atomics, so a
 * vIOMMU invalidation (under its vdevs_lock) needs no device lock. A
 * paging domain's `lock` serializes its page table.
 */
#ifndef UIOMMU_IOMMU_MOCK_H
#define UIOMMU_IOMMU_MOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uapi/linux/iommufd_test.h>

#include "../iommu.h"
#include "../pgtable/amdv1.h"
#include "../../base/device.h"
#include "../../iommufd/iommufd_driver.h"

struct uiommu_host;

extern const struct bus_type iommufd_mock_bus_type;
extern const struct iommu_ops mock_ops;

/* The mock IOMMU instance of a host. */
struct mock_iommu {
	struct iommu_device iommu_dev;
	struct uiommu_host *host;
	struct iommu_domain blocking;   /* the default and blocked domain of every device */
	pthread_mutex_t ids_lock;
	struct xarray ids;              /* device number -> mock_dev, under ids_lock */
};

struct mock_viommu;

struct mock_dev {
	struct device dev;              /* first */
	struct mock_iommu *mock;
	uint32_t flags;                 /* MOCK_FLAGS_DEVICE_* */
	unsigned id;
	pthread_mutex_t lock;
	struct mock_viommu *viommu;     /* of the nested domain on the RID */
	uint64_t vdev_id;               /* the device's virtual ID there */
	struct iommu_domain *domain;    /* what the RID uses */
	bool iopf_enabled;
	atomic_uint cache[MOCK_DEV_CACHE_NUM];
	atomic_bool pasid_1024_fake_error;
};

static inline struct mock_dev *to_mock_dev(struct device *dev)
{
	return (struct mock_dev *)dev;
}

static inline bool dev_is_mock(const struct device *dev)
{
	return dev && dev->bus == &iommufd_mock_bus_type;
}

struct mock_domain {
	struct iommu_domain domain;     /* first */
	pthread_mutex_t lock;           /* pt, dirty_tracking */
	struct amdv1_pt pt;
	bool dirty_tracking;
};

struct mock_nested {
	struct iommu_domain domain;     /* first */
	struct mock_viommu *viommu;     /* NULL: made on a nesting parent */
	atomic_uint iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

struct mock_hw_queue;

struct mock_viommu {
	struct iommufd_viommu core;     /* first */
	struct mock_iommu *mock;
	struct mock_domain *s2_parent;
	pthread_mutex_t queue_lock;
	struct mock_hw_queue *hw_queue[IOMMU_TEST_HW_QUEUE_MAX];
	uint64_t mmap_offset;           /* 0: no region */
	uint32_t *page;                 /* the region: two pages */
};

struct mock_hw_queue {
	struct iommufd_hw_queue core;   /* first */
	struct mock_viommu *mock_viommu;
	struct mock_hw_queue *prev;
	unsigned index;
};

/* domain.c */
extern const struct iommu_domain_ops mock_blocking_ops;
bool mock_domain_is_paging(const struct iommu_domain *domain);
bool mock_domain_is_nested(const struct iommu_domain *domain);
struct iommu_domain *mock_domain_alloc_paging(struct device *dev, unsigned flags, int *err);
struct iommu_domain *mock_domain_alloc_paging_user(struct device *dev, unsigned flags,
						   const struct iommu_user_data *user_data,
						   int *err);
struct iommu_domain *mock_domain_alloc_nested(struct device *dev, struct iommu_domain *parent,
					      uint32_t flags,
					      const struct iommu_user_data *user_data, int *err);
struct mock_nested *mock_nested_new(struct uiommu_host *h, struct mock_viommu *viommu,
				    const struct iommu_user_data *user_data, int *err);
int mock_domain_set_dirty(struct iommu_domain *domain, uint64_t iova);
bool mock_domain_dirty_tracking(struct iommu_domain *domain);
void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid, struct iommu_domain *domain);

/* viommu.c */
size_t mock_get_viommu_size(struct device *dev, uint32_t viommu_type);
int mock_viommu_init(struct iommufd_viommu *viommu, struct iommu_domain *parent,
		     const struct iommu_user_data *user_data);

/* iommu.c: bring-up by the host's assembly. */
int iommu_mock_init(struct uiommu_host *h);
void iommu_mock_exit(struct uiommu_host *h);

#endif
