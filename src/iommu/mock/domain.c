/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mock IOMMU's domains (mock.h): the blocking domain its devices
 * start on, paging domains over the AMD v1 table with a 2 KiB granule,
 * and nested domains whose first stage is only an IOTLB of four values.
 * Attaching tells a device which vIOMMU (and virtual ID) its DMA belongs
 * to now; a PASID attach of PASID 1024 fails every second time.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "../../util/slab.h"

/* ---- attaching ---- */

static int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	struct mock_viommu *viommu = NULL;
	uint64_t vdev_id = 0;
	if (!dev_is_mock(dev))
		return -EINVAL;
	/* A device that cannot track dirty pages cannot be behind a domain
	 * that tracks them. */
	if (domain->dirty_ops && (mdev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EINVAL;
	/* A nested domain of a vIOMMU needs the device's virtual ID there
	 * (a vDEVICE first: -ENOENT). Looked up before the device's lock:
	 * the vIOMMU's own lock comes first elsewhere. */
	if (domain->type == IOMMU_DOMAIN_NESTED) {
		viommu = ((struct mock_nested *)domain)->viommu;
		if (viommu) {
			int rc = iommufd_viommu_get_vdev_id(&viommu->core, dev, &vdev_id);
			if (rc)
				return rc;
		}
	}
	pthread_mutex_lock(&mdev->lock);
	mdev->viommu = viommu;
	mdev->vdev_id = vdev_id;
	mdev->domain = domain;
	pthread_mutex_unlock(&mdev->lock);
	return 0;
}

/*
 * PASID 1024 (IOMMU_TEST_PASID_RESERVED): the first attach arms a fault,
 * the next one fails with ENOMEM and disarms it, so a replace fails once
 * and the core must leave the old domain in place; detaching disarms it.
 */
static int mock_set_dev_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid,
			      struct iommu_domain *old)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	if (!dev_is_mock(dev))
		return -EINVAL;
	if (pasid == IOMMU_TEST_PASID_RESERVED) {
		bool armed = true;
		if (atomic_compare_exchange_strong(&mdev->pasid_1024_fake_error, &armed, false))
			return -ENOMEM;
		atomic_store(&mdev->pasid_1024_fake_error, true);
	}
	return 0;
}

void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid, struct iommu_domain *domain)
{
	if (pasid == IOMMU_TEST_PASID_RESERVED)
		atomic_store(&to_mock_dev(dev)->pasid_1024_fake_error, false);
}

const struct iommu_domain_ops mock_blocking_ops = {
	.attach_dev = mock_attach_dev,
	.set_dev_pasid = mock_set_dev_pasid,
};

/* ---- paging domains ---- */

static const struct iommu_domain_ops mock_paging_ops;
static const struct iommu_domain_ops mock_nested_ops;

bool mock_domain_is_paging(const struct iommu_domain *domain)
{
	return domain && domain->ops == &mock_paging_ops;
}

bool mock_domain_is_nested(const struct iommu_domain *domain)
{
	return domain && domain->ops == &mock_nested_ops;
}

static struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return (struct mock_domain *)domain;
}

static int mock_map_pages(struct iommu_domain *domain, uint64_t iova, uint64_t paddr,
			  uint64_t size, int prot, uint64_t *mapped)
{
	struct mock_domain *md = to_mock_domain(domain);
	pthread_mutex_lock(&md->lock);
	int rc = amdv1_pt_map(&md->pt, iova, paddr, size, prot, domain->pgsize_bitmap, mapped);
	pthread_mutex_unlock(&md->lock);
	return rc;
}

/* No hardware caches the mock's tables: nothing to flush after. */
static uint64_t mock_unmap_pages(struct iommu_domain *domain, uint64_t iova, uint64_t size,
				 struct iommu_iotlb_gather *gather)
{
	struct mock_domain *md = to_mock_domain(domain);
	pthread_mutex_lock(&md->lock);
	uint64_t n = amdv1_pt_unmap(&md->pt, iova, size);
	pthread_mutex_unlock(&md->lock);
	return n;
}

