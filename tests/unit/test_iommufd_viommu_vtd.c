/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vIOMMU on VT-d (SPEC U-13), uiommu's DEFAULT vIOMMU
 * (<uiommu/iommufd_ext.h>): a VM's slice of the unit over a NEST_PARENT
 * HWPT. The guest's tables become nested HWPTs through it, its devices
 * vDEVICEs (virtual RID -> bound device, EEXIST rules), its
 * invalidations are addressed by vDEVICE and PASID, and DMA faults in
 * its tables arrive on a vEVENTQ with the virtual RID the guest knows.
 */
#include <poll.h>

#include <uiommu/iommufd_ext.h>

#include "iommufd_utils.h"
#include "guest/guest.h"
#include "base/device.h"

#define PG       4096ull
#define GPA_BASE 0x80000000ull
#define RAM_SIZE (4ull << 20)
#define VRID0    0x0800u   /* 00:01.0 in the guest */
#define VRID1    0x0808u   /* 00:01.1 */

struct rig {
	struct ifd t;
	struct guest g;
	struct guest_pt pt;
	struct device *d0, *d1;
	struct iommufd_device *idev0, *idev1;
	uint32_t dev0, dev1, ioas, parent, viommu;
};

static int viommu_alloc(struct rig *r, uint32_t type, uint32_t dev, uint32_t hwpt,
			const void *data, uint32_t len, uint32_t *out)
{
	struct iommu_viommu_alloc c = { .size = sizeof(c), .type = type, .dev_id = dev,
					.hwpt_id = hwpt, .data_len = len,
					.data_uptr = (uintptr_t)data };
	int rc = ioc(r->t.fd, IOMMU_VIOMMU_ALLOC, &c);
	*out = rc ? 0 : c.out_viommu_id;
	return rc;
}

static int vdevice_alloc(struct rig *r, uint32_t viommu, uint32_t dev, uint64_t virt_id,
			 uint32_t *out)
{
	struct iommu_vdevice_alloc c = { .size = sizeof(c), .viommu_id = viommu, .dev_id = dev,
					 .virt_id = virt_id };
	int rc = ioc(r->t.fd, IOMMU_VDEVICE_ALLOC, &c);
	*out = rc ? 0 : c.out_vdevice_id;
	return rc;
}

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	ifd_open(&r->t);
	r->d0 = th_device(r->t.h, "dmatest0");
	r->d1 = th_device(r->t.h, "dmatest1");
	int err;
	r->idev0 = iommufd_device_bind(r->t.ictx, r->d0, &r->dev0, &err);
	r->idev1 = iommufd_device_bind(r->t.ictx, r->d1, &r->dev1, &err);
	assert_non_null(r->idev0);
	assert_non_null(r->idev1);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
	assert_int_equal(guest_init(&r->g, GPA_BASE, RAM_SIZE, 1ull << 20), 0);
	assert_int_equal(ioas_map_fixed(r->t.fd, r->ioas, r->g.ram, RAM_SIZE, GPA_BASE), 0);
	assert_int_equal(hwpt_alloc_data(r->t.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, r->dev0, r->ioas,
					 0, NULL, 0, &r->parent),
			 0);
	assert_int_equal(guest_pt_init(&r->pt, &r->g, 4), 0);
	assert_int_equal(viommu_alloc(r, IOMMU_VIOMMU_TYPE_DEFAULT, r->dev0, r->parent, NULL, 0,
				      &r->viommu),
			 0);
}

static void rig_fini(struct rig *r)
{
	iommufd_device_unbind(r->idev0);
	iommufd_device_unbind(r->idev1);
	assert_int_equal(uiommu_close(r->t.fd), 0);
	r->t.fd = -1;
	guest_fini(&r->g);
	ifd_close(&r->t);
}

