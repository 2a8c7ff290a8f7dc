/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Force-included into the VFIO selftest library when the fetched tree
 * uses calloc_assert() without defining it: allocate or stop the test,
 * as the library's other *_assert helpers do.
 */
#ifndef UIOMMU_CONFORMANCE_CALLOC_ASSERT_H
#define UIOMMU_CONFORMANCE_CALLOC_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

static inline void *calloc_assert(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p) {
		fprintf(stderr, "calloc_assert: out of memory (%zu x %zu)\n", n, size);
		exit(1);
	}
	return p;
}

#endif
