/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one allocator of the kernel side (SPEC R-2): every object the stack
 * allocates comes from the kmalloc family below, each call a `failslab`
 * fault point (util/fault_inject.h), so that a sweep can fail any of them.
 * Table pages come from hw_page_alloc (hw/iface/mem.h), the
 * `fail_page_alloc` points. scripts/check-alloc.sh keeps the C library's
 * allocators out of src/ but for the hardware model, which is the machine,
 * not the kernel.
 *
 * Everything is released with free() (kfree is the same); like the C
 * library's, a failed krealloc leaves the old block untouched.
 */
#ifndef UIOMMU_UTIL_SLAB_H
#define UIOMMU_UTIL_SLAB_H

#include <stdlib.h>

void *kmalloc(size_t size);
void *kzalloc(size_t size);
/* n elements of `size`, zeroed; NULL when n * size overflows. */
void *kcalloc(size_t n, size_t size);
void *kmalloc_array(size_t n, size_t size);
void *krealloc(void *p, size_t size);
void *krealloc_array(void *p, size_t n, size_t size);
/* kmalloc_aligned(align, size): size rounded up to a multiple of align. */
void *kmalloc_aligned(size_t align, size_t size);
char *kstrdup(const char *s);
char *kstrndup(const char *s, size_t n);

static inline void kfree(void *p)
{
	free(p);
}

#endif
