/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VFIO cdev ABI pinned to Linux 7.2 (x86-64), and the layout of
 * uiommu's PASID capability: a change to <uapi/linux/vfio_cdev.h> that
 * moved a byte fails the build here.
 */
#include <stddef.h>

#include <uapi/linux/vfio_cdev.h>

#define SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s " size")
#define OFF(s, f, n) _Static_assert(offsetof(struct s, f) == (n), #s "." #f " offset")

SIZE(vfio_device_bind_iommufd, 24);
OFF(vfio_device_bind_iommufd, flags, 4);
OFF(vfio_device_bind_iommufd, iommufd, 8);
OFF(vfio_device_bind_iommufd, out_devid, 12);
OFF(vfio_device_bind_iommufd, token_uuid_ptr, 16);
_Static_assert(VFIO_DEVICE_BIND_IOMMUFD == 0x3b76, "VFIO_DEVICE_BIND_IOMMUFD");

SIZE(vfio_device_attach_iommufd_pt, 16);
OFF(vfio_device_attach_iommufd_pt, flags, 4);
OFF(vfio_device_attach_iommufd_pt, pt_id, 8);
OFF(vfio_device_attach_iommufd_pt, pasid, 12);
_Static_assert(VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");

SIZE(vfio_device_detach_iommufd_pt, 12);
OFF(vfio_device_detach_iommufd_pt, flags, 4);
OFF(vfio_device_detach_iommufd_pt, pasid, 8);
_Static_assert(VFIO_DEVICE_DETACH_IOMMUFD_PT == 0x3b78, "VFIO_DEVICE_DETACH_IOMMUFD_PT");

SIZE(vfio_device_info_cap_uiommu_pasid, 16);
OFF(vfio_device_info_cap_uiommu_pasid, flags, 8);
OFF(vfio_device_info_cap_uiommu_pasid, max_pasid_log2, 12);
