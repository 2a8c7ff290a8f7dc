/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mappings of uiommu files (mmap of a BAR, of a vIOMMU page): each holds
 * a reference to its file, as a kernel VMA does, and tells the file when
 * it goes so the file can refuse to give up what is mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "files_host.h"
#include "../util/slab.h"

#define PAGE_SIZE_4K 4096ull

static pthread_mutex_t vma_lock = PTHREAD_MUTEX_INITIALIZER;
static struct list_node vmas = LIST_HEAD_INIT(vmas); /* struct vm_area, under vma_lock */
/* Mappings with VM_PFNMAP in `vmas`: with none (the usual case), a pin
 * need not look (changed under vma_lock, read without). */
static atomic_uint nr_pfnmap;

int uiommu_mmap(int fd, void *addr, size_t length, int prot, int flags, int64_t off, void **out)
{
	if (!out)
		return -EINVAL;
	if (!length || off < 0 || (off & (PAGE_SIZE_4K - 1)))
		return -EINVAL;
	if (((uintptr_t)addr & (PAGE_SIZE_4K - 1)) && (flags & MAP_FIXED))
		return -EINVAL;
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	int rc = -ENODEV;
	struct vm_area *vma = NULL;
	if (!f->f_op->mmap)
		goto fail;
	rc = -EACCES;
	if (((prot & PROT_WRITE) && (flags & MAP_SHARED) && f->f_mode == O_RDONLY) ||
	    f->f_mode == O_WRONLY)
		goto fail;
	rc = -ENOMEM;
	vma = kcalloc(1, sizeof(*vma));
	if (!vma)
		goto fail;
	vma->addr = addr;
	vma->length = (length + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
	vma->prot = prot;
	vma->flags = flags;
	vma->pgoff = (uint64_t)off >> 12;
	vma->file = f;
	rc = f->f_op->mmap(f, vma);
	if (rc)
		goto fail;
	pthread_mutex_lock(&vma_lock);
	list_add_tail(&vma->node, &vmas);
	if (vma->vm_flags & VM_PFNMAP)
		atomic_fetch_add(&nr_pfnmap, 1);
	pthread_mutex_unlock(&vma_lock);
	*out = vma->addr;
	return 0; /* the mapping keeps the reference */
fail:
	free(vma);
	fput(f);
	return rc;
}

static void vma_release(struct vm_area *vma, bool unmap)
{
	if (vma->close)
		vma->close(vma);
	if (unmap)
		munmap(vma->addr, vma->length);
	fput(vma->file);
	free(vma);
}

int uiommu_munmap(void *addr, size_t length)
{
	uintptr_t lo = (uintptr_t)addr, hi = lo + length;
	if (!length || hi < lo)
		return -EINVAL;
	/* A munmap that covers a uiommu mapping ends it; one that only
	 * touches part of it unmaps that part and the mapping lives on, as
	 * a split VMA would (what is left keeps the file referenced). */
	struct list_node gone = LIST_HEAD_INIT(gone);
	bool touched = false;
	pthread_mutex_lock(&vma_lock);
	struct vm_area *vma, *t;
	list_for_each_entry_safe(vma, t, &vmas, node) {
		uintptr_t vlo = (uintptr_t)vma->addr, vhi = vlo + vma->length;
		if (hi <= vlo || lo >= vhi)
			continue;
		touched = true;
		if (lo <= vlo && hi >= vhi) {
			list_del(&vma->node);
			list_add_tail(&vma->node, &gone);
			if (vma->vm_flags & VM_PFNMAP)
				atomic_fetch_sub(&nr_pfnmap, 1);
		}
	}
	pthread_mutex_unlock(&vma_lock);
	if (!touched)
		return -ENOENT;
	list_for_each_entry_safe(vma, t, &gone, node) {
		list_del(&vma->node);
		vma_release(vma, false); /* the munmap below covers it */
	}
	/* Whatever else the range covered is the caller's, as munmap's. */
	return munmap(addr, length) ? -errno : 0;
}

bool vma_range_pfnmap(uint64_t addr, uint64_t len)
{
	if (!atomic_load_explicit(&nr_pfnmap, memory_order_relaxed))
		return false;
	bool found = false;
	pthread_mutex_lock(&vma_lock);
	struct vm_area *vma;
	list_for_each_entry(vma, &vmas, node) {
		uint64_t lo = (uintptr_t)vma->addr, hi = lo + vma->length;
		if ((vma->vm_flags & VM_PFNMAP) && addr < hi && addr + len > lo) {
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&vma_lock);
	return found;
}

bool vma_range_all_pfnmap(uint64_t addr, uint64_t len, bool write)
{
	if (!atomic_load_explicit(&nr_pfnmap, memory_order_relaxed))
		return false;
	uint64_t want = addr, end = addr + len;
	pthread_mutex_lock(&vma_lock);
	/* Few mappings: look for the one that goes on from `want` until
	 * none does. */
	for (bool more = true; want < end && more;) {
		more = false;
		struct vm_area *vma;
		list_for_each_entry(vma, &vmas, node) {
			uint64_t lo = (uintptr_t)vma->addr, hi = lo + vma->length;
			if ((vma->vm_flags & VM_PFNMAP) && lo <= want && want < hi) {
				if (write && !(vma->prot & PROT_WRITE))
					break;
				want = hi;
				more = true;
				break;
			}
		}
	}
	pthread_mutex_unlock(&vma_lock);
	return want >= end;
}

void vma_close_host(struct uiommu_host *h)
{
	struct list_node gone = LIST_HEAD_INIT(gone);
	pthread_mutex_lock(&vma_lock);
	struct vm_area *vma, *t;
	list_for_each_entry_safe(vma, t, &vmas, node) {
		if (vma->file->host == h) {
			list_del(&vma->node);
			list_add_tail(&vma->node, &gone);
			if (vma->vm_flags & VM_PFNMAP)
				atomic_fetch_sub(&nr_pfnmap, 1);
		}
	}
	pthread_mutex_unlock(&vma_lock);
	list_for_each_entry_safe(vma, t, &gone, node) {
		list_del(&vma->node);
		vma_release(vma, true);
	}
}
