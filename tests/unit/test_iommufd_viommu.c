/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The objects of nesting and virtualization (SPEC U-10, U-13), with their
 * generic rules: nested HWPTs over a nesting parent or a vIOMMU,
 * HWPT_INVALIDATE, vIOMMU, vDEVICE (tombstoned when its device goes),
 * vEVENTQ (records, sequence numbers, lost events, readiness), HW queues
 * (pinned memory, index order, destroy order) and the vIOMMU's mmap
 * region. VT-d's own nesting is issue #11; here a small driver in the
 * test implements the ops the generic code calls, over the VT-d driver.
 */
#include <poll.h>
#include <unistd.h>

#include "iommufd_utils.h"
#include "base/device.h"
#include "iommu/intel/intel.h"

#define PG 4096ull
#define BASE (1ull << 24)

#define T_HWPT_DATA 0xdead
#define T_INV_DATA 0xdeadbeef
#define T_VIOMMU_TYPE 0xdeadbeef
#define T_VEVENTQ_TYPE 0xbeefbeef
#define T_HW_QUEUE_TYPE 0xdeadbeef
#define T_HW_QUEUE_MAX 2
#define T_INV_ALL 1u

/* ---- the test driver ---- */

static struct iommu_ops t_ops;

struct t_nested {
	struct iommu_domain domain;
	uint32_t iotlb[4];
	unsigned attached;
};

struct t_hw_queue {
	struct iommufd_hw_queue core;
	struct t_viommu *v;
	struct t_hw_queue *prev;
	unsigned index;
};

struct t_viommu {
	struct iommufd_viommu core;
	struct t_hw_queue *queues[T_HW_QUEUE_MAX];
	void *page;
	uint64_t mmap_off;
	bool destroyed;
};

struct t_vdev {
	struct iommufd_vdevice core;
	uint32_t cache[4];
};

static int t_nested_attach(struct iommu_domain *d, struct device *dev)
{
	(void)dev;
	((struct t_nested *)d)->attached++;
	return 0;
}

static int t_nested_set_pasid(struct iommu_domain *d, struct device *dev, ioasid_t pasid,
			      struct iommu_domain *old)
{
	(void)dev;
	(void)pasid;
	(void)old;
	((struct t_nested *)d)->attached++;
	return 0;
}

struct t_inv {
	uint32_t flags;
	uint32_t iotlb_id;
};

static int t_nested_invalidate(struct iommu_domain *d, struct iommu_user_data_array *array)
{
	struct t_nested *n = (struct t_nested *)d;
	uint32_t i;
	int rc = 0;
	for (i = 0; i < array->entry_num; i++) {
		struct t_inv inv;
		rc = iommu_copy_struct_from_user_array(&inv, sizeof(inv), array, T_INV_DATA, i,
						       sizeof(inv));
		if (rc)
			break;
		if (inv.flags & ~T_INV_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.iotlb_id > 3) {
			rc = -EINVAL;
			break;
		}
		if (inv.flags & T_INV_ALL)
			memset(n->iotlb, 0, sizeof(n->iotlb));
		else
			n->iotlb[inv.iotlb_id] = 0;
	}
	array->entry_num = i;
	return rc;
}

static void t_nested_free(struct iommu_domain *d)
{
	free(d);
}

static const struct iommu_domain_ops t_nested_ops = {
	.attach_dev = t_nested_attach,
	.set_dev_pasid = t_nested_set_pasid,
	.cache_invalidate_user = t_nested_invalidate,
	.free = t_nested_free,
};

static struct iommu_domain *t_nested_new(struct uiommu_host *h, uint32_t flags,
					 const struct iommu_user_data *ud, int *err)
{
	if (flags & ~IOMMU_HWPT_ALLOC_PASID) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	uint32_t iotlb;
	if (ud->type != T_HWPT_DATA) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	*err = iommu_copy_struct_from_user(&iotlb, sizeof(iotlb), ud, T_HWPT_DATA, sizeof(iotlb));
	if (*err)
		return NULL;
	struct t_nested *n = calloc(1, sizeof(*n));
	iommu_domain_init(&n->domain, IOMMU_DOMAIN_NESTED, &t_nested_ops, &t_ops, h);
	for (int i = 0; i < 4; i++)
		n->iotlb[i] = iotlb;
	return &n->domain;
}

