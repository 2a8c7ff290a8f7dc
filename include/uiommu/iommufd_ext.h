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

#endif
