/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /dev/iommu (Linux drivers/iommu/iommufd/main.c in shape, SPEC U-1, U-2):
 * the context of an open file, its objects and their IDs, the ioctl table
 * and the dispatcher that applies the size-in-struct rules once for every
 * command, and the file's mmap of driver regions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <uapi/linux/iommufd_test.h>
#include <uiommu/iommufd_ext.h>

#include "iommufd_private.h"
#include "../base/uaccess.h"
#include "../base/usercopy.h"
#include "../files/file.h"
#include "../host/host.h"
#include "../mm/mm.h"
#include "../util/slab.h"

struct iommufd_object_ops {
	void (*pre_destroy)(struct iommufd_object *obj);
	void (*destroy)(struct iommufd_object *obj);
	/* Undo a creation under the creator's locks (instead of destroy). */
	void (*abort)(struct iommufd_object *obj);
	/* The object owns a file (an event queue fd) while being created. */
	bool has_file;
};

static const struct iommufd_object_ops iommufd_object_ops[IOMMUFD_OBJ_MAX];

/* ---- objects ---- */

/* IDs are 31-bit and start at 1 (SPEC U-1). */
#define OBJ_ID_MIN 1
#define OBJ_ID_MAX 0x7fffffffu

struct iommufd_object *_iommufd_object_alloc(struct iommufd_ctx *ictx, size_t size,
					     enum iommufd_object_type type, int *err)
{
	struct iommufd_object *obj = kcalloc(1, size);
	if (!obj) {
		*err = -ENOMEM;
		return NULL;
	}
	obj->type = type;
	/* Until it is removed from the xarray: the xarray's references. */
	atomic_init(&obj->wait_cnt, 1);
	atomic_init(&obj->users, 1);
	/* The ID is taken now but nothing can find the object until it is
	 * finalized: after that it cannot reliably be destroyed, so every
	 * step that can fail comes first. */
	uint64_t id;
	pthread_mutex_lock(&ictx->obj_lock);
	int rc = xa_alloc(&ictx->objects, &id, XA_ZERO_ENTRY, OBJ_ID_MIN, OBJ_ID_MAX);
	pthread_mutex_unlock(&ictx->obj_lock);
	if (rc) {
		free(obj);
		*err = rc == -EBUSY ? -ENOSPC : rc;
		return NULL;
	}
	obj->id = (uint32_t)id;
	return obj;
}

struct iommufd_object *_iommufd_object_alloc_ucmd(struct iommufd_ucmd *ucmd, size_t size,
						  enum iommufd_object_type type, int *err)
{
	/* One new object per command, and only types whose undo needs no
	 * lock of the caller's. */
	if (ucmd->new_obj || iommufd_object_ops[type].abort) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	struct iommufd_object *obj = _iommufd_object_alloc(ucmd->ictx, size, type, err);
	ucmd->new_obj = obj;
	return obj;
}

void iommufd_object_finalize(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	void *old;
	pthread_mutex_lock(&ictx->obj_lock);
	/* The ID is reserved: replacing its marker cannot need memory. */
	xa_store(&ictx->objects, obj->id, obj, &old);
	pthread_mutex_unlock(&ictx->obj_lock);
}

void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	pthread_mutex_lock(&ictx->obj_lock);
	xa_erase(&ictx->objects, obj->id);
	pthread_mutex_unlock(&ictx->obj_lock);
	free(obj);
}

static void close_object_file(struct iommufd_object *obj);

void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	const struct iommufd_object_ops *ops = &iommufd_object_ops[obj->type];
	/* A queue's file holds a users reference: closing it gives that
	 * back before the object goes. */
	if (ops->has_file)
		close_object_file(obj);
	if (ops->abort)
		ops->abort(obj);
	else
		ops->destroy(obj);
	iommufd_object_abort(ictx, obj);
}