static struct iommu_domain *t_domain_alloc_nested(struct device *dev, struct iommu_domain *parent,
						  uint32_t flags,
						  const struct iommu_user_data *ud, int *err)
{
	(void)parent;
	return t_nested_new(dev->host, flags, ud, err);
}

static struct iommu_domain *t_viommu_alloc_nested(struct iommufd_viommu *viommu, uint32_t flags,
						  const struct iommu_user_data *ud, int *err)
{
	return t_nested_new(viommu->hwpt->common.domain->host, flags, ud, err);
}

struct t_vinv {
	uint32_t flags;
	uint32_t vdev_id;
	uint32_t cache_id;
};

static int t_viommu_invalidate(struct iommufd_viommu *viommu, struct iommu_user_data_array *array)
{
	uint32_t i;
	int rc = 0;
	for (i = 0; i < array->entry_num; i++) {
		struct t_vinv inv;
		rc = iommu_copy_struct_from_user_array(&inv, sizeof(inv), array, T_INV_DATA, i,
						       sizeof(inv));
		if (rc)
			break;
		pthread_mutex_lock(&viommu->vdevs_lock);
		struct t_vdev *vdev = xa_load(&viommu->vdevs, inv.vdev_id);
		if (!vdev || inv.cache_id > 3)
			rc = -EINVAL;
		else
			vdev->cache[inv.cache_id] = 0;
		pthread_mutex_unlock(&viommu->vdevs_lock);
		if (rc)
			break;
	}
	array->entry_num = i;
	return rc;
}

static int t_vdevice_init(struct iommufd_vdevice *vdev)
{
	for (int i = 0; i < 4; i++)
		((struct t_vdev *)vdev)->cache[i] = 0xbaddad;
	return 0;
}

static size_t t_hw_queue_size(struct iommufd_viommu *viommu, uint32_t type)
{
	(void)viommu;
	return type == T_HW_QUEUE_TYPE ? sizeof(struct t_hw_queue) : 0;
}

static void t_hw_queue_destroy(struct iommufd_hw_queue *q)
{
	struct t_hw_queue *tq = (struct t_hw_queue *)q;
	tq->v->queues[tq->index] = NULL;
	if (tq->prev)
		iommufd_hw_queue_undepend(q, &tq->prev->core);
}

/* Queues in index order, destroyed in reverse (a later one depends on
 * the one before), as the Tegra241 CMDQV rules that the selftest mimics. */
static int t_hw_queue_init(struct iommufd_hw_queue *q, uint32_t index, uint64_t base_pa)
{
	(void)base_pa;
	struct t_viommu *v = (struct t_viommu *)q->viommu;
	struct t_hw_queue *tq = (struct t_hw_queue *)q;
	if (index >= T_HW_QUEUE_MAX)
		return -EINVAL;
	if (v->queues[index])
		return -EEXIST;
	if (index && !v->queues[index - 1])
		return -EIO;
	if (index) {
		int rc = iommufd_hw_queue_depend(q, &v->queues[index - 1]->core);
		if (rc)
			return rc;
		tq->prev = v->queues[index - 1];
	}
	tq->v = v;
	tq->index = index;
	v->queues[index] = tq;
	q->destroy = t_hw_queue_destroy;
	return 0;
}

static void t_viommu_destroy(struct iommufd_viommu *viommu)
{
	struct t_viommu *v = (struct t_viommu *)viommu;
	iommufd_viommu_destroy_mmap(viommu, v->mmap_off);
	munmap(v->page, PG);
	v->destroyed = true;
}

static const struct iommufd_viommu_ops t_viommu_ops = {
	.destroy = t_viommu_destroy,
	.alloc_domain_nested = t_viommu_alloc_nested,
	.cache_invalidate = t_viommu_invalidate,
	.vdevice_size = sizeof(struct t_vdev),
	.vdevice_init = t_vdevice_init,
	.get_hw_queue_size = t_hw_queue_size,
	.hw_queue_init_phys = t_hw_queue_init,
};

static size_t t_get_viommu_size(struct device *dev, uint32_t type)
{
	(void)dev;
	return type == T_VIOMMU_TYPE ? sizeof(struct t_viommu) : 0;
}

