/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef UIOMMU_HW_DEV_DMATEST_H
#define UIOMMU_HW_DEV_DMATEST_H

#include <uiommu/hw/dmatest.h>

struct hw_pci_function;

/* Make `d` a dmatest function: identity, BAR0 and its engine. */
int dmatest_init(struct hw_pci_function *d);

#endif
