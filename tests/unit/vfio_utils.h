/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the tests of the legacy VFIO interface (container, group,
 * type1): a device's group by name, and MAP_DMA / UNMAP_DMA as one-line
 * calls returning 0 or -errno.
 */
#ifndef UIOMMU_TESTS_VFIO_UTILS_H
#define UIOMMU_TESTS_VFIO_UTILS_H

#include <stdint.h>
#include <linux/vfio.h>

#include <uiommu/iommu.h>
#include <uiommu/vfio.h>

#include "harness.h"

#ifndef A
#define A(p) ((unsigned long)(uintptr_t)(p))
#endif

/* The IOMMU group of a host's device, by name; the device must exist. */
static inline unsigned group_of(struct uiommu_host *h, const char *name)
{
	struct device *d = uiommu_device_find(h, name);
	assert_non_null(d);
	return iommu_group_id(iommu_group_get(d));
}

static inline long map(struct uiommu_host *h, int cfd, uint64_t iova, const void *va,
		       uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .flags = flags,
					      .vaddr = (uint64_t)(uintptr_t)va, .iova = iova,
					      .size = size };
	return vfio_ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, A(&m));
}

/* UNMAP_DMA; *unmapped (when asked) is what the kernel reports in size. */
static inline long unmap(struct uiommu_host *h, int cfd, uint64_t iova, uint64_t size,
			 uint32_t flags, uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .flags = flags, .iova = iova,
						.size = size };
	long rc = vfio_ioctl(h, cfd, VFIO_IOMMU_UNMAP_DMA, A(&u));
	if (unmapped)
		*unmapped = u.size;
	return rc;
}

#endif
