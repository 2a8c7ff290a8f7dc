/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DEVICE objects and HWPTs on VT-d (SPEC U-4, U-5, U-7, U-8, U-9): bind
 * claims the group and blocks DMA, attach to an IOAS makes (and reuses)
 * an automatic HWPT, mappings reach the device through the VT-d model,
 * the interrupt window is reserved, replace and detach, manual HWPTs,
 * PASID attach, GET_HW_INFO with the unit's real CAP/ECAP.
 */
#include <unistd.h>

#include "iommufd_utils.h"
#include "base/device.h"
#include "hw/pci/pci.h"
#include <uiommu/hw/pci_regs.h>
#include <uiommu/hw/vtd.h>
#include <uiommu/hw/vtd_regs.h>

#define PG 4096ull
#define BASE (1ull << 24)

struct rig {
	struct ifd t;
	struct device *d0, *d1;
	struct iommufd_device *idev0;
	uint32_t dev0;
	uint32_t ioas;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	ifd_open(&r->t);
	r->d0 = th_device(r->t.h, "dmatest0");
	r->d1 = th_device(r->t.h, "dmatest1");
	int err;
	r->idev0 = iommufd_device_bind(r->t.ictx, r->d0, &r->dev0, &err);
	assert_non_null(r->idev0);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
}

static void rig_fini(struct rig *r)
{
	if (r->idev0)
		iommufd_device_unbind(r->idev0);
	ifd_close(&r->t);
}

static int hwpt_alloc(int fd, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t *out)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = flags, .dev_id = dev,
				      .pt_id = pt };
	int rc = ioc(fd, IOMMU_HWPT_ALLOC, &c);
	*out = rc ? 0 : c.out_hwpt_id;
	return rc;
}

static void bind_blocks_dma_and_claims_the_group(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	assert_int_equal(r.dev0, 1);
	assert_int_equal(r.ioas, 2);
	/* DMA is blocked until an attach. */
	th_dma_faults(r.d0, PCI_NO_PASID, BASE);
	/* Another context cannot have the group. */
	struct ifd t2;
	ifd_open_on(&t2, r.t.h);
	int err;
	uint32_t id;
	assert_null(iommufd_device_bind(t2.ictx, r.d0, &id, &err));
	assert_int_equal(err, -EBUSY);
	assert_int_equal(uiommu_close(t2.fd), 0);
	/* A bound device is a leaf nobody may destroy by ID. */
	assert_int_equal(obj_destroy(r.t.fd, r.dev0), -EBUSY);
	assert_true(iommufd_ctx_has_group(r.t.ictx, iommu_group_get(r.d0)));
	iommufd_device_unbind(r.idev0);
	r.idev0 = NULL;
	assert_false(iommufd_ctx_has_group(r.t.ictx, iommu_group_get(r.d0)));
	assert_int_equal(obj_destroy(r.t.fd, 1), -ENOENT);
	rig_fini(&r);
}

static void attach_ioas_maps_reach_the_device(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint8_t *buf = buf_alloc(4 * PG);
	/* Mapped before the attach: nothing pinned yet (lazy pinning). */
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, buf, 2 * PG, BASE), 0);
	assert_int_equal(uiommu_pinned_pages(), 0);
	uint32_t pt = r.ioas;
	assert_int_equal(iommufd_device_attach(r.idev0, IOMMU_NO_PASID, &pt), 0);
	assert_true(pt != r.ioas);
	assert_int_equal(uiommu_pinned_pages(), 2);
	th_dma_lands(r.d0, PCI_NO_PASID, BASE + PG + 8, buf + PG + 8, "a");
	/* Mapped after the attach: pinned and in the domain at once. */
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, buf + 2 * PG, PG, BASE + 8 * PG), 0);
	assert_int_equal(uiommu_pinned_pages(), 3);
	th_dma_lands(r.d0, PCI_NO_PASID, BASE + 8 * PG, buf + 2 * PG, "b");
	/* What is referenced cannot be destroyed. */
	assert_int_equal(obj_destroy(r.t.fd, r.ioas), -EBUSY);
	assert_int_equal(obj_destroy(r.t.fd, pt), -EBUSY);
	/* Unmapped: the next DMA faults, never a stale hit. */
	assert_int_equal(ioas_unmap(r.t.fd, r.ioas, BASE + 8 * PG, PG, NULL), 0);
	th_dma_faults(r.d0, PCI_NO_PASID, BASE + 8 * PG);
	assert_int_equal(uiommu_pinned_pages(), 2);
	/* Detach frees the automatic HWPT; DMA is blocked again. */
	iommufd_device_detach(r.idev0, IOMMU_NO_PASID);
	assert_int_equal(obj_destroy(r.t.fd, pt), -ENOENT);
	assert_int_equal(uiommu_pinned_pages(), 0);
	th_dma_faults(r.d0, PCI_NO_PASID, BASE);
	munmap(buf, 4 * PG);
	rig_fini(&r);
}