bool iommufd_lock_obj(struct iommufd_object *obj)
{
	int u = atomic_load_explicit(&obj->users, memory_order_relaxed);
	do {
		if (u <= 0)
			return false;
	} while (!atomic_compare_exchange_weak(&obj->users, &u, u + 1));
	int w = atomic_load_explicit(&obj->wait_cnt, memory_order_relaxed);
	do {
		if (w <= 0) {
			refcount_dec(&obj->users);
			return false;
		}
	} while (!atomic_compare_exchange_weak(&obj->wait_cnt, &w, w + 1));
	return true;
}

struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, uint32_t id,
					  enum iommufd_object_type type, int *err)
{
	pthread_mutex_lock(&ictx->obj_lock);
	struct iommufd_object *obj = xa_load(&ictx->objects, id);
	if (!obj || (type != IOMMUFD_OBJ_ANY && obj->type != type) || !iommufd_lock_obj(obj))
		obj = NULL;
	pthread_mutex_unlock(&ictx->obj_lock);
	if (!obj)
		*err = -ENOENT;
	return obj;
}

void iommufd_put_object(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	/* users first, so REMOVE_WAIT never sees wait_cnt 0 with a stale
	 * users count. */
	refcount_dec(&obj->users);
	if (atomic_fetch_sub(&obj->wait_cnt, 1) == 1) {
		pthread_mutex_lock(&ictx->obj_lock);
		pthread_cond_broadcast(&ictx->destroy_wait);
		pthread_mutex_unlock(&ictx->obj_lock);
	}
}

int iommufd_try_inc_users(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	pthread_mutex_lock(&ictx->obj_lock);
	bool live = xa_load(&ictx->objects, obj->id) == obj;
	if (live)
		refcount_inc(&obj->users);
	pthread_mutex_unlock(&ictx->obj_lock);
	return live ? 0 : -EBUSY;
}

/* Drop the xarray's wait_cnt reference and wait for calls in flight to
 * drop theirs (a minute at most, as Linux). */
static int object_dec_wait(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	if (atomic_fetch_sub(&obj->wait_cnt, 1) == 1)
		return 0;
	if (iommufd_object_ops[obj->type].pre_destroy)
		iommufd_object_ops[obj->type].pre_destroy(obj);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 60;
	int rc = 0;
	pthread_mutex_lock(&ictx->obj_lock);
	while (atomic_load(&obj->wait_cnt) != 0 && rc == 0)
		rc = pthread_cond_timedwait(&ictx->destroy_wait, &ictx->obj_lock, &deadline);
	pthread_mutex_unlock(&ictx->obj_lock);
	if (atomic_load(&obj->wait_cnt) == 0)
		return 0;
	refcount_inc(&obj->wait_cnt);
	return -EBUSY;
}

/* users 1 -> 0, or false. */
static bool refcount_dec_if_one(atomic_int *r)
{
	int one = 1;
	return atomic_compare_exchange_strong(r, &one, 0);
}

int iommufd_object_remove(struct iommufd_ctx *ictx, struct iommufd_object *to_destroy,
			  uint32_t id, unsigned int flags)
{
	bool zeroed_wait = false;
	int rc;
	if (flags & REMOVE_WAIT) {
		rc = object_dec_wait(ictx, to_destroy);
		if (rc) {
			/* A bug elsewhere; leave the object to the close. */
			refcount_dec(&to_destroy->users);
			return rc;
		}
		zeroed_wait = true;
	}
	pthread_mutex_lock(&ictx->obj_lock);
	struct iommufd_object *obj = xa_load(&ictx->objects, id);
	if (to_destroy) {
		/* The caller's users reference goes back under the lock. */
		refcount_dec(&to_destroy->users);
		if (obj != to_destroy) {
			rc = -ENOENT;
			goto err;
		}
	} else if (!obj) {
		rc = -ENOENT;
		goto err;
	}
	if (!refcount_dec_if_one(&obj->users)) {
		rc = -EBUSY;
		goto err;
	}
	void *old;
	if (flags & REMOVE_OBJ_TOMBSTONE)
		xa_store(&ictx->objects, id, XA_ZERO_ENTRY, &old);
	else
		xa_erase(&ictx->objects, id);
	if (ictx->vfio_ioas && &ictx->vfio_ioas->obj == obj)
		ictx->vfio_ioas = NULL;
	pthread_mutex_unlock(&ictx->obj_lock);
	/* users is zero: any wait_cnt left is a racing put. */
	if (!zeroed_wait && object_dec_wait(ictx, obj))
		return -EBUSY;
	iommufd_object_ops[obj->type].destroy(obj);
	free(obj);
	return 0;
err:
	if (zeroed_wait)
		atomic_store(&obj->wait_cnt, 1);
	pthread_mutex_unlock(&ictx->obj_lock);
	return rc;
}

