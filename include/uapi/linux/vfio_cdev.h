/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VFIO device cdev ioctls as Linux 7.2 defines them (SPEC U-0, U-4 ..
 * U-8; docs/vfio.md), for the <linux/vfio.h> of Debian 12, which predates
 * them. Written for uiommu from the documented layouts and numbers; sizes
 * and offsets are pinned in src/vfio/uapi_check.c. Where the system header
 * already has a definition (a newer libc header), it is used as is.
 *
 * A device file /dev/vfio/devices/vfio<N> refuses everything but
 * VFIO_DEVICE_BIND_IOMMUFD until it is bound; closing it unbinds.
 *
 * One uiommu extension follows the Linux part: the PASID capability of
 * VFIO_DEVICE_GET_INFO, the per-device PASID policy of the /dev/iommu
 * proposal (section 1.4.4), which Linux has no equivalent of.
 */
#ifndef _UAPI_VFIO_CDEV_H
#define _UAPI_VFIO_CDEV_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_DEVICE_BIND_IOMMUFD
/*
 * Bind the device to the iommufd `iommufd` (a /dev/iommu descriptor):
 * its IOMMU group enters the context's ownership, DMA blocked until an
 * attach. `out_devid` is the DEVICE (or, for a device without the IOMMU,
 * the ACCESS) the context knows it by. argsz covers at least out_devid.
 * VFIO_DEVICE_BIND_FLAG_TOKEN: token_uuid_ptr names a 16-byte UUID, for
 * devices that ask for one (none here: the flag is then EINVAL).
 */
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_BIND_FLAG_TOKEN (1 << 0)
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

/*
 * Attach the device (or, with VFIO_DEVICE_ATTACH_PASID, its PASID
 * `pasid`) to `pt_id`, an IOAS or a HWPT of the bound context; on return
 * `pt_id` is the HWPT attached. Attached already: the HWPT is replaced.
 */
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_ATTACH_PASID (1 << 0)
	__u32 pt_id;
	__u32 pasid;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)

/* Back to blocked DMA: the device, or its PASID `pasid`. */
struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_DETACH_PASID (1 << 0)
	__u32 pasid;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
#endif /* VFIO_DEVICE_BIND_IOMMUFD */

/*
 * uiommu extension: VFIO_DEVICE_GET_INFO capability (in the chain at
 * cap_offset, VFIO_DEVICE_FLAGS_CAPS set) of a device that may have
 * address spaces beyond its default one, each attached with
 * VFIO_DEVICE_ATTACH_PASID under a virtual PASID (vPASID). Absent: the
 * device has its default address space only. The ID is outside Linux's
 * range of device info capabilities (1 .. 5 in Linux 7.2).
 *
 * flags, the proposal's section 1.4.4:
 *   PASID_DELEGATED  the PASID space is the user's (a user PASID table);
 *                    never set on VT-d, where each vPASID is attached
 *   PASID_CPU        the device takes vPASIDs from CPU instructions
 *                    (ENQCMD to a shared work queue)
 *   PASID_CPU_VIRT   ... and they must be translated by the CPU: the
 *                    shared portal is refused until the bound iommufd
 *                    turns CPU PASID translation on (UIOMMU_PASID_TRANSLATION,
 *                    <uiommu/iommufd_ext.h>)
 * max_pasid_log2: vPASIDs are below 1 << max_pasid_log2 (0 is the RID's).
 * How a vPASID reaches the wire (used as is, or as a PASID the kernel
 * chose) is the kernel's business and never shown.
 */
#define VFIO_DEVICE_INFO_CAP_UIOMMU_PASID 0x7550

struct vfio_device_info_cap_uiommu_pasid {
	struct vfio_info_cap_header header;
	__u32 flags;
#define VFIO_DEVICE_PASID_DELEGATED (1 << 0)
#define VFIO_DEVICE_PASID_CPU       (1 << 1)
#define VFIO_DEVICE_PASID_CPU_VIRT  (1 << 2)
	__u8 max_pasid_log2;
	__u8 __reserved[3];
};

#endif
