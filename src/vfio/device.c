/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VFIO device file: the generic half of the device ioctls (argsz rules,
 * the region offset encoding of vfio-pci, SET_IRQS validation) over the
 * device's ops (SPEC M-4, U-4). Regions are reached with pread/pwrite at
 * index << 40 + offset, or mmap there where the region allows it.
 *
 * A cdev file grants no access until it is bound (VFIO_DEVICE_BIND_IOMMUFD,
 * device_cdev.c): every other call is -EINVAL before, as in Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uapi/linux/vfio_cdev.h>

#include "vfio.h"
#include "../base/uaccess.h"
#include "../files/file.h"
#include "../util/slab.h"

#define REGION_SHIFT 40
#define REGION_MASK  ((1ull << REGION_SHIFT) - 1)

static bool access_granted(struct vfio_device_file *df)
{
	return atomic_load_explicit(&df->access_granted, memory_order_acquire);
}

/* The PASID capability of a cdev (uiommu extension, U-8), if the device
 * has address spaces beyond its default one. 0 or its size. */
static size_t pasid_cap(struct vfio_device_file *df, struct vfio_device_info_cap_uiommu_pasid *c)
{
	unsigned log2;
	enum vfio_pasid_policy p = vfio_pasid_policy_of(df->device, &log2);
	/* The legacy path attaches no PASIDs: the capability is the cdev's. */
	if (df->group || p == VFIO_PASID_NONE)
		return 0;
	memset(c, 0, sizeof(*c));
	c->header.id = VFIO_DEVICE_INFO_CAP_UIOMMU_PASID;
	c->header.version = 1;
	c->max_pasid_log2 = (uint8_t)log2;
	/* ENQCMD's vPASID comes from the CPU and must be translated there. */
	if (p == VFIO_PASID_GLOBAL)
		c->flags = VFIO_DEVICE_PASID_CPU | VFIO_DEVICE_PASID_CPU_VIRT;
	return sizeof(*c);
}

static long get_info(struct vfio_device_file *df, unsigned long arg)
{
	struct vfio_device *vd = df->device;
	struct vfio_device_info info;
	size_t minsz = vfio_offsetofend(struct vfio_device_info, num_irqs);
	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	size_t outsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	uint32_t argsz = info.argsz;
	memset(&info, 0, sizeof(info));
	info.argsz = argsz;
	vd->ops->info(vd, &info.flags, &info.num_regions, &info.num_irqs);
	if (vd->ops->reset)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	/* A capability chain behind the struct; argsz too small for it says
	 * how much is needed, as Linux's vfio-pci does. */
	struct vfio_device_info_cap_uiommu_pasid cap;
	size_t caps = pasid_cap(df, &cap);
	if (caps) {
		info.flags |= VFIO_DEVICE_FLAGS_CAPS;
		if (info.argsz < sizeof(info) + caps) {
			info.argsz = (uint32_t)(sizeof(info) + caps);
		} else {
			cap.header.next = 0;
			if (copy_to_user(arg + sizeof(info), &cap, caps))
				return -EFAULT;
			info.cap_offset = sizeof(info);
		}
	}
	return copy_to_user(arg, &info, outsz) ? -EFAULT : 0;
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
	if (!vd->ops->mmap)
		flags &= ~VFIO_REGION_INFO_FLAG_MMAP;
	ri.flags = flags;
	ri.size = size;
	ri.offset = (uint64_t)ri.index << REGION_SHIFT;
	ri.cap_offset = 0;
	return copy_to_user(arg, &ri, minsz) ? -EFAULT : 0;
}

static void irq_info_of(struct vfio_device *vd, uint32_t index, uint32_t *flags, uint32_t *count)
{
	*flags = 0;
	*count = 0;
	if (vd->ops->irq_info)
		vd->ops->irq_info(vd, index, flags, count);
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
	irq_info_of(vd, ii.index, &ii.flags, &ii.count);
	return copy_to_user(arg, &ii, minsz) ? -EFAULT : 0;
}

