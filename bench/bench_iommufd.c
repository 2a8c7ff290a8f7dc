/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /dev/iommu (issue #9): the ioctl path itself, and IOAS maps into an IOAS
 * with one attached VT-d domain.
 *  - iommufd.ioctl_ns: IOMMU_OPTION GET through uiommu_ioctl; baseline:
 *    a real ioctl on /dev/null, the system call alone.
 *  - ioas.map_4k_us: 65,536 single-page IOAS_MAPs (and their unmap);
 *    baseline: the same 4 KiB map + unmap straight through the IOMMU core.
 *  - ioas.map_1g_ms / ioas.unmap_1g_ms: one 1 GiB IOAS_MAP and UNMAP of
 *    pre-faulted, huge-page aligned memory; baseline: the core's map and
 *    unmap of the same GiB (page tables only, nothing pinned).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uapi/linux/iommufd.h>
#include <uiommu/files.h>
#include <uiommu/iommu.h>
#include <uiommu/iommufd.h>

#include "bench.h"
#include "bench_host.h"
#include "host/host.h"
#include "base/device.h"

#define GIB (1ull << 30)
#define IOVA 0x4000000000ull
#define NMAPS 65536

static long ioc(int fd, unsigned long cmd, void *arg)
{
	return uiommu_ioctl(fd, cmd, (unsigned long)(uintptr_t)arg);
}

static void bench_ioctl(int fd)
{
	struct iommu_option opt = { .size = sizeof(opt), .option_id = IOMMU_OPTION_RLIMIT_MODE,
				    .op = IOMMU_OPTION_OP_GET };
	const int n = 1000000;
	double best = 1e30, best_sys = 1e30;
	int null = open("/dev/null", O_RDWR);
	for (int k = 0; k < BEST_OF; k++) {
		double t0 = now_ns();
		for (int i = 0; i < n; i++)
			if (ioc(fd, IOMMU_OPTION, &opt))
				exit(1);
		double t1 = now_ns();
		for (int i = 0; i < n / 10; i++)
			sink((uint64_t)ioctl(null, IOMMU_OPTION, &opt));
		double t2 = now_ns();
		if ((t1 - t0) / n < best)
			best = (t1 - t0) / n;
		if ((t2 - t1) / (n / 10) < best_sys)
			best_sys = (t2 - t1) / (n / 10);
	}
	close(null);
	emit("iommufd.ioctl_ns", best, "ns", "ioctl(2) on /dev/null", best_sys, "ns", "<=50");
}

static int map_fixed(int fd, uint32_t ioas, uint64_t va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = { .size = sizeof(m),
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE,
				    .ioas_id = ioas, .user_va = va, .length = len, .iova = iova };
	return (int)ioc(fd, IOMMU_IOAS_MAP, &m);
}

static int unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };
	return (int)ioc(fd, IOMMU_IOAS_UNMAP, &u);
}

/* 65,536 maps of one page each, then one unmap of them all. */
static void bench_map_4k(int fd, uint32_t ioas, uint8_t *mem, struct iommu_domain *core)
{
	double best = 1e30, best_core = 1e30;
	for (int k = 0; k < 3; k++) {
		double t0 = now_ns();
		for (uint64_t i = 0; i < NMAPS; i++)
			if (map_fixed(fd, ioas, (uintptr_t)mem + i * 4096, 4096, IOVA + i * 4096))
				exit(1);
		double t1 = now_ns();
		if (unmap(fd, ioas, 0, UINT64_MAX))
			exit(1);
		if ((t1 - t0) / NMAPS < best)
			best = (t1 - t0) / NMAPS;
		double t2 = now_ns();
		for (uint64_t i = 0; i < NMAPS; i++) {
			if (iommu_map(core, IOVA, (uintptr_t)mem + i * 4096, 4096,
				      IOMMU_READ | IOMMU_WRITE))
				exit(1);
			iommu_unmap(core, IOVA, 4096);
		}
		double t3 = now_ns();
		if ((t3 - t2) / NMAPS < best_core)
			best_core = (t3 - t2) / NMAPS;
	}
	emit("ioas.map_4k_us", best / 1000, "us", "iommu_map+unmap 4 KiB (core)", best_core / 1000,
	     "us", "<=1");
}

static void bench_map_1g(int fd, uint32_t ioas, uint8_t *mem, struct iommu_domain *core)
{
	double best_map = 1e30, best_unmap = 1e30, core_map = 1e30, core_unmap = 1e30;
	for (int k = 0; k < BEST_OF; k++) {
		double t0 = now_ns();
		if (map_fixed(fd, ioas, (uintptr_t)mem, GIB, IOVA))
			exit(1);
		double t1 = now_ns();
		if (unmap(fd, ioas, IOVA, GIB))
			exit(1);
		double t2 = now_ns();
		if (iommu_map(core, IOVA, (uintptr_t)mem, GIB, IOMMU_READ | IOMMU_WRITE))
			exit(1);
		double t3 = now_ns();
		iommu_unmap(core, IOVA, GIB);
		double t4 = now_ns();
		best_map = t1 - t0 < best_map ? t1 - t0 : best_map;
		best_unmap = t2 - t1 < best_unmap ? t2 - t1 : best_unmap;
		core_map = t3 - t2 < core_map ? t3 - t2 : core_map;
		core_unmap = t4 - t3 < core_unmap ? t4 - t3 : core_unmap;
	}
	emit("ioas.map_1g_ms", best_map / 1e6, "ms", "iommu_map 1 GiB (core)", core_map / 1e6, "ms",
	     "<=5");
	emit("ioas.unmap_1g_ms", best_unmap / 1e6, "ms", "iommu_unmap 1 GiB (core)",
	     core_unmap / 1e6, "ms", "<=5");
}

int main(void)
{
	struct uiommu_host_opts o = { .no_drivers = true };
	struct uiommu_host *h = bench_host(&o);
	int fd = uiommu_open(h, "/dev/iommu", O_RDWR);
	int e;
	struct iommufd_ctx *ictx = iommufd_ctx_from_fd(fd, &e);
	if (fd < 0 || !ictx)
		return 1;
	bench_ioctl(fd);

	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	if (ioc(fd, IOMMU_IOAS_ALLOC, &a))
		return 1;
	uint32_t dev_id, pt = a.out_ioas_id;
	struct iommufd_device *idev = iommufd_device_bind(ictx, uiommu_device_find(h, "dmatest0"),
							  &dev_id, &e);
	if (!idev || iommufd_device_attach(idev, IOMMU_NO_PASID, &pt))
		return 1;
	/* Huge-page aligned, pre-faulted memory: what VMMs map. */
	uint8_t *raw = mmap(NULL, GIB + (2u << 20), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *mem = (uint8_t *)(((uintptr_t)raw + (2u << 20) - 1) & ~((2ul << 20) - 1));
	madvise(mem, GIB, MADV_HUGEPAGE);
	memset(mem, 1, GIB);
	struct iommu_domain *core = iommu_paging_domain_alloc(uiommu_device_find(h, "dmatest1"));
	if (!core)
		return 1;
	bench_map_4k(fd, a.out_ioas_id, mem, core);
	bench_map_1g(fd, a.out_ioas_id, mem, core);

	iommu_domain_free(core);
	iommufd_device_detach(idev, IOMMU_NO_PASID);
	iommufd_device_unbind(idev);
	iommufd_ctx_put(ictx);
	uiommu_close(fd);
	uiommu_host_free(h);
	munmap(raw, GIB + (2u << 20));
	return 0;
}