static int t_viommu_init(struct iommufd_viommu *viommu, struct iommu_domain *parent,
			 const struct iommu_user_data *ud)
{
	(void)parent;
	(void)ud;
	struct t_viommu *v = (struct t_viommu *)viommu;
	v->page = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(v->page, 0x42, PG);
	int rc = iommufd_viommu_alloc_mmap(viommu, v->page, PG, &v->mmap_off);
	if (rc) {
		munmap(v->page, PG);
		return rc;
	}
	viommu->ops = &t_viommu_ops;
	return 0;
}

/* The VT-d driver, plus the nesting and vIOMMU ops of the test driver. */
static void use_test_driver(struct device *dev)
{
	t_ops = intel_iommu_ops;
	t_ops.domain_alloc_nested = t_domain_alloc_nested;
	t_ops.get_viommu_size = t_get_viommu_size;
	t_ops.viommu_init = t_viommu_init;
	/* Its own vIOMMU type only: no DEFAULT one (test_iommufd_nested.c). */
	t_ops.default_viommu = false;
	dev->iommu->ops = &t_ops;
}

/* ---- the rig ---- */

struct rig {
	struct ifd t;
	struct device *d0, *d1;
	struct iommufd_device *idev0, *idev1;
	uint32_t dev0, dev1, ioas, parent;
	uint8_t *buf;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	ifd_open(&r->t);
	r->d0 = th_device(r->t.h, "dmatest0");
	r->d1 = th_device(r->t.h, "dmatest1");
	use_test_driver(r->d0);
	use_test_driver(r->d1);
	int err;
	r->idev0 = iommufd_device_bind(r->t.ictx, r->d0, &r->dev0, &err);
	r->idev1 = iommufd_device_bind(r->t.ictx, r->d1, &r->dev1, &err);
	assert_non_null(r->idev0);
	assert_non_null(r->idev1);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
				      .dev_id = r->dev0, .pt_id = r->ioas };
	assert_int_equal(ioc(r->t.fd, IOMMU_HWPT_ALLOC, &c), 0);
	r->parent = c.out_hwpt_id;
	r->buf = buf_alloc(16 * PG);
	assert_int_equal(ioas_map_fixed(r->t.fd, r->ioas, r->buf, 16 * PG, BASE), 0);
}

static void rig_fini(struct rig *r)
{
	if (r->idev0)
		iommufd_device_unbind(r->idev0);
	if (r->idev1)
		iommufd_device_unbind(r->idev1);
	r->d0->iommu->ops = &intel_iommu_ops;
	r->d1->iommu->ops = &intel_iommu_ops;
	munmap(r->buf, 16 * PG);
	ifd_close(&r->t);
}

static int viommu_alloc(struct rig *r, uint32_t type, uint32_t dev, uint32_t hwpt, uint32_t *out)
{
	struct iommu_viommu_alloc c = { .size = sizeof(c), .type = type, .dev_id = dev,
					.hwpt_id = hwpt };
	int rc = ioc(r->t.fd, IOMMU_VIOMMU_ALLOC, &c);
	*out = rc ? 0 : c.out_viommu_id;
	return rc;
}

static int nested_alloc(struct rig *r, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t type,
			const void *data, uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = flags, .dev_id = dev,
				      .pt_id = pt, .data_type = type, .data_len = len,
				      .data_uptr = (uintptr_t)data };
	int rc = ioc(r->t.fd, IOMMU_HWPT_ALLOC, &c);
	*out = rc ? 0 : c.out_hwpt_id;
	return rc;
}

static int invalidate(struct rig *r, uint32_t id, uint32_t type, const void *data, uint32_t len,
		      uint32_t *num)
{
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = id,
					   .data_uptr = (uintptr_t)data, .data_type = type,
					   .entry_len = len, .entry_num = *num };
	int rc = ioc(r->t.fd, IOMMU_HWPT_INVALIDATE, &c);
	*num = c.entry_num;
	return rc;
}

static struct t_nested *nested_of(struct rig *r, uint32_t id)
{
	int err;
	struct iommufd_hw_pagetable *h = (struct iommufd_hw_pagetable *)iommufd_get_object(
		r->t.ictx, id, IOMMUFD_OBJ_HWPT_NESTED, &err);
	assert_non_null(h);
	iommufd_put_object(r->t.ictx, &h->obj);
	return (struct t_nested *)h->domain;
}

