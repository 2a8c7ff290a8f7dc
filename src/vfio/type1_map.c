/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA and VFIO_IOMMU_GET_INFO of the
 * type1 backend, with Linux's argument checks and errno values. Each runs
 * with iommu->lock held (the unmap notifier excepted, see notify_unmap).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "type1.h"
#include "../base/uaccess.h"
#include "../util/slab.h"

#define UNPIN_RETRIES 3

static long do_map(struct vfio_iommu *iommu, struct vfio_iommu_type1_dma_map *map)
{
	int prot = 0;
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	uint64_t mask = type1_min_pgsize(iommu) - 1;
	uint64_t iova = map->iova, size = map->size, vaddr = map->vaddr;
	if (!prot || !size || ((size | iova | vaddr) & mask))
		return -EINVAL;
	/* A range past the end of the address space (Linux 7.2: EOVERFLOW). */
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		return -EOVERFLOW;
	if (vfio_dma_first(iommu, iova, iova + size - 1))
		return -EEXIST;
	if (!iommu->dma_avail)
		return -ENOSPC;
	if (!type1_range_valid(iommu->iova, iommu->nr_iova, iova, iova + size - 1))
		return -EINVAL;
	struct vfio_dma *d = kcalloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->iova = iova;
	d->size = size;
	d->vaddr = vaddr;
	d->prot = prot;
	/* With an IOMMU domain the kernel pins the pages here (FOLL_WRITE for
	 * a writable map) and charges them to locked_vm: memory that is not
	 * there is -EFAULT, past RLIMIT_MEMLOCK -ENOMEM. Without one nothing
	 * is pinned until a domain arrives or a parent pins pages. */
	int rc = list_empty(&iommu->domains) ? 0 : type1_dma_pin(d);
	if (rc) {
		free(d);
		return rc;
	}
	struct type1_domain *td;
	list_for_each_entry(td, &iommu->domains, node) {
		rc = iommu_map(td->domain, iova, d->mem.phys, size, prot);
		if (rc)
			break;
	}
	if (rc) {
		struct type1_domain *undo;
		list_for_each_entry(undo, &iommu->domains, node) {
			if (undo == td)
				break;
			iommu_unmap(undo->domain, iova, size);
		}
		mm_unpin_user(&d->mem);
		free(d);
		return rc;
	}
	vfio_dma_insert(iommu, d);
	return 0;
}

/* Tells every device of the emulated groups to drop its pins in a range
 * (the DMA_UNMAP notifier); called without iommu->lock. */
static void notify_unmap(struct vfio_iommu *iommu, uint64_t iova, uint64_t size)
{
	pthread_mutex_lock(&iommu->lock);
	/* Snapshot the devices: groups cannot leave while the container's
	 * ioctl runs (the container lock is held by our caller). */
	struct vfio_device *devs[64];
	unsigned n = 0;
	struct type1_group *tg;
	list_for_each_entry(tg, &iommu->emulated, node) {
		struct vfio_device *vd;
		list_for_each_entry(vd, &tg->group->devices, group_node)
			if (vd->open_count && vd->ops->dma_unmap && n < 64)
				devs[n++] = vd;
	}
	pthread_mutex_unlock(&iommu->lock);
	for (unsigned i = 0; i < n; i++)
		devs[i]->ops->dma_unmap(devs[i], iova, size);
}

/* v2 never splits a mapping: the range must begin and end on mapping
 * boundaries where it meets them. */
static bool splits(struct vfio_iommu *iommu, uint64_t iova, uint64_t last)
{
	struct vfio_dma *d = vfio_dma_first(iommu, iova, iova);
	if (d && d->iova != iova)
		return true;
	d = vfio_dma_first(iommu, last, last);
	return d && d->iova + d->size - 1 != last;
}

/* The span of the mappings in [iova, last] that hold emulated pins. */
static bool pinned_span(struct vfio_iommu *iommu, uint64_t iova, uint64_t last, uint64_t *ps,
			uint64_t *pl)
{
	bool pinned = false;
	if (!iommu->nr_pinned)
		return false; /* nobody pins: nothing to look at */
	for (struct vfio_dma *d = vfio_dma_first(iommu, iova, last); d;
	     d = vfio_dma_next(d, iova, last)) {
		if (!d->nr_pinned)
			continue;
		if (!pinned)
			*ps = d->iova;
		*pl = d->iova + d->size - 1;
		pinned = true;
	}
	return pinned;
}