static int ranges(int fd, uint32_t ioas, struct iommu_iova_range *r, uint32_t n,
		  uint64_t *align)
{
	struct iommu_ioas_iova_ranges c = { .size = sizeof(c), .ioas_id = ioas, .num_iovas = n,
					    .allowed_iovas = (uintptr_t)r };
	int rc = ioc(fd, IOMMU_IOAS_IOVA_RANGES, &c);
	*align = c.out_iova_alignment;
	return rc ? rc : (int)c.num_iovas;
}

static void attach_narrows_the_iova(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	/* Unaligned areas block an attach that needs page alignment. */
	uint8_t *buf = buf_alloc(4 * PG);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, buf + 8, 16, BASE + 8), 0);
	uint64_t before = ioas_state(&r.t, r.ioas);
	uint32_t pt = r.ioas;
	assert_int_equal(iommufd_device_attach(r.idev0, IOMMU_NO_PASID, &pt), -EADDRINUSE);
	assert_int_equal(ioas_state(&r.t, r.ioas), before);
	assert_int_equal(ioas_unmap(r.t.fd, r.ioas, 0, UINT64_MAX, NULL), 0);
	/* An allowed range over the interrupt window blocks it too. */
	struct iommu_iova_range allow = { .start = 0xfee00000, .last = 0xfeefffff };
	assert_int_equal(ioas_allow(r.t.fd, r.ioas, &allow, 1), 0);
	before = ioas_state(&r.t, r.ioas);
	assert_int_equal(iommufd_device_attach(r.idev0, IOMMU_NO_PASID, &pt), -EADDRINUSE);
	assert_int_equal(ioas_state(&r.t, r.ioas), before);
	assert_int_equal(ioas_allow(r.t.fd, r.ioas, NULL, 0), 0);
	assert_int_equal(iommufd_device_attach(r.idev0, IOMMU_NO_PASID, &pt), 0);
	/* The usable IOVA: the domain's aperture minus the interrupt window,
	 * page aligned. */
	struct iommu_iova_range rr[4];
	uint64_t align;
	assert_int_equal(ranges(r.t.fd, r.ioas, rr, 4, &align), 2);
	assert_int_equal(align, PG);
	assert_int_equal(rr[0].start, 0);
	assert_int_equal(rr[0].last, 0xfedfffffull);
	assert_int_equal(rr[1].start, 0xfef00000ull);
	struct iommufd_hwpt_paging *hp = (struct iommufd_hwpt_paging *)iommufd_get_object(
		r.t.ictx, pt, IOMMUFD_OBJ_HWPT_PAGING, &(int){ 0 });
	assert_int_equal(rr[1].last, hp->common.domain->geometry.aperture_end);
	iommufd_put_object(r.t.ictx, &hp->common.obj);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, buf, PG, 0xfee00000), -EINVAL);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, buf + 1, PG, BASE + 1), -EINVAL);
	/* Detach widens it again. */
	iommufd_device_detach(r.idev0, IOMMU_NO_PASID);
	assert_int_equal(ranges(r.t.fd, r.ioas, rr, 4, &align), 1);
	assert_int_equal(align, 1);
	munmap(buf, 4 * PG);
	rig_fini(&r);
}

