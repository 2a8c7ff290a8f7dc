/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO, container/group/device and the type1v2 backend (SPEC M-4 .. M-7),
 * through the library's system-call-shaped entry points with the structs
 * of <linux/vfio.h>:
 *   - container and group ioctls, their argsz/errno rules, viability;
 *   - a PCI function assigned whole: DMA through MAP_DMA, blocked after
 *     UNMAP_DMA, the default domain back after the group leaves;
 *   - MAP/UNMAP validation (alignment, overlap, reserved IOVA, memory
 *     that is not there or not writable, v2 no-split), UNMAP_ALL;
 *   - GET_INFO page sizes and the IOVA-range and DMA-avail capabilities;
 *   - the external domain of an mdev without iommu_device: pinning, the
 *     unmap notifier, and mappings replayed into a domain that arrives
 *     later;
 *   - file lifetimes: a group keeps its container, a device its group.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "harness.h"
#include "vfio_utils.h"
#include "base/device.h"
#include "host/host.h"
#include "iommu/group.h"
#include "mdev/mdev.h"
#include "vfio/vfio.h"
#include "files/file.h"
#include <uiommu/hw/dmatest.h>
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>
#include <uiommu/vfio.h>
#include <uiommu/files.h>

#define A(p) ((unsigned long)(uintptr_t)(p))
#define CFG_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX)
#define UUID1 "8f3e6b6a-1c2d-4e5f-9a0b-1c2d3e4f5a61"
#define UUID2 "8f3e6b6a-1c2d-4e5f-9a0b-1c2d3e4f5a62"


static void *pages(size_t n)
{
	void *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}



/* A container with `group` set into it and type1v2 on; returns the fds. */
static void setup(struct uiommu_host *h, unsigned group, int *cfd, int *gfd)
{
	*cfd = vfio_open_container(h);
	assert_true(*cfd >= 0);
	*gfd = vfio_open_group(h, group);
	assert_true(*gfd >= 0);
	assert_int_equal(vfio_ioctl(h, *gfd, VFIO_GROUP_SET_CONTAINER, A(cfd)), 0);
	assert_int_equal(vfio_ioctl(h, *cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
}

/* dmatest registers through the device fd (the layout the software
 * copy engine shares). */
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

static void bus_master(struct uiommu_host *h, int dfd)
{
	uint16_t cmd = 0x6; /* memory | bus master */
	assert_int_equal(vfio_pwrite(h, dfd, &cmd, 2, CFG_OFF + 0x04), 2);
}

/* Returns DMATEST_ERR_*. */
static uint32_t copy(struct uiommu_host *h, int dfd, uint64_t src, uint64_t dst, uint32_t len)
{
	reg_w(h, dfd, DMATEST_REG_SRC, src, 8);
	reg_w(h, dfd, DMATEST_REG_DST, dst, 8);
	reg_w(h, dfd, DMATEST_REG_LEN, len, 4);
	reg_w(h, dfd, DMATEST_REG_CTRL, DMATEST_CTRL_GO, 4);
	uint32_t st = (uint32_t)reg_r(h, dfd, DMATEST_REG_STATUS);
	if (st == DMATEST_STATUS_DONE)
		return DMATEST_ERR_NONE;
	assert_int_equal(st, DMATEST_STATUS_ERROR);
	return (uint32_t)reg_r(h, dfd, DMATEST_REG_ERROR);
}

/* ---- containers and groups ---- */

static void test_container_ioctls(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	int cfd = vfio_open_container(h);
	assert_true(cfd >= 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_GET_API_VERSION, 0), VFIO_API_VERSION);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU), 1);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), 0);
	/* No group yet: no backend, and nothing past the container's own. */
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EINVAL);
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, A(&info)), -EINVAL);

	int gfd = vfio_open_group(h, group_of(h, "dmatest0"));
	assert_true(gfd >= 0);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), -ENODEV);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EINVAL);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), 1);
	assert_int_equal(vfio_ioctl(h, cfd, 0x3b99, 0), -ENOTTY);
	/* Bad fds, and the wrong kind of fd. */
	assert_int_equal(vfio_ioctl(h, 999, VFIO_GET_API_VERSION, 0), -EBADF);
	assert_int_equal(vfio_ioctl(h, -1, VFIO_GET_API_VERSION, 0), -EBADF);
	assert_int_equal(vfio_pread(h, cfd, &info, 4, 0), -EINVAL);
	assert_int_equal(vfio_close(h, gfd), 0);
	assert_int_equal(vfio_close(h, gfd), -EBADF);
	assert_int_equal(vfio_close(h, cfd), 0);
	uiommu_host_free(h);
}

