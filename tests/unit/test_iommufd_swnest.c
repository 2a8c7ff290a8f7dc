/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software nesting (SPEC U-10, seed 2 flow 4.3), the uiommu extension of
 * <uiommu/iommufd_ext.h>: an IOAS nested on the GPA IOAS is mapped with
 * GPAs; uiommu resolves them through the parent and builds the shadow
 * (GIOVA -> memory) itself. The same guest mappings give the same DMA
 * results as hardware nesting; pages are pinned and charged once, for
 * the parent; unmapping from the parent takes the shadows down first.
 */
#include <uiommu/iommufd_ext.h>

#include "iommufd_utils.h"
#include "guest/guest.h"
#include "base/device.h"

#define PG       4096ull
#define GPA_BASE 0x80000000ull
#define RAM_SIZE (4ull << 20)

struct rig {
	struct ifd t;
	struct guest g;
	struct device *d;
	struct iommufd_device *idev;
	uint32_t dev, gpa_ioas, giova_ioas;
};

static int nest_alloc(int fd, uint32_t parent, uint32_t *out)
{
	struct uiommu_ioas_nest_alloc c = { .size = sizeof(c), .parent_ioas_id = parent };
	int rc = ioc(fd, UIOMMU_IOAS_NEST_ALLOC, &c);
	*out = rc ? 0 : c.out_ioas_id;
	return rc;
}

static int nest_map(int fd, uint32_t ioas, uint64_t iova, uint64_t parent_iova, uint64_t len,
		    uint32_t flags)
{
	struct uiommu_ioas_nest_map c = { .size = sizeof(c),
					  .flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
					  .ioas_id = ioas, .iova = iova,
					  .parent_iova = parent_iova, .length = len };
	return ioc(fd, UIOMMU_IOAS_NEST_MAP, &c);
}

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	ifd_open(&r->t);
	r->d = th_device(r->t.h, "dmatest0");
	int err;
	r->idev = iommufd_device_bind(r->t.ictx, r->d, &r->dev, &err);
	assert_non_null(r->idev);
	assert_int_equal(ioas_alloc(r->t.fd, &r->gpa_ioas), 0);
	assert_int_equal(guest_init(&r->g, GPA_BASE, RAM_SIZE, 1ull << 20), 0);
	/* 4 KiB pages so a single GPA page can be unmapped. */
	struct iommu_option opt = { .size = sizeof(opt), .option_id = IOMMU_OPTION_HUGE_PAGES,
				    .op = IOMMU_OPTION_OP_SET, .object_id = r->gpa_ioas };
	assert_int_equal(ioc(r->t.fd, IOMMU_OPTION, &opt), 0);
	/* Guest RAM in 1 MiB slices, the last read-only (a ROM, say). */
	for (uint64_t off = 0; off < RAM_SIZE; off += 1ull << 20) {
		uint32_t fl = off + (1ull << 20) == RAM_SIZE ? IOMMU_IOAS_MAP_READABLE : MAP_RW;
		uint64_t iova = GPA_BASE + off;
		assert_int_equal(ioas_map(r->t.fd, r->gpa_ioas, r->g.ram + off, 1ull << 20, &iova,
					  fl | IOMMU_IOAS_MAP_FIXED_IOVA),
				 0);
	}
	assert_int_equal(nest_alloc(r->t.fd, r->gpa_ioas, &r->giova_ioas), 0);
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
	return guest_va(&r->g, gpa);
}