static void nested_hwpt_and_invalidate(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t data = 0xbadbeef, n1, plain, bad;
	/* The parent must be a manual nesting parent. */
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .dev_id = r.dev0, .pt_id = r.ioas };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), 0);
	plain = c.out_hwpt_id;
	assert_int_equal(nested_alloc(&r, r.dev0, plain, 0, T_HWPT_DATA, &data, 4, &bad), -EINVAL);
	assert_int_equal(nested_alloc(&r, r.dev0, r.parent, 1u << 6, T_HWPT_DATA, &data, 4, &bad),
			 -EOPNOTSUPP);
	assert_int_equal(nested_alloc(&r, r.dev0, r.parent, 0, T_HWPT_DATA + 1, &data, 4, &bad),
			 -EOPNOTSUPP);
	/* Driver data too short, longer than the driver's struct (even with
	 * a zero tail: Linux 7.2 reads no further), unreadable. */
	uint32_t longer[2] = { 1, 1 };
	assert_int_equal(nested_alloc(&r, r.dev0, r.parent, 0, T_HWPT_DATA, &data, 2, &bad),
			 -EINVAL);
	assert_int_equal(nested_alloc(&r, r.dev0, r.parent, 0, T_HWPT_DATA, longer, 8, &bad),
			 -EINVAL);
	longer[1] = 0;
	assert_int_equal(nested_alloc(&r, r.dev0, r.parent, 0, T_HWPT_DATA, longer, 8, &bad),
			 -EINVAL);
	assert_int_equal(nested_alloc(&r, r.dev0, r.parent, 0, T_HWPT_DATA, (void *)8, 4, &bad),
			 -EFAULT);
	assert_int_equal(nested_alloc(&r, r.dev0, r.parent, 0, T_HWPT_DATA, &data, 4, &n1), 0);
	assert_int_equal(nested_of(&r, n1)->iotlb[2], 0xbadbeef);
	/* The parent is held. */
	assert_int_equal(obj_destroy(r.t.fd, r.parent), -EBUSY);
	/* Attach the device to the nested HWPT: its group is the driver's. */
	uint32_t pt = n1;
	assert_int_equal(iommufd_device_attach(r.idev0, IOMMU_NO_PASID, &pt), 0);
	assert_int_equal(nested_of(&r, n1)->attached, 1);
	/* Invalidation: entries handled are reported, even on failure. */
	struct t_inv inv[3] = { { 0, 1 }, { 0, 2 }, { 0, 9 } };
	uint32_t num = 3;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA, inv, sizeof(inv[0]), &num), -EINVAL);
	assert_int_equal(num, 2);
	assert_int_equal(nested_of(&r, n1)->iotlb[1], 0);
	assert_int_equal(nested_of(&r, n1)->iotlb[3], 0xbadbeef);
	inv[0] = (struct t_inv){ 4, 0 };
	num = 1;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA, inv, sizeof(inv[0]), &num), -EOPNOTSUPP);
	assert_int_equal(num, 0);
	inv[0] = (struct t_inv){ T_INV_ALL, 0 };
	num = 1;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA, inv, sizeof(inv[0]), &num), 0);
	assert_int_equal(num, 1);
	assert_int_equal(nested_of(&r, n1)->iotlb[3], 0);
	/* Wrong type, short entries; the generic checks before the driver. */
	num = 1;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA + 1, inv, sizeof(inv[0]), &num), -EINVAL);
	num = 1;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA, inv, 4, &num), -EINVAL);
	num = 1;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA, NULL, sizeof(inv[0]), &num), -EINVAL);
	num = 1;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA, inv, 0, &num), -EINVAL);
	num = 1;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA, inv, PG + 1, &num), -EINVAL);
	num = 1u << 20;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA, inv, sizeof(inv[0]), &num), -EINVAL);
	num = 0;
	assert_int_equal(invalidate(&r, n1, T_INV_DATA, NULL, 0, &num), 0);
	num = 1;
	assert_int_equal(invalidate(&r, r.parent, T_INV_DATA, inv, sizeof(inv[0]), &num), -EINVAL);
	assert_int_equal(num, 0);
	num = 1;
	assert_int_equal(invalidate(&r, 999, T_INV_DATA, inv, sizeof(inv[0]), &num), -ENOENT);
	struct iommu_hwpt_invalidate ic = { .size = sizeof(ic), .hwpt_id = n1, .__reserved = 1 };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_INVALIDATE, &ic), -EOPNOTSUPP);
	iommufd_device_detach(r.idev0, IOMMU_NO_PASID);
	assert_int_equal(obj_destroy(r.t.fd, n1), 0);
	assert_int_equal(obj_destroy(r.t.fd, plain), 0);
	rig_fini(&r);
}

