/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mock vIOMMU (mock.h, SPEC U-13/U-15): a loop-back of the user's
 * data through VIOMMU_ALLOC and through a two-page region of the
 * /dev/iommu file; nested domains of its own; HWPT_INVALIDATE of its
 * devices' caches by virtual ID; and two HW queues, the second depending
 * on the first, each checked to be where the nesting parent maps it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mock.h"
#include "../../host/host.h"
#include "../../util/slab.h"

#define REGION_BYTES (2 * 4096ul)

static struct mock_viommu *to_mock_viommu(struct iommufd_viommu *viommu)
{
	return (struct mock_viommu *)viommu;
}

static void mock_viommu_destroy(struct iommufd_viommu *viommu)
{
	struct mock_viommu *mv = to_mock_viommu(viommu);
	if (mv->mmap_offset)
		iommufd_viommu_destroy_mmap(viommu, mv->mmap_offset);
	if (mv->page)
		munmap(mv->page, REGION_BYTES);
	pthread_mutex_destroy(&mv->queue_lock);
}

static struct iommu_domain *mock_viommu_alloc_domain_nested(struct iommufd_viommu *viommu,
							    uint32_t flags,
							    const struct iommu_user_data *user_data,
							    int *err)
{
	struct mock_viommu *mv = to_mock_viommu(viommu);
	if (flags & ~IOMMU_HWPT_ALLOC_PASID) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	struct mock_nested *n = mock_nested_new(mv->mock->host, mv, user_data, err);
	if (!n)
		return NULL;
	n->domain.parent = &mv->s2_parent->domain;
	return &n->domain;
}

/* One entry: clear a cache entry (or all) of the device with a virtual ID. */
static int invalidate_one(struct iommufd_viommu *viommu,
			  const struct iommu_viommu_invalidate_selftest *cmd)
{
	if (cmd->flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL)
		return -EOPNOTSUPP;
	if (cmd->cache_id > MOCK_DEV_CACHE_ID_MAX)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&viommu->vdevs_lock);
	struct device *dev = iommufd_viommu_find_dev(viommu, cmd->vdev_id);
	if (!dev || !dev_is_mock(dev)) {
		rc = -EINVAL;
	} else {
		struct mock_dev *mdev = to_mock_dev(dev);
		for (unsigned i = 0; i < MOCK_DEV_CACHE_NUM; i++)
			if ((cmd->flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) || i == cmd->cache_id)
				atomic_store(&mdev->cache[i], 0);
	}
	pthread_mutex_unlock(&viommu->vdevs_lock);
	return rc;
}

static int mock_viommu_cache_invalidate(struct iommufd_viommu *viommu,
					struct iommu_user_data_array *array)
{
	/* An empty array of the right type checks the type. */
	if (!array->entry_num && array->type == IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST)
		return 0;
	struct iommu_viommu_invalidate_selftest *cmds = kcalloc(array->entry_num ?: 1,
							       sizeof(*cmds));
	uint32_t done = 0;
	int rc = -ENOMEM;
	if (cmds)
		rc = iommu_copy_struct_from_full_user_array(cmds, sizeof(*cmds), array,
							    IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST);
	for (; !rc && done < array->entry_num; done++)
		if ((rc = invalidate_one(viommu, &cmds[done])))
			break;
	array->entry_num = done;
	free(cmds);
	return rc;
}

static size_t mock_viommu_get_hw_queue_size(struct iommufd_viommu *viommu, uint32_t queue_type)
{
	return queue_type == IOMMU_HW_QUEUE_TYPE_SELFTEST ? sizeof(struct mock_hw_queue) : 0;
}

static void mock_hw_queue_destroy(struct iommufd_hw_queue *hw_queue)
{
	struct mock_hw_queue *q = (struct mock_hw_queue *)hw_queue;
	struct mock_viommu *mv = q->mock_viommu;
	pthread_mutex_lock(&mv->queue_lock);
	mv->hw_queue[q->index] = NULL;
	if (q->prev)
		iommufd_hw_queue_undepend(hw_queue, &q->prev->core);
	pthread_mutex_unlock(&mv->queue_lock);
}

