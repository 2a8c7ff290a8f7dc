/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The iommufd objects an IOMMU driver extends (Linux include/linux/iommufd.h,
 * the driver half; SPEC U-13): a vIOMMU is a VM's slice of one IOMMU
 * instance over a nesting-parent HWPT; a vDEVICE names a bound device as
 * that vIOMMU's guest knows it; a HW queue is a guest queue the hardware
 * reads directly. The generic rules live in viommu.c; a driver supplies
 * iommu_ops.get_viommu_size/viommu_init and the iommufd_viommu_ops below.
 */
#ifndef UIOMMU_IOMMUFD_DRIVER_H
#define UIOMMU_IOMMUFD_DRIVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/list.h"
#include "../util/xarray.h"

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_FAULT,
	IOMMUFD_OBJ_VIOMMU,
	IOMMUFD_OBJ_VDEVICE,
	IOMMUFD_OBJ_VEVENTQ,
	IOMMUFD_OBJ_HW_QUEUE,
	IOMMUFD_OBJ_SELFTEST,
	IOMMUFD_OBJ_MAX,
};

/* Every object's head (lifetimes: iommufd_private.h). */
struct iommufd_object {
	atomic_int wait_cnt;  /* 1 while in the xarray, +1 per call in flight */
	atomic_int users;
	enum iommufd_object_type type;
	uint32_t id;
};

struct device;
struct iommu_domain;
struct iommu_user_data;
struct iommu_user_data_array;
struct iommufd_ctx;
struct iommufd_device;
struct iommufd_hwpt_paging;
struct iommufd_access;
struct iommufd_viommu_ops;

struct iommufd_viommu {
	struct iommufd_object obj;     /* first: drivers embed the whole struct */
	struct iommufd_ctx *ictx;
	const void *iommu_dev;         /* the IOMMU instance (iommufd_dev_iommu) */
	struct iommufd_hwpt_paging *hwpt;
	const struct iommufd_viommu_ops *ops;
	pthread_mutex_t vdevs_lock;
	struct xarray vdevs;           /* virt_id -> vdevice, under vdevs_lock */
	pthread_rwlock_t veventqs_rwsem;
	struct list_node veventqs;     /* iommufd_veventq.node */
	uint32_t type;
};

struct iommufd_vdevice {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	uint64_t virt_id;              /* a vRID on VT-d, a vSID on SMMUv3 */
	void (*destroy)(struct iommufd_vdevice *vdev);
};

struct iommufd_hw_queue {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;
	struct iommufd_access *access; /* pins the queue's memory */
	uint64_t base_addr;            /* guest physical */
	size_t length;
	uint32_t type;
	void (*destroy)(struct iommufd_hw_queue *hw_queue);
};

struct iommufd_viommu_ops {
	void (*destroy)(struct iommufd_viommu *viommu);
	struct iommu_domain *(*alloc_domain_nested)(struct iommufd_viommu *viommu, uint32_t flags,
						    const struct iommu_user_data *user_data,
						    int *err);
	int (*cache_invalidate)(struct iommufd_viommu *viommu,
				struct iommu_user_data_array *array);
	size_t vdevice_size;
	int (*vdevice_init)(struct iommufd_vdevice *vdev);
	size_t (*get_hw_queue_size)(struct iommufd_viommu *viommu, uint32_t queue_type);
	/* base_addr_pa: the queue's memory, physically contiguous. */
	int (*hw_queue_init_phys)(struct iommufd_hw_queue *hw_queue, uint32_t index,
				  uint64_t base_addr_pa);
};

/* hw_queue depends on another of the same vIOMMU (destroy order). */
int iommufd_hw_queue_depend(struct iommufd_hw_queue *dependent, struct iommufd_hw_queue *depended);
void iommufd_hw_queue_undepend(struct iommufd_hw_queue *dependent,
			       struct iommufd_hw_queue *depended);

/* Make [addr, +length) of memory reachable by mmap() of the /dev/iommu
 * file at *offset, for as long as `owner` lives; mapped, the owner cannot
 * be destroyed (EBUSY). */
int iommufd_viommu_alloc_mmap(struct iommufd_viommu *viommu, void *addr, size_t length,
			      uint64_t *offset);
void iommufd_viommu_destroy_mmap(struct iommufd_viommu *viommu, uint64_t offset);

struct device *iommufd_vdevice_to_device(struct iommufd_vdevice *vdev);
/* The device of vdev_id; caller holds viommu->vdevs_lock. */
struct device *iommufd_viommu_find_dev(struct iommufd_viommu *viommu, uint64_t vdev_id);
int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu, struct device *dev,
			       uint64_t *vdev_id);
/* Queue an event on the vIOMMU's vEVENTQ of `type`: -EOPNOTSUPP if there
 * is none; a full queue records lost events instead. */
int iommufd_viommu_report_event(struct iommufd_viommu *viommu, uint32_t type, const void *data,
				size_t data_len);

#endif