void iommufd_object_destroy_user(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	iommufd_object_remove(ictx, obj, obj->id, REMOVE_WAIT);
}

void iommufd_object_tombstone_user(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	iommufd_object_remove(ictx, obj, obj->id, REMOVE_WAIT | REMOVE_OBJ_TOMBSTONE);
}

void iommufd_object_put_and_try_destroy(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	iommufd_object_remove(ictx, obj, obj->id, 0);
}

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len)
{
	size_t n = ucmd->user_size < cmd_len ? ucmd->user_size : cmd_len;
	return copy_to_user(ucmd->ubuffer, ucmd->cmd, n) ? -EFAULT : 0;
}

int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;
	return iommufd_object_remove(ucmd->ictx, NULL, cmd->id, 0);
}

int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = iommufd_option_rlimit_mode(cmd, ucmd->ictx);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option(ucmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* Only val64 is an output. */
	if (copy_to_user(ucmd->ubuffer + offsetof(struct iommu_option, val64), &cmd->val64,
			 sizeof(cmd->val64)))
		return -EFAULT;
	return 0;
}

/* ---- the ioctl table ---- */

union ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_fault_alloc fault;
	struct iommu_hw_info info;
	struct iommu_hw_queue_alloc hw_queue;
	struct iommu_hwpt_alloc hwpt;
	struct iommu_hwpt_get_dirty_bitmap get_dirty_bitmap;
	struct iommu_hwpt_invalidate cache;
	struct iommu_hwpt_set_dirty_tracking set_dirty_tracking;
	struct iommu_ioas_alloc alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_map_file map_file;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_vdevice_alloc vdev;
	struct iommu_veventq_alloc veventq;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_viommu_alloc viommu;
	struct iommu_ioas_change_process change_process;
	struct iommu_test_cmd test;
	struct uiommu_ioas_nest_alloc nest_alloc;
	struct uiommu_ioas_nest_map nest_map;
	struct uiommu_pasid_translation pasid_translation;
};

struct iommufd_ioctl_op {
	unsigned int size;
	unsigned int min_size;      /* through the last mandatory field */
	unsigned int ioctl_num;
	int (*execute)(struct iommufd_ucmd *ucmd);
};