static int mock_iova_to_phys(struct iommu_domain *domain, uint64_t iova, uint64_t *pa)
{
	struct mock_domain *md = to_mock_domain(domain);
	pthread_mutex_lock(&md->lock);
	int rc = amdv1_pt_iova_to_phys(&md->pt, iova, pa);
	pthread_mutex_unlock(&md->lock);
	return rc;
}

static int mock_set_dirty_tracking(struct iommu_domain *domain, bool enable)
{
	struct mock_domain *md = to_mock_domain(domain);
	if (enable && !domain->dirty_ops)
		return -EINVAL;
	pthread_mutex_lock(&md->lock);
	md->dirty_tracking = enable;
	pthread_mutex_unlock(&md->lock);
	return 0;
}

static int mock_read_and_clear_dirty(struct iommu_domain *domain, uint64_t iova, uint64_t size,
				     bool no_clear, void (*fn)(uint64_t, uint64_t, void *),
				     void *arg)
{
	struct mock_domain *md = to_mock_domain(domain);
	pthread_mutex_lock(&md->lock);
	amdv1_pt_read_and_clear_dirty(&md->pt, iova, size, no_clear, fn, arg);
	pthread_mutex_unlock(&md->lock);
	return 0;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);
	amdv1_pt_destroy(&md->pt);
	pthread_mutex_destroy(&md->lock);
	free(md);
}

static const struct iommu_domain_ops mock_paging_ops = {
	.attach_dev = mock_attach_dev,
	.set_dev_pasid = mock_set_dev_pasid,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.set_dirty_tracking = mock_set_dirty_tracking,
	.read_and_clear_dirty = mock_read_and_clear_dirty,
	.free = mock_domain_free,
};

bool mock_domain_dirty_tracking(struct iommu_domain *domain)
{
	if (!mock_domain_is_paging(domain))
		return false;
	struct mock_domain *md = to_mock_domain(domain);
	pthread_mutex_lock(&md->lock);
	bool on = md->dirty_tracking;
	pthread_mutex_unlock(&md->lock);
	return on;
}

int mock_domain_set_dirty(struct iommu_domain *domain, uint64_t iova)
{
	if (!mock_domain_is_paging(domain))
		return -EINVAL;
	struct mock_domain *md = to_mock_domain(domain);
	pthread_mutex_lock(&md->lock);
	int rc = md->dirty_tracking ? amdv1_pt_set_dirty(&md->pt, iova) : -EINVAL;
	pthread_mutex_unlock(&md->lock);
	return rc;
}

/*
 * A table of MOCK_IOMMUPT_DEFAULT (every page size of the format, the
 * mock aperture [16 MiB, 2 GiB) that makes the core reserve the rest) or
 * MOCK_IOMMUPT_HUGE (only 1 MiB pages and, because iommufd needs a CPU
 * page, 4 KiB; the format's whole 256 GiB).
 */
