/* SPDX-License-Identifier: BSD-3-Clause */
/* The kmalloc family: the C library's allocator behind a failslab point. */
#include <string.h>

#include "fault_inject.h"
#include "slab.h"

void *kmalloc(size_t size)
{
	if (should_fail(&failslab))
		return NULL;
	return malloc(size);
}

void *kzalloc(size_t size)
{
	return kcalloc(1, size);
}

void *kcalloc(size_t n, size_t size)
{
	size_t bytes;
	/* Checked here: a sanitizer's calloc aborts on it. */
	if (__builtin_mul_overflow(n, size, &bytes) || should_fail(&failslab))
		return NULL;
	return calloc(n, size);
}

void *kmalloc_array(size_t n, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc(bytes);
}

void *krealloc(void *p, size_t size)
{
	if (should_fail(&failslab))
		return NULL;
	return realloc(p, size);
}

void *krealloc_array(void *p, size_t n, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return krealloc(p, bytes);
}

void *kmalloc_aligned(size_t align, size_t size)
{
	if (should_fail(&failslab))
		return NULL;
	return aligned_alloc(align, (size + align - 1) / align * align);
}

char *kstrdup(const char *s)
{
	return kstrndup(s, strlen(s));
}

char *kstrndup(const char *s, size_t n)
{
	if (should_fail(&failslab))
		return NULL;
	return strndup(s, n);
}