#define offsetofend(t, f) (offsetof(t, f) + sizeof(((t *)0)->f))
#define IOCTL_OP(_ioctl, _fn, _struct, _last)                                         \
	[_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {                                      \
		.size = sizeof(_struct),                                              \
		.min_size = offsetofend(_struct, _last),                              \
		.ioctl_num = _ioctl,                                                  \
		.execute = _fn,                                                       \
	}

static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOCTL_OP(IOMMU_DESTROY, iommufd_destroy, struct iommu_destroy, id),
	IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, iommufd_fault_alloc, struct iommu_fault_alloc,
		 out_fault_fd),
	IOCTL_OP(IOMMU_GET_HW_INFO, iommufd_get_hw_info, struct iommu_hw_info, __reserved),
	IOCTL_OP(IOMMU_HW_QUEUE_ALLOC, iommufd_hw_queue_alloc_ioctl, struct iommu_hw_queue_alloc,
		 length),
	IOCTL_OP(IOMMU_HWPT_ALLOC, iommufd_hwpt_alloc, struct iommu_hwpt_alloc, __reserved),
	IOCTL_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, iommufd_hwpt_get_dirty_bitmap,
		 struct iommu_hwpt_get_dirty_bitmap, data),
	IOCTL_OP(IOMMU_HWPT_INVALIDATE, iommufd_hwpt_invalidate, struct iommu_hwpt_invalidate,
		 __reserved),
	IOCTL_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, iommufd_hwpt_set_dirty_tracking,
		 struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOCTL_OP(IOMMU_IOAS_ALLOC, iommufd_ioas_alloc_ioctl, struct iommu_ioas_alloc, out_ioas_id),
	IOCTL_OP(IOMMU_IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas, struct iommu_ioas_allow_iovas,
		 allowed_iovas),
	IOCTL_OP(IOMMU_IOAS_CHANGE_PROCESS, iommufd_ioas_change_process,
		 struct iommu_ioas_change_process, __reserved),
	IOCTL_OP(IOMMU_IOAS_COPY, iommufd_ioas_copy, struct iommu_ioas_copy, src_iova),
	IOCTL_OP(IOMMU_IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges, struct iommu_ioas_iova_ranges,
		 out_iova_alignment),
	IOCTL_OP(IOMMU_IOAS_MAP, iommufd_ioas_map, struct iommu_ioas_map, iova),
	IOCTL_OP(IOMMU_IOAS_MAP_FILE, iommufd_ioas_map_file, struct iommu_ioas_map_file, iova),
	IOCTL_OP(IOMMU_IOAS_UNMAP, iommufd_ioas_unmap, struct iommu_ioas_unmap, length),
	IOCTL_OP(IOMMU_OPTION, iommufd_option, struct iommu_option, val64),
	IOCTL_OP(IOMMU_VDEVICE_ALLOC, iommufd_vdevice_alloc_ioctl, struct iommu_vdevice_alloc,
		 virt_id),
	IOCTL_OP(IOMMU_VEVENTQ_ALLOC, iommufd_veventq_alloc, struct iommu_veventq_alloc,
		 out_veventq_fd),
	IOCTL_OP(IOMMU_VFIO_IOAS, iommufd_vfio_ioas, struct iommu_vfio_ioas, __reserved),
	IOCTL_OP(IOMMU_VIOMMU_ALLOC, iommufd_viommu_alloc_ioctl, struct iommu_viommu_alloc,
		 out_viommu_id),
	/* Only with a selftest host (SPEC U-15); the numbers between it and
	 * the last command are ENOTTY. */
	IOCTL_OP(IOMMU_TEST_CMD, iommufd_test, struct iommu_test_cmd, last),
};

#define NR_IOCTL_OPS (sizeof(iommufd_ioctl_ops) / sizeof(iommufd_ioctl_ops[0]))
/* Without the selftest the table ends at the last command, as Linux's
 * does without CONFIG_IOMMUFD_TEST. */
#define NR_IOCTL_OPS_PLAIN (IOMMUFD_CMD_HW_QUEUE_ALLOC - IOMMUFD_CMD_BASE + 1)
_Static_assert(NR_IOCTL_OPS == _IOC_NR(IOMMU_TEST_CMD) - IOMMUFD_CMD_BASE + 1,
	       "the test command ends the table");

/* uiommu's own commands (<uiommu/iommufd_ext.h>), framed the same way. */
#define EXT_OP(_ioctl, _fn, _struct, _last)                                           \
	[_IOC_NR(_ioctl) - UIOMMUFD_CMD_BASE] = {                                     \
		.size = sizeof(_struct),                                              \
		.min_size = offsetofend(_struct, _last),                              \
		.ioctl_num = _ioctl,                                                  \
		.execute = _fn,                                                       \
	}

