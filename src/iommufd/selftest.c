/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU_TEST_CMD (SPEC U-15): Linux 7.2's selftest interface of
 * /dev/iommu, op for op and errno for errno (<uapi/linux/iommufd_test.h>,
 * docs/iommufd.md). It exists only on a host made with
 * uiommu_host_opts.selftest, whose mock IOMMU driver registers the ops
 * of iommufd_selftest.h; otherwise the command is ENOTTY.
 *
 * This file: the dispatcher, the MOCK_DOMAIN object (a mock device bound
 * to the context and attached), its replace and PASID ops, and the
 * checks of mappings, pins, IOTLBs, caches and dirty bits. Access objects
 * are in selftest_access.c, the dma-buf exporter in selftest_dmabuf.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uapi/linux/iommufd_test.h>

#include "iommufd_private.h"
#include "iommufd_selftest.h"
#include "../base/uaccess.h"
#include "../host/host.h"
#include "../util/slab.h"

/* ---- registration ---- */

int iommufd_selftest_register(struct uiommu_host *h, const struct iommufd_selftest_ops *ops)
{
	if (!h->iommufd || !ops || h->iommufd->selftest)
		return -EINVAL;
	h->iommufd->selftest = ops;
	return 0;
}

void iommufd_selftest_unregister(struct uiommu_host *h)
{
	if (h->iommufd)
		h->iommufd->selftest = NULL;
}

const struct iommufd_selftest_ops *iommufd_selftest_of(struct iommufd_ctx *ictx)
{
	return ictx->host->iommufd->selftest;
}

/* ---- the MOCK_DOMAIN object ---- */

struct selftest_obj {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_device *idev;
	struct device *dev;
};

void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	struct selftest_obj *sobj = (struct selftest_obj *)obj;
	/* Whatever the test left attached goes with the device. */
	iommufd_device_detach_all(sobj->idev);
	iommufd_device_unbind(sobj->idev);
	iommufd_selftest_of(sobj->ictx)->dev_destroy(sobj->dev);
}

/* A mock device, bound and attached to pt_id (an IOAS or a HWPT). The
 * device holds no reference on the context (Linux's mock devices do
 * not): the object that owns it lives inside the context. */
static int test_mock_domain(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	const struct iommufd_selftest_ops *st = iommufd_selftest_of(ucmd->ictx);
	uint32_t pt_id = cmd->id, idev_id, flags = 0;
	int rc;
	struct selftest_obj *sobj = iommufd_object_alloc(ucmd->ictx, struct selftest_obj,
							 IOMMUFD_OBJ_SELFTEST, &rc);
	if (!sobj)
		return rc;
	sobj->ictx = ucmd->ictx;
	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		flags = cmd->mock_domain_flags.dev_flags;
	sobj->dev = st->dev_create(ucmd->ictx->host, flags, &rc);
	if (!sobj->dev)
		goto out_abort;
	sobj->idev = iommufd_device_bind_owned(ucmd->ictx, sobj->dev, &idev_id, &rc);
	if (!sobj->idev)
		goto out_dev;
	rc = iommufd_device_attach(sobj->idev, IOMMU_NO_PASID, &pt_id);
	if (rc)
		goto out_unbind;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_idev_id = idev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_detach;
	iommufd_object_finalize(ucmd->ictx, &sobj->obj);
	return 0;
out_detach:
	iommufd_device_detach(sobj->idev, IOMMU_NO_PASID);
out_unbind:
	iommufd_device_unbind(sobj->idev);
out_dev:
	st->dev_destroy(sobj->dev);
out_abort:
	iommufd_object_abort(ucmd->ictx, &sobj->obj);
	return rc;
}

static struct selftest_obj *get_selftest_obj(struct iommufd_ucmd *ucmd, uint32_t id, int *err)
{
	return (struct selftest_obj *)iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_SELFTEST,
							 err);
}

