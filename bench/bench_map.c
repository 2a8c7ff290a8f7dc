/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Map and unmap through the IOMMU core (issue #3): 1 GiB in 4 KiB pages
 * in 256-page calls (the page-table part, memory pre-faulted; each unmap
 * call carries its one batched invalidation), a single 4 KiB map+unmap
 * pair with its invalidation, and 1 GiB in 2 MiB pages. Baseline: storing
 * as many 8-byte entries into a plain array.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uiommu/iommu.h>

#include "bench.h"
#include "bench_host.h"
#include "base/device.h"
#include "host/host.h"

#define GIB (1ull << 30)
#define IOVA 0x4000000000ull
#define BATCH (256ull * 4096)

int main(void)
{
	struct uiommu_host *h = bench_host(NULL);
	struct device *dev = uiommu_device_find(h, "dmatest0");
	struct iommu_domain *d = iommu_paging_domain_alloc(dev);
	if (!d || iommu_attach_device(d, dev))
		return 1;
	/* 1 GiB + 2 MiB, pre-faulted; the 4 KiB run maps it 4 KiB off a
	 * 2 MiB boundary so every leaf is a 4 KiB page. */
	uint8_t *mem = mmap(NULL, GIB + (4u << 20), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	uint64_t base2m = ((uint64_t)(uintptr_t)mem + (2u << 20) - 1) & ~((2ull << 20) - 1);
	uint64_t pa4k = base2m + 4096;

	const uint64_t pages = GIB / 4096;
	double best_map = 1e30, best_unmap = 1e30;
	for (int k = 0; k < 4; k++) {
		double t0 = now_ns();
		for (uint64_t o = 0; o < GIB; o += BATCH)
			if (iommu_map(d, IOVA + o, pa4k + o, BATCH, IOMMU_READ | IOMMU_WRITE))
				return 1;
		double t1 = now_ns();
		uint64_t n = 0;
		for (uint64_t o = 0; o < GIB; o += BATCH)
			n += iommu_unmap(d, IOVA + o, BATCH);
		double t2 = now_ns();
		if (n != GIB)
			return 1;
		if (t1 - t0 < best_map)
			best_map = t1 - t0;
		if (t2 - t1 < best_unmap)
			best_unmap = t2 - t1;
	}

	/* Baseline: the bare stores of as many entries. */
	uint64_t *ptes = aligned_alloc(4096, pages * 8);
	double best_store = 1e30;
	for (int k = 0; k < 4; k++) {
		double t0 = now_ns();
		for (uint64_t i = 0; i < pages; i++)
			ptes[i] = (pa4k + i * 4096) | 3;
		double t = now_ns() - t0;
		sink(ptes[pages / 2]);
		if (t < best_store)
			best_store = t;
	}
	emit("map.4k_ns_per_page", best_map / pages, "ns", "plain PTE stores", best_store / pages, "ns",
	     "<=2");
	emit("unmap.4k_ns_per_page", best_unmap / pages, "ns", "plain PTE stores", best_store / pages,
	     "ns", "<=2");

	/* One page, mapped and unmapped with its invalidation, many times. */
	const long N = 200000;
	double best_single = 1e30;
	for (int k = 0; k < 5; k++) {
		double t0 = now_ns();
		for (long i = 0; i < N; i++) {
			if (iommu_map(d, IOVA, pa4k, 4096, IOMMU_READ | IOMMU_WRITE))
				return 1;
			if (iommu_unmap(d, IOVA, 4096) != 4096)
				return 1;
		}
		double t = (now_ns() - t0) / N;
		if (t < best_single)
			best_single = t;
	}
	emit("map.single_4k_ns", best_single, "ns", "plain PTE stores", best_store / pages, "ns",
	     "<=150");

	double best_2m = 1e30;
	for (int k = 0; k < 5; k++) {
		double t0 = now_ns();
		if (iommu_map(d, IOVA, base2m, GIB, IOMMU_READ | IOMMU_WRITE))
			return 1;
		double t = now_ns() - t0;
		if (iommu_unmap(d, IOVA, GIB) != GIB)
			return 1;
		if (t < best_2m)
			best_2m = t;
	}
	emit("map.2m_ns_per_page", best_2m / 512, "ns", "plain PTE stores", best_store / pages, "ns",
	     "-");

	free(ptes);
	munmap(mem, GIB + (4u << 20));
	iommu_detach_device(d, dev);
	iommu_domain_free(d);
	uiommu_host_free(h);
	return 0;
}
