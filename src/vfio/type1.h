/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The type1 IOMMU backend's private interfaces (SPEC M-5 .. M-7): one I/O
 * address space per container, made of the user's MAP_DMA mappings,
 * mirrored into every IOMMU domain the container's groups need.
 *
 *   vfio_iommu_type1.c  the backend object: open, release, ioctl dispatch
 *   type1_dma.c         the mapping table (struct vfio_dma in an interval tree)
 *   type1_iova.c        page sizes and usable IOVA ranges
 *   type1_attach.c      which domain a group joins: patch 8's decision
 *   type1_map.c         MAP_DMA, UNMAP_DMA, GET_INFO
 *   type1_pin.c         vfio_pin_pages() for emulated devices
 *
 * Locking: iommu->lock guards everything here; the container's lock is
 * held around attach and detach.
 */
#ifndef UIOMMU_VFIO_TYPE1_H
#define UIOMMU_VFIO_TYPE1_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio.h"
#include "../mm/mm.h"
#include "../util/interval_tree.h"
#include "../util/list.h"

struct iommu_domain;
struct device;

#define DMA_ENTRY_LIMIT 65535u     /* Linux's dma_entry_limit default */
#define MAX_IOVA_RANGES 16
#define PAGE_SHIFT 12

struct range_refs;

/* One MAP_DMA mapping. Its user memory is pinned through the pin layer
 * (mm/) once the container has an IOMMU domain, and stays pinned for as
 * long as the mapping exists; `mem.phys` is what the domains map. */
struct vfio_dma {
	struct interval_tree_node node; /* [iova, iova + size - 1] */
	uint64_t iova, size, vaddr;
	int prot;                      /* IOMMU_READ | IOMMU_WRITE */
	struct mm_pinned mem;
	/* vfio_pin_pages() counts per page (emulated users), by page index:
	 * extents, allocated on the first pin. */
	struct range_refs *pins;
	uint64_t nr_pinned;            /* pins held, all pages */
	enum mm_account_mode pin_mode; /* how those pages were charged */
	struct vfio_dma *next_gone;    /* on an unmap's list until flushed */
};

struct type1_group {
	struct vfio_group *group;
	struct device *iommu_device;   /* mdev groups isolated by the IOMMU */
	bool aux;                      /* ... through an auxiliary domain */
	struct list_node node;
};

struct type1_domain {
	struct iommu_domain *domain;
	struct list_node groups;       /* type1_group.node */
	struct list_node node;
};

struct iova_range {
	uint64_t start, last;
};

struct vfio_iommu {
	struct uiommu_host *h;
	pthread_mutex_t lock;
	bool v2;
	struct list_node domains;      /* type1_domain.node */
	struct list_node emulated;     /* type1_group.node: the external domain */
	struct interval_tree_root dma; /* struct vfio_dma, never overlapping */
	size_t nr_dma;
	uint64_t nr_pinned;            /* vfio_pin_pages() pins held, all mappings */
	unsigned dma_avail;
	uint64_t pgsize_bitmap;
	struct iova_range iova[MAX_IOVA_RANGES];
	unsigned nr_iova;              /* 0: no IOMMU domain, nothing to honour */
};

/* type1_dma.c */
/* The first mapping (by IOVA) meeting [iova, last], and the next. */
struct vfio_dma *vfio_dma_first(struct vfio_iommu *iommu, uint64_t iova, uint64_t last);
struct vfio_dma *vfio_dma_next(struct vfio_dma *d, uint64_t iova, uint64_t last);
void vfio_dma_insert(struct vfio_iommu *iommu, struct vfio_dma *d);
/* Pin the whole mapping (mem), if it is not yet: 0 or -errno. */
int type1_dma_pin(struct vfio_dma *d);
static inline bool type1_dma_pinned(const struct vfio_dma *d)
{
	return d->mem.len != 0;
}
/* Unmap every mapping meeting [iova, last] from every domain, with one
 * gathered invalidation per domain, then unpin and free them. Returns the
 * bytes they covered. */
uint64_t vfio_dma_remove_range(struct vfio_iommu *iommu, uint64_t iova, uint64_t last);
void vfio_dma_remove_all(struct vfio_iommu *iommu);

/* type1_pin.c: a page's last emulated pin gone (its pin-layer pin). */
void type1_page_unpin(struct vfio_dma *d, uint64_t pg);

/* type1_iova.c */
void type1_update_pgsize(struct vfio_iommu *iommu);
uint64_t type1_min_pgsize(struct vfio_iommu *iommu);
/* The device whose IOMMU context a group's DMA uses. */
struct device *type1_group_dma_device(struct type1_group *tg);
int type1_compute_ranges(struct vfio_iommu *iommu, struct iommu_domain *extra_domain,
		   struct type1_group *extra, struct iova_range *r, unsigned *n);
bool type1_range_valid(const struct iova_range *r, unsigned n, uint64_t start, uint64_t last);
bool type1_mappings_fit(struct vfio_iommu *iommu, const struct iova_range *r, unsigned n);
void type1_refresh_ranges(struct vfio_iommu *iommu);

/* type1_map.c */
long type1_map_dma(struct vfio_iommu *iommu, unsigned long arg);
long type1_unmap_dma(struct vfio_iommu *iommu, unsigned long arg);
long type1_get_info(struct vfio_iommu *iommu, unsigned long arg);

#endif
