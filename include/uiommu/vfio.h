/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO, the container/group API with the type1 IOMMU backend (SPEC M-4 ..
 * M-7), as library calls that mirror the system calls: open a container or
 * a group, ioctl() with Linux's command numbers and the structs of
 * <linux/vfio.h> (argsz rules and errno values as Linux), pread/pwrite at
 * VFIO_PCI_INDEX_TO_OFFSET(region) + offset, close. The descriptors are
 * real ones of the process, files of <uiommu/files.h>: these calls are
 * uiommu_open/ioctl/pread/pwrite/close on them. Every call returns -errno
 * on failure.
 */
#ifndef UIOMMU_VFIO_PUBLIC_H
#define UIOMMU_VFIO_PUBLIC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uiommu_host;

/* open("/dev/vfio/vfio") */
int vfio_open_container(struct uiommu_host *h);
/* open("/dev/vfio/<group>"): -ENOENT without that group, -EBUSY if it is
 * open already. */
int vfio_open_group(struct uiommu_host *h, unsigned group_id);
/* Containers: VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
 * VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA.
 * Groups: VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER,
 * VFIO_GROUP_UNSET_CONTAINER, VFIO_GROUP_GET_DEVICE_FD (the name is the
 * Linux dev_name, "0000:01:00.0" or an mdev UUID; uiommu names such as
 * "dmatest0" are accepted too).
 * Devices: VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO,
 * VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET; on a
 * cdev (uiommu_open of /dev/vfio/devices/vfio<N>) first
 * VFIO_DEVICE_BIND_IOMMUFD, then VFIO_DEVICE_ATTACH/DETACH_IOMMUFD_PT
 * (<uapi/linux/vfio_cdev.h>).
 * Pointer arguments are checked: a bad one is -EFAULT. */
long vfio_ioctl(struct uiommu_host *h, int fd, unsigned long cmd, unsigned long arg);
ssize_t vfio_pread(struct uiommu_host *h, int fd, void *buf, size_t count, uint64_t off);
ssize_t vfio_pwrite(struct uiommu_host *h, int fd, const void *buf, size_t count, uint64_t off);
int vfio_close(struct uiommu_host *h, int fd);

/* The VFIO device cdev of `dev` (SPEC U-4): its node's name under
 * /dev/vfio/devices/ ("vfio3"), as Linux lists it in sysfs at
 * <device>/vfio-dev/. -ENODEV when VFIO has no cdev for the device (a
 * kernel driver has it, or no IOMMU serves it). */
struct device;
int vfio_device_cdev_name(struct uiommu_host *h, struct device *dev, char *buf, size_t size);

/* Where region `index` starts in a device fd (vfio-pci's encoding, the
 * offset VFIO_DEVICE_GET_REGION_INFO reports). */
#define UIOMMU_VFIO_REGION_OFFSET(index) ((uint64_t)(index) << 40)

#ifdef __cplusplus
}
#endif

#endif