static int test_mock_domain_replace(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	int rc;
	struct selftest_obj *sobj = get_selftest_obj(ucmd, cmd->id, &rc);
	if (!sobj)
		return rc;
	uint32_t pt_id = cmd->mock_domain_replace.pt_id;
	rc = iommufd_device_replace(sobj->idev, IOMMU_NO_PASID, &pt_id);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

/* ---- PASIDs of a MOCK_DOMAIN device ---- */

static int test_pasid_attach(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd, bool replace)
{
	int rc;
	struct selftest_obj *sobj = get_selftest_obj(ucmd, cmd->id, &rc);
	if (!sobj)
		return rc;
	uint32_t pasid = cmd->pasid_attach.pasid, pt_id = cmd->pasid_attach.pt_id;
	rc = replace ? iommufd_device_replace(sobj->idev, pasid, &pt_id) :
		       iommufd_device_attach(sobj->idev, pasid, &pt_id);
	if (!rc) {
		cmd->pasid_attach.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		if (rc && !replace)
			iommufd_device_detach(sobj->idev, pasid);
	}
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

static int test_pasid_detach(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	int rc;
	struct selftest_obj *sobj = get_selftest_obj(ucmd, cmd->id, &rc);
	if (!sobj)
		return rc;
	iommufd_device_detach(sobj->idev, cmd->pasid_detach.pasid);
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return 0;
}

/* Is hwpt_id what the PASID uses (0: nothing)? */
static int test_pasid_check_hwpt(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	int rc;
	struct selftest_obj *sobj = get_selftest_obj(ucmd, cmd->id, &rc);
	if (!sobj)
		return rc;
	/* PASID 0 is the RID: what iommufd attached there, not the blocking
	 * domain a detached RID sits on. */
	struct iommu_domain *attached =
		cmd->pasid_check.pasid == IOMMU_NO_PASID ?
			iommu_get_domain_for_dev(sobj->dev) :
			iommu_get_domain_for_dev_pasid(sobj->dev, cmd->pasid_check.pasid);
	if (attached && attached->type == IOMMU_DOMAIN_BLOCKED)
		attached = NULL;
	if (!cmd->pasid_check.hwpt_id) {
		rc = attached ? -EINVAL : 0;
		goto out;
	}
	struct iommufd_object *obj = iommufd_get_object(ucmd->ictx, cmd->pasid_check.hwpt_id,
							IOMMUFD_OBJ_ANY, &rc);
	if (!obj)
		goto out;
	if (obj->type != IOMMUFD_OBJ_HWPT_PAGING && obj->type != IOMMUFD_OBJ_HWPT_NESTED)
		rc = -EINVAL;
	else
		rc = ((struct iommufd_hw_pagetable *)obj)->domain == attached ? 0 : -EINVAL;
	iommufd_put_object(ucmd->ictx, obj);
out:
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

/* ---- the IOAS ---- */

static int test_add_reserved(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t last;
	int rc;
	if (!cmd->add_reserved.length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->add_reserved.start, cmd->add_reserved.length - 1, &last))
		return -EOVERFLOW;
	struct iommufd_ioas *ioas = iommufd_get_ioas(ucmd->ictx, cmd->id, &rc);
	if (!ioas)
		return rc;
	pthread_rwlock_wrlock(&ioas->iopt.iova_rwsem);
	rc = iopt_reserve_iova(&ioas->iopt, cmd->add_reserved.start, last, NULL);
	pthread_rwlock_unlock(&ioas->iopt.iova_rwsem);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/* ---- checks ---- */

/* A HWPT_PAGING of the mock's, with a reference. */
static struct iommufd_hw_pagetable *get_mock_paging(struct iommufd_ucmd *ucmd, uint32_t id,
						    int *err)
{
	struct iommufd_hw_pagetable *hwpt = (struct iommufd_hw_pagetable *)iommufd_get_object(
		ucmd->ictx, id, IOMMUFD_OBJ_HWPT_PAGING, err);
	if (hwpt && (hwpt->domain->type != IOMMU_DOMAIN_UNMANAGED ||
		     hwpt->domain->owner != iommufd_selftest_of(ucmd->ictx)->iommu_ops)) {
		iommufd_put_object(ucmd->ictx, &hwpt->obj);
		*err = -EINVAL;
		return NULL;
	}
	return hwpt;
}

/* The page behind a user address, as pinning sees it (mm_user_to_phys),
 * looked up once per CPU page. */
struct user_phys {
	uint64_t page;   /* the CPU page last looked up (UINT64_MAX: none) */
	uint64_t phys;
};

static int user_phys(struct user_phys *c, uint64_t uptr, uint64_t *phys)
{
	uint64_t page = uptr & ~(PAGE_SIZE - 1);
	if (page != c->page) {
		int rc = mm_user_to_phys(page, &c->phys);
		if (rc)
			return rc;
		c->page = page;
	}
	*phys = c->phys + (uptr - page);
	return 0;
}

/* Every granule of the domain at [iova, +length) translates to the page
 * the user's address maps (MD_CHECK_MAP). */
static int test_md_check_map(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t iova = cmd->check_map.iova, length = cmd->check_map.length;
	uint64_t uptr = cmd->check_map.uptr, end;
	int rc;
	struct iommufd_hw_pagetable *hwpt = get_mock_paging(ucmd, cmd->id, &rc);
	if (!hwpt)
		return rc;
	uint64_t bitmap = hwpt->domain->pgsize_bitmap, page_size = bitmap & -bitmap;
	if ((iova | length | uptr) & (page_size - 1) || __builtin_add_overflow(uptr, length, &end)) {
		rc = -EINVAL;
		goto out;
	}
	struct user_phys c = { .page = UINT64_MAX };
	for (; length; length -= page_size, iova += page_size, uptr += page_size) {
		uint64_t want, got;
		if ((rc = user_phys(&c, uptr, &want)))
			goto out;
		if (hwpt->domain->ops->iova_to_phys(hwpt->domain, iova, &got) || got != want) {
			rc = -EINVAL;
			goto out;
		}
	}
	rc = 0;
out:
	iommufd_put_object(ucmd->ictx, &hwpt->obj);
	return rc;
}

/* Every CPU page at [uptr, +length) carries `refs` pins, process-wide
 * (MD_CHECK_REFS: Linux's pin count of each page). */
static int test_md_check_refs(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t uptr = cmd->check_refs.uptr, length = cmd->check_refs.length, end;
	if (((uptr | length) & (PAGE_SIZE - 1)) || __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	for (; length; length -= PAGE_SIZE, uptr += PAGE_SIZE) {
		uint64_t phys;
		int rc = mm_user_to_phys(uptr, &phys);
		if (rc)
			return rc;
		if (mm_pin_count(phys) != cmd->check_refs.refs)
			return -EIO;
	}
	return 0;
}

static int test_md_check_iotlb(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	const struct iommufd_selftest_ops *st = iommufd_selftest_of(ucmd->ictx);
	int rc;
	struct iommufd_hw_pagetable *hwpt = (struct iommufd_hw_pagetable *)iommufd_get_object(
		ucmd->ictx, cmd->id, IOMMUFD_OBJ_HWPT_NESTED, &rc);
	if (!hwpt)
		return rc;
	rc = st->domain_is_nested(hwpt->domain) ?
		     st->nested_check_iotlb(hwpt->domain, cmd->check_iotlb.id,
					    cmd->check_iotlb.iotlb) :
		     -EINVAL;
	iommufd_put_object(ucmd->ictx, &hwpt->obj);
	return rc;
}

/* A DEVICE of the mock's, with a reference. */
static struct iommufd_device *get_mock_device(struct iommufd_ucmd *ucmd, uint32_t id, int *err)
{
	struct iommufd_device *idev = iommufd_get_device(ucmd, id, err);
	struct dev_iommu *di = idev ? dev_iommu(idev->dev) : NULL;
	if (idev && (!di || di->ops != iommufd_selftest_of(ucmd->ictx)->iommu_ops)) {
		iommufd_put_object(ucmd->ictx, &idev->obj);
		*err = -EINVAL;
		return NULL;
	}
	return idev;
}

static int test_dev_check_cache(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	int rc;
	struct iommufd_device *idev = get_mock_device(ucmd, cmd->id, &rc);
	if (!idev)
		return rc;
	rc = iommufd_selftest_of(ucmd->ictx)->dev_check_cache(idev->dev, cmd->check_dev_cache.id,
							      cmd->check_dev_cache.cache);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/* The mock device writes to every page_size page of [iova, +length) whose
 * bit is set in the user's bitmap: the domain's dirty bits (DIRTY). */
static int test_dirty(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	const struct iommufd_selftest_ops *st = iommufd_selftest_of(ucmd->ictx);
	uint64_t page_size = cmd->dirty.page_size, length = cmd->dirty.length;
	uint64_t iova = cmd->dirty.iova;
	int rc;
	if (!page_size || !length || iova % page_size || length % page_size || !cmd->dirty.uptr)
		return -EINVAL;
	uint64_t max = length / page_size;
	if (max > (16ull << 20) * 8)
		return -EOVERFLOW;
	struct iommufd_hw_pagetable *hwpt = get_mock_paging(ucmd, cmd->id, &rc);
	if (!hwpt)
		return rc;
	uint8_t *bits = NULL;
	if (!st->domain_dirty_tracking(hwpt->domain)) {
		rc = -EINVAL;
		goto out;
	}
	size_t nbytes = (size_t)((max + 7) / 8);
	bits = kmalloc(nbytes);
	if (!bits) {
		rc = -ENOMEM;
		goto out;
	}
	if (copy_from_user(bits, cmd->dirty.uptr, nbytes)) {
		rc = -EFAULT;
		goto out;
	}
	uint64_t count = 0;
	for (uint64_t i = 0; i < max; i++) {
		if (!(bits[i / 8] & (1u << (i % 8))))
			continue;
		st->domain_set_dirty(hwpt->domain, iova + i * page_size);
		count++;
	}
	cmd->dirty.out_nr_dirty = count;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out:
	free(bits);
	iommufd_put_object(ucmd->ictx, &hwpt->obj);
	return rc;
}

/* ---- events the mock device raises ---- */

/* A page request of the device (the last of its group), delivered as the
 * IOMMU's page request interrupt would (TRIGGER_IOPF). */
static int test_trigger_iopf(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	int rc;
	struct iommufd_device *idev = get_mock_device(ucmd, cmd->trigger_iopf.dev_id, &rc);
	if (!idev)
		return rc;
	struct iommu_page_request req = {
		.dev = idev->dev,
		.pasid_valid = cmd->trigger_iopf.pasid != IOMMU_NO_PASID,
		.pasid = cmd->trigger_iopf.pasid,
		.grpid = cmd->trigger_iopf.grpid,
		.perm = cmd->trigger_iopf.perm,
		.last_page = true,
		.addr = cmd->trigger_iopf.addr,
	};
	iommu_report_page_request(&req);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return 0;
}

static int test_trigger_vevent(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	int rc;
	struct iommufd_device *idev = get_mock_device(ucmd, cmd->trigger_vevent.dev_id, &rc);
	if (!idev)
		return rc;
	rc = iommufd_selftest_of(ucmd->ictx)->dev_trigger_vevent(idev->dev);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/* ---- the dispatcher ---- */

/* Linux bounds temporary pinning buffers with it; uiommu pins by ranges
 * with no such buffers, so it only keeps the value (docs/iommufd.md). */
static int test_set_temp_memory_limit(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(uint32_t))
		return -EINVAL;
	atomic_store(&ucmd->ictx->host->iommufd->test_memory_limit, cmd->memory_limit.limit);
	return 0;
}

int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return test_add_reserved(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return test_md_check_map(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return test_md_check_refs(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return test_md_check_iotlb(ucmd, cmd);
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return test_dev_check_cache(ucmd, cmd);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return iommufd_test_create_access(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return iommufd_test_access_replace_ioas(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return iommufd_test_access_pages(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_RW:
		return iommufd_test_access_rw(ucmd, cmd);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_access_item_destroy(ucmd, cmd);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		return test_set_temp_memory_limit(ucmd, cmd);
	case IOMMU_TEST_OP_DIRTY:
		return test_dirty(ucmd, cmd);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return test_trigger_iopf(ucmd, cmd);
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return test_trigger_vevent(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_ATTACH:
		return test_pasid_attach(ucmd, cmd, false);
	case IOMMU_TEST_OP_PASID_REPLACE:
		return test_pasid_attach(ucmd, cmd, true);
	case IOMMU_TEST_OP_PASID_DETACH:
		return test_pasid_detach(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return test_pasid_check_hwpt(ucmd, cmd);
	case IOMMU_TEST_OP_DMABUF_GET:
		return iommufd_test_dmabuf_get(ucmd, cmd);
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		return iommufd_test_dmabuf_revoke(ucmd, cmd);
	default:
		return -EOPNOTSUPP;
	}
}