/* Linux's vfio_set_irqs_validate_and_prepare, then the device's own. */
static long set_irqs(struct vfio_device *vd, unsigned long arg)
{
	struct vfio_irq_set hdr;
	size_t minsz = vfio_offsetofend(struct vfio_irq_set, count);
	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	uint32_t flags, nr_regions, nr_irqs, iflags, max;
	vd->ops->info(vd, &flags, &nr_regions, &nr_irqs);
	if (hdr.argsz < minsz || hdr.index >= nr_irqs || hdr.count >= UINT32_MAX - hdr.start ||
	    (hdr.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return -EINVAL;
	irq_info_of(vd, hdr.index, &iflags, &max);
	if (hdr.start >= max || hdr.start + hdr.count > max)
		return -EINVAL;
	size_t size;
	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		size = 0;
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = sizeof(uint8_t);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = sizeof(int32_t);
		break;
	default:
		return -EINVAL;
	}
	if (size && hdr.argsz - minsz < hdr.count * size)
		return -EINVAL;
	if (!vd->ops->set_irqs)
		return -EINVAL;
	void *data = NULL;
	if (size) {
		data = kmalloc(hdr.count * size);
		if (!data)
			return -ENOMEM;
		if (copy_from_user(data, arg + minsz, hdr.count * size)) {
			free(data);
			return -EFAULT;
		}
	}
	int rc = vd->ops->set_irqs(vd, hdr.flags, hdr.index, hdr.start, hdr.count, data);
	free(data);
	return rc;
}

long vfio_device_ioctl(struct vfio_device_file *df, unsigned long cmd, unsigned long arg)
{
	struct vfio_device *vd = df->device;
	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		return vfio_df_ioctl_bind_iommufd(df, arg);
	if (!access_granted(df))
		return -EINVAL;
	if (!df->group) {
		switch (cmd) {
		case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
			return vfio_df_ioctl_attach_pt(df, arg);
		case VFIO_DEVICE_DETACH_IOMMUFD_PT:
			return vfio_df_ioctl_detach_pt(df, arg);
		}
	}
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return get_info(df, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return get_region_info(vd, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return get_irq_info(vd, arg);
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(vd, arg);
	case VFIO_DEVICE_RESET:
		return vd->ops->reset ? vd->ops->reset(vd) : -EINVAL;
	default:
		return -ENOTTY;
	}
}

/* The client's buffer goes through copy_{from,to}_user, as in the kernel:
 * a bad pointer is -EFAULT, not a crash. Accesses are bounced in pieces. */
ssize_t vfio_device_rw(struct vfio_device_file *df, void *buf, size_t count, uint64_t off,
		       bool write)
{
	struct vfio_device *vd = df->device;
	if (!access_granted(df))
		return -EINVAL;
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

/* Linux's vfio_pci_core_mmap checks: a region that allows it, within it,
 * shared (a private copy of device memory means nothing). */
int vfio_device_mmap(struct vfio_device_file *df, struct vm_area *vma)
{
	struct vfio_device *vd = df->device;
	if (!access_granted(df) || !vd->ops->mmap)
		return -EINVAL;
	uint64_t off = vma->pgoff << 12;
	uint32_t index = (uint32_t)(off >> REGION_SHIFT);
	uint64_t roff = off & REGION_MASK, size;
	uint32_t flags;
	if (vd->ops->region(vd, index, &size, &flags) || !(flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -EINVAL;
	if (roff >= size || vma->length > size - roff)
		return -EINVAL;
	if (!(vma->flags & MAP_SHARED))
		return -EINVAL;
	if (((vma->prot & PROT_READ) && !(flags & VFIO_REGION_INFO_FLAG_READ)) ||
	    ((vma->prot & PROT_WRITE) && !(flags & VFIO_REGION_INFO_FLAG_WRITE)))
		return -EINVAL;
	return vd->ops->mmap(vd, index, roff, vma);
}