static void viommu_alloc_and_vdevices(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t bad, plain;
	/* Over a paging HWPT that is not a nesting parent; with data;
	 * another driver's type. */
	assert_int_equal(hwpt_alloc_data(r.t.fd, 0, r.dev0, r.ioas, 0, NULL, 0, &plain), 0);
	assert_int_equal(viommu_alloc(&r, IOMMU_VIOMMU_TYPE_DEFAULT, r.dev0, plain, NULL, 0, &bad),
			 -EINVAL);
	uint64_t data = 0;
	assert_int_equal(viommu_alloc(&r, IOMMU_VIOMMU_TYPE_DEFAULT, r.dev0, r.parent, &data, 8,
				      &bad),
			 -EINVAL);
	assert_int_equal(viommu_alloc(&r, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, r.dev0, r.parent, NULL, 0,
				      &bad),
			 -EOPNOTSUPP);
	assert_int_equal(obj_destroy(r.t.fd, plain), 0);
	/* The parent is held by the vIOMMU. */
	assert_int_equal(obj_destroy(r.t.fd, r.parent), -EBUSY);

	/* vDEVICEs: one per device, one per virtual ID. */
	uint32_t v0, v1;
	assert_int_equal(vdevice_alloc(&r, r.viommu, r.dev0, VRID0, &v0), 0);
	assert_int_equal(vdevice_alloc(&r, r.viommu, r.dev0, VRID1, &bad), -EEXIST);
	assert_int_equal(vdevice_alloc(&r, r.viommu, r.dev1, VRID0, &bad), -EEXIST);
	assert_int_equal(vdevice_alloc(&r, r.viommu, r.dev1, VRID1, &v1), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.viommu), -EBUSY);
	assert_int_equal(obj_destroy(r.t.fd, v1), 0);
	assert_int_equal(vdevice_alloc(&r, r.viommu, r.dev1, VRID1, &v1), 0);
	assert_int_equal(obj_destroy(r.t.fd, v0), 0);
	assert_int_equal(obj_destroy(r.t.fd, v1), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.viommu), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.parent), 0);
	rig_fini(&r);
}

static int inv_vdev(struct rig *r, const struct uiommu_viommu_invalidate_vdev *e, uint32_t n,
		    uint32_t *done)
{
	return hwpt_invalidate(r->t.fd, r->viommu, IOMMU_VIOMMU_INVALIDATE_DATA_UIOMMU_VDEV, e,
			       sizeof(*e), n, done);
}

static struct uiommu_viommu_invalidate_vdev vdev_entry(uint64_t virt_id, uint32_t pasid,
						       uint64_t addr, uint64_t npages)
{
	struct uiommu_viommu_invalidate_vdev e = { .virt_id = virt_id, .pasid = pasid,
						   .data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 };
	struct iommu_hwpt_vtd_s1_invalidate inv = { .addr = addr, .npages = npages };
	memcpy(e.data, &inv, sizeof(inv));
	return e;
}

static void nested_through_the_viommu_and_its_invalidation(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	assert_int_equal(guest_pt_map(&r.pt, 0x1000, GPA_BASE + 0x10000, 12, GUEST_PTE_USER), 0);
	uint32_t nested, vd0;
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, r.dev0, r.viommu, r.pt.root, 48, 0, &nested), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.viommu), -EBUSY);
	uint32_t pt = nested;
	assert_int_equal(iommufd_device_attach(r.idev0, IOMMU_NO_PASID, &pt), 0);
	assert_int_equal(vdevice_alloc(&r, r.viommu, r.dev0, VRID0, &vd0), 0);
	uint8_t *old = guest_va(&r.g, GPA_BASE + 0x10000);
	uint8_t *new = guest_va(&r.g, GPA_BASE + 0x20000);
	th_dma_lands(r.d0, PCI_NO_PASID, 0x1000, old, "via viommu");
	assert_int_equal(guest_pt_set(&r.pt, 0x1000, GPA_BASE + 0x20000, GUEST_PTE_USER), 0);
	th_dma_lands(r.d0, PCI_NO_PASID, 0x1000, old, "stale");

	/* Errors first: unknown vDEVICE, a PASID with nothing there, a
	 * wrong inner type, a bad inner entry - each stops the batch. */
	uint32_t done;
	struct uiommu_viommu_invalidate_vdev e[2] = { vdev_entry(VRID0, 0, 0x1000, 1),
						      vdev_entry(VRID1, 0, 0x1000, 1) };
	assert_int_equal(inv_vdev(&r, e, 2, &done), -EINVAL);
	assert_int_equal(done, 1);
	e[1] = vdev_entry(VRID0, 3, 0x1000, 1);
	assert_int_equal(inv_vdev(&r, &e[1], 1, &done), -EINVAL);
	assert_int_equal(done, 0);
	e[1] = vdev_entry(VRID0, 0, 0x1000, 1);
	e[1].data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	assert_int_equal(inv_vdev(&r, &e[1], 1, &done), -EINVAL);
	e[1] = vdev_entry(VRID0, 0, 0x1001, 1);
	assert_int_equal(inv_vdev(&r, &e[1], 1, &done), -EINVAL);
	assert_int_equal(hwpt_invalidate(r.t.fd, r.viommu, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e,
					 sizeof(e[0]), 1, &done),
			 -EINVAL);
	assert_int_equal(done, 0);
	/* The first entry of the first batch went through: new page. */
	th_dma_lands(r.d0, PCI_NO_PASID, 0x1000, new, "fresh");
	/* And once more, the whole batch of one. */
	assert_int_equal(guest_pt_set(&r.pt, 0x1000, GPA_BASE + 0x10000, GUEST_PTE_USER), 0);
	assert_int_equal(inv_vdev(&r, e, 1, &done), 0);
	assert_int_equal(done, 1);
	th_dma_lands(r.d0, PCI_NO_PASID, 0x1000, old, "back");
	iommufd_device_detach(r.idev0, IOMMU_NO_PASID);
	assert_int_equal(obj_destroy(r.t.fd, vd0), 0);
	assert_int_equal(obj_destroy(r.t.fd, nested), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.viommu), 0);
	rig_fini(&r);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* A fault in the guest's table, by a device with a vDEVICE, reaches the
 * vIOMMU's fault queue with the RID the guest knows; one by a device
 * without a vDEVICE reaches nobody. */