static struct iommu_domain *mock_paging_new(struct device *dev, unsigned flags,
					    uint32_t pagetable_type, int *err)
{
	const unsigned valid = IOMMU_DOMAIN_FLAG_DIRTY_TRACKING | IOMMU_DOMAIN_FLAG_NEST_PARENT |
			       IOMMU_DOMAIN_FLAG_PASID;
	bool dirty = flags & IOMMU_DOMAIN_FLAG_DIRTY_TRACKING;
	if (!dev_is_mock(dev) || (flags & ~valid) ||
	    (dirty && (to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_NO_DIRTY)) ||
	    (pagetable_type != MOCK_IOMMUPT_DEFAULT && pagetable_type != MOCK_IOMMUPT_HUGE)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	struct mock_domain *md = kcalloc(1, sizeof(*md));
	if (!md) {
		*err = -ENOMEM;
		return NULL;
	}
	/* The selftest's table: three levels of a 2 KiB granule. */
	int rc = amdv1_pt_init(&md->pt, 11, 2);
	if (rc) {
		free(md);
		*err = rc;
		return NULL;
	}
	pthread_mutex_init(&md->lock, NULL);
	iommu_domain_init(&md->domain, IOMMU_DOMAIN_UNMANAGED, &mock_paging_ops, &mock_ops,
			  dev->host);
	md->domain.dirty_ops = dirty;
	md->domain.geometry.force_aperture = true;
	if (pagetable_type == MOCK_IOMMUPT_HUGE) {
		md->domain.pgsize_bitmap = MOCK_HUGE_PAGE_SIZE | 4096;
		md->domain.geometry.aperture_start = 0;
		md->domain.geometry.aperture_end = md->pt.last_iova;
	} else {
		md->domain.pgsize_bitmap = md->pt.pgsize_bitmap;
		md->domain.geometry.aperture_start = MOCK_APERTURE_START;
		md->domain.geometry.aperture_end = MOCK_APERTURE_LAST;
	}
	return &md->domain;
}

struct iommu_domain *mock_domain_alloc_paging(struct device *dev, unsigned flags, int *err)
{
	return mock_paging_new(dev, flags, MOCK_IOMMUPT_DEFAULT, err);
}

struct iommu_domain *mock_domain_alloc_paging_user(struct device *dev, unsigned flags,
						   const struct iommu_user_data *user_data,
						   int *err)
{
	struct iommu_hwpt_selftest cfg = { 0 };
	if (user_data->type != IOMMU_HWPT_DATA_SELFTEST) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	*err = iommu_copy_struct_from_user(&cfg, sizeof(cfg), user_data, IOMMU_HWPT_DATA_SELFTEST,
					   offsetof(struct iommu_hwpt_selftest, iotlb) +
						   sizeof(cfg.iotlb));
	if (*err)
		return NULL;
	return mock_paging_new(dev, flags, cfg.pagetable_type, err);
}

/* ---- nested domains ---- */

/*
 * The first stage is the user's; all the mock keeps of it is its IOTLB:
 * four entries, each starting as the user's iotlb value, which
 * HWPT_INVALIDATE clears one by one or all at once.
 */
static int mock_nested_invalidate(struct iommu_domain *domain,
				  struct iommu_user_data_array *array)
{
	struct mock_nested *n = (struct mock_nested *)domain;
	uint32_t done = 0;
	int rc = 0;
	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		rc = -EINVAL;
		goto out;
	}
	for (; done < array->entry_num; done++) {
		struct iommu_hwpt_invalidate_selftest inv;
		rc = iommu_copy_struct_from_user_array(&inv, sizeof(inv), array,
						       IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, done,
						       sizeof(inv));
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		for (unsigned i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
			if ((inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) || i == inv.iotlb_id)
				atomic_store(&n->iotlb[i], 0);
	}
out:
	array->entry_num = done;
	return rc;
}

static void mock_nested_free(struct iommu_domain *domain)
{
	free(domain);
}

static const struct iommu_domain_ops mock_nested_ops = {
	.attach_dev = mock_attach_dev,
	.set_dev_pasid = mock_set_dev_pasid,
	.cache_invalidate_user = mock_nested_invalidate,
	.free = mock_nested_free,
};

struct mock_nested *mock_nested_new(struct uiommu_host *h, struct mock_viommu *viommu,
				    const struct iommu_user_data *user_data, int *err)
{
	struct iommu_hwpt_selftest cfg;
	if (user_data->type != IOMMU_HWPT_DATA_SELFTEST) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	*err = iommu_copy_struct_from_user(&cfg, sizeof(cfg), user_data, IOMMU_HWPT_DATA_SELFTEST,
					   sizeof(cfg.iotlb));
	if (*err)
		return NULL;
	struct mock_nested *n = kcalloc(1, sizeof(*n));
	if (!n) {
		*err = -ENOMEM;
		return NULL;
	}
	iommu_domain_init(&n->domain, IOMMU_DOMAIN_NESTED, &mock_nested_ops, &mock_ops, h);
	n->viommu = viommu;
	for (unsigned i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		atomic_init(&n->iotlb[i], cfg.iotlb);
	return n;
}

struct iommu_domain *mock_domain_alloc_nested(struct device *dev, struct iommu_domain *parent,
					      uint32_t flags,
					      const struct iommu_user_data *user_data, int *err)
{
	if (flags & ~IOMMU_HWPT_ALLOC_PASID) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (!mock_domain_is_paging(parent)) {
		*err = -EINVAL;
		return NULL;
	}
	struct mock_nested *n = mock_nested_new(dev->host, NULL, user_data, err);
	if (!n)
		return NULL;
	n->domain.parent = parent;
	return &n->domain;
}