static const struct iommufd_ioctl_op uiommufd_ioctl_ops[] = {
	EXT_OP(UIOMMU_IOAS_NEST_ALLOC, iommufd_ioas_nest_alloc, struct uiommu_ioas_nest_alloc,
	       out_ioas_id),
	EXT_OP(UIOMMU_IOAS_NEST_MAP, iommufd_ioas_nest_map, struct uiommu_ioas_nest_map, length),
	EXT_OP(UIOMMU_PASID_TRANSLATION, iommufd_pasid_translation,
	       struct uiommu_pasid_translation, __reserved),
};

/* The command's handler entry, or NULL for the VFIO compat ioctls. The
 * selftest's part of the table is looked at only past the rest. */
static const struct iommufd_ioctl_op *ioctl_op(struct iommufd_ctx *ictx, unsigned int nr)
{
	const size_t n_ext = sizeof(uiommufd_ioctl_ops) / sizeof(uiommufd_ioctl_ops[0]);
	if (nr >= IOMMUFD_CMD_BASE && nr - IOMMUFD_CMD_BASE < NR_IOCTL_OPS &&
	    (nr - IOMMUFD_CMD_BASE < NR_IOCTL_OPS_PLAIN || iommufd_selftest_of(ictx)))
		return &iommufd_ioctl_ops[nr - IOMMUFD_CMD_BASE];
	if (nr >= UIOMMUFD_CMD_BASE && nr - UIOMMUFD_CMD_BASE < n_ext)
		return &uiommufd_ioctl_ops[nr - UIOMMUFD_CMD_BASE];
	return NULL;
}

static long iommufd_fops_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct iommufd_ctx *ictx = f->private_data;
	const struct iommufd_ioctl_op *op = ioctl_op(ictx, _IOC_NR(cmd));
	if (!op)
		return iommufd_vfio_ioctl(ictx, cmd, arg);

	struct iommufd_ucmd ucmd = { .ictx = ictx, .ubuffer = arg };
	union ucmd_buffer buf;
	ucmd.cmd = &buf;
	/* The common case in one copy: a struct of exactly this ABI's size.
	 * Reading past a shorter struct has no effect but may fault, so any
	 * other case takes the careful path (Linux's order of checks). */
	if (op->ioctl_num == cmd && !copy_from_user(&buf, arg, op->size) &&
	    *(uint32_t *)&buf == op->size) {
		ucmd.user_size = op->size;
	} else {
		if (copy_from_user(&ucmd.user_size, arg, sizeof(ucmd.user_size)))
			return -EFAULT;
		if (op->ioctl_num != cmd)
			return -ENOTTY;
		if (ucmd.user_size < op->min_size)
			return -EINVAL;
		int rc = copy_struct_from_user(&buf, op->size, arg, ucmd.user_size);
		if (rc)
			return rc;
	}
	int rc;
	rc = op->execute(&ucmd);
	if (ucmd.new_obj) {
		if (rc)
			iommufd_object_abort_and_destroy(ictx, ucmd.new_obj);
		else
			iommufd_object_finalize(ictx, ucmd.new_obj);
	}
	return rc;
}

/* ---- the file ---- */

static int iommufd_fops_open(struct file *f, void *node_data)
{
	struct iommufd_ctx *ictx = kcalloc(1, sizeof(*ictx));
	if (!ictx)
		return -ENOMEM;
	pthread_mutex_init(&ictx->obj_lock, NULL);
	pthread_cond_init(&ictx->destroy_wait, NULL);
	pthread_mutex_init(&ictx->groups_lock, NULL);
	pthread_rwlock_init(&ictx->ioas_creation_lock, NULL);
	pthread_mutex_init(&ictx->mmap_lock, NULL);
	list_init(&ictx->mmaps);
	xa_init(&ictx->objects);
	xa_init(&ictx->groups);
	pthread_mutex_init(&ictx->pasid_lock, NULL);
	xa_init(&ictx->vm_pasids);
	ictx->file = f;
	ictx->host = node_data;
	/* Pins are charged to the user unless asked otherwise (RLIMIT_MODE),
	 * against the limit and capabilities the opener has now. */
	ictx->account_mode = MM_ACCOUNT_USER;
	mm_account_refresh();
	f->private_data = ictx;
	return 0;
}

