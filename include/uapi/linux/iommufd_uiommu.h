/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommu's extensions of the /dev/iommu ABI (SPEC U-0: concepts of the
 * /dev/iommu proposal that the Linux iommufd ABI lacks). They use the
 * iommufd framing (_IO(IOMMUFD_TYPE, nr), size first, the same errno
 * contract) in a private range of command numbers no Linux command uses:
 *
 *   0xc0  reserved: IOMMU_CHECK_EXTENSION (U-0)
 *   0xc1  reserved: software nesting (U-10)
 *   0xc2  IOMMU_PASID_TRANSLATION
 *
 * docs/iommufd.md lists them with the compatibility table.
 */
#ifndef _UAPI_IOMMUFD_UIOMMU_H
#define _UAPI_IOMMUFD_UIOMMU_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include <uapi/linux/iommufd.h>

enum {
	IOMMUFD_CMD_UIOMMU_BASE = 0xc0,
	IOMMUFD_CMD_PASID_TRANSLATION = 0xc2,
	IOMMUFD_CMD_UIOMMU_END, /* one past the last */
};

/*
 * CPU PASID translation for the context's VM (the proposal's section
 * 1.4.2, KVM_CAP_PASID_TRANSLATION there): a vPASID that the user's
 * ENQCMD carries to a shared work queue of a PASID_CPU_VIRT device
 * (<uapi/linux/vfio_cdev.h>) reaches the device as the pPASID the kernel
 * gave that vPASID in this context - the same pPASID on every such
 * device the context has. Until translation is on, those devices refuse
 * their shared portal.
 *
 * flags: IOMMU_PASID_TRANSLATION_SET changes the state to
 * IOMMU_PASID_TRANSLATION_ENABLE (set or clear); without SET, only the
 * state is read. out_enabled: the state after the call; out_nr_pasids:
 * vPASIDs with a translation now. Unknown flags or a non-zero
 * __reserved: EOPNOTSUPP.
 */
struct iommu_pasid_translation {
	__u32 size;
	__u32 flags;
#define IOMMU_PASID_TRANSLATION_SET    (1 << 0)
#define IOMMU_PASID_TRANSLATION_ENABLE (1 << 1)
	__u32 out_enabled;
	__u32 out_nr_pasids;
	__u32 __reserved;
};
#define IOMMU_PASID_TRANSLATION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_PASID_TRANSLATION)

#endif