static void guest_faults_reach_the_veventq(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t nested, vd0, q;
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, r.dev0, r.viommu, r.pt.root, 48, 0, &nested), 0);
	uint32_t pt = nested;
	assert_int_equal(iommufd_device_attach(r.idev0, IOMMU_NO_PASID, &pt), 0);
	pt = nested;
	assert_int_equal(iommufd_device_attach(r.idev1, IOMMU_NO_PASID, &pt), 0);
	assert_int_equal(vdevice_alloc(&r, r.viommu, r.dev0, VRID0, &vd0), 0);
	struct iommu_veventq_alloc c = { .size = sizeof(c), .viommu_id = r.viommu,
					 .type = IOMMU_VEVENTQ_TYPE_UIOMMU_DMA_FAULT,
					 .veventq_depth = 4 };
	assert_int_equal(ioc(r.t.fd, IOMMU_VEVENTQ_ALLOC, &c), 0);
	q = c.out_veventq_id;
	int fd = (int)c.out_veventq_fd;
	assert_false(readable(fd));

	assert_int_equal(th_dma_faults(r.d1, PCI_NO_PASID, 0x5000), VTD_FR_SM_FS_P);
	assert_false(readable(fd));
	assert_int_equal(th_dma_faults(r.d0, PCI_NO_PASID, 0x7000), VTD_FR_SM_FS_P);
	assert_true(readable(fd));
	struct {
		struct iommufd_vevent_header h;
		struct uiommu_vevent_dma_fault f;
	} ev;
	assert_int_equal(uiommu_read(fd, &ev, sizeof(ev)), sizeof(ev));
	assert_int_equal(ev.h.flags, 0);
	assert_int_equal(ev.f.virt_id, VRID0);
	assert_int_equal(ev.f.addr, 0x7000);
	assert_int_equal(ev.f.reason, VTD_FR_SM_FS_P);
	assert_int_equal(ev.f.flags, 0);
	assert_false(readable(fd));
	/* The queue holds the vIOMMU. */
	assert_int_equal(obj_destroy(r.t.fd, r.viommu), -EBUSY);
	assert_int_equal(uiommu_close(fd), 0);
	assert_int_equal(obj_destroy(r.t.fd, q), 0);
	iommufd_device_detach(r.idev0, IOMMU_NO_PASID);
	iommufd_device_detach(r.idev1, IOMMU_NO_PASID);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(viommu_alloc_and_vdevices),
		cmocka_unit_test(nested_through_the_viommu_and_its_invalidation),
		cmocka_unit_test(guest_faults_reach_the_veventq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
