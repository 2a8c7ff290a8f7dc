/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hardware nesting on VT-d through /dev/iommu (SPEC U-10; seed 2 flows
 * 4.4 and 4.5): a guest's RAM is the GPA IOAS behind a NEST_PARENT HWPT,
 * the guest's own IA-32e first stage (tables at GPAs) is a nested HWPT
 * with IOMMU_HWPT_DATA_VTD_S1, and the unit walks both. The guest's
 * changes to its tables reach DMA only through HWPT_INVALIDATE - without
 * it the stale translation is used, as on hardware, and checker mode
 * reports it. Guest SVA: the same at a vPASID beside the device's GPA
 * space on its RID.
 */
#include "iommufd_utils.h"
#include "guest/guest.h"
#include "base/device.h"
#include "hw/iface/mem.h"
#include "iommu/intel/intel.h"
#include <uiommu/hw/vtd.h>

#define PG        4096ull
#define GPA_BASE  0x80000000ull
#define RAM_SIZE  (8ull << 20)
#define TABLES    (1ull << 20)
#define VPASID    7

struct rig {
	struct ifd t;
	struct guest g;
	struct guest_pt pt;
	struct device *d;
	struct iommufd_device *idev;
	uint32_t dev, ioas, parent;
};

struct stale_log {
	int n;
	struct vtd_stale_report last;
};

static void on_stale(struct vtd_unit *u, const struct vtd_stale_report *r, void *opaque)
{
	(void)u;
	struct stale_log *l = opaque;
	l->n++;
	l->last = *r;
}

/* `name` bound to a fresh context, the guest's RAM mapped at GPA_BASE in
 * an IOAS, a nesting parent over it (plus `parent_flags`), and an empty
 * 4-level guest table. */
static void rig_init_opts(struct rig *r, const char *name, uint32_t parent_flags, bool checker)
{
	memset(r, 0, sizeof(*r));
	char err[256];
	struct uiommu_host *h;
	struct uiommu_host_opts o = { .no_drivers = true, .checker = checker };
	if (uiommu_host_new(&o, &h, err, sizeof(err)))
		fail_msg("host: %s", err);
	ifd_open_on(&r->t, h);
	r->d = th_device(h, name);
	int err2;
	r->idev = iommufd_device_bind(r->t.ictx, r->d, &r->dev, &err2);
	assert_non_null(r->idev);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
	assert_int_equal(guest_init(&r->g, GPA_BASE, RAM_SIZE, TABLES), 0);
	assert_int_equal(ioas_map_fixed(r->t.fd, r->ioas, r->g.ram, RAM_SIZE, GPA_BASE), 0);
	uint32_t flags = IOMMU_HWPT_ALLOC_NEST_PARENT | parent_flags;
	assert_int_equal(hwpt_alloc_data(r->t.fd, flags, r->dev, r->ioas, IOMMU_HWPT_DATA_NONE,
					 NULL, 0, &r->parent),
			 0);
	assert_int_equal(guest_pt_init(&r->pt, &r->g, 4), 0);
}

static void rig_init(struct rig *r, const char *name)
{
	rig_init_opts(r, name, 0, false);
}

static void rig_fini(struct rig *r)
{
	iommufd_device_unbind(r->idev);
	assert_int_equal(uiommu_close(r->t.fd), 0);
	r->t.fd = -1;
	guest_fini(&r->g);
	ifd_close(&r->t);
}

static uint8_t *ram(struct rig *r, uint64_t gpa)
{
	uint8_t *p = guest_va(&r->g, gpa);
	assert_non_null(p);
	return p;
}

static int nested_alloc(struct rig *r, uint32_t flags, uint32_t *out)
{
	return hwpt_alloc_s1(r->t.fd, flags, r->dev, r->parent, r->pt.root, 48, 0, out);
}

static uint64_t *pasid_entry(struct rig *r, ioasid_t pasid)
{
	struct device_domain_info *info = dev_iommu_priv_get(r->d);
	uint64_t *pe = intel_pasid_entry(info, pasid, false);
	assert_non_null(pe);
	return pe;
}