static void child_maps_parent_iovas(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	/* The proposal's example: GIOVA 0x2000 -> GPA 0x1000 (of RAM). */
	assert_int_equal(nest_map(r.t.fd, r.giova_ioas, 0x2000, GPA_BASE + 0x1000, PG, MAP_RW), 0);
	/* Across two parent mappings at once. */
	assert_int_equal(nest_map(r.t.fd, r.giova_ioas, 0x100000, GPA_BASE + (1ull << 20) - PG,
				  2 * PG, MAP_RW),
			 0);
	uint32_t pt = r.giova_ioas;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), 0);
	th_dma_lands(r.d, PCI_NO_PASID, 0x2010, ram(&r, GPA_BASE + 0x1010), "shadow");
	th_dma_lands(r.d, PCI_NO_PASID, 0x100000, ram(&r, GPA_BASE + (1ull << 20) - PG), "a");
	th_dma_lands(r.d, PCI_NO_PASID, 0x101000, ram(&r, GPA_BASE + (1ull << 20)), "b");
	assert_int_equal(th_dma_faults(r.d, PCI_NO_PASID, 0x1000), VTD_FR_SM_SS_NOT_PRESENT);
	/* The parent is busy while a child exists. */
	assert_int_equal(obj_destroy(r.t.fd, r.gpa_ioas), -EBUSY);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	assert_int_equal(obj_destroy(r.t.fd, r.giova_ioas), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.gpa_ioas), 0);
	rig_fini(&r);
}

/*
 * The guest's IOMMU mappings, built twice: as shadows in a nested IOAS
 * (dmatest0) and as the guest's own first stage over a nesting parent of
 * the same GPA IOAS (dmatest1). Every probe - reads and writes, mapped,
 * read-only, unmapped, over read-only RAM - ends the same way.
 */
struct gmap {
	uint64_t giova, gpa;
	bool writable;
};

static const struct gmap gmaps[] = {
	{ 0x10000, GPA_BASE + 0x3000, true },
	{ 0x11000, GPA_BASE + 0x8000, false },
	{ 0x40000, GPA_BASE + 0x200000, true },
	{ 0x41000, GPA_BASE + RAM_SIZE - PG, false }, /* the read-only slice */
};

static void same_results_as_hardware_nesting(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	struct device *d2 = th_device(r.t.h, "dmatest1");
	int err;
	uint32_t dev2, parent, nested;
	struct iommufd_device *idev2 = iommufd_device_bind(r.t.ictx, d2, &dev2, &err);
	assert_non_null(idev2);
	struct guest_pt pt;
	assert_int_equal(guest_pt_init(&pt, &r.g, 4), 0);
	for (size_t i = 0; i < ARRAY_SIZE(gmaps); i++) {
		const struct gmap *m = &gmaps[i];
		uint64_t bits = GUEST_PTE_P | GUEST_PTE_US | (m->writable ? GUEST_PTE_RW : 0);
		assert_int_equal(guest_pt_map(&pt, m->giova, m->gpa, 12, bits), 0);
		uint32_t fl = m->writable ? MAP_RW : IOMMU_IOAS_MAP_READABLE;
		assert_int_equal(nest_map(r.t.fd, r.giova_ioas, m->giova, m->gpa, PG, fl), 0);
	}
	/* The read-only GPA slice refuses a writable shadow (EPERM). */
	assert_int_equal(nest_map(r.t.fd, r.giova_ioas, 0x50000, GPA_BASE + RAM_SIZE - PG, PG,
				  MAP_RW),
			 -EPERM);
	uint32_t id = r.giova_ioas;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &id), 0);
	assert_int_equal(hwpt_alloc_data(r.t.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, dev2, r.gpa_ioas, 0,
					 NULL, 0, &parent),
			 0);
	assert_int_equal(hwpt_alloc_s1(r.t.fd, 0, dev2, parent, pt.root, 48, 0, &nested), 0);
	id = nested;
	assert_int_equal(iommufd_device_attach(idev2, IOMMU_NO_PASID, &id), 0);

	static const uint64_t probes[] = { 0x10000, 0x10ff8, 0x11000, 0x40008, 0x41000,
					   0x12000, 0x0, 0x7f000 };
	/* A read must see the same byte both ways; a write by one must be
	 * what the other reads back. */
	unsigned ok = 0;
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		for (int write = 0; write < 2; write++) {
			uint64_t a = probes[i];
			uint8_t v1 = (uint8_t)(0x10 + i), v2 = (uint8_t)(0x80 + i), b1 = 0, b2 = 0;
			int rc1 = th_kdma(r.d, PCI_NO_PASID, a, &v1, 1, write, NULL);
			int rc2 = th_kdma(d2, PCI_NO_PASID, a, &v2, 1, write, NULL);
			bool same = rc1 == rc2;
			if (same && !rc1 && !write)
				same = v1 == v2;
			if (same && !rc1 && write)
				same = !th_kdma(r.d, PCI_NO_PASID, a, &b1, 1, false, NULL) &&
				       !th_kdma(d2, PCI_NO_PASID, a, &b2, 1, false, NULL) &&
				       b1 == v2 && b2 == v2;
			if (!same)
				fail_msg("probe %#llx %s: software %d, hardware %d",
					 (unsigned long long)a, write ? "write" : "read", rc1, rc2);
			ok += !rc1;
		}
	}
	assert_int_equal(ok, 8); /* 5 reads and 3 writes go through */
	iommufd_device_detach(idev2, IOMMU_NO_PASID);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	iommufd_device_unbind(idev2);
	rig_fini(&r);
}

