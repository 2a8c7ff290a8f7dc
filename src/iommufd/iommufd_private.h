/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd's shared machinery (Linux drivers/iommu/iommufd/iommufd_private.h
 * in shape): the context behind a /dev/iommu file, objects with IDs and
 * user counts, and each object type's structure.
 *
 * Lifetimes (SPEC U-1). Every object starts with struct iommufd_object.
 * `users` counts what depends on the object (other objects, attached
 * devices, open fds, the driver that created it) plus the xarray's own
 * reference; DESTROY succeeds only when the xarray's is the last. Lookups
 * (iommufd_get_object) take a users reference and a wait_cnt reference for
 * the duration of a call; wait_cnt lets a driver's unbind wait for calls
 * in flight instead of failing.
 *
 * Lock order: ioas->mutex -> iopt.domains_rwsem -> iopt.iova_rwsem ->
 * pages->mutex -> pin/account locks (src/mm); igroup->lock -> the IOMMU
 * core's group lock; ictx->obj_lock is innermost (never held across a
 * call out).
 */
#ifndef UIOMMU_IOMMUFD_PRIVATE_H
#define UIOMMU_IOMMUFD_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uapi/linux/iommufd.h>
#include <uiommu/iommufd.h>

#include "../iommu/iommu.h"
#include "../util/interval_tree.h"
#include "../util/list.h"
#include "../util/xarray.h"

struct file;
struct uiommu_host;
struct iommufd_ioas;
struct iommufd_device;
struct iommufd_fault;
struct iommufd_viommu;

#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12

/* The objects (enum iommufd_object_type, struct iommufd_object) and what
 * IOMMU drivers extend. */
#include "iommufd_driver.h"

/* A range of the /dev/iommu file that mmap() reaches (a vIOMMU page). */
struct iommufd_mmap {
	struct iommufd_object *owner;
	uint64_t offset;       /* in the file, page aligned */
	uint64_t length;
	void *addr;            /* the memory behind it */
	struct list_node node; /* iommufd_ctx.mmaps, under mmap_lock */
};

/* iommufd's state on a host. `selftest` is set at bring-up, before any
 * client, and cleared at teardown, after every client is gone. */
struct iommufd_host {
	const struct iommufd_selftest_ops *selftest; /* NULL: no IOMMU_TEST_CMD */
	atomic_uint test_memory_limit;     /* SET_TEMP_MEMORY_LIMIT, kept only */
};

struct iommufd_ctx {
	struct file *file;                 /* the /dev/iommu file: its reference is the context's */
	struct uiommu_host *host;
	pthread_mutex_t obj_lock;          /* objects, vfio_ioas, no_iommu_mode */
	pthread_cond_t destroy_wait;       /* wait_cnt reached 0; with obj_lock */
	struct xarray objects;             /* id -> object; XA_ZERO_ENTRY while being made */
	pthread_mutex_t groups_lock;
	struct xarray groups;              /* iommu group id -> iommufd_group */
	pthread_rwlock_t ioas_creation_lock;
	pthread_mutex_t mmap_lock;
	struct list_node mmaps;            /* struct iommufd_mmap, by offset */
	uint8_t account_mode;              /* enum mm_account_mode for new mappings */
	uint8_t no_iommu_mode;
	struct iommufd_ioas *vfio_ioas;
	pthread_mutex_t pasid_lock;        /* vm_pasids, cpu_pasid_translation (pasid.c) */
	struct xarray vm_pasids;           /* vPASID -> the VM's pPASID */
	bool cpu_pasid_translation;
};

/* One ioctl in progress. */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	uint64_t ubuffer;
	uint32_t user_size;
	void *cmd;
	struct iommufd_object *new_obj; /* finalized on success, destroyed on failure */
};

/* ---- objects (main.c) ---- */

struct iommufd_object *_iommufd_object_alloc(struct iommufd_ctx *ictx, size_t size,
					     enum iommufd_object_type type, int *err);
/* The same, finalized or aborted by the ioctl dispatcher. */
struct iommufd_object *_iommufd_object_alloc_ucmd(struct iommufd_ucmd *ucmd, size_t size,
						  enum iommufd_object_type type, int *err);
#define iommufd_object_alloc(ictx, type_struct, type, err)                               \
	((type_struct *)_iommufd_object_alloc(ictx, sizeof(type_struct), type, err))
#define iommufd_object_alloc_ucmd(ucmd, type_struct, type, err)                          \
	((type_struct *)_iommufd_object_alloc_ucmd(ucmd, sizeof(type_struct), type, err))
void iommufd_object_finalize(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx, struct iommufd_object *obj);

/* A users + wait_cnt reference, or NULL and *err = -ENOENT. */
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, uint32_t id,
					  enum iommufd_object_type type, int *err);
