/* SPDX-License-Identifier: BSD-3-Clause */
/* A pointer or a negative errno in one return value (Linux err.h). */
#ifndef UIOMMU_UTIL_ERR_H
#define UIOMMU_UTIL_ERR_H

#include <stdbool.h>
#include <stdint.h>

#define MAX_ERRNO 4095

static inline void *ERR_PTR(long err)
{
	return (void *)(intptr_t)err;
}

static inline long PTR_ERR(const void *p)
{
	return (long)(intptr_t)p;
}

static inline bool IS_ERR(const void *p)
{
	return (uintptr_t)p >= (uintptr_t)-MAX_ERRNO;
}

static inline bool IS_ERR_OR_NULL(const void *p)
{
	return !p || IS_ERR(p);
}

#endif