static void auto_hwpt_reuse_and_replace(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	int err;
	uint32_t dev1;
	struct iommufd_device *idev1 = iommufd_device_bind(r.t.ictx, r.d1, &dev1, &err);
	assert_non_null(idev1);
	uint8_t *buf = buf_alloc(2 * PG);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, buf, PG, BASE), 0);
	uint32_t pt0 = r.ioas, pt1 = r.ioas;
	assert_int_equal(iommufd_device_attach(r.idev0, IOMMU_NO_PASID, &pt0), 0);
	assert_int_equal(iommufd_device_attach(idev1, IOMMU_NO_PASID, &pt1), 0);
	/* A compatible automatic HWPT is reused; the pages are pinned once. */
	assert_int_equal(pt0, pt1);
	assert_int_equal(uiommu_pinned_pages(), 1);
	th_dma_lands(r.d1, PCI_NO_PASID, BASE + 16, buf + 16, "d1");
	/* A second attach of the same device: one attachment per slot
	 * (Linux: the device is already in the attachment, EBUSY). */
	uint32_t again = r.ioas;
	assert_int_equal(iommufd_device_attach(r.idev0, IOMMU_NO_PASID, &again), -EBUSY);
	/* Replace d0 onto a manual HWPT of the same IOAS, then back. */
	uint32_t manual;
	assert_int_equal(hwpt_alloc(r.t.fd, r.dev0, r.ioas, 0, &manual), 0);
	assert_true(manual != pt0);
	uint32_t pt = manual;
	assert_int_equal(iommufd_device_replace(r.idev0, IOMMU_NO_PASID, &pt), 0);
	assert_int_equal(pt, manual);
	th_dma_lands(r.d0, PCI_NO_PASID, BASE + 32, buf + 32, "manual");
	/* The manual HWPT is busy while attached, never picked automatically. */
	assert_int_equal(obj_destroy(r.t.fd, manual), -EBUSY);
	/* d1 still holds the automatic one. */
	assert_int_equal(obj_destroy(r.t.fd, pt0), -EBUSY);
	iommufd_device_detach(idev1, IOMMU_NO_PASID);
	/* Last user gone: the automatic HWPT went with it. */
	assert_int_equal(obj_destroy(r.t.fd, pt0), -ENOENT);
	pt = r.ioas;
	assert_int_equal(iommufd_device_replace(r.idev0, IOMMU_NO_PASID, &pt), 0);
	assert_true(pt != manual);
	th_dma_lands(r.d0, PCI_NO_PASID, BASE + 48, buf + 48, "auto again");
	assert_int_equal(obj_destroy(r.t.fd, manual), 0);
	/* Replace of what is not attached. */
	pt = r.ioas;
	assert_int_equal(iommufd_device_replace(idev1, IOMMU_NO_PASID, &pt), -EINVAL);
	iommufd_device_detach(r.idev0, IOMMU_NO_PASID);
	iommufd_device_unbind(idev1);
	munmap(buf, 2 * PG);
	rig_fini(&r);
}

static void hwpt_alloc_errors(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t h;
	unsigned objs = ictx_objects(&r.t);
	assert_int_equal(hwpt_alloc(r.t.fd, 77, r.ioas, 0, &h), -ENOENT);
	assert_int_equal(hwpt_alloc(r.t.fd, r.dev0, 77, 0, &h), -EINVAL);
	assert_int_equal(hwpt_alloc(r.t.fd, r.dev0, r.dev0, 0, &h), -EINVAL);
	assert_int_equal(hwpt_alloc(r.t.fd, r.dev0, r.ioas, 1u << 7, &h), -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(r.t.fd, r.dev0, r.ioas,
				    IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_NEST_PARENT, &h),
			 -EOPNOTSUPP);
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .dev_id = r.dev0, .pt_id = r.ioas,
				      .data_len = 8 };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), -EINVAL);
	c.data_len = 0;
	c.data_type = IOMMU_HWPT_DATA_VTD_S1;
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), -EINVAL);
	c.data_type = 0;
	c.__reserved = 1;
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), -EOPNOTSUPP);
	/* A fault ID that is not a fault queue. */
	c.__reserved = 0;
	c.flags = IOMMU_HWPT_FAULT_ID_VALID;
	c.fault_id = r.ioas;
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), -ENOENT);
	/* Nested: VT-d's checks (test_iommufd_nested.c has them all) - a
	 * width of 0 is no width, a parent that is not one is refused. */
	uint32_t parent, plain;
	assert_int_equal(hwpt_alloc(r.t.fd, r.dev0, r.ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent),
			 0);
	assert_int_equal(hwpt_alloc(r.t.fd, r.dev0, r.ioas, 0, &plain), 0);
	struct iommu_hwpt_vtd_s1 s1 = { 0 };
	c = (struct iommu_hwpt_alloc){ .size = sizeof(c), .dev_id = r.dev0, .pt_id = parent,
				       .data_type = IOMMU_HWPT_DATA_VTD_S1, .data_len = sizeof(s1),
				       .data_uptr = (uintptr_t)&s1 };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), -EINVAL);
	s1.addr_width = 48;
	c.pt_id = plain;
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), -EINVAL);
	assert_int_equal(obj_destroy(r.t.fd, parent), 0);
	assert_int_equal(obj_destroy(r.t.fd, plain), 0);
	assert_int_equal(ictx_objects(&r.t), objs);
	/* Dirty tracking where the unit has second-stage A/D. */
	assert_int_equal(hwpt_alloc(r.t.fd, r.dev0, r.ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h),
			 0);
	assert_int_equal(obj_destroy(r.t.fd, h), 0);
	rig_fini(&r);
}

