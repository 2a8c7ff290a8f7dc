/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty tracking (issue #11, SPEC U-12): IOMMU_HWPT_GET_DIRTY_BITMAP over
 * 1 GiB of 4 KiB mappings on a VT-d second stage with SSADE, 1% of the
 * pages written by DMA (dmatest0) before each read.
 *
 *  - dirty.bitmap_1g_us: one GET_DIRTY_BITMAP of the GiB into a user
 *    bitmap, reading and clearing the D bits and flushing the IOTLB for
 *    them; baseline: a plain walk of the same page table visiting every
 *    leaf (io_pgtable_for_each_leaf), the least any reader of 262,144
 *    PTEs does. Best of 7, the dirty pages re-written before each.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uapi/linux/iommufd.h>
#include <uiommu/files.h>
#include <uiommu/iommufd.h>

#include "bench.h"
#include "bench_host.h"
#include "host/host.h"
#include "base/device.h"
#include "hw/machine.h"
#include "hw/pci/dma.h"
#include "hw/pci/pci.h"
#include "iommu/intel/intel.h"
#include "iommufd/iommufd_private.h"
#include "pci/pci.h"

#define GIB    (1ull << 30)
#define PG     4096ull
#define IOVA   0x100000000ull
#define NPAGES (GIB / PG)
#define STRIDE 100              /* every 100th page: 1% */

static long ioc(int fd, unsigned long cmd, void *arg)
{
	return uiommu_ioctl(fd, cmd, (unsigned long)(uintptr_t)arg);
}

static void leaf_count(uint64_t iova, uint64_t pa, uint64_t size, uint64_t pte, void *arg)
{
	(void)iova;
	(void)pa;
	(void)size;
	*(uint64_t *)arg += pte & 1;
}

struct rig {
	int fd;
	uint32_t ioas, hwpt;
	struct iommufd_device *idev;
	struct hw_pci_function *fn;
	struct iommu_domain *dom;
};

static int setup(struct uiommu_host *h, struct rig *r, uint8_t *mem)
{
	int e;
	struct iommufd_ctx *ictx = iommufd_ctx_from_fd(r->fd, &e);
	struct device *d = uiommu_device_find(h, "dmatest0");
	uint32_t dev;
	r->idev = ictx ? iommufd_device_bind(ictx, d, &dev, &e) : NULL;
	if (ictx)
		iommufd_ctx_put(ictx);
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	if (!r->idev || ioc(r->fd, IOMMU_IOAS_ALLOC, &a))
		return -1;
	r->ioas = a.out_ioas_id;
	/* 4 KiB mappings although the memory is huge-page backed. */
	struct iommu_option opt = { .size = sizeof(opt), .option_id = IOMMU_OPTION_HUGE_PAGES,
				    .op = IOMMU_OPTION_OP_SET, .object_id = r->ioas, .val64 = 0 };
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				      .dev_id = dev, .pt_id = r->ioas };
	struct iommu_ioas_map m = { .size = sizeof(m),
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE,
				    .ioas_id = r->ioas, .user_va = (uintptr_t)mem, .length = GIB,
				    .iova = IOVA };
	if (ioc(r->fd, IOMMU_OPTION, &opt) || ioc(r->fd, IOMMU_HWPT_ALLOC, &c) ||
	    ioc(r->fd, IOMMU_IOAS_MAP, &m))
		return -1;
	r->hwpt = c.out_hwpt_id;
	uint32_t pt = r->hwpt;
	struct iommu_hwpt_set_dirty_tracking t = { .size = sizeof(t), .hwpt_id = r->hwpt,
						   .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
	if (iommufd_device_attach(r->idev, IOMMU_NO_PASID, &pt) ||
	    ioc(r->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &t))
		return -1;
	r->fn = hw_pci_function_by_rid(h->m, pci_dev_id(to_pci_dev(d)));
	hw_pci_cfg_write(r->fn, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	ictx = iommufd_ctx_from_fd(r->fd, &e);
	struct iommufd_object *obj = iommufd_get_object(ictx, r->hwpt, IOMMUFD_OBJ_ANY, &e);
	r->dom = ((struct iommufd_hw_pagetable *)obj)->domain;
	iommufd_put_object(ictx, obj);
	iommufd_ctx_put(ictx);
	return 0;
}

/* 1% of the pages written by the device, at a varying offset. */
static int dirty_some(struct rig *r, unsigned round)
{
	struct pci_dma_attr a = { .pasid = PCI_NO_PASID };
	struct pci_dma_result res;
	uint8_t v = (uint8_t)round;
	for (uint64_t p = round % STRIDE; p < NPAGES; p += STRIDE)
		if (pci_dma_write(NULL, r->fn, &a, IOVA + p * PG + 8, &v, 1, &res))
			return -1;
	return 0;
}

static uint64_t popcount(const uint64_t *bm, size_t words)
{
	uint64_t n = 0;
	for (size_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bm[i]);
	return n;
}

int main(void)
{
	struct uiommu_host_opts o = { .no_drivers = true };
	struct uiommu_host *h = bench_host(&o);
	struct rig r = { .fd = uiommu_open(h, "/dev/iommu", O_RDWR) };
	uint8_t *raw = mmap(NULL, GIB + (2u << 20), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *mem = (uint8_t *)(((uintptr_t)raw + (2u << 20) - 1) & ~((2ul << 20) - 1));
	madvise(mem, GIB, MADV_HUGEPAGE);
	memset(mem, 1, GIB);
	if (r.fd < 0 || setup(h, &r, mem)) {
		fprintf(stderr, "bench_dirty: setup failed\n");
		return 1;
	}
	const size_t words = NPAGES / 64;
	uint64_t *bm = calloc(words, 8);
	struct dmar_domain *dd = to_dmar_domain(r.dom);
	double best = 1e30, best_walk = 1e30;
	for (unsigned k = 0; k < BEST_OF; k++) {
		if (dirty_some(&r, k)) {
			fprintf(stderr, "bench_dirty: a DMA write failed\n");
			return 1;
		}
		memset(bm, 0, words * 8);
		struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .hwpt_id = r.hwpt,
							 .iova = IOVA, .length = GIB,
							 .page_size = PG, .data = (uintptr_t)bm };
		double t0 = now_ns();
		if (ioc(r.fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g)) {
			fprintf(stderr, "bench_dirty: GET_DIRTY_BITMAP failed\n");
			return 1;
		}
		double t1 = now_ns();
		uint64_t leaves = 0;
		io_pgtable_for_each_leaf(&dd->pgt, leaf_count, &leaves);
		double t2 = now_ns();
		uint64_t want = (NPAGES - k % STRIDE + STRIDE - 1) / STRIDE;
		if (popcount(bm, words) != want || leaves != NPAGES) {
			fprintf(stderr, "bench_dirty: %llu dirty of %llu expected, %llu leaves\n",
				(unsigned long long)popcount(bm, words), (unsigned long long)want,
				(unsigned long long)leaves);
			return 1;
		}
		best = t1 - t0 < best ? t1 - t0 : best;
		best_walk = t2 - t1 < best_walk ? t2 - t1 : best_walk;
	}
	emit("dirty.bitmap_1g_us", best / 1000, "us", "page-table walk of the GiB",
	     best_walk / 1000, "us", "-");

	free(bm);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	iommufd_device_unbind(r.idev);
	uiommu_close(r.fd);
	uiommu_host_free(h);
	munmap(raw, GIB + (2u << 20));
	return 0;
}