static struct dmar_domain *domain_of(struct rig *r, uint32_t hwpt_id)
{
	int err;
	struct iommufd_object *obj = iommufd_get_object(r->t.ictx, hwpt_id, IOMMUFD_OBJ_ANY, &err);
	assert_non_null(obj);
	struct iommu_domain *d = ((struct iommufd_hw_pagetable *)obj)->domain;
	iommufd_put_object(r->t.ictx, obj);
	return to_dmar_domain(d);
}

static void nested_translates_through_both_stages(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, "dmatest0");
	/* A 4 KiB and a 2 MiB guest page, and one that points outside RAM. */
	assert_int_equal(guest_pt_map(&r.pt, 0x1000, GPA_BASE + 0x5000, 12, GUEST_PTE_USER), 0);
	assert_int_equal(guest_pt_map(&r.pt, 0x40000000, GPA_BASE + 0x400000, 21, GUEST_PTE_USER),
			 0);
	assert_int_equal(guest_pt_map(&r.pt, 0x9000, GPA_BASE + RAM_SIZE, 12, GUEST_PTE_USER), 0);
	uint32_t nested;
	assert_int_equal(nested_alloc(&r, 0, &nested), 0);
	uint32_t pt = nested;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), 0);
	assert_int_equal(pt, nested);
	/* The parent is busy while a nested HWPT sits on it. */
	assert_int_equal(obj_destroy(r.t.fd, r.parent), -EBUSY);

	th_dma_lands(r.d, PCI_NO_PASID, 0x1010, ram(&r, GPA_BASE + 0x5010), "4k");
	th_dma_lands(r.d, PCI_NO_PASID, 0x40000000 + 0x12345, ram(&r, GPA_BASE + 0x412345), "2m");
	/* Nothing in the guest's table: a first-stage fault. */
	assert_int_equal(th_dma_faults(r.d, PCI_NO_PASID, 0x3000), VTD_FR_SM_FS_P);
	/* The guest's table points outside what the parent maps: the
	 * second stage refuses the output. */
	assert_int_equal(th_dma_faults(r.d, PCI_NO_PASID, 0x9000), VTD_FR_SM_SS_NOT_PRESENT);

	/* The PASID entry, as the unit reads it: nested, the guest table by
	 * its GPA, the parent's second stage, a domain ID of its own. */
	uint64_t *pe = pasid_entry(&r, IOMMU_NO_PASID);
	struct dmar_domain *s1 = domain_of(&r, nested), *s2 = domain_of(&r, r.parent);
	assert_int_equal(VTD_PE0_PGTT(pe[0]), VTD_PGTT_NESTED);
	assert_int_equal(pe[2] & VTD_PE2_FSPTPTR_MASK, r.pt.root);
	assert_int_equal(VTD_PE2_FSPM(pe[2]), 0);
	assert_int_equal(pe[0] & VTD_PE0_SSPTPTR_MASK, hw_pa(s2->pgt.root));
	assert_int_equal(VTD_PE0_AW(pe[0]) + 2, s2->levels);
	struct device_domain_info *info = dev_iommu_priv_get(r.d);
	assert_int_equal(VTD_PE1_DID(pe[1]), domain_id_on(s1, info->iommu));
	assert_int_equal(domain_id_on(s2, info->iommu), 0); /* the parent is not installed */

	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	assert_int_equal(obj_destroy(r.t.fd, nested), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.parent), 0);
	rig_fini(&r);
}

/* Two guest tables over one parent at PASID 0 of two devices: their
 * translations are cached apart (each nested domain has its own DID). */