/*
 * Queues in index order (the second needs the first, EIO otherwise, and
 * keeps it from being destroyed first), each where the nesting parent
 * maps its guest address - a core that gave the wrong physical address
 * fails here (EFAULT).
 */
static int mock_hw_queue_init_phys(struct iommufd_hw_queue *hw_queue, uint32_t index,
				   uint64_t base_addr_pa)
{
	struct mock_viommu *mv = to_mock_viommu(hw_queue->viommu);
	struct mock_hw_queue *q = (struct mock_hw_queue *)hw_queue, *prev = NULL;
	if (index >= IOMMU_TEST_HW_QUEUE_MAX)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&mv->queue_lock);
	if (mv->hw_queue[index]) {
		rc = -EEXIST;
		goto out;
	}
	if (index && !(prev = mv->hw_queue[index - 1])) {
		rc = -EIO;
		goto out;
	}
	if (base_addr_pa != iommu_iova_to_phys(&mv->s2_parent->domain, hw_queue->base_addr)) {
		rc = -EFAULT;
		goto out;
	}
	if (prev && (rc = iommufd_hw_queue_depend(hw_queue, &prev->core)))
		goto out;
	q->prev = prev;
	q->mock_viommu = mv;
	q->index = index;
	mv->hw_queue[index] = q;
	hw_queue->destroy = mock_hw_queue_destroy;
out:
	pthread_mutex_unlock(&mv->queue_lock);
	return rc;
}

static const struct iommufd_viommu_ops mock_viommu_ops = {
	.destroy = mock_viommu_destroy,
	.alloc_domain_nested = mock_viommu_alloc_domain_nested,
	.cache_invalidate = mock_viommu_cache_invalidate,
	.get_hw_queue_size = mock_viommu_get_hw_queue_size,
	.hw_queue_init_phys = mock_hw_queue_init_phys,
};

size_t mock_get_viommu_size(struct device *dev, uint32_t viommu_type)
{
	return viommu_type == IOMMU_VIOMMU_TYPE_SELFTEST ? sizeof(struct mock_viommu) : 0;
}

/* The loop-back: in_data comes back in out_data and in the region's
 * first word; the region's place in the file is the answer too. */
static int viommu_loopback(struct mock_viommu *mv, const struct iommu_user_data *user_data)
{
	const size_t min = offsetof(struct iommu_viommu_selftest, out_data) + sizeof(uint32_t);
	struct iommu_viommu_selftest data;
	int rc = iommu_copy_struct_from_user(&data, sizeof(data), user_data,
					     IOMMU_VIOMMU_TYPE_SELFTEST, min);
	if (rc)
		return rc;
	/* Shared memory, so the file's mmap can map the same pages. */
	void *p = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		       0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	mv->page = p;
	rc = iommufd_viommu_alloc_mmap(&mv->core, p, REGION_BYTES, &mv->mmap_offset);
	if (rc)
		goto err_unmap;
	*mv->page = data.in_data;
	data.out_data = data.in_data;
	data.out_mmap_offset = mv->mmap_offset;
	data.out_mmap_length = REGION_BYTES;
	rc = iommu_copy_struct_to_user(user_data, &data, sizeof(data), IOMMU_VIOMMU_TYPE_SELFTEST,
				       min);
	if (!rc)
		return 0;
	iommufd_viommu_destroy_mmap(&mv->core, mv->mmap_offset);
	mv->mmap_offset = 0;
err_unmap:
	munmap(p, REGION_BYTES);
	mv->page = NULL;
	return rc;
}

int mock_viommu_init(struct iommufd_viommu *viommu, struct iommu_domain *parent,
		     const struct iommu_user_data *user_data)
{
	struct mock_viommu *mv = to_mock_viommu(viommu);
	if (!mock_domain_is_paging(parent))
		return -EINVAL;
	mv->mock = parent->host->mock;
	if (user_data) {
		int rc = viommu_loopback(mv, user_data);
		if (rc)
			return rc;
	}
	pthread_mutex_init(&mv->queue_lock, NULL);
	mv->s2_parent = (struct mock_domain *)parent;
	viommu->ops = &mock_viommu_ops;
	return 0;
}