/* The child's pages are the parent's: nothing is pinned (or charged)
 * twice, whoever attaches first. */
static void pinned_and_charged_once(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	struct device *d2 = th_device(r.t.h, "dmatest1");
	int err;
	uint32_t dev2;
	struct iommufd_device *idev2 = iommufd_device_bind(r.t.ictx, d2, &dev2, &err);
	uint64_t before = uiommu_pinned_pages();
	const uint64_t rw_ram = RAM_SIZE - (1u << 20);
	assert_int_equal(nest_map(r.t.fd, r.giova_ioas, 0x10000000, GPA_BASE, rw_ram, MAP_RW), 0);
	/* The child first: its HWPT pins what it maps. */
	uint32_t id = r.giova_ioas;
	assert_int_equal(iommufd_device_attach(idev2, IOMMU_NO_PASID, &id), 0);
	uint64_t child_only = uiommu_pinned_pages() - before;
	assert_int_equal(child_only, rw_ram / PG);
	/* Then the parent: only its read-only slice is new. */
	id = r.gpa_ioas;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &id), 0);
	assert_int_equal(uiommu_pinned_pages() - before, RAM_SIZE / PG);
	iommufd_device_detach(idev2, IOMMU_NO_PASID);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	iommufd_device_unbind(idev2);
	rig_fini(&r);
}

