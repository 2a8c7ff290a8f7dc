/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idxd: the host driver of the DSA-like device and the mdev parent that
 * slices it into Assignable Device Interfaces (SPEC D-5, D-6; the 2018
 * series' cover letter flow). The driver owns the physical function: it
 * turns on aux mode, splits the device into groups and dedicated WQs,
 * enables it, and offers mdev types (mdev.c): one dedicated WQ, or a
 * slice of the shared WQ, behind a virtual one-WQ DSA (vdev.c). The PASID
 * that isolates it is the one VFIO chose for it when bound to an iommufd,
 * or the default PASID of the aux domain VFIO attached in the type1 flow.
 */
#ifndef UIOMMU_DRIVERS_IDXD_H
#define UIOMMU_DRIVERS_IDXD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uiommu/hw/dsa.h>

#include "../../vfio/vfio.h"

struct uiommu_host;
struct device;
struct pci_dev;
struct mdev_parent;
struct mdev_device;

#define IDXD_MAX_WQS 64
/* The GRPCFG table fills the space up to WQCFG. */
#define IDXD_MAX_GROUPS ((DSA_WQCFG_OFFSET - DSA_GRPCFG_OFFSET) / DSA_GRPCFG_SIZE)

struct idxd_wq {
	unsigned id;
	unsigned group;
	unsigned size;
	bool shared;                  /* the shared WQ (ENQCMD) */
	struct mdev_device *mdev;     /* a dedicated WQ's ADI, NULL when free */
};

#define IDXD_MAX_SWQ_MDEVS 8          /* shared-WQ mdevs per device */

struct idxd_device {
	struct device *dev;
	struct pci_dev *pdev;
	pthread_mutex_t cmd_lock;     /* one command in flight (CMD/CMDSTS) */
	pthread_mutex_t wq_lock;      /* WQ assignment */
	unsigned nr_wqs, nr_engines, nr_groups, wq_total;
	unsigned max_xfer_shift, max_batch_shift;
	struct idxd_wq wqs[IDXD_MAX_WQS];
	int shared_wq;                /* the shared WQ's index, -1 without one */
	unsigned swq_mdevs;           /* shared-WQ mdevs (wq_lock) */
	struct mdev_parent *parent;
};

/* device.c: the PCI driver (idxd_pci_driver matches DSA functions). */
extern struct pci_driver idxd_pci_driver;
uint64_t idxd_read(struct idxd_device *idxd, unsigned off, unsigned size);
void idxd_write(struct idxd_device *idxd, unsigned off, unsigned size, uint64_t val);
/* Issue a device command and wait for it; returns CMDSTS.err. */
unsigned idxd_cmd(struct idxd_device *idxd, enum dsa_cmd cmd, uint32_t operand);
/* Program a disabled WQ's PASID (user privilege) and enable it; returns
 * CMDSTS.err of the enable. */
unsigned idxd_wq_enable_pasid(struct idxd_device *idxd, unsigned wq, uint32_t pasid);
unsigned idxd_wq_disable(struct idxd_device *idxd, unsigned wq);
/* Write the parent's configuration of a disabled WQ (size, dedicated
 * mode, priority, transfer and batch limits) into its WQCFG. */
void idxd_wq_configure(struct idxd_device *idxd, unsigned wq);
bool idxd_wq_enabled(struct idxd_device *idxd, unsigned wq);

/* mdev.c: the mdev parent and its types, each a PASID policy. */
struct idxd_vdev_type {
	const char *name;
	enum vfio_pasid_policy policy;
	bool shared;                  /* a slice of the shared WQ (ENQCMD) */
};
#define IDXD_NR_VDEV_TYPES 3
extern const struct idxd_vdev_type idxd_vdev_types[IDXD_NR_VDEV_TYPES];
int idxd_mdev_register(struct idxd_device *idxd);
void idxd_mdev_unregister(struct idxd_device *idxd);

/* vdev.c: the virtual device of an instance on its physical WQ. */
extern const struct vfio_device_ops idxd_vdev_ops;
int idxd_vdev_create(struct mdev_device *mdev, struct idxd_device *idxd,
		     const struct idxd_vdev_type *vt, struct idxd_wq *wq);
/* The instance goes; returns its WQ for the parent to free. */
struct idxd_wq *idxd_vdev_destroy(struct mdev_device *mdev);

#endif