static void test_group_ioctls(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	assert_int_equal(vfio_open_group(h, 4242), -ENOENT);
	unsigned id = group_of(h, "dmatest0");
	int gfd = vfio_open_group(h, id);
	assert_true(gfd >= 0);
	assert_int_equal(vfio_open_group(h, id), -EBUSY);

	struct vfio_group_status st = { .argsz = sizeof(st) };
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_GET_STATUS, A(&st)), 0);
	assert_int_equal(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	st.argsz = 4;
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_GET_STATUS, A(&st)), -EINVAL);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_GET_STATUS, 8), -EFAULT);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_UNSET_CONTAINER, 0), -EINVAL);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:02.0")), -EINVAL);

	int bad = 12345;
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&bad)), -EBADF);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, 16), -EFAULT);
	/* A group fd is not a container, nor is any other open file
	 * (Linux 6.x: -EBADFD). */
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&gfd)), -EBADFD);
	int devnull = open("/dev/null", O_RDWR);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&devnull)), -EBADFD);
	close(devnull);
	int cfd = vfio_open_container(h);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), -EINVAL);
	st.argsz = sizeof(st);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_GET_STATUS, A(&st)), 0);
	assert_int_equal(st.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	/* Setting the container claimed DMA ownership: the kernel-side
	 * attach is refused now. */
	struct device *d = uiommu_device_find(h, "dmatest0");
	assert_true(iommu_group_dma_owner_claimed(d->group));
	/* No backend yet: no device fds. */
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:02.0")), -EINVAL);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:03.0")), -ENODEV);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, 24), -EFAULT);
	int dfd = vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:02.0"));
	assert_true(dfd >= 0);
	int dfd2 = vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A("dmatest0"));
	assert_true(dfd2 >= 0 && dfd2 != dfd);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_UNSET_CONTAINER, 0), -EBUSY);
	vfio_close(h, dfd);
	vfio_close(h, dfd2);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	assert_false(iommu_group_dma_owner_claimed(d->group));
	vfio_close(h, cfd);
	vfio_close(h, gfd);
	uiommu_host_free(h);
}

/* A group with a device a kernel driver owns (idxd on dsa0) cannot be
 * given to a user. */
static void test_group_not_viable(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *dsa = uiommu_device_find(h, "dsa0");
	if (!dsa->driver)
		skip();
	int gfd = vfio_open_group(h, group_of(h, "dsa0"));
	assert_true(gfd >= 0);
	struct vfio_group_status st = { .argsz = sizeof(st) };
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_GET_STATUS, A(&st)), 0);
	assert_int_equal(st.flags, 0);
	int cfd = vfio_open_container(h);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), -EPERM);
	assert_false(iommu_group_dma_owner_claimed(dsa->group));
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	uiommu_host_free(h);
}

/* ---- a PCI function assigned whole ---- */

