/* SPDX-License-Identifier: BSD-3-Clause */
/* The host object lives in host/host.h; this path stays for the file
 * layer (src/files), which includes it. */
#ifndef UIOMMU_HOST_H
#define UIOMMU_HOST_H

#include "host/host.h"

#endif
