/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOAS object and its ioctls (SPEC U-3): an I/O address space the
 * user maps memory into, mirrored into every HWPT_PAGING made from it.
 * Argument checks come in Linux's order, so errnos match case by case.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/capability.h>

#include "iommufd_private.h"
#include "../base/uaccess.h"
#include "../util/slab.h"

void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = (struct iommufd_ioas *)obj;
	iommufd_ioas_nest_unlink(ioas);
	iopt_unmap_all(&ioas->iopt, NULL);
	iopt_destroy_table(&ioas->iopt);
	pthread_mutex_destroy(&ioas->mutex);
	pthread_mutex_destroy(&ioas->nest_lock);
}

struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx, int *err)
{
	struct iommufd_ioas *ioas =
		iommufd_object_alloc(ictx, struct iommufd_ioas, IOMMUFD_OBJ_IOAS, err);
	if (!ioas)
		return NULL;
	iopt_init_table(&ioas->iopt);
	list_init(&ioas->hwpt_list);
	pthread_mutex_init(&ioas->mutex, NULL);
	pthread_mutex_init(&ioas->nest_lock, NULL);
	list_init(&ioas->nest_children);
	list_init(&ioas->nest_item);
	return ioas;
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	int rc;
	if (cmd->flags)
		return -EOPNOTSUPP;
	/* A new address space: where the RLIMIT_MEMLOCK and CAP_IPC_LOCK
	 * its maps are charged under are read again (mm/account.c). */
	mm_account_refresh();
	struct iommufd_ioas *ioas = iommufd_ioas_alloc(ucmd->ictx, &rc);
	if (!ioas)
		return rc;
	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &ioas->obj);
		return rc;
	}
	/* CHANGE_PROCESS holds this to see every IOAS at once. */
	pthread_rwlock_rdlock(&ucmd->ictx->ioas_creation_lock);
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	pthread_rwlock_unlock(&ucmd->ictx->ioas_creation_lock);
	return 0;
}

/* The usable IOVA: the holes of the reserved ranges (two-call EMSGSIZE). */
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	int rc;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	struct iommufd_ioas *ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id, &rc);
	if (!ioas)
		return rc;
	pthread_rwlock_rdlock(&ioas->iopt.iova_rwsem);
	uint32_t max_iovas = cmd->num_iovas;
	uint64_t ranges = cmd->allowed_iovas;
	cmd->num_iovas = 0;
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	struct interval_tree_span_iter span;
	rc = 0;
	interval_tree_for_each_span(&span, &ioas->iopt.reserved_itree, 0, UINT64_MAX) {
		if (!span.is_hole)
			continue;
		if (cmd->num_iovas < max_iovas) {
			struct iommu_iova_range elm = { .start = span.start, .last = span.end };
			uint64_t at = ranges + cmd->num_iovas * sizeof(elm);
			if (copy_to_user(at, &elm, sizeof(elm))) {
				rc = -EFAULT;
				goto out;
			}
		}
		cmd->num_iovas++;
	}
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && cmd->num_iovas > max_iovas)
		rc = -EMSGSIZE;
out:
	pthread_rwlock_unlock(&ioas->iopt.iova_rwsem);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

static void free_allowed(struct interval_tree_root *root)
{
	struct interval_tree_node *n;
	while ((n = interval_tree_iter_first(root, 0, UINT64_MAX))) {
		interval_tree_remove(n, root);
		free(n);
	}
}

static int load_iovas(struct interval_tree_root *root, uint64_t ranges, uint32_t num)
{
	for (uint32_t i = 0; i != num; i++) {
		struct iommu_iova_range range;
		if (copy_from_user(&range, ranges + (uint64_t)i * sizeof(range), sizeof(range)))
			return -EFAULT;
		if (range.start >= range.last)
			return -EINVAL;
		if (interval_tree_iter_first(root, range.start, range.last))
			return -EINVAL;
		struct iopt_allowed *allowed = kcalloc(1, sizeof(*allowed));
		if (!allowed)
			return -ENOMEM;
		allowed->node.start = range.start;
		allowed->node.last = range.last;
		interval_tree_insert(&allowed->node, root);
	}
	return 0;
}

int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	int rc;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	struct iommufd_ioas *ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id, &rc);
	if (!ioas)
		return rc;
	/* Built aside and swapped in whole, so a failure leaves the old. */
	struct interval_tree_root allowed = INTERVAL_TREE_ROOT_INIT;
	rc = load_iovas(&allowed, cmd->allowed_iovas, cmd->num_iovas);
	if (!rc)
		rc = iopt_set_allow_iova(&ioas->iopt, &allowed);
	free_allowed(&allowed);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/* Cache coherency is not optional (no user cache maintenance exists), so
 * every mapping is IOMMU_CACHE in Linux; here coherency is implicit. */
