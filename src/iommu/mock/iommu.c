/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The selftest IOMMU (mock.h): its instance on a host, the devices of its
 * bus, what the core asks of a driver about a device (probe, group,
 * capabilities, hardware info, PASID width, page-request features), and
 * the ops IOMMU_TEST_CMD reaches it through.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "../../host/host.h"
#include "../../iommufd/iommufd_selftest.h"
#include "../../util/slab.h"

const struct bus_type iommufd_mock_bus_type = { .name = "iommufd_mock" };

/* ---- devices ---- */

static struct iommu_device *mock_probe_device(struct device *dev)
{
	struct mock_iommu *mock = dev->host ? dev->host->mock : NULL;
	if (!dev_is_mock(dev) || !mock)
		return ERR_PTR(-ENODEV);
	/* A device's PASID width is the smaller of the IOMMU's and its own
	 * ("pasid-num-bits": 20, or none). */
	if (to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_PASID)
		dev_iommu(dev)->max_pasids = 1u << MOCK_PASID_WIDTH;
	return &mock->iommu_dev;
}

static struct device *mock_dev_create(struct uiommu_host *h, uint32_t dev_flags, int *err)
{
	const uint32_t valid = MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID;
	struct mock_iommu *mock = h->mock;
	if (dev_flags & ~valid) {
		*err = -EINVAL;
		return NULL;
	}
	struct mock_dev *mdev = kcalloc(1, sizeof(*mdev));
	if (!mdev) {
		*err = -ENOMEM;
		return NULL;
	}
	uint64_t id;
	pthread_mutex_lock(&mock->ids_lock);
	int rc = xa_alloc(&mock->ids, &id, mdev, 0, UINT32_MAX);
	pthread_mutex_unlock(&mock->ids_lock);
	if (rc) {
		free(mdev);
		*err = rc == -EBUSY ? -ENOSPC : rc;
		return NULL;
	}
	char name[32];
	snprintf(name, sizeof(name), "iommufd_mock%u", (unsigned)id);
	device_initialize(&mdev->dev, h, &iommufd_mock_bus_type, name);
	mdev->mock = mock;
	mdev->id = (unsigned)id;
	mdev->flags = dev_flags;
	pthread_mutex_init(&mdev->lock, NULL);
	for (unsigned i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		atomic_init(&mdev->cache[i], IOMMU_TEST_DEV_CACHE_DEFAULT);
	/* Adding it probes it: the mock IOMMU serves it from now on. */
	rc = device_add(&mdev->dev);
	if (rc) {
		pthread_mutex_lock(&mock->ids_lock);
		xa_erase(&mock->ids, id);
		pthread_mutex_unlock(&mock->ids_lock);
		pthread_mutex_destroy(&mdev->lock);
		free(mdev);
		*err = rc;
		return NULL;
	}
	return &mdev->dev;
}

static void mock_dev_destroy(struct device *dev)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	struct mock_iommu *mock = mdev->mock;
	device_del(dev);
	pthread_mutex_lock(&mock->ids_lock);
	xa_erase(&mock->ids, mdev->id);
	pthread_mutex_unlock(&mock->ids_lock);
	pthread_mutex_destroy(&mdev->lock);
	free(mdev);
}

/* ---- what the core asks ---- */

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_DIRTY_TRACKING:
		return !(to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
	default:
		return false;
	}
}

static int mock_hw_info(struct device *dev, uint32_t *type, void *data, uint32_t *len)
{
	const struct iommu_test_hw_info info = { .test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL };
	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT && *type != IOMMU_HW_INFO_TYPE_SELFTEST)
		return -EOPNOTSUPP;
	memcpy(data, &info, *len < sizeof(info) ? *len : sizeof(info));
	*len = sizeof(info);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return 0;
}

/* Recoverable faults need nothing of the mock's hardware; it only says
 * whether a device may take them (every mock device may). */
static bool mock_dev_has_feat(struct device *dev, enum iommu_dev_features f)
{
	return f == IOMMU_DEV_FEAT_IOPF;
}

static int mock_dev_set_iopf(struct device *dev, enum iommu_dev_features f, bool on)
{
	if (f != IOMMU_DEV_FEAT_IOPF)
		return -EINVAL;
	struct mock_dev *mdev = to_mock_dev(dev);
	pthread_mutex_lock(&mdev->lock);
	mdev->iopf_enabled = on;
	pthread_mutex_unlock(&mdev->lock);
	return 0;
}

static int mock_dev_enable_feat(struct device *dev, enum iommu_dev_features f)
{
	return mock_dev_set_iopf(dev, f, true);
}

static int mock_dev_disable_feat(struct device *dev, enum iommu_dev_features f)
{
	return mock_dev_set_iopf(dev, f, false);
}

