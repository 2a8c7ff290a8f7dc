/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-pci's state of a function while it is open (vfio_device.driver_data),
 * and the files that share it: vfio_pci.c (regions, reset) and
 * vfio_pci_intrs.c (interrupts).
 */
#ifndef UIOMMU_VFIO_VFIO_PCI_H
#define UIOMMU_VFIO_VFIO_PCI_H

#include <pthread.h>
#include <stdint.h>

#include "vfio.h"

struct vfio_pci_core;

/* One MSI/MSI-X vector: the user's eventfd (our duplicate), -1: none. */
struct vfio_pci_irq_ctx {
	struct vfio_pci_core *core;
	int trigger;
};

struct vfio_pci_core {
	pthread_mutex_t igate;           /* SET_IRQS, the vector state below */
	pthread_rwlock_t trig_lock;      /* every trigger descriptor */
	uint32_t irq_type;               /* MSI or MSI-X index, VFIO_PCI_NUM_IRQS: none */
	unsigned num_ctx;
	struct vfio_pci_irq_ctx *ctx;
	int err_trigger, req_trigger;
};

int vfio_pci_intrs_open(struct vfio_device *vd);
void vfio_pci_intrs_close(struct vfio_device *vd);
void vfio_pci_irq_info(struct vfio_device *vd, uint32_t index, uint32_t *flags,
		       uint32_t *count);
int vfio_pci_set_irqs(struct vfio_device *vd, uint32_t flags, uint32_t index, uint32_t start,
		      uint32_t count, const void *data);

#endif