static void viommu_and_vdevice(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t v, bad;
	assert_int_equal(viommu_alloc(&r, IOMMU_VIOMMU_TYPE_DEFAULT, r.dev0, r.parent, &bad),
			 -EOPNOTSUPP);
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE + 1, r.dev0, r.parent, &bad), -EOPNOTSUPP);
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE, 999, r.parent, &bad), -ENOENT);
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE, r.dev0, r.ioas, &bad), -ENOENT);
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .dev_id = r.dev0, .pt_id = r.ioas };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), 0);
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE, r.dev0, c.out_hwpt_id, &bad), -EINVAL);
	assert_int_equal(obj_destroy(r.t.fd, c.out_hwpt_id), 0);
	struct iommu_viommu_alloc va = { .size = sizeof(va), .flags = 1, .type = T_VIOMMU_TYPE,
					 .dev_id = r.dev0, .hwpt_id = r.parent };
	assert_int_equal(ioc(r.t.fd, IOMMU_VIOMMU_ALLOC, &va), -EOPNOTSUPP);
	/* A VT-d device without the test driver's ops cannot have one. */
	r.d1->iommu->ops = &intel_iommu_ops;
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE, r.dev1, r.parent, &bad), -EOPNOTSUPP);
	r.d1->iommu->ops = &t_ops;
	unsigned objs = ictx_objects(&r.t);
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE, r.dev0, r.parent, &v), 0);
	assert_int_equal(ictx_objects(&r.t), objs + 1);
	assert_int_equal(obj_destroy(r.t.fd, r.parent), -EBUSY);
	/* A nested HWPT through the vIOMMU holds it. */
	uint32_t data = 7, n;
	assert_int_equal(nested_alloc(&r, r.dev0, v, 0, T_HWPT_DATA, &data, 4, &n), 0);
	assert_int_equal(obj_destroy(r.t.fd, v), -EBUSY);
	assert_int_equal(obj_destroy(r.t.fd, n), 0);
	/* vDEVICEs: one per device, one per virtual ID. */
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .viommu_id = v, .dev_id = r.dev0,
					  .virt_id = 0x99 };
	assert_int_equal(ioc(r.t.fd, IOMMU_VDEVICE_ALLOC, &vd), 0);
	uint32_t vdev0 = vd.out_vdevice_id;
	assert_int_equal(ioc(r.t.fd, IOMMU_VDEVICE_ALLOC, &vd), -EEXIST);
	vd.dev_id = r.dev1;
	assert_int_equal(ioc(r.t.fd, IOMMU_VDEVICE_ALLOC, &vd), -EEXIST);
	vd.virt_id = 0x98;
	vd.viommu_id = 999;
	assert_int_equal(ioc(r.t.fd, IOMMU_VDEVICE_ALLOC, &vd), -ENOENT);
	vd.viommu_id = v;
	vd.dev_id = 999;
	assert_int_equal(ioc(r.t.fd, IOMMU_VDEVICE_ALLOC, &vd), -ENOENT);
	vd.dev_id = r.dev1;
	assert_int_equal(ioc(r.t.fd, IOMMU_VDEVICE_ALLOC, &vd), 0);
	uint32_t vdev1 = vd.out_vdevice_id;
	struct device *found;
	struct iommufd_viommu *vo = (struct iommufd_viommu *)iommufd_get_object(
		r.t.ictx, v, IOMMUFD_OBJ_VIOMMU, &(int){ 0 });
	pthread_mutex_lock(&vo->vdevs_lock);
	found = iommufd_viommu_find_dev(vo, 0x98);
	pthread_mutex_unlock(&vo->vdevs_lock);
	assert_ptr_equal(found, r.d1);
	uint64_t vid;
	assert_int_equal(iommufd_viommu_get_vdev_id(vo, r.d0, &vid), 0);
	assert_int_equal(vid, 0x99);
	/* vIOMMU invalidation reaches the device by its virtual ID. */
	struct t_vdev *tv1 = (struct t_vdev *)iommufd_get_object(r.t.ictx, vdev1,
								  IOMMUFD_OBJ_VDEVICE, &(int){ 0 });
	iommufd_put_object(r.t.ictx, &tv1->core.obj);
	struct t_vinv vinv[2] = { { 0, 0x98, 2 }, { 0, 0x55, 0 } };
	uint32_t num = 2;
	assert_int_equal(invalidate(&r, v, T_INV_DATA, vinv, sizeof(vinv[0]), &num), -EINVAL);
	assert_int_equal(num, 1);
	assert_int_equal(tv1->cache[2], 0);
	assert_int_equal(tv1->cache[1], 0xbaddad);
	iommufd_put_object(r.t.ictx, &vo->obj);
	assert_int_equal(obj_destroy(r.t.fd, v), -EBUSY);
	assert_int_equal(obj_destroy(r.t.fd, vdev0), 0);
	/* A device that goes takes its vDEVICE with it; the ID stays used. */
	iommufd_device_unbind(r.idev1);
	r.idev1 = NULL;
	assert_int_equal(obj_destroy(r.t.fd, vdev1), -ENOENT);
	uint32_t again;
	assert_int_equal(ioas_alloc(r.t.fd, &again), 0);
	assert_true(again != vdev1);
	assert_int_equal(obj_destroy(r.t.fd, v), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.parent), 0);
	rig_fini(&r);
}

