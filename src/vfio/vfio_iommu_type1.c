/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The type1 IOMMU backend (SPEC M-5 .. M-7; Linux vfio_iommu_type1.c): the
 * object a container gets with VFIO_SET_IOMMU, and its ioctls. The parts
 * are listed in type1.h.
 */
#include <errno.h>
#include <stdlib.h>

#include <uiommu/iommu.h>

#include "type1.h"
#include "../host/host.h"
#include "../util/slab.h"

struct vfio_iommu *vfio_iommu_type1_open(struct uiommu_host *h, unsigned long type, int *err)
{
	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU) {
		*err = -EINVAL;
		return NULL;
	}
	struct vfio_iommu *iommu = kcalloc(1, sizeof(*iommu));
	if (!iommu) {
		*err = -ENOMEM;
		return NULL;
	}
	iommu->h = h;
	iommu->v2 = type == VFIO_TYPE1v2_IOMMU;
	pthread_mutex_init(&iommu->lock, NULL);
	list_init(&iommu->domains);
	list_init(&iommu->emulated);
	iommu->dma_avail = DMA_ENTRY_LIMIT;
	type1_update_pgsize(iommu);
	return iommu;
}

void vfio_iommu_type1_release(struct vfio_iommu *iommu)
{
	if (!iommu)
		return;
	/* Groups left by now are detached by the container first; this only
	 * frees what remains. */
	struct type1_group *tg, *tt;
	list_for_each_entry_safe(tg, tt, &iommu->emulated, node) {
		list_del(&tg->node);
		free(tg);
	}
	vfio_dma_remove_all(iommu);
	struct type1_domain *td, *dt;
	list_for_each_entry_safe(td, dt, &iommu->domains, node) {
		list_del(&td->node);
		iommu_domain_free(td->domain);
		free(td);
	}
	pthread_mutex_destroy(&iommu->lock);
	free(iommu);
}

bool vfio_iommu_type1_cache_coherent(struct vfio_iommu *iommu)
{
	(void)iommu;
	return true;
}

long vfio_iommu_type1_ioctl(struct vfio_iommu *iommu, unsigned long cmd, unsigned long arg)
{
	long rc;
	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		pthread_mutex_lock(&iommu->lock);
		rc = type1_get_info(iommu, arg);
		pthread_mutex_unlock(&iommu->lock);
		return rc;
	case VFIO_IOMMU_MAP_DMA:
		return type1_map_dma(iommu, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return type1_unmap_dma(iommu, arg);
	default:
		return -ENOTTY;
	}
}
