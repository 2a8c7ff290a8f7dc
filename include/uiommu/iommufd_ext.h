/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommu's extensions of the /dev/iommu ABI (SPEC 0: "concepts the ABI
 * lacks are uiommu extensions in a reserved private ioctl range"). They
 * use the iommufd conventions - _IO(IOMMUFD_TYPE, nr), size-in-struct,
 * the same errno rules - in a range Linux's iommufd does not use
 * (UIOMMUFD_CMD_BASE upward); Linux answers them ENOTTY. docs/iommufd.md
 * lists them beside the Linux commands.
 */
#ifndef UIOMMU_IOMMUFD_EXT_H
#define UIOMMU_IOMMUFD_EXT_H

#include <linux/types.h>
#include <uapi/linux/iommufd.h>

#define UIOMMUFD_CMD_BASE 0xe0

enum {
	UIOMMUFD_CMD_IOAS_NEST_ALLOC = UIOMMUFD_CMD_BASE,
	UIOMMUFD_CMD_IOAS_NEST_MAP,
};

/*
 * Software nesting (seed 2 section 4.3). An IOAS nested on a parent IOAS
 * is mapped with the parent's IOVAs instead of user memory: the kernel
 * resolves them through the parent's mappings and maps the pages behind
 * them - a shadow of (child IOVA -> parent IOVA -> memory) - into every
 * HWPT of the child. The pages are the parent's: they are pinned and
 * charged once, for the parent, never again for the child. Unmapping a
 * range from the parent first removes every child mapping built on it, so
 * no device reaches through a child what the parent no longer maps.
 *
 * IOAS_MAP, IOAS_MAP_FILE and IOAS_COPY into a nested IOAS are EINVAL;
 * IOAS_UNMAP, IOVA_RANGES, ALLOW_IOVAS and attaching devices work as on
 * any IOAS. A parent is busy (IOMMU_DESTROY: EBUSY) while it has
 * children; a nested IOAS cannot be a parent itself.
 */

/**
 * struct uiommu_ioas_nest_alloc - ioctl(UIOMMU_IOAS_NEST_ALLOC)
 * @size: sizeof(struct uiommu_ioas_nest_alloc)
 * @flags: must be 0
 * @parent_ioas_id: the IOAS whose IOVAs the new one is mapped with
 * @out_ioas_id: the new IOAS
 *
 * EOPNOTSUPP for flags, ENOENT for an unknown parent, EINVAL for a parent
 * that is itself nested.
 */
struct uiommu_ioas_nest_alloc {
	__u32 size;
	__u32 flags;
	__u32 parent_ioas_id;
	__u32 out_ioas_id;
};
#define UIOMMU_IOAS_NEST_ALLOC _IO(IOMMUFD_TYPE, UIOMMUFD_CMD_IOAS_NEST_ALLOC)

/**
 * struct uiommu_ioas_nest_map - ioctl(UIOMMU_IOAS_NEST_MAP)
 * @size: sizeof(struct uiommu_ioas_nest_map)
 * @flags: IOMMU_IOAS_MAP_FIXED_IOVA, _READABLE, _WRITEABLE, as IOAS_MAP
 * @ioas_id: a nested IOAS
 * @__reserved: must be 0
 * @iova: in the nested IOAS; chosen by the kernel without FIXED_IOVA
 * @parent_iova: where in the parent the range starts
 * @length: bytes
 *
 * [parent_iova, +length) must be covered by the parent's mappings back to
 * back (ENOENT), each allowing the access asked (EPERM); otherwise the
 * errnos of IOAS_MAP. EINVAL when ioas_id is not a nested IOAS.
 */
struct uiommu_ioas_nest_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 parent_iova;
	__aligned_u64 length;
};
#define UIOMMU_IOAS_NEST_MAP _IO(IOMMUFD_TYPE, UIOMMUFD_CMD_IOAS_NEST_MAP)

/*
 * A vIOMMU of type IOMMU_VIOMMU_TYPE_DEFAULT on VT-d. Linux 7.2 reserves
 * the type and answers EOPNOTSUPP; uiommu makes one for drivers that nest
 * (VT-d): no driver data (data_len 0), a slice of the unit over a
 * NEST_PARENT HWPT. Through it: nested HWPTs (IOMMU_HWPT_ALLOC with the
 * vIOMMU as pt_id, VT-d stage-1 data), vDEVICEs (IOMMU_VDEVICE_ALLOC,
 * virt_id = the device's RID as the guest sees it), invalidations
 * addressed by vDEVICE (below), and a vEVENTQ of DMA faults (below).
 */

/* IOMMU_HWPT_INVALIDATE on a DEFAULT vIOMMU. */
#define IOMMU_VIOMMU_INVALIDATE_DATA_UIOMMU_VDEV 0x75690001u

/**
 * struct uiommu_viommu_invalidate_vdev - an invalidation of the nested
 *	HWPT attached to a vDEVICE at a PASID, as a guest's device-scoped
 *	invalidation names it once the VMM has resolved its virtual RID
 * @virt_id: a vDEVICE of the vIOMMU (EINVAL if none)
 * @pasid: where on the device (IOMMU_NO_PASID, 0: its RID); a nested HWPT
 *	of this vIOMMU must be attached there (EINVAL otherwise)
 * @data_type: the nested HWPT's invalidation type
 *	(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 on VT-d)
 * @data: one entry of that type (struct iommu_hwpt_vtd_s1_invalidate),
 *	handled - and refused - as HWPT_INVALIDATE would
 */
struct uiommu_viommu_invalidate_vdev {
	__aligned_u64 virt_id;
	__u32 pasid;
	__u32 data_type;
	__aligned_u64 data[3];
};

/* A vEVENTQ of a DEFAULT vIOMMU: unrecoverable DMA faults in its nested
 * HWPTs, for vDEVICEs (faults of devices without one are not reported). */
#define IOMMU_VEVENTQ_TYPE_UIOMMU_DMA_FAULT 0x75690001u

enum uiommu_vevent_dma_fault_flags {
	UIOMMU_VEVENT_FAULT_PASID_VALID = 1 << 0,
	UIOMMU_VEVENT_FAULT_WRITE = 1 << 1,
};

/**
 * struct uiommu_vevent_dma_fault - one fault, after the
 *	struct iommufd_vevent_header
 * @virt_id: the faulting device's vDEVICE
 * @addr: the faulting address, page aligned (VT-d FRCD.FI)
 * @pasid: valid with UIOMMU_VEVENT_FAULT_PASID_VALID
 * @flags: enum uiommu_vevent_dma_fault_flags
 * @reason: the unit's fault reason (VT-d FRCD.FR, e.g. 0x71 first-stage
 *	entry not present)
 * @__reserved: 0
 */
struct uiommu_vevent_dma_fault {
	__aligned_u64 virt_id;
	__aligned_u64 addr;
	__u32 pasid;
	__u32 flags;
	__u32 reason;
	__u32 __reserved;
};

#endif