void iommufd_put_object(struct iommufd_ctx *ictx, struct iommufd_object *obj);
bool iommufd_lock_obj(struct iommufd_object *obj);
int iommufd_try_inc_users(struct iommufd_ctx *ictx, struct iommufd_object *obj);

enum {
	REMOVE_WAIT = 1 << 0,
	REMOVE_OBJ_TOMBSTONE = 1 << 1,
};
int iommufd_object_remove(struct iommufd_ctx *ictx, struct iommufd_object *to_destroy,
			  uint32_t id, unsigned int flags);
/* The caller holds a users reference and destroys the object with it. */
void iommufd_object_destroy_user(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_object_tombstone_user(struct iommufd_ctx *ictx, struct iommufd_object *obj);
/* Drop a users reference and destroy the object if it was the last user
 * (automatic HWPTs). */
void iommufd_object_put_and_try_destroy(struct iommufd_ctx *ictx, struct iommufd_object *obj);

static inline void refcount_inc(atomic_int *r)
{
	atomic_fetch_add_explicit(r, 1, memory_order_relaxed);
}

static inline void refcount_dec(atomic_int *r)
{
	atomic_fetch_sub_explicit(r, 1, memory_order_acq_rel);
}

/* Copy the command back: min(user size, struct size) bytes. */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len);

/* ---- ioctl handlers ---- */
int iommufd_destroy(struct iommufd_ucmd *ucmd);
int iommufd_option(struct iommufd_ucmd *ucmd);
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd);
int iommufd_ioas_option(struct iommufd_ucmd *ucmd);
int iommufd_option_rlimit_mode(struct iommu_option *cmd, struct iommufd_ctx *ictx);
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd);
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd);
int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hw_queue_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_test(struct iommufd_ucmd *ucmd);
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd, unsigned long arg);
int iommufd_pasid_translation(struct iommufd_ucmd *ucmd);
void iommufd_ctx_pasids_fini(struct iommufd_ctx *ictx);

/* ---- IOAS (ioas.c) ---- */

#include "io_pagetable.h"

struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
	pthread_mutex_t mutex;        /* hwpt_list: automatic HWPT choice */
	struct list_node hwpt_list;   /* iommufd_hwpt_paging.hwpt_item */
	/* Software nesting, a uiommu extension (ioas_nest.c). nest_parent
	 * is fixed at creation (and holds a users reference on it). */
	struct iommufd_ioas *nest_parent;
	struct list_node nest_item;   /* in the parent's nest_children */
	/* nest_children; held across a nest map of this IOAS's IOVAs and
	 * across an unmap of them, so a shadow is never built on a range
	 * being unmapped. Taken before any of the IOASes' other locks. */
	pthread_mutex_t nest_lock;
	struct list_node nest_children;
};

struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx, int *err);
void iommufd_ioas_destroy(struct iommufd_object *obj);

/* ioas_nest.c: software nesting. An unmap of [iova, +length) of an IOAS
 * (everything if `all`) that first takes down the shadows its nested
 * IOASes built on it; every unmap a user asks for goes through it. */
int iommufd_ioas_nest_alloc(struct iommufd_ucmd *ucmd);
int iommufd_ioas_nest_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap_range(struct iommufd_ioas *ioas, uint64_t iova, uint64_t length, bool all,
			     uint64_t *unmapped);
void iommufd_ioas_nest_unlink(struct iommufd_ioas *ioas);

static inline struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx, uint32_t id,
						    int *err)
{
	return (struct iommufd_ioas *)iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS, err);
}

/* ---- hardware page tables (hw_pagetable.c) ---- */

struct iommufd_hw_pagetable {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	struct iommufd_fault *fault;
	bool pasid_compat;
};

struct iommufd_hwpt_paging {
	struct iommufd_hw_pagetable common;
	struct iommufd_ioas *ioas;
	bool auto_domain;
	bool enforce_cache_coherency;
	bool nest_parent;
	struct list_node hwpt_item;   /* ioas->hwpt_list, under ioas->mutex */
};

struct iommufd_hwpt_nested {
	struct iommufd_hw_pagetable common;
	struct iommufd_hwpt_paging *parent;
	struct iommufd_viommu *viommu;
};

static inline bool hwpt_is_paging(struct iommufd_hw_pagetable *hwpt)
{
	return hwpt->obj.type == IOMMUFD_OBJ_HWPT_PAGING;
}

static inline struct iommufd_hwpt_paging *to_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	return (struct iommufd_hwpt_paging *)hwpt;
}

static inline struct iommufd_hwpt_nested *to_hwpt_nested(struct iommufd_hw_pagetable *hwpt)
{
	return (struct iommufd_hwpt_nested *)hwpt;
}

