/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /dev/vfio/vfio: the container (SPEC M-4). It holds the groups a user
 * set into it and, after VFIO_SET_IOMMU, the type1 backend that gives all
 * of them one I/O address space. Ioctls other than the three of the
 * container itself go to the backend; without one they are -EINVAL, as
 * in Linux.
 */
#include <errno.h>
#include <stdlib.h>

#include "vfio.h"
#include "../host/host.h"
#include "../util/slab.h"

struct vfio_container *vfio_container_new(struct uiommu_host *h)
{
	struct vfio_container *c = kcalloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->h = h;
	pthread_mutex_init(&c->lock, NULL);
	list_init(&c->groups);
	c->refs = 1; /* its file's */
	return c;
}

/* The last reference: the fd is closed and no group is set into it, so
 * the backend has no groups either. */
void vfio_container_put(struct vfio_container *c)
{
	if (--c->refs)
		return;
	if (c->iommu)
		vfio_iommu_type1_release(c->iommu);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static long check_extension(struct vfio_container *c, unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		/* Every remapping unit here snoops (ECAP.SC): DMA is coherent. */
		return c->iommu ? vfio_iommu_type1_cache_coherent(c->iommu) : 0;
	default:
		/* Nesting, no-IOMMU, UPDATE_VADDR, SPAPR: not offered. */
		return 0;
	}
}

static long set_iommu(struct vfio_container *c, unsigned long type)
{
	if (list_empty(&c->groups) || c->iommu)
		return -EINVAL;
	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -ENODEV; /* no backend answers for it */
	int err;
	struct vfio_iommu *iommu = vfio_iommu_type1_open(c->h, type, &err);
	if (!iommu)
		return err;
	struct vfio_group *g;
	list_for_each_entry(g, &c->groups, container_node) {
		int rc = vfio_iommu_type1_attach_group(iommu, g);
		if (rc) {
			struct vfio_group *undo;
			list_for_each_entry(undo, &c->groups, container_node) {
				if (undo == g)
					break;
				vfio_iommu_type1_detach_group(iommu, undo);
			}
			vfio_iommu_type1_release(iommu);
			return rc;
		}
	}
	c->iommu = iommu;
	return 0;
}

long vfio_container_ioctl(struct vfio_container *c, unsigned long cmd, unsigned long arg)
{
	pthread_mutex_lock(&c->lock);
	long rc;
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		rc = VFIO_API_VERSION;
		break;
	case VFIO_CHECK_EXTENSION:
		rc = check_extension(c, arg);
		break;
	case VFIO_SET_IOMMU:
		rc = set_iommu(c, arg);
		break;
	default:
		rc = c->iommu ? vfio_iommu_type1_ioctl(c->iommu, cmd, arg) : -EINVAL;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}