static void two_guest_tables_do_not_share_translations(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, "dmatest0");
	struct device *d2 = th_device(r.t.h, "dmatest1");
	int err;
	uint32_t dev2;
	struct iommufd_device *idev2 = iommufd_device_bind(r.t.ictx, d2, &dev2, &err);
	assert_non_null(idev2);
	struct guest_pt pt2;
	assert_int_equal(guest_pt_init(&pt2, &r.g, 4), 0);
	assert_int_equal(guest_pt_map(&r.pt, 0x1000, GPA_BASE + 0x1000, 12, GUEST_PTE_USER), 0);
	assert_int_equal(guest_pt_map(&pt2, 0x1000, GPA_BASE + 0x2000, 12, GUEST_PTE_USER), 0);
	uint32_t n1, n2;
	assert_int_equal(nested_alloc(&r, 0, &n1), 0);
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, dev2, r.parent, pt2.root, 48, 0, &n2), 0);
	uint32_t pt = n1;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), 0);
	pt = n2;
	assert_int_equal(iommufd_device_attach(idev2, IOMMU_NO_PASID, &pt), 0);
	th_dma_lands(r.d, PCI_NO_PASID, 0x1000, ram(&r, GPA_BASE + 0x1000), "one");
	th_dma_lands(d2, PCI_NO_PASID, 0x1000, ram(&r, GPA_BASE + 0x2000), "two");
	th_dma_lands(r.d, PCI_NO_PASID, 0x1000, ram(&r, GPA_BASE + 0x1000), "one again");
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	iommufd_device_detach(idev2, IOMMU_NO_PASID);
	iommufd_device_unbind(idev2);
	rig_fini(&r);
}

static void nested_alloc_errors(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, "dmatest0");
	unsigned before = ictx_objects(&r.t);
	uint32_t id;
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = r.pt.root, .addr_width = 48 };
	/* Over a paging HWPT that is not a nesting parent. */
	uint32_t plain;
	assert_int_equal(hwpt_alloc_data(r.t.fd, 0, r.dev, r.ioas, 0, NULL, 0, &plain), 0);
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, r.dev, plain, r.pt.root, 48, 0, &id), -EINVAL);
	assert_int_equal(obj_destroy(r.t.fd, plain), 0);
	/* Another driver's data type; flags a nested HWPT cannot have. */
	assert_int_equal(hwpt_alloc_data(r.t.fd, 0, r.dev, r.parent, IOMMU_HWPT_DATA_ARM_SMMUV3,
					 &s1, sizeof(s1), &id),
			 -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc_data(r.t.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, r.dev, r.parent,
					 IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1), &id),
			 -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc_data(r.t.fd, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, r.dev, r.parent,
					 IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1), &id),
			 -EOPNOTSUPP);
	/* The data's size: short of __reserved, or longer than the struct -
	 * even with a zero tail (Linux 7.2 reads no further than the driver
	 * knows). */
	assert_int_equal(hwpt_alloc_data(r.t.fd, 0, r.dev, r.parent, IOMMU_HWPT_DATA_VTD_S1, &s1,
					 sizeof(s1) - 4, &id),
			 -EINVAL);
	uint8_t longer[sizeof(s1) + 8] = { 0 };
	memcpy(longer, &s1, sizeof(s1));
	assert_int_equal(hwpt_alloc_data(r.t.fd, 0, r.dev, r.parent, IOMMU_HWPT_DATA_VTD_S1, longer,
					 sizeof(longer), &id),
			 -EINVAL);
	longer[sizeof(s1) + 3] = 1;
	assert_int_equal(hwpt_alloc_data(r.t.fd, 0, r.dev, r.parent, IOMMU_HWPT_DATA_VTD_S1, longer,
					 sizeof(longer), &id),
			 -EINVAL);
	assert_int_equal(hwpt_alloc_data(r.t.fd, 0, r.dev, r.parent, IOMMU_HWPT_DATA_VTD_S1,
					 (void *)8, sizeof(s1), &id),
			 -EFAULT);
	/* Reserved bits, a wrong width, an unaligned table. */
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, r.dev, r.parent, r.pt.root, 48, 1u << 3, &id),
			 -EOPNOTSUPP);
	s1.__reserved = 1;
	assert_int_equal(hwpt_alloc_data(r.t.fd, 0, r.dev, r.parent, IOMMU_HWPT_DATA_VTD_S1, &s1,
					 sizeof(s1), &id),
			 -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, r.dev, r.parent, r.pt.root, 39, 0, &id), -EINVAL);
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, r.dev, r.parent, r.pt.root + 8, 48, 0, &id),
			 -EINVAL);
	assert_int_equal(ictx_objects(&r.t), before);

	/* What depends on the unit fails the attach (Linux: EINVAL): this
	 * unit has no extended accessed flag (ECAP.EAFS). */
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, r.dev, r.parent, r.pt.root, 48,
				       IOMMU_VTD_S1_EAFE, &id),
			 0);
	uint32_t pt = id;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), -EINVAL);
	assert_int_equal(obj_destroy(r.t.fd, id), 0);
	/* Supervisor requests and 5 levels it has. */
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, r.dev, r.parent, r.pt.root, 57,
				       IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_WPE, &id),
			 0);
	pt = id;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), 0);
	uint64_t *pe = pasid_entry(&r, IOMMU_NO_PASID);
	assert_int_equal(VTD_PE2_FSPM(pe[2]), 1);
	assert_true(pe[2] & VTD_PE2_SRE);
	assert_true(pe[2] & VTD_PE2_WPE);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	assert_int_equal(obj_destroy(r.t.fd, id), 0);
	rig_fini(&r);
}

