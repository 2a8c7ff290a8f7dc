/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the iommufd tests: a host with /dev/iommu open, the ioctls
 * as one-line calls returning 0 or -errno, and a look at an IOAS's areas
 * from inside (to check that a failing call changed nothing).
 */
#ifndef UIOMMU_TESTS_IOMMUFD_UTILS_H
#define UIOMMU_TESTS_IOMMUFD_UTILS_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uapi/linux/iommufd.h>
#include <uiommu/files.h>
#include <uiommu/iommufd.h>

#include "harness.h"
#include "files/file.h"
#include "iommufd/iommufd_private.h"

struct ifd {
	struct uiommu_host *h;
	int fd;
	struct iommufd_ctx *ictx;
};

static inline void ifd_open_on(struct ifd *t, struct uiommu_host *h)
{
	t->h = h;
	t->fd = uiommu_open(h, "/dev/iommu", O_RDWR);
	assert_true(t->fd >= 0);
	int err;
	t->ictx = iommufd_ctx_from_fd(t->fd, &err);
	assert_non_null(t->ictx);
	iommufd_ctx_put(t->ictx);
}

static inline void ifd_open(struct ifd *t)
{
	ifd_open_on(t, th_host(NULL, false));
}

static inline void ifd_close(struct ifd *t)
{
	if (t->fd >= 0)
		assert_int_equal(uiommu_close(t->fd), 0);
	uiommu_host_free(t->h);
	/* Everything pinned was given back. */
	assert_int_equal(uiommu_pinned_pages(), 0);
}

static inline int ioc(int fd, unsigned long cmd, void *arg)
{
	long rc = uiommu_ioctl(fd, cmd, (unsigned long)(uintptr_t)arg);
	return rc < 0 ? (int)rc : 0;
}

static inline int ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc c = { .size = sizeof(c) };
	int rc = ioc(fd, IOMMU_IOAS_ALLOC, &c);
	*id = rc ? 0 : c.out_ioas_id;
	return rc;
}

static inline int obj_destroy(int fd, uint32_t id)
{
	struct iommu_destroy c = { .size = sizeof(c), .id = id };
	return ioc(fd, IOMMU_DESTROY, &c);
}

#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static inline int ioas_map(int fd, uint32_t ioas, void *va, uint64_t len, uint64_t *iova,
			   uint32_t flags)
{
	struct iommu_ioas_map c = { .size = sizeof(c), .flags = flags, .ioas_id = ioas,
				    .user_va = (uintptr_t)va, .length = len, .iova = *iova };
	int rc = ioc(fd, IOMMU_IOAS_MAP, &c);
	*iova = rc ? *iova : c.iova;
	return rc;
}

static inline int ioas_map_fixed(int fd, uint32_t ioas, void *va, uint64_t len, uint64_t iova)
{
	return ioas_map(fd, ioas, va, len, &iova, MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA);
}

static inline int ioas_map_file(int fd, uint32_t ioas, int mfd, uint64_t start, uint64_t len,
				uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map_file c = { .size = sizeof(c), .flags = flags, .ioas_id = ioas,
					 .fd = mfd, .start = start, .length = len,
					 .iova = *iova };
	int rc = ioc(fd, IOMMU_IOAS_MAP_FILE, &c);
	*iova = rc ? *iova : c.iova;
	return rc;
}

static inline int ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len,
			     uint64_t *unmapped)
{
	struct iommu_ioas_unmap c = { .size = sizeof(c), .ioas_id = ioas, .iova = iova,
				      .length = len };
	int rc = ioc(fd, IOMMU_IOAS_UNMAP, &c);
	if (!rc && unmapped)
		*unmapped = c.length;
	return rc;
}

static inline int ioas_copy(int fd, uint32_t dst, uint32_t src, uint64_t src_iova, uint64_t len,
			    uint64_t *dst_iova, uint32_t flags)
{
	struct iommu_ioas_copy c = { .size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
				     .src_ioas_id = src, .length = len, .dst_iova = *dst_iova,
				     .src_iova = src_iova };
	int rc = ioc(fd, IOMMU_IOAS_COPY, &c);
	*dst_iova = rc ? *dst_iova : c.dst_iova;
	return rc;
}

static inline int ioas_allow(int fd, uint32_t ioas, const struct iommu_iova_range *r, uint32_t n)
{
	struct iommu_ioas_allow_iovas c = { .size = sizeof(c), .ioas_id = ioas, .num_iovas = n,
					    .allowed_iovas = (uintptr_t)r };
	return ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &c);
}

