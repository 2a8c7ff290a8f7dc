/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the VFIO cdev tests: a device's cdev opened by the name
 * VFIO gives it, the cdev ioctls as one-line calls returning 0 or -errno,
 * and the dmatest register layout (shared by the software mdev) driven
 * through a device fd.
 */
#ifndef UIOMMU_TESTS_CDEV_UTILS_H
#define UIOMMU_TESTS_CDEV_UTILS_H

#include <sched.h>
#include <stdio.h>
#include <time.h>

#include <uapi/linux/vfio_cdev.h>
#include <uiommu/hw/dmatest.h>
#include <uiommu/hw/dsa.h>
#include <uiommu/vfio.h>

#include "iommufd_utils.h"

#define CDEV_CFG  UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)
#define CDEV_BAR0 UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX)
#define CDEV_BAR2 UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX)

/* open("/dev/vfio/devices/vfio<N>") of a device by name or mdev UUID. */
static inline int cdev_open_dev(struct uiommu_host *h, struct device *dev)
{
	char name[16], path[64];
	assert_int_equal(vfio_device_cdev_name(h, dev, name, sizeof(name)), 0);
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	return uiommu_open(h, path, O_RDWR);
}

static inline int cdev_open(struct uiommu_host *h, const char *devname)
{
	struct device *dev = uiommu_device_find(h, devname);
	assert_non_null(dev);
	int fd = cdev_open_dev(h, dev);
	assert_true(fd >= 0);
	return fd;
}

static inline int cdev_bind(int dfd, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	int rc = ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b);
	if (devid)
		*devid = rc ? 0 : b.out_devid;
	return rc;
}

static inline int cdev_attach(int dfd, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = *pt_id };
	int rc = ioc(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	*pt_id = rc ? *pt_id : a.pt_id;
	return rc;
}

static inline int cdev_attach_pasid(int dfd, uint32_t pasid, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a),
						   .flags = VFIO_DEVICE_ATTACH_PASID,
						   .pt_id = *pt_id, .pasid = pasid };
	int rc = ioc(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	*pt_id = rc ? *pt_id : a.pt_id;
	return rc;
}

static inline int cdev_detach(int dfd)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };
	return ioc(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static inline int cdev_detach_pasid(int dfd, uint32_t pasid)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d),
						   .flags = VFIO_DEVICE_DETACH_PASID,
						   .pasid = pasid };
	return ioc(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

/* bind + attach to `ioas`: the pdev flow of the proposal's 4.1. */
static inline int cdev_open_bound(struct ifd *t, const char *devname, uint32_t ioas,
				  uint32_t *hwpt)
{
	int dfd = cdev_open(t->h, devname);
	assert_int_equal(cdev_bind(dfd, t->fd, NULL), 0);
	uint32_t pt = ioas;
	assert_int_equal(cdev_attach(dfd, &pt), 0);
	if (hwpt)
		*hwpt = pt;
	return dfd;
}

static inline int hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
			     uint32_t *out)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = flags, .dev_id = dev_id,
				      .pt_id = pt_id };
	int rc = ioc(fd, IOMMU_HWPT_ALLOC, &c);
	*out = rc ? 0 : c.out_hwpt_id;
	return rc;
}

/* ---- the dmatest registers through a device fd ---- */

static inline void dt_w(int dfd, unsigned off, uint64_t v, size_t size)
{
	assert_int_equal(uiommu_pwrite(dfd, &v, size, (int64_t)(CDEV_BAR0 + off)), (ssize_t)size);
}

static inline uint64_t dt_r(int dfd, unsigned off)
{
	uint64_t v = 0;
	assert_int_equal(uiommu_pread(dfd, &v, 8, (int64_t)(CDEV_BAR0 + off)), 8);
	return v;
}

static inline void dt_bus_master(int dfd)
{
	uint16_t cmd = 0x6; /* memory | bus master */
	assert_int_equal(uiommu_pwrite(dfd, &cmd, 2, (int64_t)(CDEV_CFG + 0x04)), 2);
}