static int veventq_alloc(struct rig *r, uint32_t v, uint32_t type, uint32_t depth, uint32_t *id,
			 int *fd)
{
	struct iommu_veventq_alloc c = { .size = sizeof(c), .viommu_id = v, .type = type,
					 .veventq_depth = depth };
	int rc = ioc(r->t.fd, IOMMU_VEVENTQ_ALLOC, &c);
	*id = rc ? 0 : c.out_veventq_id;
	*fd = rc ? -1 : (int)c.out_veventq_fd;
	return rc;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

struct rec {
	struct iommufd_vevent_header hdr;
	uint32_t virt_id;
};

static void veventq(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t v, q, bad;
	int fd, badfd;
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE, r.dev0, r.parent, &v), 0);
	assert_int_equal(veventq_alloc(&r, v, IOMMU_VEVENTQ_TYPE_DEFAULT, 2, &bad, &badfd),
			 -EOPNOTSUPP);
	assert_int_equal(veventq_alloc(&r, v, T_VEVENTQ_TYPE, 0, &bad, &badfd), -EINVAL);
	assert_int_equal(veventq_alloc(&r, v, T_VEVENTQ_TYPE, (1u << 19) + 1, &bad, &badfd),
			 -EINVAL);
	assert_int_equal(veventq_alloc(&r, 999, T_VEVENTQ_TYPE, 2, &bad, &badfd), -ENOENT);
	assert_int_equal(veventq_alloc(&r, v, T_VEVENTQ_TYPE, 2, &q, &fd), 0);
	assert_int_equal(veventq_alloc(&r, v, T_VEVENTQ_TYPE, 2, &bad, &badfd), -EEXIST);
	assert_int_equal(obj_destroy(r.t.fd, v), -EBUSY);
	struct iommufd_viommu *vo = (struct iommufd_viommu *)iommufd_get_object(
		r.t.ictx, v, IOMMUFD_OBJ_VIOMMU, &(int){ 0 });
	uint32_t id = 1;
	assert_int_equal(iommufd_viommu_report_event(vo, T_VEVENTQ_TYPE + 1, &id, 4), -EOPNOTSUPP);
	assert_false(readable(fd));
	assert_int_equal(iommufd_viommu_report_event(vo, T_VEVENTQ_TYPE, &id, 4), 0);
	assert_true(readable(fd));
	struct rec recs[4];
	/* A read too small for a header - even of nothing - is EINVAL. */
	assert_int_equal(uiommu_read(fd, recs, 0), -EINVAL);
	assert_int_equal(uiommu_read(fd, recs, 4), -EINVAL);
	assert_int_equal(uiommu_read(fd, recs, sizeof(recs[0]) - 1), -EINVAL);
	assert_int_equal(uiommu_read(fd, recs, sizeof(recs)), sizeof(recs[0]));
	assert_int_equal(recs[0].hdr.flags, 0);
	assert_int_equal(recs[0].hdr.sequence, 0);
	assert_int_equal(recs[0].virt_id, 1);
	assert_false(readable(fd));
	assert_int_equal(uiommu_read(fd, recs, sizeof(recs)), 0);
	/* Overflow: depth 2, three events - the third is lost, and a
	 * LOST_EVENTS header with the next sequence says so. */
	for (id = 2; id <= 4; id++)
		assert_int_equal(iommufd_viommu_report_event(vo, T_VEVENTQ_TYPE, &id, 4), 0);
	memset(recs, 0, sizeof(recs));
	ssize_t n = uiommu_read(fd, recs, sizeof(recs));
	assert_int_equal(n, 2 * sizeof(struct rec) + sizeof(struct iommufd_vevent_header));
	assert_int_equal(recs[0].hdr.sequence, 1);
	assert_int_equal(recs[0].virt_id, 2);
	assert_int_equal(recs[1].hdr.sequence, 2);
	assert_int_equal(recs[1].virt_id, 3);
	struct iommufd_vevent_header *lost = &recs[2].hdr;
	assert_int_equal(lost->flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	assert_int_equal(lost->sequence, 3);
	/* After a loss, numbering goes on. */
	id = 5;
	assert_int_equal(iommufd_viommu_report_event(vo, T_VEVENTQ_TYPE, &id, 4), 0);
	assert_int_equal(uiommu_read(fd, recs, sizeof(recs)), sizeof(recs[0]));
	assert_int_equal(recs[0].hdr.sequence, 4);
	iommufd_put_object(r.t.ictx, &vo->obj);
	/* The queue's fd holds its object: destroy waits for close. */
	assert_int_equal(obj_destroy(r.t.fd, q), -EBUSY);
	assert_int_equal(uiommu_close(fd), 0);
	assert_int_equal(obj_destroy(r.t.fd, q), 0);
	assert_int_equal(obj_destroy(r.t.fd, v), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.parent), 0);
	rig_fini(&r);
}

