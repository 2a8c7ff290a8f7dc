/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A remapping unit as a driver finds it: at the register base address a
 * DMAR DRHD entry gives (ioremap), then only its MMIO registers and its
 * interrupt messages (<uiommu/hw/vtd.h>), table memory (mem.h) and the
 * descriptors of <uiommu/hw/vtd_regs.h>.
 */
#ifndef UIOMMU_HW_IFACE_VTD_H
#define UIOMMU_HW_IFACE_VTD_H

#include <stdint.h>

#include <uiommu/hw/vtd.h>

struct hw_machine;

/* The unit whose register page is at `reg_base`, or NULL. */
struct vtd_unit *hw_vtd_ioremap(struct hw_machine *m, uint64_t reg_base);

#endif