/* One copy; DMATEST_ERR_*. */
static inline uint32_t dt_copy(int dfd, uint64_t src, uint64_t dst, uint32_t len)
{
	dt_w(dfd, DMATEST_REG_SRC, src, 8);
	dt_w(dfd, DMATEST_REG_DST, dst, 8);
	dt_w(dfd, DMATEST_REG_LEN, len, 4);
	dt_w(dfd, DMATEST_REG_CTRL, DMATEST_CTRL_GO, 4);
	uint32_t st = (uint32_t)dt_r(dfd, DMATEST_REG_STATUS);
	if (st == DMATEST_STATUS_DONE)
		return DMATEST_ERR_NONE;
	assert_int_equal(st, DMATEST_STATUS_ERROR);
	return (uint32_t)dt_r(dfd, DMATEST_REG_ERROR);
}

/* A copy through the device that must land: `len` bytes of a pattern
 * from src to dst, checked in host memory. */
static inline void dt_copy_lands(int dfd, uint8_t *hsrc, uint64_t src, uint8_t *hdst, uint64_t dst,
				 uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		hsrc[i] = (uint8_t)(seed + i * 7);
	memset(hdst, 0, len);
	assert_int_equal(dt_copy(dfd, src, dst, len), DMATEST_ERR_NONE);
	assert_memory_equal(hdst, hsrc, len);
}

/* ---- a virtual DSA (idxd mdev) or a DSA through a device fd ---- */

static inline uint64_t dsa_r(int dfd, unsigned off)
{
	uint64_t v = 0;
	assert_int_equal(uiommu_pread(dfd, &v, 8, (int64_t)(CDEV_BAR0 + off)), 8);
	return v;
}

static inline void dsa_w32(int dfd, unsigned off, uint32_t v)
{
	assert_int_equal(uiommu_pwrite(dfd, &v, 4, (int64_t)(CDEV_BAR0 + off)), 4);
}

static inline unsigned dsa_cmd(int dfd, unsigned cmd, uint32_t operand)
{
	dsa_w32(dfd, DSA_REG_CMD, DSA_CMD(cmd, operand));
	return DSA_CMDSTS_ERR((uint32_t)dsa_r(dfd, DSA_REG_CMDSTS));
}

/* Bus mastering on, the device enabled. */
static inline void dsa_enable_dev(int dfd)
{
	dt_bus_master(dfd);
	assert_int_equal(dsa_cmd(dfd, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
}

/* Wait for a completion record's status (10 s at most). */
static inline uint8_t dsa_wait(volatile struct dsa_completion_record *cr)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint8_t st;
	while (!(st = __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE))) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 10)
			fail_msg("no completion record");
		sched_yield();
	}
	return st;
}

static inline struct dsa_hw_desc dsa_memmove_desc(uint64_t src, uint64_t dst, uint32_t len,
						  uint64_t cr)
{
	struct dsa_hw_desc d = {
		.flags_opcode = DSA_DESC_MAKE_OP(DSA_OPCODE_MEMMOVE, DSA_FLAG_CRAV | DSA_FLAG_RCR),
		.completion_addr = cr,
		.src_addr = src,
		.dst_addr = dst,
		.xfer_size = len,
	};
	return d;
}

/* A MEMMOVE through WQ 0's portal of a device fd (MOVDIR64B for a
 * dedicated WQ; an ENQCMD carrying `pasid` for a shared one); the
 * completion status. */
static inline uint8_t dsa_memmove(int dfd, uint64_t src, uint64_t dst, uint32_t len,
				  uint64_t iova_cr, struct dsa_completion_record *cr,
				  uint32_t pasid)
{
	memset(cr, 0, sizeof(*cr));
	struct dsa_hw_desc d = dsa_memmove_desc(src, dst, len, iova_cr);
	d.pasid_priv = pasid;
	assert_int_equal(uiommu_pwrite(dfd, &d, sizeof(d), (int64_t)CDEV_BAR2), sizeof(d));
	return dsa_wait(cr);
}

#endif