static void parent_unmap_takes_shadows_down(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	assert_int_equal(nest_map(r.t.fd, r.giova_ioas, 0x2000, GPA_BASE + 0x1000, PG, MAP_RW), 0);
	assert_int_equal(nest_map(r.t.fd, r.giova_ioas, 0x400000, GPA_BASE + (2ull << 20), PG,
				  MAP_RW),
			 0);
	uint32_t pt = r.giova_ioas;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), 0);
	th_dma_lands(r.d, PCI_NO_PASID, 0x2000, ram(&r, GPA_BASE + 0x1000), "before");
	unsigned objs = ictx_objects(&r.t);
	uint64_t child_state = ioas_state(&r.t, r.giova_ioas);
	/* A parent unmap that fails (part of an area): the child keeps all. */
	assert_int_equal(ioas_unmap(r.t.fd, r.gpa_ioas, GPA_BASE, PG, NULL), -ENOENT);
	assert_int_equal(ioas_state(&r.t, r.giova_ioas), child_state);
	/* The first MiB of guest RAM goes: its shadow goes first, so the
	 * device faults - no stale translation, no pages behind it. */
	uint64_t unmapped;
	assert_int_equal(ioas_unmap(r.t.fd, r.gpa_ioas, GPA_BASE, 1ull << 20, &unmapped), 0);
	assert_int_equal(unmapped, 1ull << 20);
	assert_int_equal(th_dma_faults(r.d, PCI_NO_PASID, 0x2000), VTD_FR_SM_SS_NOT_PRESENT);
	/* A shadow of another part of the parent stays. */
	th_dma_lands(r.d, PCI_NO_PASID, 0x400000, ram(&r, GPA_BASE + (2ull << 20)), "other");
	assert_int_equal(ioas_unmap(r.t.fd, r.giova_ioas, 0x2000, PG, NULL), -ENOENT);
	/* Unmap all of the parent: nothing is left in the child. */
	assert_int_equal(ioas_unmap(r.t.fd, r.gpa_ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(ioas_unmap(r.t.fd, r.giova_ioas, 0, UINT64_MAX, &unmapped), 0);
	assert_int_equal(unmapped, 0);
	assert_int_equal(ictx_objects(&r.t), objs);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	rig_fini(&r);
}

static void nest_errors(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	unsigned objs = ictx_objects(&r.t);
	uint32_t id;
	struct uiommu_ioas_nest_alloc a = { .size = sizeof(a), .flags = 1,
					    .parent_ioas_id = r.gpa_ioas };
	assert_int_equal(ioc(r.t.fd, UIOMMU_IOAS_NEST_ALLOC, &a), -EOPNOTSUPP);
	a.flags = 0;
	a.size = 8;
	assert_int_equal(ioc(r.t.fd, UIOMMU_IOAS_NEST_ALLOC, &a), -EINVAL);
	assert_int_equal(nest_alloc(r.t.fd, 999, &id), -ENOENT);
	assert_int_equal(nest_alloc(r.t.fd, r.giova_ioas, &id), -EINVAL); /* one level */
	assert_int_equal(ictx_objects(&r.t), objs);

	/* NEST_MAP: not a nested IOAS, a parent range not mapped back to
	 * back, flags, the reserved word, no access asked, wrap. */
	assert_int_equal(nest_map(r.t.fd, r.gpa_ioas, 0x1000, GPA_BASE, PG, MAP_RW), -EINVAL);
	assert_int_equal(nest_map(r.t.fd, r.giova_ioas, 0x1000, GPA_BASE + RAM_SIZE, PG, MAP_RW),
			 -ENOENT);
	assert_int_equal(nest_map(r.t.fd, r.giova_ioas, 0x1000, GPA_BASE - PG, 2 * PG, MAP_RW),
			 -ENOENT);
	struct uiommu_ioas_nest_map m = { .size = sizeof(m), .flags = 1u << 7,
					  .ioas_id = r.giova_ioas, .parent_iova = GPA_BASE,
					  .length = PG };
	assert_int_equal(ioc(r.t.fd, UIOMMU_IOAS_NEST_MAP, &m), -EOPNOTSUPP);
	m.flags = MAP_RW;
	m.__reserved = 1;
	assert_int_equal(ioc(r.t.fd, UIOMMU_IOAS_NEST_MAP, &m), -EOPNOTSUPP);
	m.__reserved = 0;
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	assert_int_equal(ioc(r.t.fd, UIOMMU_IOAS_NEST_MAP, &m), -EINVAL);
	m.flags = MAP_RW;
	m.parent_iova = UINT64_MAX - PG + 1;
	m.length = 2 * PG;
	assert_int_equal(ioc(r.t.fd, UIOMMU_IOAS_NEST_MAP, &m), -EOVERFLOW);
	/* Automatic IOVA, then the same fixed IOVA again: EEXIST. */
	m.parent_iova = GPA_BASE;
	m.length = PG;
	assert_int_equal(ioc(r.t.fd, UIOMMU_IOAS_NEST_MAP, &m), 0);
	assert_true(m.iova != 0);
	assert_int_equal(nest_map(r.t.fd, r.giova_ioas, m.iova, GPA_BASE + PG, PG, MAP_RW),
			 -EEXIST);
	/* Plain maps and copies into a nested IOAS are refused. */
	uint64_t iova = 0x900000;
	uint8_t *buf = buf_alloc(PG);
	assert_int_equal(ioas_map(r.t.fd, r.giova_ioas, buf, PG, &iova,
				  MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA),
			 -EINVAL);
	assert_int_equal(ioas_copy(r.t.fd, r.giova_ioas, r.gpa_ioas, GPA_BASE, PG, &iova,
				   MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA),
			 -EINVAL);
	munmap(buf, PG);
	/* Linux has nothing at these numbers: ENOTTY past the range. */
	assert_int_equal(ioc(r.t.fd, _IO(IOMMUFD_TYPE, UIOMMUFD_CMD_BASE + 2), &m), -ENOTTY);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(child_maps_parent_iovas),
		cmocka_unit_test(same_results_as_hardware_nesting),
		cmocka_unit_test(pinned_and_charged_once),
		cmocka_unit_test(parent_unmap_takes_shadows_down),
		cmocka_unit_test(nest_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