/* A unit without 5-level first stages cannot take a 57-bit guest table. */
static void nested_attach_needs_the_units_features(void **state)
{
	(void)state;
	static const char *const topo =
		"{\"units\":[{\"name\":\"dmar0\",\"scope\":\"all\",\"levels\":[3,4]}],"
		"\"devices\":[{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"dmatest0\","
		"\"model\":\"dmatest\"}]}";
	struct ifd t;
	ifd_open_on(&t, th_host(topo, false));
	struct device *d = th_device(t.h, "dmatest0");
	int err;
	uint32_t dev, ioas, parent, id;
	struct iommufd_device *idev = iommufd_device_bind(t.ictx, d, &dev, &err);
	assert_non_null(idev);
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(hwpt_alloc_data(t.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, NULL, 0,
					 &parent),
			 0);
	assert_int_equal(hwpt_alloc_s1(t.fd, 0, dev, parent, 0x100000, 57, 0, &id), 0);
	uint32_t pt = id;
	assert_int_equal(iommufd_device_attach(idev, IOMMU_NO_PASID, &pt), -EINVAL);
	assert_int_equal(obj_destroy(t.fd, id), 0);
	iommufd_device_unbind(idev);
	ifd_close(&t);
}

/* Change a guest PTE; the unit keeps the old translation until told. */
static void invalidate_makes_guest_changes_visible(void **state)
{
	(void)state;
	struct rig r;
	rig_init_opts(&r, "dmatest0", 0, true);
	struct stale_log log = { 0 };
	vtd_set_checker(uiommu_host_unit(r.t.h, 0), on_stale, &log);
	/* Two pages far apart, so one invalidation can miss the other. */
	const uint64_t a = 0x1000, b = 0x7fff000;
	assert_int_equal(guest_pt_map(&r.pt, a, GPA_BASE + 0x10000, 12, GUEST_PTE_USER), 0);
	assert_int_equal(guest_pt_map(&r.pt, b, GPA_BASE + 0x20000, 12, GUEST_PTE_USER), 0);
	uint32_t nested;
	assert_int_equal(nested_alloc(&r, 0, &nested), 0);
	uint32_t pt = nested;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), 0);
	th_dma_lands(r.d, PCI_NO_PASID, a, ram(&r, GPA_BASE + 0x10000), "a");
	th_dma_lands(r.d, PCI_NO_PASID, b, ram(&r, GPA_BASE + 0x20000), "b");
	assert_int_equal(log.n, 0);

	/* The guest moves both pages and says nothing: the old pages are
	 * still reached, and the checker names the missing invalidation. */
	assert_int_equal(guest_pt_set(&r.pt, a, GPA_BASE + 0x30000, GUEST_PTE_USER), 0);
	assert_int_equal(guest_pt_set(&r.pt, b, GPA_BASE + 0x40000, GUEST_PTE_USER), 0);
	th_dma_lands(r.d, PCI_NO_PASID, a, ram(&r, GPA_BASE + 0x10000), "a stale");
	assert_true(log.n > 0);
	assert_int_equal(log.last.addr, a);
	assert_int_equal(log.last.table_out, (uint64_t)(uintptr_t)ram(&r, GPA_BASE + 0x30000));
	assert_string_equal(log.last.missing, "PASID-based IOTLB invalidation");

	/* Page-selective for a: a follows, b (outside the range) does not. */
	assert_int_equal(hwpt_inv_s1(r.t.fd, nested, a, 1, IOMMU_VTD_INV_FLAGS_LEAF), 0);
	log.n = 0;
	th_dma_lands(r.d, PCI_NO_PASID, a, ram(&r, GPA_BASE + 0x30000), "a new");
	assert_int_equal(log.n, 0);
	th_dma_lands(r.d, PCI_NO_PASID, b, ram(&r, GPA_BASE + 0x20000), "b stale");
	assert_true(log.n > 0);

	/* A batch stopping at a bad entry: the first is done, the rest not. */
	struct iommu_hwpt_vtd_s1_invalidate e[3] = {
		{ .addr = a, .npages = 1 },
		{ .addr = b, .npages = 1, .flags = 2 },
		{ .addr = b, .npages = 1 },
	};
	uint32_t done;
	assert_int_equal(hwpt_invalidate(r.t.fd, nested, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e,
					 sizeof(e[0]), 3, &done),
			 -EOPNOTSUPP);
	assert_int_equal(done, 1);
	th_dma_lands(r.d, PCI_NO_PASID, b, ram(&r, GPA_BASE + 0x20000), "b still stale");
	e[1] = (struct iommu_hwpt_vtd_s1_invalidate){ .addr = b + 1, .npages = 1 };
	assert_int_equal(hwpt_invalidate(r.t.fd, nested, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e,
					 sizeof(e[0]), 3, &done),
			 -EINVAL);
	assert_int_equal(done, 1);
	e[1] = (struct iommu_hwpt_vtd_s1_invalidate){ .addr = b, .npages = UINT64_MAX };
	assert_int_equal(hwpt_invalidate(r.t.fd, nested, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e,
					 sizeof(e[0]), 3, &done),
			 -EINVAL);
	e[1].__reserved = 1;
	e[1].npages = 1;
	assert_int_equal(hwpt_invalidate(r.t.fd, nested, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e,
					 sizeof(e[0]), 3, &done),
			 -EOPNOTSUPP);
	assert_int_equal(done, 1);
	/* The wrong type handles nothing; a paging HWPT takes none. */
	assert_int_equal(hwpt_invalidate(r.t.fd, nested, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, e,
					 sizeof(e[0]), 1, &done),
			 -EINVAL);
	assert_int_equal(done, 0);
	assert_int_equal(hwpt_inv_s1(r.t.fd, r.parent, 0, UINT64_MAX, 0), -EINVAL);
	/* Everything, from address 0: b follows. */
	assert_int_equal(hwpt_inv_s1(r.t.fd, nested, 0, UINT64_MAX, 0), 0);
	log.n = 0;
	th_dma_lands(r.d, PCI_NO_PASID, b, ram(&r, GPA_BASE + 0x40000), "b new");
	assert_int_equal(log.n, 0);
	/* Unmapped in the guest and invalidated: a first-stage fault. */
	assert_int_equal(guest_pt_unmap(&r.pt, a), 0);
	assert_int_equal(hwpt_inv_s1(r.t.fd, nested, a, 1, 0), 0);
	assert_int_equal(th_dma_faults(r.d, PCI_NO_PASID, a), VTD_FR_SM_FS_P);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	rig_fini(&r);
}