static int hw_queue_alloc(struct rig *r, uint32_t v, uint32_t type, uint32_t index, uint64_t iova,
			  uint64_t len, uint32_t *out)
{
	struct iommu_hw_queue_alloc c = { .size = sizeof(c), .viommu_id = v, .type = type,
					  .index = index, .nesting_parent_iova = iova,
					  .length = len };
	int rc = ioc(r->t.fd, IOMMU_HW_QUEUE_ALLOC, &c);
	*out = rc ? 0 : c.out_hw_queue_id;
	return rc;
}

static void hw_queue(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t v, q0, q1, bad;
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE, r.dev0, r.parent, &v), 0);
	assert_int_equal(hw_queue_alloc(&r, v, IOMMU_HW_QUEUE_TYPE_DEFAULT, 0, BASE, PG, &bad),
			 -EOPNOTSUPP);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 0, BASE, 0, &bad), -EINVAL);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 0, UINT64_MAX - 8, PG, &bad),
			 -EOVERFLOW);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 0, BASE + 64 * PG, PG, &bad),
			 -ENOENT);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 1, BASE, PG, &bad), -EIO);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 2, BASE, PG, &bad), -EINVAL);
	/* The nesting parent holds the IOAS's pages pinned already; the
	 * queue's pin shares them (one pin per page per run). */
	assert_int_equal(uiommu_pinned_pages(), 16);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 0, BASE + 8, 2 * PG, &q0), 0);
	assert_int_equal(uiommu_pinned_pages(), 16);
	/* The user cannot unmap a queue's memory. */
	assert_int_equal(ioas_unmap(r.t.fd, r.ioas, BASE, 16 * PG, NULL), -EBUSY);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 0, BASE, PG, &bad), -EEXIST);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 1, BASE + 4 * PG, PG, &q1), 0);
	/* Destroyed newest first. */
	assert_int_equal(obj_destroy(r.t.fd, q0), -EBUSY);
	assert_int_equal(obj_destroy(r.t.fd, v), -EBUSY);
	assert_int_equal(obj_destroy(r.t.fd, q1), 0);
	assert_int_equal(obj_destroy(r.t.fd, q0), 0);
	assert_int_equal(ioas_unmap(r.t.fd, r.ioas, BASE, 16 * PG, NULL), 0);
	assert_int_equal(uiommu_pinned_pages(), 0);
	assert_int_equal(obj_destroy(r.t.fd, v), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.parent), 0);
	rig_fini(&r);
}