static inline int hwpt_alloc_data(int fd, uint32_t flags, uint32_t dev, uint32_t pt,
				  uint32_t data_type, const void *data, uint32_t data_len,
				  uint32_t *out)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = flags, .dev_id = dev, .pt_id = pt,
				      .data_type = data_type, .data_len = data_len,
				      .data_uptr = (uintptr_t)data };
	int rc = ioc(fd, IOMMU_HWPT_ALLOC, &c);
	*out = rc ? 0 : c.out_hwpt_id;
	return rc;
}

/* A nested HWPT over `parent` (a NEST_PARENT HWPT or a vIOMMU) with a
 * VT-d first stage at guest-physical `pgtbl`. */
static inline int hwpt_alloc_s1(int fd, uint32_t flags, uint32_t dev, uint32_t parent,
				uint64_t pgtbl, uint32_t width, uint64_t s1_flags, uint32_t *out)
{
	struct iommu_hwpt_vtd_s1 s1 = { .flags = s1_flags, .pgtbl_addr = pgtbl,
					.addr_width = width };
	return hwpt_alloc_data(fd, flags, dev, parent, IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1),
			       out);
}

/* HWPT_INVALIDATE of `n` VT-d stage-1 entries; *done: entry_num back. */
static inline int hwpt_invalidate(int fd, uint32_t id, uint32_t type, const void *entries,
				  uint32_t entry_len, uint32_t n, uint32_t *done)
{
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = id,
					   .data_uptr = (uintptr_t)entries, .data_type = type,
					   .entry_len = entry_len, .entry_num = n };
	int rc = ioc(fd, IOMMU_HWPT_INVALIDATE, &c);
	if (done)
		*done = c.entry_num;
	return rc;
}

static inline int hwpt_inv_s1(int fd, uint32_t id, uint64_t addr, uint64_t npages, uint32_t flags)
{
	struct iommu_hwpt_vtd_s1_invalidate e = { .addr = addr, .npages = npages, .flags = flags };
	return hwpt_invalidate(fd, id, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &e, sizeof(e), 1, NULL);
}

/* The IOAS object behind an ID, for looking inside. */
static inline struct iommufd_ioas *ioas_of(struct ifd *t, uint32_t id)
{
	int err;
	struct iommufd_ioas *ioas = iommufd_get_ioas(t->ictx, id, &err);
	assert_non_null(ioas);
	iommufd_put_object(t->ictx, &ioas->obj);
	return ioas;
}

/* A fingerprint of an IOAS: areas, their placement, reserved ranges,
 * allowed ranges, alignment; equal before and after a failing call. */
static inline uint64_t ioas_state(struct ifd *t, uint32_t id)
{
	struct io_pagetable *iopt = &ioas_of(t, id)->iopt;
	uint64_t h = 1469598103934665603ull;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	for (struct interval_tree_node *n = interval_tree_iter_first(&iopt->area_itree, 0,
								     UINT64_MAX);
	     n; n = interval_tree_iter_next(n, 0, UINT64_MAX)) {
		struct iopt_area *a = (struct iopt_area *)n;
		MIX(n->start);
		MIX(n->last);
		MIX(a->iommu_prot);
		MIX(a->pages ? a->pages->phys + a->first_index * 4096 : 0);
	}
	for (struct interval_tree_node *n = interval_tree_iter_first(&iopt->reserved_itree, 0,
								     UINT64_MAX);
	     n; n = interval_tree_iter_next(n, 0, UINT64_MAX)) {
		MIX(n->start);
		MIX(n->last);
	}
	for (struct interval_tree_node *n = interval_tree_iter_first(&iopt->allowed_itree, 0,
								     UINT64_MAX);
	     n; n = interval_tree_iter_next(n, 0, UINT64_MAX)) {
		MIX(n->start ^ 0xa11);
		MIX(n->last);
	}
	MIX(iopt->iova_alignment);
	MIX(iopt->next_domain_id);
	MIX(iopt->disable_large_pages);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
#undef MIX
	return h;
}

/* Objects in the context (finalized ones). */
static inline unsigned ictx_objects(struct ifd *t)
{
	unsigned n = 0;
	uint64_t idx;
	void *e;
	pthread_mutex_lock(&t->ictx->obj_lock);
	xa_for_each(&t->ictx->objects, idx, e)
		n++;
	pthread_mutex_unlock(&t->ictx->obj_lock);
	return n;
}

/* 4 KiB-aligned anonymous memory, freed with munmap. */
static inline void *buf_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	memset(p, 0, len);
	return p;
}

#endif
