/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VFIO device fd: the generic half of the device ioctls (argsz checks,
 * the region offset encoding of vfio-pci) over the device's ops (SPEC
 * M-4). Regions are reached with pread/pwrite at index << 40 + offset.
 */
#include <errno.h>
#include <string.h>

#include "vfio.h"
#include "../base/uaccess.h"

#define REGION_SHIFT 40
#define REGION_MASK  ((1ull << REGION_SHIFT) - 1)

static long get_info(struct vfio_device *vd, unsigned long arg)
{
	struct vfio_device_info info;
	size_t minsz = vfio_offsetofend(struct vfio_device_info, num_irqs);
	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = info.num_regions = info.num_irqs = 0;
	vd->ops->info(vd, &info.flags, &info.num_regions, &info.num_irqs);
	if (vd->ops->reset)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long get_region_info(struct vfio_device *vd, unsigned long arg)
{
	struct vfio_region_info ri;
	size_t minsz = vfio_offsetofend(struct vfio_region_info, offset);
	if (copy_from_user(&ri, arg, minsz))
		return -EFAULT;
	if (ri.argsz < minsz)
		return -EINVAL;
	uint64_t size;
	uint32_t flags;
	int rc = vd->ops->region(vd, ri.index, &size, &flags);
	if (rc)
		return rc;
	ri.flags = flags;
	ri.size = size;
	ri.offset = (uint64_t)ri.index << REGION_SHIFT;
	ri.cap_offset = 0;
	return copy_to_user(arg, &ri, minsz) ? -EFAULT : 0;
}

static long get_irq_info(struct vfio_device *vd, unsigned long arg)
{
	struct vfio_irq_info ii;
	size_t minsz = vfio_offsetofend(struct vfio_irq_info, count);
	if (copy_from_user(&ii, arg, minsz))
		return -EFAULT;
	uint32_t flags, nr_regions, nr_irqs;
	vd->ops->info(vd, &flags, &nr_regions, &nr_irqs);
	if (ii.argsz < minsz || ii.index >= nr_irqs)
		return -EINVAL;
	/* No interrupt is wired to the user: completions are polled in
	 * completion records, so every index has zero vectors. */
	ii.flags = 0;
	ii.count = 0;
	return copy_to_user(arg, &ii, minsz) ? -EFAULT : 0;
}

long vfio_device_ioctl(struct vfio_device *vd, unsigned long cmd, unsigned long arg)
{
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return get_info(vd, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return get_region_info(vd, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return get_irq_info(vd, arg);
	case VFIO_DEVICE_RESET:
		return vd->ops->reset ? vd->ops->reset(vd) : -EINVAL;
	default:
		return -ENOTTY;
	}
}

/* The client's buffer goes through copy_{from,to}_user, as in the kernel:
 * a bad pointer is -EFAULT, not a crash. Accesses are bounced in pieces. */
ssize_t vfio_device_rw(struct vfio_device *vd, void *buf, size_t count, uint64_t off, bool write)
{
	uint32_t index = (uint32_t)(off >> REGION_SHIFT);
	uint64_t roff = off & REGION_MASK;
	uint64_t size;
	uint32_t flags;
	if (vd->ops->region(vd, index, &size, &flags))
		return -EINVAL;
	if (!(flags & (write ? VFIO_REGION_INFO_FLAG_WRITE : VFIO_REGION_INFO_FLAG_READ)))
		return -EINVAL;
	if (write ? !vd->ops->write : !vd->ops->read)
		return -EINVAL;
	if (roff >= size)
		return -EINVAL;
	if (count > size - roff)
		count = size - roff;
	uint8_t bounce[512];
	size_t done = 0;
	while (done < count) {
		size_t n = count - done < sizeof(bounce) ? count - done : sizeof(bounce);
		uint64_t uptr = (uint64_t)(uintptr_t)buf + done;
		ssize_t r;
		if (write) {
			if (copy_from_user(bounce, uptr, n))
				return done ? (ssize_t)done : -EFAULT;
			r = vd->ops->write(vd, index, bounce, n, roff + done);
		} else {
			r = vd->ops->read(vd, index, bounce, n, roff + done);
			if (r > 0 && copy_to_user(uptr, bounce, (size_t)r))
				return done ? (ssize_t)done : -EFAULT;
		}
		if (r < 0)
			return done ? (ssize_t)done : r;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}