static void viommu_mmap(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t v;
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE, r.dev0, r.parent, &v), 0);
	struct t_viommu *tv = (struct t_viommu *)iommufd_get_object(r.t.ictx, v, IOMMUFD_OBJ_VIOMMU,
								      &(int){ 0 });
	uint64_t off = tv->mmap_off;
	iommufd_put_object(r.t.ictx, &tv->core.obj);
	assert_true(off != 0);
	void *p;
	assert_int_equal(uiommu_mmap(r.t.fd, NULL, PG, PROT_READ, MAP_SHARED, (int64_t)off + PG, &p),
			 -ENXIO);
	assert_int_equal(uiommu_mmap(r.t.fd, NULL, 2 * PG, PROT_READ, MAP_SHARED, (int64_t)off, &p),
			 -ENXIO);
	assert_int_equal(uiommu_mmap(r.t.fd, NULL, PG, PROT_READ, MAP_PRIVATE, (int64_t)off, &p),
			 -EINVAL);
	assert_int_equal(uiommu_mmap(r.t.fd, NULL, PG, PROT_READ | PROT_EXEC, MAP_SHARED,
				     (int64_t)off, &p),
			 -EPERM);
	assert_int_equal(uiommu_mmap(r.t.fd, NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED,
				     (int64_t)off, &p),
			 0);
	/* The driver's page itself. */
	assert_int_equal(((uint8_t *)p)[10], 0x42);
	((uint8_t *)p)[11] = 0x43;
	assert_int_equal(((uint8_t *)tv->page)[11], 0x43);
	/* Mapped, the vIOMMU stays. */
	assert_int_equal(obj_destroy(r.t.fd, v), -EBUSY);
	assert_int_equal(uiommu_munmap(p, PG), 0);
	assert_int_equal(obj_destroy(r.t.fd, v), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.parent), 0);
	rig_fini(&r);
}

/* Closing /dev/iommu with everything still there destroys it leaf first
 * (SPEC U-1): vDEVICEs, queues, nested HWPTs, vIOMMU, parents, IOAS. */
static void close_destroys_leaf_first(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t v, q0, q1, n, data = 1, vq;
	int vfd;
	assert_int_equal(viommu_alloc(&r, T_VIOMMU_TYPE, r.dev0, r.parent, &v), 0);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 0, BASE, PG, &q0), 0);
	assert_int_equal(hw_queue_alloc(&r, v, T_HW_QUEUE_TYPE, 1, BASE + PG, PG, &q1), 0);
	assert_int_equal(nested_alloc(&r, r.dev0, v, 0, T_HWPT_DATA, &data, 4, &n), 0);
	assert_int_equal(veventq_alloc(&r, v, T_VEVENTQ_TYPE, 4, &vq, &vfd), 0);
	assert_int_equal(uiommu_close(vfd), 0);
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .viommu_id = v, .dev_id = r.dev1,
					  .virt_id = 3 };
	assert_int_equal(ioc(r.t.fd, IOMMU_VDEVICE_ALLOC, &vd), 0);
	assert_true(uiommu_pinned_pages() > 0);
	/* The devices are the drivers' (they hold the context): unbind, then
	 * the descriptor's close takes everything else. */
	iommufd_device_unbind(r.idev0);
	iommufd_device_unbind(r.idev1);
	r.idev0 = r.idev1 = NULL;
	assert_int_equal(uiommu_close(r.t.fd), 0);
	r.t.fd = -1;
	assert_int_equal(uiommu_pinned_pages(), 0);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nested_hwpt_and_invalidate),
		cmocka_unit_test(viommu_and_vdevice),
		cmocka_unit_test(veventq),
		cmocka_unit_test(hw_queue),
		cmocka_unit_test(viommu_mmap),
		cmocka_unit_test(close_destroys_leaf_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