static void test_pci_assignment_dma(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *d = uiommu_device_find(h, "dmatest0");
	struct iommu_domain *dflt = iommu_get_domain_for_dev(d);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	int dfd = vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:02.0"));
	assert_true(dfd >= 0);
	assert_ptr_not_equal(iommu_get_domain_for_dev(d), dflt);

	struct vfio_device_info di = { .argsz = sizeof(di) };
	assert_int_equal(vfio_ioctl(h, dfd, VFIO_DEVICE_GET_INFO, A(&di)), 0);
	assert_int_equal(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(di.num_regions, VFIO_PCI_NUM_REGIONS);
	assert_int_equal(di.num_irqs, VFIO_PCI_NUM_IRQS);
	di.argsz = 8;
	assert_int_equal(vfio_ioctl(h, dfd, VFIO_DEVICE_GET_INFO, A(&di)), -EINVAL);
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX };
	assert_int_equal(vfio_ioctl(h, dfd, VFIO_DEVICE_GET_REGION_INFO, A(&ri)), 0);
	assert_int_equal(ri.size, DMATEST_BAR0_SIZE);
	assert_int_equal(ri.offset, BAR0_OFF);
	assert_int_equal(ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	ri.index = VFIO_PCI_BAR1_REGION_INDEX;
	assert_int_equal(vfio_ioctl(h, dfd, VFIO_DEVICE_GET_REGION_INFO, A(&ri)), 0);
	assert_int_equal(ri.size, 0);
	ri.index = VFIO_PCI_NUM_REGIONS;
	assert_int_equal(vfio_ioctl(h, dfd, VFIO_DEVICE_GET_REGION_INFO, A(&ri)), -EINVAL);
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	assert_int_equal(vfio_ioctl(h, dfd, VFIO_DEVICE_GET_IRQ_INFO, A(&ii)), 0);
	ii.index = 77;
	assert_int_equal(vfio_ioctl(h, dfd, VFIO_DEVICE_GET_IRQ_INFO, A(&ii)), -EINVAL);
	assert_int_equal(vfio_ioctl(h, dfd, 0x3b42, 0), -ENOTTY);

	uint16_t vendor = 0;
	assert_int_equal(vfio_pread(h, dfd, &vendor, 2, CFG_OFF), 2);
	assert_int_equal(vendor, DMATEST_VENDOR_ID);
	assert_int_equal(reg_r(h, dfd, DMATEST_REG_ID) & 0xffffffff, DMATEST_ID_VALUE);
	/* Region access outside a region, or at a bad pointer. */
	assert_int_equal(vfio_pread(h, dfd, &vendor, 2, BAR0_OFF + DMATEST_BAR0_SIZE), -EINVAL);
	assert_int_equal(vfio_pread(h, dfd, &vendor, 2,
				    UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR3_REGION_INDEX)),
			 -EINVAL);
	assert_int_equal(vfio_pread(h, dfd, (void *)8, 2, CFG_OFF), -EFAULT);
	assert_int_equal(vfio_pwrite(h, dfd, (void *)8, 2, CFG_OFF), -EFAULT);

	uint8_t *buf = pages(2);
	memset(buf, 0x5a, 4096);
	assert_int_equal(map(h, cfd, 0x100000, buf, 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(map(h, cfd, 0x200000, buf + 4096, 4096,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), 0);
	bus_master(h, dfd);
	assert_int_equal(copy(h, dfd, 0x100000, 0x200000, 4096), DMATEST_ERR_NONE);
	assert_int_equal(buf[4096], 0x5a);
	assert_int_equal(buf[8191], 0x5a);
	/* Read-only mapping: the device cannot write there. */
	assert_int_equal(copy(h, dfd, 0x200000, 0x100000, 64), DMATEST_ERR_WRITE);

	uint64_t n;
	assert_int_equal(unmap(h, cfd, 0x100000, 4096, 0, &n), 0);
	assert_int_equal(n, 4096);
	assert_int_equal(copy(h, dfd, 0x100000, 0x200000, 64), DMATEST_ERR_READ);

	/* Reset keeps the assignment (and the kernel's config) intact. */
	assert_int_equal(vfio_ioctl(h, dfd, VFIO_DEVICE_RESET, 0), 0);
	assert_int_equal(reg_r(h, dfd, DMATEST_REG_STATUS), DMATEST_STATUS_IDLE);

	vfio_close(h, dfd);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	/* The group is back in its default domain. */
	assert_ptr_equal(iommu_get_domain_for_dev(d), dflt);
	assert_false(iommu_group_dma_owner_claimed(d->group));
	munmap(buf, 2 * 4096);
	uiommu_host_free(h);
}

/* ---- MAP_DMA / UNMAP_DMA rules ---- */

static uint32_t dma_avail(struct uiommu_host *h, int cfd);

static void test_map_unmap_rules(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	uint8_t *buf = pages(8);
	const uint32_t RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	uint32_t avail = dma_avail(h, cfd);

	struct vfio_iommu_type1_dma_map m = { .argsz = 8, .flags = RW,
					      .vaddr = (uint64_t)(uintptr_t)buf, .iova = 0x10000,
					      .size = 4096 };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, A(&m)), -EINVAL);
	m.argsz = sizeof(m);
	m.flags = RW | VFIO_DMA_MAP_FLAG_VADDR;
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, A(&m)), -EINVAL);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, 32), -EFAULT);
	assert_int_equal(map(h, cfd, 0x10000, buf, 4096, 0), -EINVAL);          /* no prot */
	assert_int_equal(map(h, cfd, 0x10800, buf, 4096, RW), -EINVAL);        /* iova */
	assert_int_equal(map(h, cfd, 0x10000, buf + 8, 4096, RW), -EINVAL);    /* vaddr */
	assert_int_equal(map(h, cfd, 0x10000, buf, 100, RW), -EINVAL);         /* size */
	assert_int_equal(map(h, cfd, 0x10000, buf, 0, RW), -EINVAL);
	assert_int_equal(map(h, cfd, ~0xfffull, buf, 8192, RW), -EOVERFLOW);   /* wraps */
	assert_int_equal(unmap(h, cfd, ~0xfffull, 8192, 0, NULL), -EOVERFLOW);
	/* The interrupt window is reserved on VT-d; beyond the aperture too. */
	assert_int_equal(map(h, cfd, 0xfee00000, buf, 4096, RW), -EINVAL);
	assert_int_equal(map(h, cfd, 0xfedff000, buf, 8192, RW), -EINVAL);
	assert_int_equal(map(h, cfd, 1ull << 60, buf, 4096, RW), -EINVAL);
	/* Memory that is not there, or not writable for a writable map. */
	uint8_t *gone = pages(1);
	munmap(gone, 4096);
	assert_int_equal(map(h, cfd, 0x10000, gone, 4096, RW), -EFAULT);
	uint8_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_int_equal(map(h, cfd, 0x10000, ro, 4096, RW), -EFAULT);
	assert_int_equal(map(h, cfd, 0x10000, ro, 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(dma_avail(h, cfd), avail - 1);
	uint64_t n;
	assert_int_equal(unmap(h, cfd, 0x10000, 4096, 0, &n), 0);
	assert_int_equal(n, 4096);
	assert_int_equal(dma_avail(h, cfd), avail);

	/* Overlaps are -EEXIST, whatever the side. */
	assert_int_equal(map(h, cfd, 0x20000, buf, 4 * 4096, RW), 0);
	assert_int_equal(map(h, cfd, 0x1f000, buf, 2 * 4096, RW), -EEXIST);
	assert_int_equal(map(h, cfd, 0x23000, buf, 2 * 4096, RW), -EEXIST);
	assert_int_equal(map(h, cfd, 0x21000, buf, 4096, RW), -EEXIST);
	assert_int_equal(map(h, cfd, 0x24000, buf + 4 * 4096, 4096, RW), 0);
	assert_int_equal(map(h, cfd, 0x30000, buf + 5 * 4096, 4096, RW), 0);

	/* v2 does not split a mapping. */
	assert_int_equal(unmap(h, cfd, 0x21000, 4096, 0, NULL), -EINVAL);
	assert_int_equal(unmap(h, cfd, 0x20000, 4096, 0, NULL), -EINVAL);
	assert_int_equal(unmap(h, cfd, 0x20000, 0x800, 0, NULL), -EINVAL);
	assert_int_equal(unmap(h, cfd, 0x20000, 0, 0, NULL), -EINVAL);
	assert_int_equal(unmap(h, cfd, 0x20000, 4096, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, NULL),
			 -EINVAL);
	assert_int_equal(unmap(h, cfd, 0x1000, 4096, VFIO_DMA_UNMAP_FLAG_ALL, NULL), -EINVAL);
	struct vfio_iommu_type1_dma_unmap u = { .argsz = 8 };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_UNMAP_DMA, A(&u)), -EINVAL);
	/* Nothing mapped there: success, zero bytes. */
	assert_int_equal(unmap(h, cfd, 0x80000, 4096, 0, &n), 0);
	assert_int_equal(n, 0);
	/* A range covering two whole mappings and a hole. */
	assert_int_equal(unmap(h, cfd, 0x20000, 0x8000, 0, &n), 0);
	assert_int_equal(n, 5 * 4096);
	assert_int_equal(map(h, cfd, 0x20000, buf, 4096, RW), 0);
	assert_int_equal(unmap(h, cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n), 0);
	assert_int_equal(n, 2 * 4096);
	assert_int_equal(dma_avail(h, cfd), avail);

	munmap(ro, 4096);
	munmap(buf, 8 * 4096);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	uiommu_host_free(h);
}