static int conv_iommu_prot(uint32_t map_flags)
{
	int prot = 0;
	if (map_flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOMMU_WRITE;
	if (map_flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOMMU_READ;
	return prot;
}

#define MAP_FLAGS (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)
/* Linux's unsigned long: an IOVA or length of 2^64 - 1 is out of range. */
#define ULONG_LIMIT UINT64_MAX

/*
 * What IOMMU_IOAS_MAP and IOMMU_IOAS_MAP_FILE map: a range of the caller's
 * address space, or a range of a memory file.
 */
struct ioas_map_source {
	uint64_t user_va;
	int fd;
	uint64_t start;
	bool file;
};

/*
 * The two map ioctls differ only in their source: the same flag checks,
 * the same IOVA choice and the same reply, in the kernel's order.
 */
static int ioas_map(struct iommufd_ucmd *ucmd, uint32_t ioas_id, uint32_t map_flags,
		    __u64 *cmd_iova, uint64_t length, const struct ioas_map_source *src,
		    size_t cmd_len)
{
	int rc;
	if (map_flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	if (*cmd_iova >= ULONG_LIMIT || length >= ULONG_LIMIT)
		return -EOVERFLOW;
	if (!(map_flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	struct iommufd_ioas *ioas = iommufd_get_ioas(ucmd->ictx, ioas_id, &rc);
	if (!ioas)
		return rc;
	if (ioas->nest_parent) {
		/* A nested IOAS maps parent IOVAs only (UIOMMU_IOAS_NEST_MAP). */
		iommufd_put_object(ucmd->ictx, &ioas->obj);
		return -EINVAL;
	}
	uint64_t iova = *cmd_iova;
	unsigned flags = (map_flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? 0 : IOPT_ALLOC_IOVA;
	if (src->file)
		rc = iopt_map_file_pages(ucmd->ictx, &ioas->iopt, &iova, src->fd, src->start,
					 length, conv_iommu_prot(map_flags), flags);
	else
		rc = iopt_map_user_pages(ucmd->ictx, &ioas->iopt, &iova, src->user_va, length,
					 conv_iommu_prot(map_flags), flags);
	if (!rc) {
		*cmd_iova = iova;
		rc = iommufd_ucmd_respond(ucmd, cmd_len);
		/* Stricter than Linux: a failed call leaves no mapping (U-2). */
		if (rc)
			iopt_unmap_iova(&ioas->iopt, iova, length, NULL);
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	struct ioas_map_source src = { .fd = cmd->fd, .start = cmd->start, .file = true };
	return ioas_map(ucmd, cmd->ioas_id, cmd->flags, &cmd->iova, cmd->length, &src,
			sizeof(*cmd));
}

int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	struct ioas_map_source src = { .user_va = cmd->user_va };
	return ioas_map(ucmd, cmd->ioas_id, cmd->flags, &cmd->iova, cmd->length, &src,
			sizeof(*cmd));
}

int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	int rc;
	uint64_t src_iova = cmd->src_iova;
	uint32_t copy_flags = cmd->flags;
	iommufd_test_syz_conv_iova_id(ucmd, cmd->src_ioas_id, &src_iova, &copy_flags);
	cmd->src_iova = src_iova;
	cmd->flags = copy_flags;
	if (cmd->flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length >= ULONG_LIMIT || cmd->src_iova >= ULONG_LIMIT ||
	    cmd->dst_iova >= ULONG_LIMIT)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	struct iommufd_ioas *src = iommufd_get_ioas(ucmd->ictx, cmd->src_ioas_id, &rc);
	if (!src)
		return rc;
	struct list_node pages_list = LIST_HEAD_INIT(pages_list);
	rc = iopt_get_pages(&src->iopt, cmd->src_iova, cmd->length, &pages_list);
	iommufd_put_object(ucmd->ictx, &src->obj);
	if (rc)
		return rc;
	struct iommufd_ioas *dst = iommufd_get_ioas(ucmd->ictx, cmd->dst_ioas_id, &rc);
	if (!dst)
		goto out_pages;
	if (dst->nest_parent) {
		rc = -EINVAL;
		iommufd_put_object(ucmd->ictx, &dst->obj);
		goto out_pages;
	}
	uint64_t iova = cmd->dst_iova;
	unsigned flags = (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? 0 : IOPT_ALLOC_IOVA;
	rc = iopt_map_pages(&dst->iopt, &pages_list, cmd->length, &iova,
			    conv_iommu_prot(cmd->flags), flags);
	if (!rc) {
		cmd->dst_iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		if (rc)
			iopt_unmap_iova(&dst->iopt, iova, cmd->length, NULL);
	}
	iommufd_put_object(ucmd->ictx, &dst->obj);
out_pages:
	iopt_free_pages_list(&pages_list);
	return rc;
}

int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	int rc;
	struct iommufd_ioas *ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id, &rc);
	if (!ioas)
		return rc;
	uint64_t unmapped = 0;
	/* An unmap cannot be undone: make sure the answer can be written
	 * before doing it (writing back what was read changes nothing). */
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out;
	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		rc = iommufd_ioas_unmap_range(ioas, 0, 0, true, &unmapped);
	} else if (cmd->iova >= ULONG_LIMIT || cmd->length >= ULONG_LIMIT) {
		rc = -EOVERFLOW;
	} else {
		rc = iommufd_ioas_unmap_range(ioas, cmd->iova, cmd->length, false, &unmapped);
		if (!rc && !unmapped)
			rc = -ENOENT;
	}
	if (!rc) {
		cmd->length = unmapped;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
out:
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/*
 * Move the charge of every mapping to the calling process. Only memory
 * files can be (their pages do not belong to a process's address space);
 * an area still being set up makes it EBUSY. One process serves every
 * client here, so the charge never has anywhere else to go: the call
 * checks what Linux checks and moves nothing.
 */
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_change_process *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	/* No IOAS can appear meanwhile; each is held while it is looked at. */
	pthread_rwlock_wrlock(&ictx->ioas_creation_lock);
	struct iommufd_ioas **list = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	uint64_t index;
	struct iommufd_object *obj;
	pthread_mutex_lock(&ictx->obj_lock);
	xa_for_each(&ictx->objects, index, obj) {
		if (obj->type != IOMMUFD_OBJ_IOAS || !iommufd_lock_obj(obj))
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			struct iommufd_ioas **nl = krealloc(list, ncap * sizeof(*nl));
			if (!nl) {
				iommufd_put_object(ictx, obj);
				rc = -ENOMEM;
				break;
			}
			list = nl;
			cap = ncap;
		}
		list[n++] = (struct iommufd_ioas *)obj;
	}
	pthread_mutex_unlock(&ictx->obj_lock);
	for (size_t i = 0; i < n; i++) {
		struct io_pagetable *iopt = &list[i]->iopt;
		pthread_rwlock_rdlock(&iopt->iova_rwsem);
		for (struct iopt_area *area = iopt_area_iter_first(iopt, 0, UINT64_MAX);
		     area && !rc; area = iopt_area_iter_next(area, 0, UINT64_MAX)) {
			if (!area->pages)
				rc = -EBUSY;
			else if (area->pages->type != IOPT_ADDRESS_FILE)
				rc = -EINVAL;
		}
		pthread_rwlock_unlock(&iopt->iova_rwsem);
	}
	for (size_t i = 0; i < n; i++)
		iommufd_put_object(ictx, &list[i]->obj);
	free(list);
	pthread_rwlock_unlock(&ictx->ioas_creation_lock);
	return rc;
}

int iommufd_option_rlimit_mode(struct iommu_option *cmd, struct iommufd_ctx *ictx)
{
	if (cmd->object_id)
		return -EOPNOTSUPP;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ictx->account_mode == MM_ACCOUNT_MM;
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (!mm_capable(CAP_SYS_RESOURCE))
		return -EPERM;
	mm_account_refresh();
	int rc = 0;
	/* Only before anything exists, so nothing is charged the old way. */
	pthread_mutex_lock(&ictx->obj_lock);
	if (!xa_empty(&ictx->objects))
		rc = -EBUSY;
	else if (cmd->val64 == 0)
		ictx->account_mode = MM_ACCOUNT_USER;
	else if (cmd->val64 == 1)
		ictx->account_mode = MM_ACCOUNT_MM;
	else
		rc = -EINVAL;
	pthread_mutex_unlock(&ictx->obj_lock);
	return rc;
}

int iommufd_ioas_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	struct iommufd_ioas *ioas = iommufd_get_ioas(ucmd->ictx, cmd->object_id, &rc);
	if (!ioas)
		return rc;
	if (cmd->option_id != IOMMU_OPTION_HUGE_PAGES) {
		rc = -EOPNOTSUPP;
	} else if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = !ioas->iopt.disable_large_pages;
		rc = 0;
	} else if (cmd->op == IOMMU_OPTION_OP_SET) {
		if (cmd->val64 == 0) {
			rc = iopt_disable_large_pages(&ioas->iopt);
		} else if (cmd->val64 == 1) {
			iopt_enable_large_pages(&ioas->iopt);
			rc = 0;
		} else {
			rc = -EINVAL;
		}
	} else {
		rc = -EOPNOTSUPP;
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}
