/* SPDX-License-Identifier: BSD-3-Clause */
/* Bus/device/function strings, as users and topology files write them. */
#ifndef UIOMMU_UTIL_BDF_H
#define UIOMMU_UTIL_BDF_H

#include <stdint.h>

/* "[SSSS:]BB:DD.F" (segment 0 only) into a requester ID; -EINVAL. */
int pci_bdf_parse(const char *s, uint16_t *rid);
/* "BB:DD.F" into buf[8]. */
const char *pci_bdf_str(uint16_t rid, char buf[8]);

#endif