/* The type1 v1 interface unmaps whole mappings a range touches. */
static void test_type1_v1_unmap(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	int cfd = vfio_open_container(h);
	int gfd = vfio_open_group(h, group_of(h, "dmatest0"));
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU), 0);
	uint8_t *buf = pages(4);
	assert_int_equal(map(h, cfd, 0x40000, buf, 4 * 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	uint64_t n;
	assert_int_equal(unmap(h, cfd, 0x41000, 4096, 0, &n), 0);
	assert_int_equal(n, 4 * 4096);
	munmap(buf, 4 * 4096);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	uiommu_host_free(h);
}

/* ---- GET_INFO ---- */

static const struct vfio_info_cap_header *find_cap(const uint8_t *base, uint32_t first,
						   uint16_t id)
{
	for (uint32_t off = first; off;) {
		const struct vfio_info_cap_header *hd = (const void *)(base + off);
		if (hd->id == id)
			return hd;
		off = hd->next;
	}
	return NULL;
}

static uint32_t dma_avail(struct uiommu_host *h, int cfd)
{
	union {
		struct vfio_iommu_type1_info info;
		uint8_t raw[512];
	} u = { .info = { .argsz = sizeof(u) } };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, A(&u)), 0);
	const struct vfio_iommu_type1_info_dma_avail *da = (const void *)find_cap(
		u.raw, u.info.cap_offset, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	assert_non_null(da);
	return da->avail;
}

