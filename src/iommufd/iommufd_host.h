/* SPDX-License-Identifier: BSD-3-Clause */
/* /dev/iommu on a host: registered at bring-up, gone at teardown. */
#ifndef UIOMMU_IOMMUFD_HOST_H
#define UIOMMU_IOMMUFD_HOST_H

struct uiommu_host;

int iommufd_host_init(struct uiommu_host *h);
void iommufd_host_fini(struct uiommu_host *h);

#endif
