/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO type1 at scale (issue #7): a container with one PCI group (a VT-d
 * domain attached), 65,535 single-page mappings - type1's default
 * dma_entry_limit.
 *  - vfio.map_4k_us: VFIO_IOMMU_MAP_DMA of 4 KiB, 65,535 times, distinct
 *    IOVAs and pages, mean per call; baseline: the same 4 KiB map and
 *    unmap straight through the IOMMU core.
 *  - vfio.unmap_all_65k_ms: one VFIO_IOMMU_UNMAP_DMA with
 *    VFIO_DMA_UNMAP_FLAG_ALL of those 65,535 mappings; baseline: one
 *    iommu_unmap of the range they span in the core (page tables and one
 *    flush).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include <uiommu/host.h>
#include <uiommu/iommu.h>
#include <uiommu/vfio.h>

#include "bench.h"

#define NMAPS 65535u
#define IOVA 0x100000000ull
#define PG 4096ull
#define A(p) ((unsigned long)(uintptr_t)(p))

static void fail(const char *what, long rc)
{
	fprintf(stderr, "bench_vfio: %s: %ld\n", what, rc);
	exit(1);
}

int main(void)
{
	struct uiommu_host *h;
	char err[256];
	struct uiommu_host_opts o = { .no_drivers = true };
	if (uiommu_host_new(&o, &h, err, sizeof(err)))
		fail(err, 0);
	struct device *dev = uiommu_device_find(h, "dmatest0");
	int cfd = vfio_open_container(h);
	int gfd = vfio_open_group(h, iommu_group_id(iommu_group_get(dev)));
	long rc = vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd));
	if (!rc)
		rc = vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	if (rc)
		fail("container", rc);
	size_t len = (size_t)NMAPS * PG;
	uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		fail("mmap", 0);
	memset(mem, 1, len); /* faulted in: the map measures pinning, not page faults */
	struct iommu_domain *core = iommu_paging_domain_alloc(dev);

	double best_map = 1e30, best_unmap = 1e30, best_core = 1e30, best_core_unmap = 1e30;
	for (int k = 0; k < BEST_OF; k++) {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.size = PG
		};
		double t0 = now_ns();
		for (uint64_t i = 0; i < NMAPS; i++) {
			m.vaddr = (uint64_t)(uintptr_t)mem + i * PG;
			m.iova = IOVA + i * PG;
			if ((rc = vfio_ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, A(&m))))
				fail("map", rc);
		}
		double t1 = now_ns();
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
							.flags = VFIO_DMA_UNMAP_FLAG_ALL };
		if ((rc = vfio_ioctl(h, cfd, VFIO_IOMMU_UNMAP_DMA, A(&u))) || u.size != len)
			fail("unmap", rc);
		double t2 = now_ns();
		for (uint64_t i = 0; i < NMAPS; i++) {
			if (iommu_map(core, IOVA + i * PG, (uint64_t)(uintptr_t)mem + i * PG, PG,
				      IOMMU_READ | IOMMU_WRITE))
				fail("core map", 0);
		}
		double t3 = now_ns();
		iommu_unmap(core, IOVA, len);
		double t4 = now_ns();
		for (uint64_t i = 0; i < 4096; i++) {
			iommu_map(core, IOVA, (uint64_t)(uintptr_t)mem, PG, IOMMU_READ);
			iommu_unmap(core, IOVA, PG);
		}
		double t5 = now_ns();
		(void)t3;
		if ((t1 - t0) / NMAPS < best_map)
			best_map = (t1 - t0) / NMAPS;
		if (t2 - t1 < best_unmap)
			best_unmap = t2 - t1;
		if (t4 - t3 < best_core_unmap)
			best_core_unmap = t4 - t3;
		if ((t5 - t4) / 4096 < best_core)
			best_core = (t5 - t4) / 4096;
	}
	emit("vfio.map_4k_us", best_map / 1e3, "us", "iommu_map+unmap 4 KiB (core)", best_core / 1e3,
	     "us", "<=1.5");
	emit("vfio.unmap_all_65k_ms", best_unmap / 1e6, "ms", "iommu_unmap of the span (core)",
	     best_core_unmap / 1e6, "ms", "<=20");
	iommu_domain_free(core);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	munmap(mem, len);
	uiommu_host_free(h);
	return 0;
}