/* The mock device asked nothing of real memory: an answer ends it. */
static int mock_page_response(struct device *dev, const struct iommu_page_request *req,
			      enum iommu_page_response_code code)
{
	return 0;
}

static struct iommu_domain *mock_fixed_domain(struct device *dev)
{
	return &dev->host->mock->blocking;
}

const struct iommu_ops mock_ops = {
	.name = "mock",
	.probe_device = mock_probe_device,
	.device_group = generic_device_group,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.domain_alloc_paging_user = mock_domain_alloc_paging_user,
	.domain_alloc_nested = mock_domain_alloc_nested,
	.get_viommu_size = mock_get_viommu_size,
	.viommu_init = mock_viommu_init,
	/* Linux's mock starts its devices blocked: no DMA domain at all. */
	.default_domain = mock_fixed_domain,
	.blocked_domain = mock_fixed_domain,
	.capable = mock_capable,
	.hw_info = mock_hw_info,
	.dev_has_feat = mock_dev_has_feat,
	.dev_enable_feat = mock_dev_enable_feat,
	.dev_disable_feat = mock_dev_disable_feat,
	.remove_dev_pasid = mock_remove_dev_pasid,
	.page_response = mock_page_response,
	.user_pasid_table = true,
};

/* ---- IOMMU_TEST_CMD's ops ---- */

static int mock_dev_check_cache(struct device *dev, uint32_t id, uint32_t value)
{
	if (!dev_is_mock(dev) || id > MOCK_DEV_CACHE_ID_MAX)
		return -EINVAL;
	return atomic_load(&to_mock_dev(dev)->cache[id]) == value ? 0 : -EINVAL;
}

static int mock_dev_trigger_vevent(struct device *dev)
{
	if (!dev_is_mock(dev))
		return -EINVAL;
	struct mock_dev *mdev = to_mock_dev(dev);
	int rc = -ENOENT;
	pthread_mutex_lock(&mdev->lock);
	if (mdev->viommu && mdev->vdev_id) {
		struct iommu_viommu_event_selftest ev = { .virt_id = (uint32_t)mdev->vdev_id };
		rc = iommufd_viommu_report_event(&mdev->viommu->core, IOMMU_VEVENTQ_TYPE_SELFTEST,
						 &ev, sizeof(ev));
	}
	pthread_mutex_unlock(&mdev->lock);
	return rc;
}

static int mock_nested_check_iotlb(struct iommu_domain *domain, uint32_t id, uint32_t value)
{
	if (!mock_domain_is_nested(domain) || id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)
		return -EINVAL;
	struct mock_nested *n = (struct mock_nested *)domain;
	return atomic_load(&n->iotlb[id]) == value ? 0 : -EINVAL;
}

static const struct iommufd_selftest_ops mock_selftest_ops = {
	.iommu_ops = &mock_ops,
	.dev_create = mock_dev_create,
	.dev_destroy = mock_dev_destroy,
	.dev_check_cache = mock_dev_check_cache,
	.dev_trigger_vevent = mock_dev_trigger_vevent,
	.nested_check_iotlb = mock_nested_check_iotlb,
	.domain_dirty_tracking = mock_domain_dirty_tracking,
	.domain_set_dirty = mock_domain_set_dirty,
	.domain_is_nested = mock_domain_is_nested,
};

/* ---- the instance ---- */

int iommu_mock_init(struct uiommu_host *h)
{
	struct mock_iommu *mock = kcalloc(1, sizeof(*mock));
	if (!mock)
		return -ENOMEM;
	mock->host = h;
	pthread_mutex_init(&mock->ids_lock, NULL);
	xa_init(&mock->ids);
	iommu_domain_init(&mock->blocking, IOMMU_DOMAIN_BLOCKED, &mock_blocking_ops, &mock_ops, h);
	snprintf(mock->iommu_dev.name, sizeof(mock->iommu_dev.name), "iommufd_selftest_iommu");
	h->mock = mock;
	int rc = iommu_device_register(&mock->iommu_dev, &mock_ops, h);
	if (!rc && (rc = iommufd_selftest_register(h, &mock_selftest_ops)))
		iommu_device_unregister(&mock->iommu_dev);
	if (rc) {
		h->mock = NULL;
		xa_destroy(&mock->ids);
		pthread_mutex_destroy(&mock->ids_lock);
		free(mock);
	}
	return rc;
}

void iommu_mock_exit(struct uiommu_host *h)
{
	struct mock_iommu *mock = h->mock;
	if (!mock)
		return;
	iommufd_selftest_unregister(h);
	/* What clients left goes first (files_host_fini closed their
	 * descriptors, so their mock devices and vIOMMUs are gone). */
	iommu_device_unregister(&mock->iommu_dev);
	h->mock = NULL;
	xa_destroy(&mock->ids);
	pthread_mutex_destroy(&mock->ids_lock);
	free(mock);
}