static inline struct iommufd_hwpt_paging *find_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	switch (hwpt->obj.type) {
	case IOMMUFD_OBJ_HWPT_PAGING:
		return to_hwpt_paging(hwpt);
	case IOMMUFD_OBJ_HWPT_NESTED:
		return to_hwpt_nested(hwpt)->parent;
	default:
		return NULL;
	}
}

struct iommufd_hwpt_paging *iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx,
						      struct iommufd_ioas *ioas,
						      struct iommufd_device *idev, ioasid_t pasid,
						      uint32_t flags, bool immediate_attach,
						      const struct iommu_user_data *user_data,
						      int *err);
int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev,
				ioasid_t pasid);
struct iommufd_hw_pagetable *iommufd_hw_pagetable_detach(struct iommufd_device *idev,
							 ioasid_t pasid);
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj);
void iommufd_hwpt_paging_abort(struct iommufd_object *obj);
void iommufd_hwpt_nested_destroy(struct iommufd_object *obj);
void iommufd_hwpt_nested_abort(struct iommufd_object *obj);
void iommufd_hw_pagetable_put(struct iommufd_ctx *ictx, struct iommufd_hw_pagetable *hwpt);

/* ---- devices (device.c) ---- */

struct iommufd_group {
	atomic_int ref;
	pthread_mutex_t lock;          /* pasid_attach and the attach state below */
	struct iommufd_ctx *ictx;
	struct iommu_group *group;
	struct xarray pasid_attach;    /* pasid -> struct iommufd_attach */
};

struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_group *igroup;
	struct device *dev;            /* a subdevice's: its parent */
	bool enforce_cache_coherency;
	bool subdev;                   /* reaches memory through PASIDs of dev only */
	uint8_t user_pasid_log2;       /* subdev: the vPASID width GET_HW_INFO shows */
	struct iommufd_vdevice *vdev;  /* under igroup->lock */
	bool destroying;               /* under igroup->lock */
	unsigned iopf_users;           /* fault-capable attachments, under igroup->lock */
	bool holds_ctx;                /* a context reference (not for the selftest's devices) */
};

static inline struct iommufd_device *iommufd_get_device(struct iommufd_ucmd *ucmd, uint32_t id,
							int *err)
{
	return (struct iommufd_device *)iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_DEVICE,
							     err);
}

/* A bind owned by an object inside the context (the selftest's
 * MOCK_DOMAIN): no reference on the context, or it could never close. */
struct iommufd_device *iommufd_device_bind_owned(struct iommufd_ctx *ictx, struct device *dev,
						 uint32_t *id, int *err);
/* Detach every PASID and the RID. */
void iommufd_device_detach_all(struct iommufd_device *idev);
void iommufd_device_pre_destroy(struct iommufd_object *obj);
void iommufd_device_destroy(struct iommufd_object *obj);
/* The HWPT attached at (idev, pasid), with a call reference
 * (iommufd_put_object); NULL if nothing is. */
struct iommufd_hw_pagetable *iommufd_device_hwpt_at(struct iommufd_device *idev, ioasid_t pasid);
/* The bound device of ictx whose struct device is dev, with a users
 * reference; NULL if none. */
struct iommufd_device *iommufd_ctx_find_device(struct iommufd_ctx *ictx, struct device *dev);

/* ---- accesses (access.c) ---- */

struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;      /* NULL: an internal access (HW queues) */
	struct iommufd_ioas *ioas;
	struct iommufd_ioas *ioas_unpin;
	pthread_mutex_t ioas_lock;
	const struct iommufd_access_ops *ops;
	void *data;
	uint64_t iova_alignment;
	uint64_t iopt_access_list_id;
};

static inline bool iommufd_access_is_internal(struct iommufd_access *access)
{
	return !access->ictx;
}

void iommufd_access_destroy_object(struct iommufd_object *obj);
struct iommufd_access *iommufd_access_create_internal(struct iommufd_ctx *ictx, int *err);
void iommufd_access_destroy_internal(struct iommufd_ctx *ictx, struct iommufd_access *access);
int iommufd_access_attach_internal(struct iommufd_access *access, struct iommufd_ioas *ioas);
void iommufd_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova, uint64_t length);
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access);
void iopt_remove_access(struct io_pagetable *iopt, struct iommufd_access *access,
			uint64_t iopt_access_list_id);

/* ---- event queues (eventq.c) ---- */

struct iommufd_eventq {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	int fd;                        /* while being created: closed on failure */
	pthread_mutex_t lock;          /* deliver, filep */
	struct file *filep;            /* NULL once the descriptor's file is released */
	struct list_node deliver;
};

