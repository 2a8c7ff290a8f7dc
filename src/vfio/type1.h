/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The type1 IOMMU backend's private interfaces (SPEC M-5 .. M-7): one I/O
 * address space per container, made of the user's MAP_DMA mappings,
 * mirrored into every IOMMU domain the container's groups need.
 *
 *   vfio_iommu_type1.c  the backend object: open, release, ioctl dispatch
 *   type1_dma.c         the mapping table (struct vfio_dma, by IOVA)
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
#include "../util/list.h"

struct iommu_domain;
struct device;

#define DMA_ENTRY_LIMIT 65535u     /* Linux's dma_entry_limit default */
#define MAX_IOVA_RANGES 16
#define PAGE_SHIFT 12

struct vfio_dma {
	uint64_t iova, size, vaddr;
	int prot;                      /* IOMMU_READ | IOMMU_WRITE */
	uint32_t *pins;                /* per-page pin counts (emulated users) */
	uint64_t nr_pinned;            /* pages with a count */
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
	struct vfio_dma *dma;          /* sorted by iova, never overlapping */
	size_t nr_dma, cap_dma;
	unsigned dma_avail;
	uint64_t pgsize_bitmap;
	struct iova_range iova[MAX_IOVA_RANGES];
	unsigned nr_iova;              /* 0: no IOMMU domain, nothing to honour */
};

/* type1_dma.c */
size_t vfio_dma_find(struct vfio_iommu *iommu, uint64_t iova, uint64_t last);
int vfio_dma_insert(struct vfio_iommu *iommu, const struct vfio_dma *d);
/* Unmaps the mapping from every domain and drops it. */
void vfio_dma_remove(struct vfio_iommu *iommu, size_t i);
void vfio_dma_remove_all(struct vfio_iommu *iommu);

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