/* The parent's unmap reaches nested translations cached under the nested
 * domain's own DID: no stale hit through the guest's table. */
static void parent_unmap_flushes_nested_translations(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, "dmatest0");
	assert_int_equal(guest_pt_map(&r.pt, 0x1000, GPA_BASE + RAM_SIZE + 0x3000, 12,
				      GUEST_PTE_USER),
			 0);
	uint8_t *extra = buf_alloc(PG);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, extra, PG, GPA_BASE + RAM_SIZE + 0x3000),
			 0);
	uint32_t nested;
	assert_int_equal(nested_alloc(&r, 0, &nested), 0);
	uint32_t pt = nested;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), 0);
	th_dma_lands(r.d, PCI_NO_PASID, 0x1000, extra, "before");
	assert_int_equal(ioas_unmap(r.t.fd, r.ioas, GPA_BASE + RAM_SIZE + 0x3000, PG, NULL), 0);
	assert_int_equal(th_dma_faults(r.d, PCI_NO_PASID, 0x1000), VTD_FR_SM_SS_NOT_PRESENT);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	munmap(extra, PG);
	rig_fini(&r);
}

/*
 * Guest SVA (4.5, the PASID_DELEGATED=false flow): dsa0's RID stays in
 * the GPA space; a guest process's address space - the guest's own first
 * stage - is attached at vPASID 7 (= pPASID for a physical function).
 * DMA through both lands where each says; the guest changes its table and
 * invalidates, and DMA follows; without the invalidation the stale entry
 * is used (the device TLB too: dsa0 has ATS) and the checker flags it.
 */