static void test_get_info(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);

	/* The old size: page sizes, no caps field written - but, as Linux
	 * does, the chain announced and the size it needs reported. */
	struct vfio_iommu_type1_info old = { .argsz = 16, .cap_offset = 0xdead };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, A(&old)), 0);
	assert_int_equal(old.flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	assert_true(old.argsz > sizeof(old));
	assert_int_equal(old.cap_offset, 0xdead);
	assert_true(old.iova_pgsizes & 4096);
	assert_true(old.iova_pgsizes & (2u << 20));
	assert_false(old.iova_pgsizes & 2048);
	uint32_t need = old.argsz;
	old.argsz = 8;
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, A(&old)), -EINVAL);
	assert_int_equal(old.argsz, 8);

	/* Too small for the caps: told how much is needed. */
	struct vfio_iommu_type1_info small = { .argsz = sizeof(small) };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, A(&small)), 0);
	assert_true(small.flags & VFIO_IOMMU_INFO_CAPS);
	assert_int_equal(small.cap_offset, 0);
	assert_int_equal(small.argsz, need);

	uint8_t *raw = calloc(1, small.argsz);
	struct vfio_iommu_type1_info *info = (void *)raw;
	info->argsz = small.argsz;
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, A(raw)), 0);
	assert_int_equal(info->cap_offset, sizeof(*info));
	const struct vfio_iommu_type1_info_cap_iova_range *r = (const void *)find_cap(
		raw, info->cap_offset, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	assert_non_null(r);
	assert_int_equal(r->header.version, 1);
	/* The interrupt window splits the aperture in two. */
	assert_int_equal(r->nr_iovas, 2);
	assert_int_equal(r->iova_ranges[0].start, 0);
	assert_int_equal(r->iova_ranges[0].end, 0xfedfffff);
	assert_int_equal(r->iova_ranges[1].start, 0xfef00000);
	assert_true(r->iova_ranges[1].end >= (1ull << 39) - 1);
	const struct vfio_iommu_type1_info_dma_avail *da = (const void *)find_cap(
		raw, info->cap_offset, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	assert_non_null(da);
	assert_int_equal(da->avail, 65535);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, 40), -EFAULT);
	free(raw);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	uiommu_host_free(h);
}

/* ---- two groups, one container ---- */

