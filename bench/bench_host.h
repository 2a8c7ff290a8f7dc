/* SPDX-License-Identifier: BSD-3-Clause */
/* The host a benchmark of the library runs on. */
#ifndef UIOMMU_BENCH_HOST_H
#define UIOMMU_BENCH_HOST_H

#include <stdio.h>
#include <stdlib.h>

#include <uiommu/host.h>

/* A host for a benchmark (NULL: the built-in one); a benchmark without one has nothing to say. */
static inline struct uiommu_host *bench_host(const struct uiommu_host_opts *o)
{
	struct uiommu_host *h;
	char err[256];
	if (uiommu_host_new(o, &h, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	return h;
}

#endif