static void guest_sva_beside_the_gpa_space(void **state)
{
	(void)state;
	struct rig r;
	rig_init_opts(&r, "dsa0", IOMMU_HWPT_ALLOC_PASID, true);
	struct stale_log log = { 0 };
	vtd_set_checker(uiommu_host_unit(r.t.h, 0), on_stale, &log);
	uint32_t pt = r.parent;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), 0);
	/* A guest process's buffer at a high user address, 4 KiB pages. */
	const uint64_t gva = 0x7f1234560000ull;
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(guest_pt_map(&r.pt, gva + i * PG, GPA_BASE + 0x100000 + i * PG, 12,
					      GUEST_PTE_USER),
				 0);
	uint32_t sva;
	/* A PASID needs a PASID-capable HWPT. */
	assert_int_equal(nested_alloc(&r, 0, &sva), 0);
	pt = sva;
	assert_int_equal(iommufd_device_attach(r.idev, VPASID, &pt), -EINVAL);
	assert_int_equal(obj_destroy(r.t.fd, sva), 0);
	assert_int_equal(nested_alloc(&r, IOMMU_HWPT_ALLOC_PASID, &sva), 0);
	pt = sva;
	assert_int_equal(iommufd_device_attach(r.idev, VPASID, &pt), 0);

	/* GPA on the RID, GVA at the vPASID: the same RAM two ways. */
	th_dma_lands(r.d, PCI_NO_PASID, GPA_BASE + 0x200000, ram(&r, GPA_BASE + 0x200000), "gpa");
	th_dma_lands(r.d, VPASID, gva + 2 * PG + 8, ram(&r, GPA_BASE + 0x102008), "gva");
	assert_int_equal(VTD_PE0_PGTT(pasid_entry(&r, IOMMU_NO_PASID)[0]), VTD_PGTT_SS);
	assert_int_equal(VTD_PE0_PGTT(pasid_entry(&r, VPASID)[0]), VTD_PGTT_NESTED);
	/* The GVA space reaches only what its table maps. */
	assert_int_equal(th_dma_faults(r.d, VPASID, GPA_BASE + 0x200000), 0);

	th_dma_lands(r.d, VPASID, gva + PG, ram(&r, GPA_BASE + 0x101000), "cached");
	/* The guest remaps a page (copy-on-write, say) without telling. */
	assert_int_equal(guest_pt_set(&r.pt, gva + PG, GPA_BASE + 0x180000, GUEST_PTE_USER), 0);
	th_dma_lands(r.d, VPASID, gva + PG, ram(&r, GPA_BASE + 0x101000), "stale");
	assert_true(log.n > 0);
	assert_int_equal(log.last.pasid, VPASID);
	assert_int_equal(hwpt_inv_s1(r.t.fd, sva, gva + PG, 1, IOMMU_VTD_INV_FLAGS_LEAF), 0);
	log.n = 0;
	th_dma_lands(r.d, VPASID, gva + PG, ram(&r, GPA_BASE + 0x180000), "remapped");
	assert_int_equal(log.n, 0);
	/* The GPA space on the RID was never disturbed. */
	th_dma_lands(r.d, PCI_NO_PASID, GPA_BASE + 0x101000, ram(&r, GPA_BASE + 0x101000), "gpa2");

	iommufd_device_detach(r.idev, VPASID);
	assert_int_equal(th_dma_faults(r.d, VPASID, gva), VTD_FR_SM_PTE_P);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nested_translates_through_both_stages),
		cmocka_unit_test(two_guest_tables_do_not_share_translations),
		cmocka_unit_test(nested_alloc_errors),
		cmocka_unit_test(nested_attach_needs_the_units_features),
		cmocka_unit_test(invalidate_makes_guest_changes_visible),
		cmocka_unit_test(parent_unmap_flushes_nested_translations),
		cmocka_unit_test(guest_sva_beside_the_gpa_space),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
