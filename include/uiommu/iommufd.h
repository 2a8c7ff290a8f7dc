/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /dev/iommu for drivers (Linux include/linux/iommufd.h in shape, SPEC
 * U-4 .. U-6): what a device driver uses to put a device under an iommufd
 * context (VFIO's device cdev, an mdev parent), and what a device that
 * reaches memory without the IOMMU uses instead - an access object, which
 * pins pages of an IOAS or copies through it, and is told when the user
 * unmaps them. Programs use the ioctls of <uapi/linux/iommufd.h> on the
 * descriptor uiommu_open(host, "/dev/iommu", O_RDWR) gives.
 *
 * Functions return 0 or a negative errno; those returning an object give
 * NULL and *err on failure.
 */
#ifndef UIOMMU_IOMMUFD_PUBLIC_H
#define UIOMMU_IOMMUFD_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uiommu/iommu.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommufd_ctx;
struct iommufd_device;
struct iommufd_access;

/* The context behind a /dev/iommu descriptor, with a reference:
 * -EBADF (not a uiommu file), -EBADFD (not /dev/iommu). */
struct iommufd_ctx *iommufd_ctx_from_fd(int fd, int *err);
void iommufd_ctx_get(struct iommufd_ctx *ictx);
void iommufd_ctx_put(struct iommufd_ctx *ictx);

/* ---- devices (U-4, U-5) ---- */

/* Put dev's whole group under ictx (DMA blocked until an attach), giving
 * the DEVICE object ID in *id: -EBUSY if another owner has the group. */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx, struct device *dev,
					   uint32_t *id, int *err);
/* A subdevice (an mdev the IOMMU isolates, SPEC U-6): its DMA is the
 * parent's, tagged with PASIDs the binding driver picks and attaches with
 * iommufd_device_attach(idev, pasid, ...). The parent's group is not
 * claimed - its kernel driver keeps it - the RID cannot be attached
 * (-EINVAL), and a PASID holds one device (-EBUSY). max_pasid_log2 is the
 * vPASID width GET_HW_INFO reports for it (0: none). */
struct iommufd_device *iommufd_device_bind_subdev(struct iommufd_ctx *ictx,
						  struct device *parent, unsigned max_pasid_log2,
						  uint32_t *id, int *err);
/* Detach first; the group returns to its default domain with its last
 * bound device. */
void iommufd_device_unbind(struct iommufd_device *idev);
/* pt_id: an IOAS (a compatible automatic HWPT is found or made) or a HWPT;
 * on return, the HWPT attached. pasid IOMMU_NO_PASID is the RID. */
int iommufd_device_attach(struct iommufd_device *idev, ioasid_t pasid, uint32_t *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, ioasid_t pasid, uint32_t *pt_id);
void iommufd_device_detach(struct iommufd_device *idev, ioasid_t pasid);
struct iommufd_ctx *iommufd_device_to_ictx(struct iommufd_device *idev);
uint32_t iommufd_device_to_id(struct iommufd_device *idev);
struct iommu_group;
bool iommufd_ctx_has_group(struct iommufd_ctx *ictx, struct iommu_group *group);

/* ---- accesses (U-6): devices without the IOMMU ---- */

struct iommufd_access_ops {
	bool needs_pin_pages;
	/* The user unmaps [iova, +length): drop every pin inside it with
	 * iommufd_access_unpin_pages() before returning. Called with no
	 * iommufd lock held. Required to pin pages. */
	void (*unmap)(void *data, uint64_t iova, uint64_t length);
};

enum {
	IOMMUFD_ACCESS_RW_READ = 0,
	IOMMUFD_ACCESS_RW_WRITE = 1 << 0,
	IOMMUFD_ACCESS_RW_KTHREAD = 1 << 1,
	__IOMMUFD_ACCESS_RW_SLOW_PATH = 1 << 2, /* selftest only */
};

struct iommufd_access *iommufd_access_create(struct iommufd_ctx *ictx,
					     const struct iommufd_access_ops *ops, void *data,
					     uint32_t *id, int *err);
void iommufd_access_destroy(struct iommufd_access *access);
int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id);
int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id);
void iommufd_access_detach(struct iommufd_access *access);
/* Pin [iova, +length) (page aligned) and give each page's address in
 * out_pages[]; undone by iommufd_access_unpin_pages with the same range. */
int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova, uint64_t length,
			     void **out_pages, unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova, uint64_t length);
/* Copy between data and the memory mapped at [iova, +length). */
int iommufd_access_rw(struct iommufd_access *access, uint64_t iova, void *data, size_t length,
		      unsigned int flags);

/* ---- a VM's PASIDs (U-8; the proposal's section 1.4.2, type 8) ---- */

/* The pPASID of `vpasid` in this context (the VM): the first user gets
 * one from the global space (below dev's PASID width), later ones the
 * same; each get is put once. -ENOSPC when the space is exhausted or the
 * VM's pPASID does not fit dev. */
int iommufd_ctx_get_global_pasid(struct iommufd_ctx *ictx, struct device *dev, ioasid_t vpasid,
				 ioasid_t *ppasid);
void iommufd_ctx_put_global_pasid(struct iommufd_ctx *ictx, struct device *dev,
				  ioasid_t vpasid);
/* The CPU's translation of an ENQCMD vPASID: -EPERM until the user turns
 * it on (UIOMMU_PASID_TRANSLATION), -ENOENT for a vPASID without one. */
int iommufd_ctx_cpu_pasid_translate(struct iommufd_ctx *ictx, ioasid_t vpasid,
				    ioasid_t *ppasid);

/* ---- VFIO type1 compatibility (U-14) ---- */
int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, uint32_t *out_ioas_id);
int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx);
int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx);

/* Pins held process-wide, in pages (0 when nothing is pinned anywhere). */
uint64_t uiommu_pinned_pages(void);

#ifdef __cplusplus
}
#endif

#endif