/* A group of page requests (one PRG): delivered whole, answered once. */
struct iopf_group {
	struct list_node node;         /* fault->common.deliver, or partial */
	struct device *dev;
	struct iommufd_device *idev;   /* whose dev_id the records carry */
	struct iommufd_hw_pagetable *hwpt;
	ioasid_t pasid;
	bool pasid_valid;
	uint32_t grpid;
	uint32_t cookie;
	unsigned nr_faults;
	struct iommu_page_request *faults; /* the last one answers the group */
};

struct iommufd_fault {
	struct iommufd_eventq common;
	pthread_mutex_t mutex;         /* serializes reads and responses */
	struct xarray response;        /* cookie -> iopf_group read but not answered */
	struct list_node partial;      /* groups still gathering, under common.lock */
};

static inline struct iommufd_fault *iommufd_get_fault(struct iommufd_ucmd *ucmd, uint32_t id,
						      int *err)
{
	return (struct iommufd_fault *)iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_FAULT, err);
}

void iommufd_fault_destroy(struct iommufd_object *obj);
void iommufd_fault_iopf_handler(struct iommu_domain *domain, const struct iommu_page_request *req,
				void *token);
/* Answer (INVALID) every fault of `dev` at `pasid` queued or read in hwpt's
 * queue: the attachment they came through is going away. */
void iommufd_auto_response_faults(struct iommufd_hw_pagetable *hwpt, struct device *dev,
				  ioasid_t pasid);

struct iommufd_vevent {
	struct iommufd_vevent_header header;
	struct list_node node;         /* iommufd_eventq.deliver */
	size_t data_len;
	uint8_t event_data[];
};

struct iommufd_veventq {
	struct iommufd_eventq common;
	struct iommufd_viommu *viommu;
	struct list_node node;         /* viommu->veventqs */
	uint32_t type;
	unsigned depth;
	/* Under common.lock. */
	unsigned num_events;
	uint32_t sequence;
	struct iommufd_vevent lost_events_header; /* last: flexible member */
};

void iommufd_veventq_destroy(struct iommufd_object *obj);
void iommufd_veventq_abort(struct iommufd_object *obj);

/* ---- vIOMMU, vDEVICE, HW queue (viommu.c; the driver side in iommufd_driver.h) ---- */

void iommufd_viommu_destroy(struct iommufd_object *obj);
void iommufd_vdevice_destroy(struct iommufd_object *obj);
void iommufd_vdevice_abort(struct iommufd_object *obj);
void iommufd_hw_queue_destroy(struct iommufd_object *obj);
struct iommufd_veventq *iommufd_viommu_find_veventq(struct iommufd_viommu *viommu,
						    uint32_t type);

static inline struct iommufd_viommu *iommufd_get_viommu(struct iommufd_ucmd *ucmd, uint32_t id,
							int *err)
{
	return (struct iommufd_viommu *)iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_VIOMMU,
							     err);
}

/* A DEFAULT vIOMMU, made by iommufd itself over a driver that nests
 * (iommu_ops.default_viommu; viommu_default.c). */
bool iommufd_viommu_is_default(const struct iommufd_viommu *viommu);
int iommufd_viommu_default_init(struct iommufd_viommu *viommu);
void iommufd_viommu_fault_event(struct iommu_domain *domain, const struct iommu_fault_record *f,
				void *token);

/* The IOMMU instance serving dev: vIOMMUs and vDEVICEs must share it. */
const void *iommufd_dev_iommu(struct device *dev);

/* ---- IOMMU_TEST_CMD (selftest*.c, SPEC U-15) ---- */

struct iommu_test_cmd;
struct iommufd_selftest_ops;
const struct iommufd_selftest_ops *iommufd_selftest_of(struct iommufd_ctx *ictx);
void iommufd_selftest_destroy(struct iommufd_object *obj);
int iommufd_test_create_access(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd);
int iommufd_test_access_replace_ioas(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd);
int iommufd_test_access_pages(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd);
int iommufd_test_access_item_destroy(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd);
int iommufd_test_access_rw(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd);
int iommufd_test_dmabuf_get(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd);
int iommufd_test_dmabuf_revoke(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd);
uint64_t iommufd_test_syz_conv_iova(struct io_pagetable *iopt, uint64_t iova);
/* IOAS_COPY's src_iova in the fuzzers' form (MOCK_FLAGS_ACCESS_SYZ in
 * flags, selftest hosts only): converted, and the flag taken out. */
void iommufd_test_syz_conv_iova_id(struct iommufd_ucmd *ucmd, uint32_t ioas_id, uint64_t *iova,
				   uint32_t *flags);

/* ---- the /dev/iommu file (main.c) ---- */
#include "iommufd_host.h"
extern const struct file_operations iommufd_fops;

#endif
