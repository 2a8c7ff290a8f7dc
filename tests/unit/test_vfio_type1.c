/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO type1 at scale and its pins (issue #7, SPEC M-5 .. M-7):
 *   - the DMA-entry limit (65,535 mappings), and nothing changed by the
 *     call that hits it;
 *   - v2's no-split rule at the start of a range;
 *   - one gathered invalidation per UNMAP_DMA, however many mappings;
 *   - the pin layer: MAP_DMA pins and charges, UNMAP_DMA unpins; a
 *     terabyte mapped costs no per-page counters;
 *   - the unmap notifier while a parent holds pins;
 *   - memory-backed files stay reachable after the client unmaps them;
 *   - a BAR the client mapped is device memory: mapped, never pinned;
 *   - an mdev that holds a domain already is refused (-EINVAL), nothing
 *     attached.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "harness.h"
#include "vfio_utils.h"
#include "files/file.h"
#include "iommu/intel/intel.h"
#include "iommu/iommu.h"
#include "mdev/mdev.h"
#include "mm/mm.h"
#include "vfio/type1.h"
#include "vfio/vfio.h"
#include <uiommu/hw/dmatest.h>
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>
#include <uiommu/vfio.h>

#define A(p) ((unsigned long)(uintptr_t)(p))
#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define CFG_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX)
#define BAR2_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX)
#define UUID1 "5a4f1c2e-0000-4000-8000-000000000001"
#define PG 4096ull




static void setup(struct uiommu_host *h, unsigned group, int *cfd, int *gfd)
{
	*cfd = vfio_open_container(h);
	*gfd = vfio_open_group(h, group);
	assert_true(*cfd >= 0 && *gfd >= 0);
	assert_int_equal(vfio_ioctl(h, *gfd, VFIO_GROUP_SET_CONTAINER, A(cfd)), 0);
	assert_int_equal(vfio_ioctl(h, *cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
}

static struct vfio_iommu *backend(struct uiommu_host *h, int cfd)
{
	struct file *f = fget(cfd);
	struct vfio_container *c = vfio_container_from_file(f);
	fput(f);
	assert_non_null(c);
	return c->iommu;
}

static void reg_w(struct uiommu_host *h, int dfd, unsigned off, uint64_t v, size_t size)
{
	assert_int_equal(vfio_pwrite(h, dfd, &v, size, BAR0_OFF + off), (ssize_t)size);
}

static uint64_t reg_r(struct uiommu_host *h, int dfd, unsigned off)
{
	uint64_t v = 0;
	assert_int_equal(vfio_pread(h, dfd, &v, 8, BAR0_OFF + off), 8);
	return v;
}

/* A dmatest copy through the device fd: DMATEST_ERR_*. */
static uint32_t copy(struct uiommu_host *h, int dfd, uint64_t src, uint64_t dst, uint32_t len)
{
	reg_w(h, dfd, DMATEST_REG_SRC, src, 8);
	reg_w(h, dfd, DMATEST_REG_DST, dst, 8);
	reg_w(h, dfd, DMATEST_REG_LEN, len, 4);
	reg_w(h, dfd, DMATEST_REG_CTRL, DMATEST_CTRL_GO, 4);
	uint32_t st = (uint32_t)reg_r(h, dfd, DMATEST_REG_STATUS);
	if (st == DMATEST_STATUS_DONE)
		return DMATEST_ERR_NONE;
	return (uint32_t)reg_r(h, dfd, DMATEST_REG_ERROR);
}

static int device_fd(struct uiommu_host *h, int gfd, const char *name)
{
	int dfd = (int)vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A(name));
	assert_true(dfd >= 0);
	uint16_t cmd = 0x6; /* memory | bus master */
	assert_int_equal(vfio_pwrite(h, dfd, &cmd, 2, CFG_OFF + 0x04), 2);
	return dfd;
}

static uint32_t dma_avail(struct uiommu_host *h, int cfd)
{
	union {
		struct vfio_iommu_type1_info info;
		uint8_t raw[512];
	} u = { .info = { .argsz = sizeof(u) } };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, A(&u)), 0);
	for (uint32_t off = u.info.cap_offset; off;) {
		const struct vfio_info_cap_header *c = (const void *)(u.raw + off);
		if (c->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			return ((const struct vfio_iommu_type1_info_dma_avail *)c)->avail;
		off = c->next;
	}
	fail_msg("no DMA_AVAIL capability");
	return 0;
}

/* ---- the DMA-entry limit ---- */

static void test_dma_entry_limit(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	uint8_t *page = th_alloc_page();
	/* 65,535 mappings of one page; pins are per page, so it has them all. */
	for (uint64_t i = 0; i < DMA_ENTRY_LIMIT; i++)
		assert_int_equal(map(h, cfd, 0x100000 + i * PG, page, PG, RW), 0);
	assert_int_equal(dma_avail(h, cfd), 0);
	assert_int_equal(mm_pin_count((uint64_t)(uintptr_t)page), DMA_ENTRY_LIMIT);
	uint64_t next = 0x100000 + DMA_ENTRY_LIMIT * PG;
	assert_int_equal(map(h, cfd, next, page, PG, RW), -ENOSPC);
	/* Refused with nothing done: not pinned, not mapped, still full. */
	assert_int_equal(mm_pin_count((uint64_t)(uintptr_t)page), DMA_ENTRY_LIMIT);
	assert_int_equal(dma_avail(h, cfd), 0);
	assert_int_equal(unmap(h, cfd, next, PG, 0, NULL), 0);
	/* One freed, one more fits. */
	uint64_t n;
	assert_int_equal(unmap(h, cfd, 0x100000, PG, 0, &n), 0);
	assert_int_equal(n, PG);
	assert_int_equal(dma_avail(h, cfd), 1);
	assert_int_equal(map(h, cfd, next, page, PG, RW), 0);
	assert_int_equal(unmap(h, cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n), 0);
	assert_int_equal(n, DMA_ENTRY_LIMIT * PG);
	assert_int_equal(dma_avail(h, cfd), DMA_ENTRY_LIMIT);
	assert_int_equal(mm_pin_count((uint64_t)(uintptr_t)page), 0);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	free(page);
	uiommu_host_free(h);
}

/* ---- v2 never splits a mapping ---- */

static void test_v2_no_split_at_start(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	int dfd = device_fd(h, gfd, "0000:00:02.0");
	uint8_t *buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	memset(buf, 0x5a, 4 * PG);
	assert_int_equal(map(h, cfd, 0x200000, buf, 3 * PG, RW), 0);
	assert_int_equal(map(h, cfd, 0x300000, buf + 3 * PG, PG, RW), 0);
	/* Beginning inside the first mapping, ending where it ends or past
	 * the second: refused, whatever else the range covers. */
	assert_int_equal(unmap(h, cfd, 0x201000, 2 * PG, 0, NULL), -EINVAL);
	assert_int_equal(unmap(h, cfd, 0x201000, 0x100000, 0, NULL), -EINVAL);
	/* Nothing went: both still translate, DMA still works. */
	assert_int_equal(copy(h, dfd, 0x200000, 0x202000, 64), DMATEST_ERR_NONE);
	assert_int_equal(copy(h, dfd, 0x300000, 0x201000, 64), DMATEST_ERR_NONE);
	assert_int_equal(dma_avail(h, cfd), DMA_ENTRY_LIMIT - 2);
	uint64_t n;
	assert_int_equal(unmap(h, cfd, 0x200000, 0x101000, 0, &n), 0);
	assert_int_equal(n, 4 * PG);
	vfio_close(h, dfd);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	munmap(buf, 4 * PG);
	uiommu_host_free(h);
}

/* ---- one invalidation per unmap call ---- */

static void test_unmap_one_flush_per_call(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	struct intel_iommu *iommu = list_entry(h->intel->iommus.next, struct intel_iommu, node);
	uint8_t *page = th_alloc_page();
	for (uint64_t i = 0; i < 100; i++)
		assert_int_equal(map(h, cfd, 0x400000 + 2 * i * PG, page, PG, RW), 0);
	unsigned long before = iommu->qi.submits;
	uint64_t n;
	assert_int_equal(unmap(h, cfd, 0x400000, 200 * PG, 0, &n), 0);
	assert_int_equal(n, 100 * PG);
	assert_int_equal(iommu->qi.submits - before, 1);
	/* And the device lost every page. */
	for (uint64_t i = 0; i < 100; i += 33)
		assert_int_equal(th_dma_faults(th_device(h, "dmatest0"), PCI_NO_PASID,
					       0x400000 + 2 * i * PG),
				 VTD_FR_SM_SS_NOT_PRESENT);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	free(page);
	uiommu_host_free(h);
}

/* ---- the pin layer ---- */

static void test_map_pins_and_charges(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	uint8_t *buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	uint64_t total = mm_pinned_total(), charged = mm_account_charged(MM_ACCOUNT_MM);
	assert_int_equal(map(h, cfd, 0x100000, buf, 4 * PG, RW), 0);
	assert_int_equal(map(h, cfd, 0x200000, buf, PG, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(mm_pin_count((uint64_t)(uintptr_t)buf), 2);
	assert_int_equal(mm_pin_count((uint64_t)(uintptr_t)buf + 3 * PG), 1);
	assert_int_equal(mm_pinned_total(), total + 5);
	/* Charged like VFIO's locked_vm, unless CAP_IPC_LOCK spares it. */
	uint64_t now = mm_account_charged(MM_ACCOUNT_MM);
	assert_true(now == charged + 5 || now == charged);
	/* Memory that is not there, or not writable for a writable map. */
	uint8_t *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_int_equal(map(h, cfd, 0x300000, ro, PG, RW), -EFAULT);
	munmap(ro, PG);
	assert_int_equal(map(h, cfd, 0x300000, ro, PG, VFIO_DMA_MAP_FLAG_READ), -EFAULT);
	assert_int_equal(mm_pinned_total(), total + 5);
	assert_int_equal(unmap(h, cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL), 0);
	assert_int_equal(mm_pinned_total(), total);
	assert_int_equal(mm_account_charged(MM_ACCOUNT_MM), charged);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	munmap(buf, 4 * PG);
	uiommu_host_free(h);
}

/* ---- the external domain: pins held across an unmap ---- */

struct ext {
	struct uiommu_host *h;
	int cfd, gfd, dfd;
};

static void ext_open(struct ext *x, struct uiommu_host *h)
{
	struct device *m;
	x->h = h;
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", UUID1, &m), 0);
	setup(h, iommu_group_id(iommu_group_get(m)), &x->cfd, &x->gfd);
	x->dfd = device_fd(h, x->gfd, UUID1);
}

static void ext_close(struct ext *x)
{
	vfio_close(x->h, x->dfd);
	vfio_close(x->h, x->gfd);
	vfio_close(x->h, x->cfd);
	assert_int_equal(uiommu_mdev_remove(x->h, UUID1), 0);
}

/* The software engine keeps the pages of its last copy pinned; an unmap
 * of them must ask it to let go (the DMA_UNMAP notifier) and succeed. */
static void test_unmap_notifier_with_pins_held(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct ext x;
	ext_open(&x, h);
	uint8_t *buf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	memset(buf, 0x3c, PG);
	assert_int_equal(map(h, x.cfd, 0x1000000, buf, PG, VFIO_DMA_MAP_FLAG_READ), 0);
	/* (Pages in different slots of the engine's pin cache.) */
	assert_int_equal(map(h, x.cfd, 0x2001000, buf + PG, PG, RW), 0);
	assert_int_equal(copy(h, x.dfd, 0x1000000, 0x2001000, 64), DMATEST_ERR_NONE);
	assert_int_equal(buf[PG + 10], 0x3c);
	/* Both pages are pinned by the engine right now. */
	struct vfio_iommu *iommu = backend(h, x.cfd);
	assert_int_equal(iommu->nr_pinned, 2);
	assert_int_equal(mm_pin_count((uint64_t)(uintptr_t)buf), 1);
	uint64_t n;
	assert_int_equal(unmap(h, x.cfd, 0x1000000, PG, 0, &n), 0);
	assert_int_equal(n, PG);
	assert_int_equal(iommu->nr_pinned, 1);
	assert_int_equal(mm_pin_count((uint64_t)(uintptr_t)buf), 0);
	assert_int_equal(copy(h, x.dfd, 0x1000000, 0x2001000, 64), DMATEST_ERR_READ);
	ext_close(&x);
	munmap(buf, 2 * PG);
	uiommu_host_free(h);
}

/* The engine copies through pages it pinned; the client then unmaps its
 * private memory under the pin: the next copy ends in an abort, no crash
 * (private anonymous memory cannot be held for it: the deviation). */
static void test_emulated_copy_from_memory_gone(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct ext x;
	ext_open(&x, h);
	uint8_t *buf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	assert_int_equal(map(h, x.cfd, 0x1000000, buf, PG, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(map(h, x.cfd, 0x2001000, buf + PG, PG, RW), 0);
	assert_int_equal(copy(h, x.dfd, 0x1000000, 0x2001000, 64), DMATEST_ERR_NONE);
	assert_true(mmap(buf, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == buf);
	assert_int_equal(copy(h, x.dfd, 0x1000000, 0x2001000, 64), DMATEST_ERR_ABORT);
	assert_int_equal(reg_r(h, x.dfd, DMATEST_REG_FAULT), 0x1000000);
	assert_int_equal(unmap(h, x.cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL), 0);
	ext_close(&x);
	munmap(buf, 2 * PG);
	uiommu_host_free(h);
}

/* A terabyte mapped for an emulated device costs extents, not a counter
 * per page (which would be a gigabyte). */
static void test_terabyte_mapping_no_counters(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct ext x;
	ext_open(&x, h);
	uint64_t tib = 1ull << 40;
	uint8_t *va = mmap(NULL, tib, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (va == MAP_FAILED)
		skip();
	struct mallinfo2 before = mallinfo2();
	assert_int_equal(map(h, x.cfd, 0, va, tib, RW), 0);
	/* The engine pins the last page and the first. */
	va[tib - PG] = 0x77;
	assert_int_equal(copy(h, x.dfd, tib - PG, 0, 16), DMATEST_ERR_NONE);
	assert_int_equal(va[0], 0x77);
	struct mallinfo2 after = mallinfo2();
	size_t grew = (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd);
	assert_true(grew < (64u << 10));
	assert_int_equal(unmap(h, x.cfd, 0, tib, 0, NULL), 0);
	ext_close(&x);
	munmap(va, tib);
	uiommu_host_free(h);
}

/* ---- memory the client unmaps while it is mapped for DMA ---- */

static void test_memfd_outlives_client_munmap(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	int dfd = device_fd(h, gfd, "0000:00:02.0");
	int mfd = memfd_create("type1", 0);
	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, 2 * PG), 0);
	uint8_t *va = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	memset(va, 0x11, PG);
	memset(va + PG, 0, PG);
	assert_int_equal(map(h, cfd, 0x100000, va, 2 * PG, RW), 0);
	/* The client lets go of its mapping; the device still owns the pages
	 * through the library's own, as pinned page-cache pages in Linux. */
	munmap(va, 2 * PG);
	assert_int_equal(copy(h, dfd, 0x100000, 0x101000, 128), DMATEST_ERR_NONE);
	uint8_t *again = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, mfd, 0);
	assert_int_equal(again[PG + 100], 0x11);
	assert_int_equal(unmap(h, cfd, 0x100000, 2 * PG, 0, NULL), 0);
	munmap(again, 2 * PG);
	close(mfd);
	vfio_close(h, dfd);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	uiommu_host_free(h);
}

/* ---- device memory: a BAR the client mapped ---- */

/* A BAR mmap is device memory (Linux: VM_PFNMAP): MAP_DMA maps it - the
 * path a peer-to-peer DMA takes - with nothing to fault in, pin or charge
 * (vfio_pin_pages_remote's reserved pfns); a range that runs past it into
 * a hole, or a writable map of a read-only window, is still -EFAULT. */
static void test_bar_mapping_is_device_memory(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	int dfd = device_fd(h, gfd, "0000:00:02.0");
	uint8_t *bar;
	assert_int_equal(uiommu_mmap(dfd, NULL, DMATEST_BAR2_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED, (int64_t)BAR2_OFF, (void **)&bar),
			 0);
	uint8_t *buf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0x5a, PG);
	memset(bar, 0, DMATEST_BAR2_SIZE);
	uint64_t total = mm_pinned_total(), charged = mm_account_charged(MM_ACCOUNT_MM);
	assert_int_equal(map(h, cfd, 0x100000, bar, DMATEST_BAR2_SIZE, RW), 0);
	assert_int_equal(mm_pinned_total(), total);
	assert_int_equal(mm_account_charged(MM_ACCOUNT_MM), charged);
	assert_int_equal(map(h, cfd, 0x200000, buf, PG, RW), 0);
	/* RAM to the BAR through the IOMMU lands in device memory. */
	assert_int_equal(copy(h, dfd, 0x200000, 0x100000 + 0x3000, 256), DMATEST_ERR_NONE);
	assert_int_equal(bar[0x3000], 0x5a);
	assert_int_equal(bar[0x3000 + 255], 0x5a);
	assert_int_equal(bar[0x3000 + 256], 0);
	/* Past the BAR's end: no memory there. Writable DMA to a read-only
	 * window of it: none either (follow_fault_pfn's FOLL_WRITE). */
	assert_int_equal(map(h, cfd, 0x300000, bar, DMATEST_BAR2_SIZE + PG, RW), -EFAULT);
	uint8_t *ro;
	assert_int_equal(uiommu_mmap(dfd, NULL, PG, PROT_READ, MAP_SHARED, (int64_t)BAR2_OFF,
				     (void **)&ro),
			 0);
	assert_int_equal(map(h, cfd, 0x300000, ro, PG, RW), -EFAULT);
	assert_int_equal(map(h, cfd, 0x300000, ro, PG, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(uiommu_munmap(ro, PG), 0);
	assert_int_equal(unmap(h, cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL), 0);
	assert_int_equal(mm_pinned_total(), total);
	assert_int_equal(mm_account_charged(MM_ACCOUNT_MM), charged);
	assert_int_equal(uiommu_munmap(bar, DMATEST_BAR2_SIZE), 0);
	munmap(buf, PG);
	vfio_close(h, dfd);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	uiommu_host_free(h);
}

/* ---- an mdev that holds a domain already ---- */

static void test_mdev_with_a_domain_refused(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *m;
	assert_int_equal(uiommu_mdev_create(h, "dsa-1dwq-v1", UUID1, &m), 0);
	struct device *dsa = uiommu_device_find(h, "dsa0");
	/* Someone gave it a domain before VFIO did. */
	struct iommu_domain *stale = iommu_paging_domain_alloc(dsa);
	assert_int_equal(mdev_set_iommu_domain(m, stale), 0);
	unsigned aux_before = dsa->iommu->nr_aux;
	int cfd = vfio_open_container(h), gfd = vfio_open_group(h, iommu_group_id(m->group));
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EINVAL);
	/* Nothing changed: the mdev keeps what it had, the DSA has no new aux
	 * domain, the container no backend. */
	assert_ptr_equal(mdev_get_iommu_domain(m), stale);
	assert_int_equal(dsa->iommu->nr_aux, aux_before);
	assert_true(xa_empty(&dsa->iommu->pasids));
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, A(&info)), -EINVAL);
	/* Once it lets go, the same call works. */
	assert_int_equal(mdev_set_iommu_domain(m, NULL), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	assert_ptr_not_equal(mdev_get_iommu_domain(m), NULL);
	assert_ptr_not_equal(mdev_get_iommu_domain(m), stale);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	assert_int_equal(iommu_domain_free(stale), 0);
	assert_int_equal(uiommu_mdev_remove(h, UUID1), 0);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_entry_limit),
		cmocka_unit_test(test_v2_no_split_at_start),
		cmocka_unit_test(test_unmap_one_flush_per_call),
		cmocka_unit_test(test_map_pins_and_charges),
		cmocka_unit_test(test_unmap_notifier_with_pins_held),
		cmocka_unit_test(test_emulated_copy_from_memory_gone),
		cmocka_unit_test(test_terabyte_mapping_no_counters),
		cmocka_unit_test(test_memfd_outlives_client_munmap),
		cmocka_unit_test(test_bar_mapping_is_device_memory),
		cmocka_unit_test(test_mdev_with_a_domain_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