/*
 * Destroy every object, leaves first (SPEC U-1): an object whose only
 * user is the xarray can go, and its going releases what it used. If a
 * pass frees nothing, the users counts are wrong - stop rather than spin.
 */
static void iommufd_fops_release(struct file *f)
{
	struct iommufd_ctx *ictx = f->private_data;
	for (;;) {
		unsigned destroyed = 0;
		bool empty = true;
		uint64_t index;
		struct iommufd_object *obj;
		pthread_mutex_lock(&ictx->obj_lock);
		xa_for_each(&ictx->objects, index, obj) {
			empty = false;
			if (!refcount_dec_if_one(&obj->users))
				continue;
			destroyed++;
			xa_erase(&ictx->objects, index);
			pthread_mutex_unlock(&ictx->obj_lock);
			iommufd_object_ops[obj->type].destroy(obj);
			free(obj);
			pthread_mutex_lock(&ictx->obj_lock);
		}
		pthread_mutex_unlock(&ictx->obj_lock);
		if (empty || !destroyed)
			break;
	}
	xa_destroy(&ictx->objects);
	xa_destroy(&ictx->groups);
	struct iommufd_mmap *m, *t;
	list_for_each_entry_safe(m, t, &ictx->mmaps, node) {
		list_del(&m->node);
		free(m);
	}
	pthread_mutex_destroy(&ictx->obj_lock);
	pthread_cond_destroy(&ictx->destroy_wait);
	pthread_mutex_destroy(&ictx->groups_lock);
	pthread_rwlock_destroy(&ictx->ioas_creation_lock);
	pthread_mutex_destroy(&ictx->mmap_lock);
	iommufd_ctx_pasids_fini(ictx);
	free(ictx);
}

static void iommufd_vma_close(struct vm_area *vma)
{
	struct iommufd_mmap *immap = vma->private_data;
	refcount_dec(&immap->owner->users);
}

/* A driver region (a vIOMMU page): exactly the offset and length the
 * driver gave, shared, never executable (Linux: ENXIO, EINVAL, EPERM). */
static int iommufd_fops_mmap(struct file *f, struct vm_area *vma)
{
	struct iommufd_ctx *ictx = f->private_data;
	if (!(vma->flags & MAP_SHARED))
		return -EINVAL;
	if (vma->prot & PROT_EXEC)
		return -EPERM;
	uint64_t off = vma->pgoff << PAGE_SHIFT;
	pthread_mutex_lock(&ictx->mmap_lock);
	struct iommufd_mmap *immap = NULL, *m;
	list_for_each_entry(m, &ictx->mmaps, node)
		if (off >= m->offset && off < m->offset + m->length)
			immap = m;
	/* The mapping holds a users reference on the owner while it lasts,
	 * so the owner cannot be destroyed under it (EBUSY). */
	int u = immap ? atomic_load(&immap->owner->users) : 0;
	while (u > 0 && !atomic_compare_exchange_weak(&immap->owner->users, &u, u + 1))
		;
	pthread_mutex_unlock(&ictx->mmap_lock);
	if (u <= 0)
		return -ENXIO;
	int rc = -ENXIO;
	if (immap->offset != off || immap->length != vma->length)
		goto err;
	void *p = mmap(vma->addr, vma->length, vma->prot,
		       MAP_SHARED | MAP_ANONYMOUS | (vma->flags & MAP_FIXED), -1, 0);
	if (p == MAP_FAILED) {
		rc = -ENOMEM;
		goto err;
	}
	/* The region's memory is the driver's: map the same pages by
	 * remapping them into place. */
	if (mremap(immap->addr, 0, vma->length, MREMAP_MAYMOVE | MREMAP_FIXED, p) == MAP_FAILED) {
		munmap(p, vma->length);
		rc = -ENOMEM;
		goto err;
	}
	vma->addr = p;
	vma->private_data = immap;
	vma->close = iommufd_vma_close;
	return 0;
err:
	refcount_dec(&immap->owner->users);
	return rc;
}