static void test_groups_share_a_domain(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	int cfd, g0;
	setup(h, group_of(h, "dmatest0"), &cfd, &g0);
	uint8_t *buf = pages(2);
	memset(buf, 0x33, 4096);
	assert_int_equal(map(h, cfd, 0x100000, buf, 8192,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), 0);
	int g1 = vfio_open_group(h, group_of(h, "dmatest1"));
	assert_int_equal(vfio_ioctl(h, g1, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	struct device *d0 = uiommu_device_find(h, "dmatest0");
	struct device *d1 = uiommu_device_find(h, "dmatest1");
	assert_ptr_equal(iommu_get_domain_for_dev(d0), iommu_get_domain_for_dev(d1));
	int dfd = vfio_ioctl(h, g1, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:03.0"));
	assert_true(dfd >= 0);
	bus_master(h, dfd);
	assert_int_equal(copy(h, dfd, 0x100000, 0x101000, 4096), DMATEST_ERR_NONE);
	assert_int_equal(buf[4096 + 17], 0x33);
	/* The first group leaves; the second keeps the address space. */
	assert_int_equal(vfio_ioctl(h, g0, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	assert_int_equal(copy(h, dfd, 0x100000, 0x101000, 4096), DMATEST_ERR_NONE);
	vfio_close(h, dfd);
	vfio_close(h, g0);
	vfio_close(h, g1);
	vfio_close(h, cfd);
	munmap(buf, 8192);
	uiommu_host_free(h);
}

/* ---- the external domain (M-7) ---- */

struct ext {
	struct uiommu_host *h;
	struct device *mdev;
	int cfd, gfd, dfd;
};

static void ext_open(struct ext *x, struct uiommu_host *h)
{
	x->h = h;
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", UUID1, &x->mdev), 0);
	assert_null(mdev_get_iommu_device(x->mdev));
	setup(h, iommu_group_id(iommu_group_get(x->mdev)), &x->cfd, &x->gfd);
	x->dfd = vfio_ioctl(h, x->gfd, VFIO_GROUP_GET_DEVICE_FD, A(UUID1));
	assert_true(x->dfd >= 0);
	bus_master(h, x->dfd);
}

static void ext_close(struct ext *x)
{
	vfio_close(x->h, x->dfd);
	vfio_close(x->h, x->gfd);
	vfio_close(x->h, x->cfd);
	assert_int_equal(uiommu_mdev_remove(x->h, UUID1), 0);
}

static void test_external_domain_pins(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct ext x;
	ext_open(&x, h);
	/* No IOMMU domain: no domain on the mdev, no IOVA restrictions. */
	assert_null(mdev_get_iommu_domain(x.mdev));
	assert_int_equal(map(h, x.cfd, 0xfee00000, pages(1), 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(unmap(h, x.cfd, 0xfee00000, 4096, 0, NULL), 0);
	assert_int_equal(uiommu_mdev_remove(h, UUID1), -EBUSY);

	uint8_t *buf = pages(3);
	for (int i = 0; i < 3 * 4096; i++)
		buf[i] = (uint8_t)(i * 7);
	assert_int_equal(map(h, x.cfd, 0x1000000, buf, 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(map(h, x.cfd, 0x2000000, buf + 4096, 2 * 4096,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), 0);
	/* A copy across a page boundary of the destination. */
	assert_int_equal(copy(h, x.dfd, 0x1000000, 0x2000800, 4096), DMATEST_ERR_NONE);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(buf[4096 + 0x800 + i], (uint8_t)(i * 7));
	/* Only what is mapped, with the permissions mapped. */
	assert_int_equal(copy(h, x.dfd, 0x2000000, 0x1000000, 16), DMATEST_ERR_WRITE);
	assert_int_equal(reg_r(h, x.dfd, DMATEST_REG_FAULT), 0x1000000);
	assert_int_equal(copy(h, x.dfd, 0x3000000, 0x2000000, 16), DMATEST_ERR_READ);

	/* The engine still holds pins on the source: UNMAP asks it to let go
	 * (the notifier) and then succeeds; the next copy finds nothing. */
	uint64_t n;
	assert_int_equal(unmap(h, x.cfd, 0x1000000, 4096, 0, &n), 0);
	assert_int_equal(n, 4096);
	assert_int_equal(copy(h, x.dfd, 0x1000000, 0x2000000, 16), DMATEST_ERR_READ);
	ext_close(&x);
	munmap(buf, 3 * 4096);
	uiommu_host_free(h);
}

static void test_pin_pages_rules(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct ext x;
	ext_open(&x, h);
	uint8_t *buf = pages(2);
	assert_int_equal(map(h, x.cfd, 0x10000, buf, 8192, VFIO_DMA_MAP_FLAG_READ), 0);
	struct mdev_device *m = to_mdev_device(x.mdev);
	(void)m;
	/* Find the vfio_device behind the fd the way the parent sees it. */
	struct file *df = fget(x.dfd); /* the test keeps the fd open: vd stays */
	struct vfio_device_file *vdf = vfio_device_file_from_file(df);
	struct vfio_device *vd = vdf ? vdf->device : NULL;
	fput(df);
	assert_non_null(vd);
	uint64_t hva[2];
	assert_int_equal(vfio_pin_pages(vd, 0x10000, 2, IOMMU_READ, hva), 2);
	assert_int_equal(hva[0], (uint64_t)(uintptr_t)buf);
	assert_int_equal(hva[1], (uint64_t)(uintptr_t)buf + 4096);
	assert_int_equal(vfio_pin_pages(vd, 0x10000, 1, IOMMU_WRITE, hva), -EPERM);
	assert_int_equal(vfio_pin_pages(vd, 0x10800, 1, IOMMU_READ, hva), -EINVAL);
	assert_int_equal(vfio_pin_pages(vd, 0x11000, 2, IOMMU_READ, hva), -EINVAL);
	assert_int_equal(vfio_pin_pages(vd, 0x10000, 513, IOMMU_READ, hva), -E2BIG);
	assert_int_equal(vfio_pin_pages(vd, 0x10000, 0, IOMMU_READ, hva), -EINVAL);
	/* Our own pins are not the engine's: the notifier cannot drop
	 * them, so the unmap is refused and nothing changes. */
	assert_int_equal(unmap(h, x.cfd, 0x10000, 8192, 0, NULL), -EBUSY);
	assert_int_equal(vfio_pin_pages(vd, 0x11000, 1, IOMMU_READ, hva), 1);
	vfio_unpin_pages(vd, 0x10000, 2);
	vfio_unpin_pages(vd, 0x11000, 1);
	uint64_t n;
	assert_int_equal(unmap(h, x.cfd, 0x10000, 8192, 0, &n), 0);
	assert_int_equal(n, 8192);
	ext_close(&x);
	munmap(buf, 8192);
	uiommu_host_free(h);
}

/* A container that starts with only the external domain and gains an
 * IOMMU-backed group: the mappings are replayed into the new domain. */
static void test_replay_into_new_domain(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct ext x;
	ext_open(&x, h);
	uint8_t *buf = pages(2);
	memset(buf, 0x77, 4096);
	assert_int_equal(map(h, x.cfd, 0x500000, buf, 8192,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), 0);
	/* A mapping in the interrupt window is fine until a VT-d domain
	 * joins: then the group is refused, and nothing changes. */
	uint8_t *win = pages(1);
	assert_int_equal(map(h, x.cfd, 0xfee00000, win, 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	int g = vfio_open_group(h, group_of(h, "dmatest0"));
	assert_int_equal(vfio_ioctl(h, g, VFIO_GROUP_SET_CONTAINER, A(&x.cfd)), -EINVAL);
	assert_false(iommu_group_dma_owner_claimed(uiommu_device_find(h, "dmatest0")->group));
	assert_int_equal(unmap(h, x.cfd, 0xfee00000, 4096, 0, NULL), 0);
	assert_int_equal(vfio_ioctl(h, g, VFIO_GROUP_SET_CONTAINER, A(&x.cfd)), 0);
	int dfd = vfio_ioctl(h, g, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:02.0"));
	bus_master(h, dfd);
	assert_int_equal(copy(h, dfd, 0x500000, 0x501000, 4096), DMATEST_ERR_NONE);
	assert_int_equal(buf[4096 + 100], 0x77);
	/* The IOVA list now honours the new domain. */
	assert_int_equal(map(h, x.cfd, 0xfee00000, win, 4096, VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	vfio_close(h, dfd);
	vfio_close(h, g);
	ext_close(&x);
	munmap(buf, 8192);
	munmap(win, 4096);
	uiommu_host_free(h);
}

/* ---- lifetimes ---- */

static void test_file_lifetimes(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	uint8_t *buf = pages(1);
	assert_int_equal(map(h, cfd, 0x100000, buf, 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	/* The container fd goes; the group keeps the container alive. */
	assert_int_equal(vfio_close(h, cfd), 0);
	int dfd = vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:02.0"));
	assert_true(dfd >= 0);
	/* The group fd goes; the device keeps the group (and its DMA). */
	assert_int_equal(vfio_close(h, gfd), 0);
	assert_int_equal(vfio_open_group(h, group_of(h, "dmatest0")), -EBUSY);
	bus_master(h, dfd);
	assert_int_equal(copy(h, dfd, 0x100000, 0x100000, 0), DMATEST_ERR_LEN);
	assert_int_equal(vfio_close(h, dfd), 0);
	/* All gone: the group can be opened again, in its default domain. */
	gfd = vfio_open_group(h, group_of(h, "dmatest0"));
	assert_true(gfd >= 0);
	struct device *d = uiommu_device_find(h, "dmatest0");
	assert_false(iommu_group_dma_owner_claimed(d->group));
	/* Left open on purpose: the host closes it like a process exit. */
	cfd = vfio_open_container(h);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	munmap(buf, 4096);
	uiommu_host_free(h);
}

static int list_node(const char *path, void *arg)
{
	strcat(arg, path);
	strcat(arg, ";");
	return 0;
}

/* VFIO's files are real descriptors (SPEC U-16): close-on-exec as Linux
 * sets it, dup shares the file (the group stays open through the dup),
 * and /dev/vfio lists a node per group, mdev groups as they come. */
static void test_files_are_descriptors(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	int cfd, gfd;
	unsigned g = group_of(h, "dmatest0");
	setup(h, g, &cfd, &gfd);
	int dfd = vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:02.0"));
	assert_true(dfd >= 0);
	assert_true(fcntl(dfd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(cfd, F_GETFD) >= 0);
	int gdup = uiommu_dup(gfd, 0, 0);
	assert_int_equal(vfio_close(h, gfd), 0);
	assert_int_equal(vfio_open_group(h, g), -EBUSY); /* the dup holds it */
	struct vfio_group_status st = { .argsz = sizeof(st) };
	assert_int_equal(vfio_ioctl(h, gdup, VFIO_GROUP_GET_STATUS, A(&st)), 0);
	assert_true(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET);
	assert_int_equal(vfio_close(h, dfd), 0);
	assert_int_equal(vfio_close(h, gdup), 0);
	assert_int_equal(vfio_close(h, cfd), 0);

	char before[2048] = "", after[2048] = "";
	assert_int_equal(uiommu_for_each_node(h, list_node, before), 0);
	assert_non_null(strstr(before, "/dev/vfio/vfio;"));
	char path[32];
	snprintf(path, sizeof(path), "/dev/vfio/%u;", g);
	assert_non_null(strstr(before, path));
	struct device *m;
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", UUID1, &m), 0);
	unsigned mg = iommu_group_id(iommu_group_get(m));
	snprintf(path, sizeof(path), "/dev/vfio/%u;", mg);
	assert_null(strstr(before, path));
	assert_int_equal(uiommu_for_each_node(h, list_node, after), 0);
	assert_non_null(strstr(after, path));
	assert_int_equal(uiommu_mdev_remove(h, UUID1), 0);
	assert_false(uiommu_node_exists(h, "/dev/vfio/12345"));
	assert_false(uiommu_node_exists(h, "/dev/vfio/01"));
	uiommu_host_free(h);
}

/* ---- hostile input ---- */

/* Random commands with random arguments on every kind of fd, from a
 * fixed seed: every call returns (a value or -errno), nothing crashes,
 * nothing leaks, and the host tears down whatever state results. */
static void test_random_ioctls(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *m;
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", UUID2, &m), 0);
	int cfd, gfd;
	setup(h, group_of(h, "dmatest0"), &cfd, &gfd);
	int dfd = vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A("0000:00:02.0"));
	int c2 = vfio_open_container(h);
	int g2 = vfio_open_group(h, iommu_group_id(iommu_group_get(m)));
	int fds[] = { cfd, gfd, dfd, c2, g2, 999, -5 };
	static const unsigned long cmds[] = {
		VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, VFIO_IOMMU_GET_INFO,
		VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_GROUP_GET_STATUS,
		VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_UNSET_CONTAINER, VFIO_GROUP_GET_DEVICE_FD,
		VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_IRQ_INFO,
		VFIO_DEVICE_RESET, 0x3b7f, 0,
	};
	uint8_t *buf = pages(4);
	uint8_t *gone = pages(1);
	munmap(gone, 4096);
	unsigned seed = 12345;
	for (int i = 0; i < 3000; i++) {
		seed = seed * 1103515245u + 12345u;
		int fd = fds[(seed >> 8) % (sizeof(fds) / sizeof(fds[0]))];
		unsigned long cmd = cmds[(seed >> 12) % (sizeof(cmds) / sizeof(cmds[0]))];
		/* Arguments: small values, a buffer of random bytes (with a
		 * sane argsz now and then), an unmapped page, its edge. */
		for (int k = 0; k < 64; k++)
			buf[k] = (uint8_t)(seed >> (k % 24));
		unsigned long arg;
		switch ((seed >> 20) % 5) {
		case 0: arg = (seed >> 4) % 16; break;
		case 1: arg = A(buf); break;
		case 2: arg = A(buf); *(uint32_t *)buf = 8 + (seed >> 3) % 64; break;
		case 3: arg = A(gone); break;
		default: arg = A(buf + 4 * 4096 - 4); break;
		}
		long rc = vfio_ioctl(h, fd, cmd, arg);
		assert_true(rc >= 0 || rc > -4096);
		if (fd == dfd && (seed & 7) == 0) {
			uint64_t off = ((uint64_t)((seed >> 5) % 10) << 40) + ((seed >> 9) % 8192);
			ssize_t n = (seed & 8) ? vfio_pread(h, fd, buf, (seed >> 11) % 300, off)
					       : vfio_pwrite(h, fd, buf, (seed >> 11) % 300, off);
			assert_true(n >= 0 || n > -4096);
		}
	}
	munmap(buf, 4 * 4096);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_ioctls),
		cmocka_unit_test(test_group_ioctls),
		cmocka_unit_test(test_group_not_viable),
		cmocka_unit_test(test_pci_assignment_dma),
		cmocka_unit_test(test_map_unmap_rules),
		cmocka_unit_test(test_type1_v1_unmap),
		cmocka_unit_test(test_get_info),
		cmocka_unit_test(test_groups_share_a_domain),
		cmocka_unit_test(test_external_domain_pins),
		cmocka_unit_test(test_pin_pages_rules),
		cmocka_unit_test(test_replay_into_new_domain),
		cmocka_unit_test(test_file_lifetimes),
		cmocka_unit_test(test_files_are_descriptors),
		cmocka_unit_test(test_random_ioctls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
