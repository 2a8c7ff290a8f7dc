/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel drivers of the host (DESIGN.md, the driver layer): bound after
 * the IOMMU driver is up, unbound before it goes, like module load and
 * unload around a running IOMMU.
 */
#ifndef UIOMMU_DRIVERS_H
#define UIOMMU_DRIVERS_H

struct uiommu_host;

/* Probe every device a driver claims: idxd for DSA functions, and the
 * software mdev parent. A device no driver takes stays free for VFIO. */
int host_bind_drivers(struct uiommu_host *h);
void host_unbind_drivers(struct uiommu_host *h);

#endif