static int hw_info(int fd, uint32_t dev, void *data, uint32_t *len, uint32_t *type,
		   uint64_t *caps, uint8_t *pasid_log2, uint32_t flags)
{
	struct iommu_hw_info c = { .size = sizeof(c), .flags = flags, .dev_id = dev,
				   .data_len = *len, .data_uptr = (uintptr_t)data,
				   .in_data_type = *type };
	int rc = ioc(fd, IOMMU_GET_HW_INFO, &c);
	*len = c.data_len;
	*type = c.out_data_type;
	*caps = c.out_capabilities;
	*pasid_log2 = c.out_max_pasid_log2;
	return rc;
}

static void get_hw_info(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	/* What the unit's registers say, read as any driver reads them. */
	struct vtd_unit *u = uiommu_host_unit(r.t.h, 0);
	uint64_t cap, ecap;
	assert_int_equal(vtd_mmio_read(u, VTD_REG_CAP, 8, &cap), 0);
	assert_int_equal(vtd_mmio_read(u, VTD_REG_ECAP, 8, &ecap), 0);
	struct iommu_hw_info_vtd vtd[2];
	memset(vtd, 0xaa, sizeof(vtd));
	uint32_t len = sizeof(vtd), type = 0;
	uint64_t caps;
	uint8_t pl;
	assert_int_equal(hw_info(r.t.fd, r.dev0, vtd, &len, &type, &caps, &pl, 0), 0);
	assert_int_equal(type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	assert_int_equal(len, sizeof(struct iommu_hw_info_vtd));
	assert_int_equal(vtd[0].cap_reg, cap);
	assert_int_equal(vtd[0].ecap_reg, ecap);
	assert_int_equal(vtd[0].flags, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
	/* The rest of a larger buffer is zeroed. */
	uint8_t zero[sizeof(vtd[1])] = { 0 };
	assert_memory_equal(&vtd[1], zero, sizeof(zero));
	/* dmatest has no PASID and no ATS. */
	assert_int_equal(pl, 0);
	assert_true(caps & IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED);
	assert_int_equal(!!(caps & IOMMU_HW_CAP_DIRTY_TRACKING),
			 !!(ecap & VTD_ECAP_SLADS));
	/* A short buffer gets what fits; the length says what there is. */
	uint64_t small = 0;
	len = 8;
	type = 0;
	assert_int_equal(hw_info(r.t.fd, r.dev0, &small, &len, &type, &caps, &pl, 0), 0);
	assert_int_equal(len, sizeof(struct iommu_hw_info_vtd));
	assert_int_equal((uint32_t)small, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
	/* Asking for a type by name. */
	len = sizeof(vtd);
	type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	assert_int_equal(hw_info(r.t.fd, r.dev0, vtd, &len, &type, &caps, &pl,
				 IOMMU_HW_INFO_FLAG_INPUT_TYPE),
			 0);
	type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	assert_int_equal(hw_info(r.t.fd, r.dev0, vtd, &len, &type, &caps, &pl,
				 IOMMU_HW_INFO_FLAG_INPUT_TYPE),
			 -EOPNOTSUPP);
	/* Without the flag the input type is ignored. */
	type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	assert_int_equal(hw_info(r.t.fd, r.dev0, vtd, &len, &type, &caps, &pl, 0), 0);
	assert_int_equal(hw_info(r.t.fd, r.dev0, vtd, &len, &type, &caps, &pl, 2), -EOPNOTSUPP);
	assert_int_equal(hw_info(r.t.fd, r.ioas, vtd, &len, &type, &caps, &pl, 0), -ENOENT);
	len = 16;
	assert_int_equal(hw_info(r.t.fd, r.dev0, (void *)8, &len, &type, &caps, &pl, 0), -EFAULT);
	struct iommu_hw_info c = { .size = sizeof(c), .dev_id = r.dev0, .__reserved = { 0, 1 } };
	assert_int_equal(ioc(r.t.fd, IOMMU_GET_HW_INFO, &c), -EOPNOTSUPP);
	/* The DSA has PASID (20 bits, privileged requests on) and ATS. */
	int err;
	uint32_t dsa_id;
	struct iommufd_device *dsa = iommufd_device_bind(r.t.ictx, th_device(r.t.h, "dsa0"),
							 &dsa_id, &err);
	assert_non_null(dsa);
	len = 0;
	type = 0;
	assert_int_equal(hw_info(r.t.fd, dsa_id, NULL, &len, &type, &caps, &pl, 0), 0);
	assert_int_equal(pl, 20);
	assert_true(caps & IOMMU_HW_CAP_PCI_PASID_PRIV);
	assert_false(caps & IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED);
	iommufd_device_unbind(dsa);
	rig_fini(&r);
}

static void pasid_attach(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	int err;
	uint32_t dsa_id;
	struct device *dsa = th_device(r.t.h, "dsa0");
	struct iommufd_device *idev = iommufd_device_bind(r.t.ictx, dsa, &dsa_id, &err);
	assert_non_null(idev);
	uint8_t *buf = buf_alloc(2 * PG);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, buf, PG, BASE), 0);
	uint32_t plain, pasid_hwpt;
	assert_int_equal(hwpt_alloc(r.t.fd, dsa_id, r.ioas, 0, &plain), 0);
	assert_int_equal(hwpt_alloc(r.t.fd, dsa_id, r.ioas, IOMMU_HWPT_ALLOC_PASID, &pasid_hwpt),
			 0);
	/* A PASID needs a PASID-capable HWPT (U-8). */
	uint32_t pt = plain;
	assert_int_equal(iommufd_device_attach(idev, 7, &pt), -EINVAL);
	pt = pasid_hwpt;
	assert_int_equal(iommufd_device_attach(idev, 7, &pt), 0);
	th_dma_lands(dsa, 7, BASE + 40, buf + 40, "pasid7");
	/* ... and then the RID's HWPT must be PASID-capable too. */
	pt = plain;
	assert_int_equal(iommufd_device_attach(idev, IOMMU_NO_PASID, &pt), -EINVAL);
	pt = pasid_hwpt;
	assert_int_equal(iommufd_device_attach(idev, IOMMU_NO_PASID, &pt), 0);
	th_dma_lands(dsa, PCI_NO_PASID, BASE + 80, buf + 80, "rid");
	/* Other PASIDs stay blocked. */
	th_dma_faults(dsa, 8, BASE);
	iommufd_device_detach(idev, 7);
	th_dma_faults(dsa, 7, BASE);
	iommufd_device_detach(idev, IOMMU_NO_PASID);
	assert_int_equal(obj_destroy(r.t.fd, plain), 0);
	assert_int_equal(obj_destroy(r.t.fd, pasid_hwpt), 0);
	iommufd_device_unbind(idev);
	munmap(buf, 2 * PG);
	rig_fini(&r);
}

/* An unbound device's group goes back to the kernel's default domain. */
static void unbind_restores_default_domain(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	struct iommu_domain *def = iommu_get_domain_for_dev(r.d1);
	int err;
	uint32_t id;
	struct iommufd_device *idev1 = iommufd_device_bind(r.t.ictx, r.d1, &id, &err);
	assert_non_null(idev1);
	assert_ptr_not_equal(iommu_get_domain_for_dev(r.d1), def);
	iommufd_device_unbind(idev1);
	assert_ptr_equal(iommu_get_domain_for_dev(r.d1), def);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bind_blocks_dma_and_claims_the_group),
		cmocka_unit_test(attach_ioas_maps_reach_the_device),
		cmocka_unit_test(attach_narrows_the_iova),
		cmocka_unit_test(auto_hwpt_reuse_and_replace),
		cmocka_unit_test(hwpt_alloc_errors),
		cmocka_unit_test(get_hw_info),
		cmocka_unit_test(pasid_attach),
		cmocka_unit_test(unbind_restores_default_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