const struct file_operations iommufd_fops = {
	.open = iommufd_fops_open,
	.ioctl = iommufd_fops_ioctl,
	.mmap = iommufd_fops_mmap,
	.release = iommufd_fops_release,
};

void iommufd_ctx_get(struct iommufd_ctx *ictx)
{
	get_file(ictx->file);
}

void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
	fput(ictx->file);
}

struct iommufd_ctx *iommufd_ctx_from_fd(int fd, int *err)
{
	struct file *f = fget(fd);
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (f->f_op != &iommufd_fops) {
		fput(f);
		*err = -EBADFD;
		return NULL;
	}
	/* The fget reference is the context's. */
	return f->private_data;
}

uint64_t uiommu_pinned_pages(void)
{
	return mm_pinned_total();
}

/* ---- the host's node ---- */

int iommufd_host_init(struct uiommu_host *h)
{
	h->iommufd = kcalloc(1, sizeof(*h->iommufd));
	if (!h->iommufd)
		return -ENOMEM;
	/* Linux's default. */
	atomic_init(&h->iommufd->test_memory_limit, 65536);
	int rc = devnode_register(h, "/dev/iommu", &iommufd_fops, h);
	if (rc) {
		free(h->iommufd);
		h->iommufd = NULL;
	}
	return rc;
}

void iommufd_host_fini(struct uiommu_host *h)
{
	if (!h->iommufd)
		return;
	devnode_unregister(h, "/dev/iommu");
	free(h->iommufd);
	h->iommufd = NULL;
}

/* ---- per-type operations ---- */

/* The creation failed after the queue's descriptor was made: closing it
 * releases the file, which gives back its users reference. */
static void close_object_file(struct iommufd_object *obj)
{
	struct iommufd_eventq *eventq = (struct iommufd_eventq *)obj;
	if (eventq->fd >= 0)
		uiommu_close(eventq->fd);
	eventq->fd = -1;
}

static const struct iommufd_object_ops iommufd_object_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_ACCESS] = { .destroy = iommufd_access_destroy_object },
	[IOMMUFD_OBJ_DEVICE] = { .pre_destroy = iommufd_device_pre_destroy,
				 .destroy = iommufd_device_destroy },
	[IOMMUFD_OBJ_FAULT] = { .destroy = iommufd_fault_destroy, .has_file = true },
	[IOMMUFD_OBJ_HW_QUEUE] = { .destroy = iommufd_hw_queue_destroy },
	[IOMMUFD_OBJ_HWPT_PAGING] = { .destroy = iommufd_hwpt_paging_destroy,
				      .abort = iommufd_hwpt_paging_abort },
	[IOMMUFD_OBJ_HWPT_NESTED] = { .destroy = iommufd_hwpt_nested_destroy,
				      .abort = iommufd_hwpt_nested_abort },
	[IOMMUFD_OBJ_IOAS] = { .destroy = iommufd_ioas_destroy },
	[IOMMUFD_OBJ_SELFTEST] = { .destroy = iommufd_selftest_destroy },
	[IOMMUFD_OBJ_VDEVICE] = { .destroy = iommufd_vdevice_destroy,
				  .abort = iommufd_vdevice_abort },
	[IOMMUFD_OBJ_VEVENTQ] = { .destroy = iommufd_veventq_destroy,
				  .abort = iommufd_veventq_abort, .has_file = true },
	[IOMMUFD_OBJ_VIOMMU] = { .destroy = iommufd_viommu_destroy },
};