static long do_unmap(struct vfio_iommu *iommu, struct vfio_iommu_type1_dma_unmap *um)
{
	uint64_t iova = um->iova, size = um->size, last;
	if (um->flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (iova || size)
			return -EINVAL;
		last = UINT64_MAX;
	} else {
		uint64_t mask = type1_min_pgsize(iommu) - 1;
		if (!size || ((iova | size) & mask))
			return -EINVAL;
		last = iova + size - 1;
		if (last < iova)
			return -EOVERFLOW;
		if (iommu->v2 && splits(iommu, iova, last))
			return -EINVAL;
	}

	/* Pinned pages first: the owners are asked to let go, and if they
	 * do not, nothing is unmapped. */
	uint64_t ps = 0, pl = 0;
	for (int tries = 0; pinned_span(iommu, iova, last, &ps, &pl); tries++) {
		if (tries == UNPIN_RETRIES)
			return -EBUSY;
		pthread_mutex_unlock(&iommu->lock);
		notify_unmap(iommu, ps, pl - ps + 1);
		pthread_mutex_lock(&iommu->lock);
	}
	um->size = vfio_dma_remove_range(iommu, iova, last);
	return 0;
}

long type1_map_dma(struct vfio_iommu *iommu, unsigned long arg)
{
	struct vfio_iommu_type1_dma_map map;
	size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_dma_map, size);
	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	/* FLAG_VADDR goes with VFIO_UPDATE_VADDR, not offered. */
	if (map.argsz < minsz ||
	    map.flags & ~(uint32_t)(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	pthread_mutex_lock(&iommu->lock);
	long rc = do_map(iommu, &map);
	pthread_mutex_unlock(&iommu->lock);
	return rc;
}

long type1_unmap_dma(struct vfio_iommu *iommu, unsigned long arg)
{
	struct vfio_iommu_type1_dma_unmap um;
	size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	if (copy_from_user(&um, arg, minsz))
		return -EFAULT;
	/* No dirty tracking and no vaddr updates here. */
	if (um.argsz < minsz || um.flags & ~(uint32_t)VFIO_DMA_UNMAP_FLAG_ALL)
		return -EINVAL;
	pthread_mutex_lock(&iommu->lock);
	long rc = do_unmap(iommu, &um);
	pthread_mutex_unlock(&iommu->lock);
	if (rc)
		return rc;
	return copy_to_user(arg, &um, minsz) ? -EFAULT : 0;
}

/* ---- GET_INFO ---- */

struct capbuf {
	uint8_t buf[sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
		    MAX_IOVA_RANGES * sizeof(struct vfio_iova_range) +
		    sizeof(struct vfio_iommu_type1_info_dma_avail)];
	size_t len;
	struct vfio_info_cap_header *last;
};


/* Appends a capability; `next` offsets are from the start of the info
 * struct, which the caps follow directly. */
static void *cap_add(struct capbuf *c, uint16_t id, uint16_t version, size_t size)
{
	struct vfio_info_cap_header *hdr = (void *)(c->buf + c->len);
	memset(hdr, 0, size);
	hdr->id = id;
	hdr->version = version;
	if (c->last)
		c->last->next = (uint32_t)(sizeof(struct vfio_iommu_type1_info) + c->len);
	c->last = hdr;
	c->len += size;
	return hdr;
}

long type1_get_info(struct vfio_iommu *iommu, unsigned long arg)
{
	struct vfio_iommu_type1_info info;
	memset(&info, 0, sizeof(info));
	size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* Written back as far as the caller's struct goes. */
	minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = iommu->pgsize_bitmap;
	struct capbuf caps = { .len = 0 };
	if (iommu->nr_iova) {
		struct vfio_iommu_type1_info_cap_iova_range *cr = cap_add(
			&caps, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1,
			sizeof(*cr) + iommu->nr_iova * sizeof(struct vfio_iova_range));
		cr->nr_iovas = iommu->nr_iova;
		for (unsigned i = 0; i < iommu->nr_iova; i++) {
			cr->iova_ranges[i].start = iommu->iova[i].start;
			cr->iova_ranges[i].end = iommu->iova[i].last;
		}
	}
	struct vfio_iommu_type1_info_dma_avail *da =
		cap_add(&caps, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, sizeof(*da));
	da->avail = iommu->dma_avail;

	/* As Linux: the chain is announced and the size it needs reported
	 * whatever room the caller gave, even none for cap_offset. */
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (info.argsz < sizeof(info) + caps.len) {
		info.argsz = (uint32_t)(sizeof(info) + caps.len);
	} else {
		if (copy_to_user(arg + sizeof(info), caps.buf, caps.len))
			return -EFAULT;
		info.cap_offset = sizeof(info);
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}
