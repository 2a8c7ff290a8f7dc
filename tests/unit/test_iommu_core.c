/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOMMU core and the VT-d driver under it, seen through the driver-
 * facing API with devices doing real DMA:
 *   A-1  paging domains (second and first stage), map/unmap/iova_to_phys,
 *        large pages, no stale translation after unmap, one batched
 *        invalidation per unmap call;
 *   A-2  default domains, group and singleton attach/detach, one domain
 *        per RID, DMA ownership (blocking domain, owned attach, replace);
 *   A-12 map/DMA/unmap/DMA on the PASID path as well;
 *   A-13 PASID attach/replace/detach and the global PASID space;
 *   A-14 bad arguments and devices without an IOMMU give errors, never
 *        crashes; faults reach the handler of the domain that owns the
 *        (RID, PASID) that faulted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/device.h"
#include "host/host.h"
#include "hw/machine.h"
#include "hw/pci/dma.h"
#include "iommu/group.h"
#include "iommu/iommu.h"
#include "iommu/intel/intel.h"
#include <uiommu/iommu.h>

#define RW (IOMMU_READ | IOMMU_WRITE)

/* An endpoint with PASID but no ATS, so that every translation failure
 * is a recorded fault (ATS functions get R=W=0 completions instead). */
static const char *const pasid_topo =
	"{\"devices\":["
	"{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"p\",\"pasid_bits\":20},"
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"q\"}]}";

static uint64_t pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static unsigned long qi_submits(struct uiommu_host *h)
{
	unsigned long n = 0;
	struct intel_iommu *iommu;
	list_for_each_entry(iommu, &h->intel->iommus, node)
		n += iommu->qi.submits;
	return n;
}

static struct iommu_domain *paging(struct device *d, unsigned flags)
{
	int err = 1;
	struct iommu_domain *dom = iommu_paging_domain_alloc_flags(d, flags, &err);
	if (!dom)
		fail_msg("domain alloc on %s: %d", d->name, err);
	assert_int_equal(err, 0);
	assert_int_equal(iommu_domain_type(dom), IOMMU_DOMAIN_UNMANAGED);
	return dom;
}

struct fault_rec {
	unsigned n;
	struct iommu_domain *domain;
	struct device *dev;
	uint64_t iova;
	int flags;
};

static int on_fault(struct iommu_domain *d, struct device *dv, uint64_t iova, int flags,
		    void *token)
{
	struct fault_rec *f = token;
	f->n++;
	f->domain = d;
	f->dev = dv;
	f->iova = iova;
	f->flags = flags;
	return 0;
}

/* ---- default domains (A-2) ---- */

static void test_default_domains(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *d, *e;
	unsigned n = 0;
	list_for_each_entry(d, &h->devices, node) {
		if (!d->iommu)
			continue;
		struct iommu_domain *dom = iommu_get_domain_for_dev(d);
		assert_non_null(dom);
		assert_int_equal(iommu_domain_type(dom), IOMMU_DOMAIN_DMA);
		/* One domain per group: shared within, distinct across. */
		list_for_each_entry(e, &h->devices, node) {
			if (e == d || !e->iommu)
				continue;
			if (iommu_group_get(e) == iommu_group_get(d))
				assert_ptr_equal(iommu_get_domain_for_dev(e), dom);
			else
				assert_ptr_not_equal(iommu_get_domain_for_dev(e), dom);
		}
		n++;
	}
	assert_true(n >= 8);

	/* Nothing is mapped in a default domain: all DMA is blocked and
	 * recorded. */
	struct device *dt = th_device(h, "dmatest0");
	unsigned long before = iommu_fault_count(h);
	th_dma_faults(dt, PCI_NO_PASID, 0x1000);
	assert_int_equal(iommu_fault_count(h), before + 1);
	struct iommu_fault_record f;
	assert_true(iommu_fault_last(h, &f));
	assert_ptr_equal(f.dev, dt);
	assert_int_equal(f.addr, 0x1000);
	assert_false(f.write);
	assert_false(f.pasid_valid);
	th_dma_faults(th_device(h, "dsa0"), PCI_NO_PASID, 0x1000);
	th_dma_faults(th_device(h, "mf1"), PCI_NO_PASID, 0x2000);

	/* It is a DMA-API paging domain: mapping into it opens the window. */
	uint8_t *buf = th_alloc_page();
	struct iommu_domain *def = iommu_get_domain_for_dev(dt);
	assert_int_equal(iommu_map(def, 0x1000, pa(buf), 4096, RW), 0);
	th_dma_lands(dt, PCI_NO_PASID, 0x1000, buf, "default");
	assert_int_equal(iommu_unmap(def, 0x1000, 4096), 4096);
	th_dma_faults(dt, PCI_NO_PASID, 0x1000);
	uiommu_host_free(h);
	free(buf);
}

static void test_bare_and_identity_hosts(void **s)
{
	(void)s;
	struct uiommu_host *h = NULL;
	struct uiommu_host_opts o = { .bare = true };
	assert_int_equal(uiommu_host_new(&o, &h, NULL, 0), 0);
	struct device *d = uiommu_device_find(h, "dsa0");
	assert_non_null(d);
	assert_null(d->iommu);
	assert_null(h->intel);
	assert_null(iommu_get_domain_for_dev(d));
	int err = 0;
	assert_null(iommu_paging_domain_alloc_flags(d, 0, &err));
	assert_int_equal(err, -ENODEV);
	assert_null(iommu_domain_alloc(h));
	/* Nothing to own either. */
	assert_int_not_equal(iommu_group_claim_dma_owner(iommu_group_get(d), &o), 0);
	uiommu_host_free(h);

	/* Pass-through default domains: DMA addresses are physical. */
	o = (struct uiommu_host_opts){ .default_identity = true, .no_drivers = true };
	assert_int_equal(uiommu_host_new(&o, &h, NULL, 0), 0);
	struct device *dt = th_device(h, "dmatest0");
	struct iommu_domain *id = iommu_get_domain_for_dev(dt);
	assert_int_equal(iommu_domain_type(id), IOMMU_DOMAIN_IDENTITY);
	assert_int_equal(iommu_iova_to_phys(id, 0x123456789000ull), 0x123456789000ull);
	uint8_t *buf = th_alloc_page();
	th_dma_lands(dt, PCI_NO_PASID, pa(buf), buf, "identity");
	/* Nothing is mapped into or freed from the shared identity domain. */
	assert_int_not_equal(iommu_map(id, 0x1000, pa(buf), 4096, RW), 0);
	assert_int_not_equal(iommu_domain_free(id), 0);
	uiommu_host_free(h);

	/* A unit without ECAP.PT has no identity domain: the group keeps a
	 * translating default domain, and DMA to unmapped addresses faults. */
	o = (struct uiommu_host_opts){
		.default_identity = true, .no_drivers = true,
		.topology_json = "{\"units\":[{\"name\":\"u\",\"scope\":\"all\","
				 "\"pass_through\":false}],\"devices\":[{\"bdf\":\"00:02.0\","
				 "\"type\":\"rc_endpoint\",\"name\":\"dmatest0\"}]}" };
	assert_int_equal(uiommu_host_new(&o, &h, NULL, 0), 0);
	dt = th_device(h, "dmatest0");
	assert_int_equal(iommu_domain_type(iommu_get_domain_for_dev(dt)), IOMMU_DOMAIN_DMA);
	th_dma_faults(dt, PCI_NO_PASID, pa(buf));
	uiommu_host_free(h);
	free(buf);
}

/* ---- paging domains (A-1) ---- */

static void test_paging_map_unmap(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dt = th_device(h, "dmatest0");
	const unsigned flags[] = { 0, IOMMU_DOMAIN_FLAG_FIRST_STAGE };
	for (unsigned i = 0; i < 2; i++) {
		struct iommu_domain *d = paging(dt, flags[i]);
		assert_int_equal(iommu_map(d, 0x10000, 0x7f0000001000ull, 4096, RW), 0);
		assert_int_equal(iommu_iova_to_phys(d, 0x10abc), 0x7f0000001abcull);
		assert_int_equal(iommu_iova_to_phys(d, 0x11000), 0);

		/* Aligned 2 MiB and 1 GiB regions become single large pages:
		 * unmapping their first 4 KiB takes the whole page. */
		assert_int_equal(iommu_map(d, 1ull << 21, 1ull << 33, 1ull << 21, RW), 0);
		assert_int_equal(iommu_iova_to_phys(d, (1ull << 21) + 0x1234),
				 (1ull << 33) + 0x1234);
		assert_int_equal(iommu_unmap(d, 1ull << 21, 4096), 1ull << 21);
		assert_int_equal(iommu_iova_to_phys(d, (1ull << 21) + 0x100000), 0);
		assert_int_equal(iommu_map(d, 1ull << 30, 1ull << 33, 1ull << 30, RW), 0);
		assert_int_equal(iommu_iova_to_phys(d, (1ull << 30) + 0x3456789),
				 (1ull << 33) + 0x3456789);
		assert_int_equal(iommu_unmap(d, 1ull << 30, 4096), 1ull << 30);
		/* Misaligned output: 4 KiB pages, unmapped one by one. */
		assert_int_equal(iommu_map(d, 1ull << 30, (1ull << 33) + 4096, 1ull << 21, RW), 0);
		assert_int_equal(iommu_unmap(d, 1ull << 30, 4096), 4096);
		assert_int_equal(iommu_unmap(d, 1ull << 30, 1ull << 30), (1ull << 21) - 4096);

		/* Errors, and a failed map leaves nothing behind. */
		assert_int_equal(iommu_map(d, 0x20800, 0x7f0000001000ull, 4096, RW), -EINVAL);
		assert_int_equal(iommu_map(d, 0x20000, 0x7f0000001000ull, 0, RW), -EINVAL);
		assert_int_equal(iommu_map(d, 1ull << 48, 0x7f0000001000ull, 4096, RW), -EFAULT);
		assert_int_equal(iommu_map(d, 0xe000, 0x7f0000002000ull, 4 * 4096, RW), -EEXIST);
		assert_int_equal(iommu_iova_to_phys(d, 0xe000), 0);
		assert_int_equal(iommu_iova_to_phys(d, 0xf000), 0);
		assert_int_equal(iommu_iova_to_phys(d, 0x10000), 0x7f0000001000ull);
		assert_int_equal(iommu_unmap(d, 0x10000, 4096), 4096);
		assert_int_equal(iommu_unmap(d, 0x10000, 4096), 0);
		assert_int_equal(iommu_domain_free(d), 0);
	}
	/* Unknown flags and format combinations the unit lacks. */
	int err = 0;
	assert_null(iommu_paging_domain_alloc_flags(dt, 1u << 20, &err));
	assert_int_equal(err, -EOPNOTSUPP);
	assert_null(iommu_paging_domain_alloc_flags(
		dt, IOMMU_DOMAIN_FLAG_FIRST_STAGE | IOMMU_DOMAIN_FLAG_NEST_PARENT, &err));
	assert_int_equal(err, -EOPNOTSUPP);
	/* The 2018 allocator gives the same kind of domain. */
	struct iommu_domain *d = iommu_domain_alloc(h);
	assert_non_null(d);
	assert_int_equal(iommu_domain_type(d), IOMMU_DOMAIN_UNMANAGED);
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
}

/* map -> DMA works -> unmap -> DMA faults, for a device with and without
 * a device TLB, in both formats. */
static void test_rid_map_dma_unmap_no_stale(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	const char *const names[] = { "dmatest0", "dsa0" };
	const unsigned flags[] = { 0, IOMMU_DOMAIN_FLAG_FIRST_STAGE };
	uint8_t *buf = th_alloc_page();
	for (unsigned n = 0; n < 2; n++) {
		struct device *d = th_device(h, names[n]);
		for (unsigned f = 0; f < 2; f++) {
			struct iommu_domain *dom = paging(d, flags[f]);
			assert_int_equal(iommu_attach_device(dom, d), 0);
			assert_ptr_equal(iommu_get_domain_for_dev(d), dom);
			assert_int_equal(iommu_map(dom, 0x40000, pa(buf), 4096, RW), 0);
			th_dma_lands(d, PCI_NO_PASID, 0x40000, buf, names[n]);
			th_dma_lands(d, PCI_NO_PASID, 0x40000, buf, "again"); /* now cached */
			assert_int_equal(iommu_unmap(dom, 0x40000, 4096), 4096);
			th_dma_faults(d, PCI_NO_PASID, 0x40000);
			/* Remapped elsewhere: the new translation, not the old. */
			uint8_t *other = th_alloc_page();
			assert_int_equal(iommu_map(dom, 0x40000, pa(other), 4096, RW), 0);
			th_dma_lands(d, PCI_NO_PASID, 0x40000, other, "remap");
			assert_int_equal(iommu_unmap(dom, 0x40000, 4096), 4096);
			iommu_detach_device(dom, d);
			assert_int_equal(iommu_domain_type(iommu_get_domain_for_dev(d)),
					 IOMMU_DOMAIN_DMA);
			assert_int_equal(iommu_domain_free(dom), 0);
			free(other);
		}
	}
	uiommu_host_free(h);
	free(buf);
}

static void test_unmap_is_one_batched_invalidation(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	const char *const names[] = { "dmatest0", "dsa0" };
	const unsigned flags[] = { 0, IOMMU_DOMAIN_FLAG_FIRST_STAGE };
	uint8_t *buf = th_alloc_page();
	for (unsigned n = 0; n < 2; n++) {
		for (unsigned f = 0; f < 2; f++) {
			struct device *d = th_device(h, names[n]);
			struct iommu_domain *dom = paging(d, flags[f]);
			assert_int_equal(iommu_attach_device(dom, d), 0);
			/* 64 pages scattered over 64 leaf tables and two 1 GiB
			 * regions, every one of them cached by a DMA. */
			for (uint64_t i = 0; i < 64; i++) {
				uint64_t iova = i * (3ull << 21) + (i % 5) * 4096;
				assert_int_equal(iommu_map(dom, iova, pa(buf), 4096, RW), 0);
				uint8_t b;
				assert_int_equal(th_kdma(d, PCI_NO_PASID, iova, &b, 1, false, NULL), 0);
			}
			unsigned long before = qi_submits(h);
			assert_int_equal(iommu_unmap(dom, 0, 1ull << 32), 64 * 4096);
			assert_int_equal(qi_submits(h) - before, 1);
			for (uint64_t i = 0; i < 64; i++)
				th_dma_faults(d, PCI_NO_PASID, i * (3ull << 21) + (i % 5) * 4096);
			/* A single page costs the same single submission. */
			assert_int_equal(iommu_map(dom, 0x5000, pa(buf), 4096, RW), 0);
			before = qi_submits(h);
			assert_int_equal(iommu_unmap(dom, 0x5000, 4096), 4096);
			assert_int_equal(qi_submits(h) - before, 1);
			iommu_detach_device(dom, d);
			assert_int_equal(iommu_domain_free(dom), 0);
		}
	}
	uiommu_host_free(h);
	free(buf);
}

/* ---- groups and singleton devices (A-2) ---- */

static void test_group_attach_detach(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *m0 = th_device(h, "mf0"), *m1 = th_device(h, "mf1");
	struct iommu_group *g = iommu_group_get(m0);
	assert_ptr_equal(iommu_group_get(m1), g);
	struct iommu_domain *def = iommu_get_domain_for_dev(m0);
	struct iommu_domain *d = paging(m0, 0), *d2 = paging(m0, 0);
	uint8_t *buf = th_alloc_page(), *buf2 = th_alloc_page();
	assert_int_equal(iommu_map(d, 0x1000, pa(buf), 4096, RW), 0);
	assert_int_equal(iommu_map(d2, 0x1000, pa(buf2), 4096, RW), 0);

	/* A function that shares its group cannot be attached alone. */
	assert_int_equal(iommu_attach_device(d, m0), -EINVAL);
	assert_ptr_equal(iommu_get_domain_for_dev(m0), def);
	assert_int_equal(iommu_attach_group(d, g), 0);
	assert_ptr_equal(iommu_get_domain_for_dev(m0), d);
	assert_ptr_equal(iommu_get_domain_for_dev(m1), d);
	th_dma_lands(m0, PCI_NO_PASID, 0x1000, buf, "mf0");
	th_dma_lands(m1, PCI_NO_PASID, 0x1000, buf, "mf1");

	/* One domain on the RID at a time. */
	assert_int_equal(iommu_attach_group(d2, g), -EBUSY);
	assert_int_equal(iommu_attach_group(d, g), -EBUSY);
	assert_ptr_equal(iommu_get_domain_for_dev(m1), d);
	/* Detaching what is not attached, or a lone function, does nothing. */
	iommu_detach_group(d2, g);
	iommu_detach_device(d, m0);
	assert_ptr_equal(iommu_get_domain_for_dev(m0), d);
	assert_int_equal(iommu_domain_free(d), -EBUSY);

	iommu_detach_group(d, g);
	assert_ptr_equal(iommu_get_domain_for_dev(m0), def);
	assert_ptr_equal(iommu_get_domain_for_dev(m1), def);
	th_dma_faults(m0, PCI_NO_PASID, 0x1000);
	th_dma_faults(m1, PCI_NO_PASID, 0x1000);
	assert_int_equal(iommu_domain_free(d), 0);

	/* A singleton: attach_device works; a second domain is refused. */
	struct device *dt = th_device(h, "dmatest1");
	struct iommu_domain *tdef = iommu_get_domain_for_dev(dt);
	assert_int_equal(iommu_attach_device(d2, dt), 0);
	th_dma_lands(dt, PCI_NO_PASID, 0x1000, buf2, "dmatest1");
	struct iommu_domain *d3 = paging(dt, 0);
	assert_int_equal(iommu_attach_device(d3, dt), -EBUSY);
	/* A domain may serve several groups at once. */
	assert_int_equal(iommu_attach_group(d2, g), 0);
	th_dma_lands(m1, PCI_NO_PASID, 0x1000, buf2, "shared");
	iommu_detach_group(d2, g);
	assert_int_equal(iommu_domain_free(d2), -EBUSY);
	iommu_detach_device(d2, dt);
	assert_ptr_equal(iommu_get_domain_for_dev(dt), tdef);
	th_dma_faults(dt, PCI_NO_PASID, 0x1000);
	assert_int_equal(iommu_domain_free(d2), 0);
	assert_int_equal(iommu_domain_free(d3), 0);
	uiommu_host_free(h);
	free(buf);
	free(buf2);
}

static void test_dma_ownership(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dt = th_device(h, "dmatest0");
	struct iommu_group *g = iommu_group_get(dt);
	struct iommu_domain *def = iommu_get_domain_for_dev(dt);
	uint8_t *b0 = th_alloc_page(), *b1 = th_alloc_page(), *b2 = th_alloc_page();
	int owner_a, owner_b;
	struct iommu_domain *d1 = paging(dt, 0), *d2 = paging(dt, 0);
	assert_int_equal(iommu_map(def, 0x1000, pa(b0), 4096, RW), 0);
	assert_int_equal(iommu_map(d1, 0x1000, pa(b1), 4096, RW), 0);
	assert_int_equal(iommu_map(d2, 0x1000, pa(b2), 4096, RW), 0);
	th_dma_lands(dt, PCI_NO_PASID, 0x1000, b0, "kernel");

	/* Owned attach needs an owner. */
	assert_int_equal(iommu_attach_group_owned(d1, g), -EPERM);
	assert_int_equal(iommu_group_replace_domain(g, d1), -EPERM);
	assert_false(iommu_group_dma_owner_claimed(g));

	/* Claiming blocks all DMA until the owner attaches its domain. */
	assert_int_equal(iommu_group_claim_dma_owner(g, &owner_a), 0);
	assert_true(iommu_group_dma_owner_claimed(g));
	assert_int_equal(iommu_domain_type(iommu_get_domain_for_dev(dt)), IOMMU_DOMAIN_BLOCKED);
	th_dma_faults(dt, PCI_NO_PASID, 0x1000);
	assert_int_equal(iommu_group_claim_dma_owner(g, &owner_b), -EBUSY);

	assert_int_equal(iommu_attach_group_owned(d1, g), 0);
	th_dma_lands(dt, PCI_NO_PASID, 0x1000, b1, "owned");
	assert_int_equal(iommu_attach_group_owned(d2, g), -EBUSY);
	/* Replace switches in one step, never through the default domain. */
	assert_int_equal(iommu_group_replace_domain(g, d2), 0);
	th_dma_lands(dt, PCI_NO_PASID, 0x1000, b2, "replaced");
	assert_int_equal(iommu_domain_free(d2), -EBUSY);
	/* Detach while owned returns to blocking, not to the kernel's domain. */
	iommu_detach_group(d2, g);
	assert_int_equal(iommu_domain_type(iommu_get_domain_for_dev(dt)), IOMMU_DOMAIN_BLOCKED);
	th_dma_faults(dt, PCI_NO_PASID, 0x1000);

	/* The same owner may claim again; each claim is released. */
	assert_int_equal(iommu_group_claim_dma_owner(g, &owner_a), 0);
	iommu_group_release_dma_owner(g);
	assert_true(iommu_group_dma_owner_claimed(g));
	th_dma_faults(dt, PCI_NO_PASID, 0x1000);
	iommu_group_release_dma_owner(g);
	assert_false(iommu_group_dma_owner_claimed(g));
	assert_ptr_equal(iommu_get_domain_for_dev(dt), def);
	th_dma_lands(dt, PCI_NO_PASID, 0x1000, b0, "back");

	/* The kernel's own use of the group keeps owners out. */
	assert_int_equal(iommu_attach_device(d1, dt), 0);
	assert_int_equal(iommu_group_claim_dma_owner(g, &owner_b), -EBUSY);
	iommu_detach_device(d1, dt);
	/* Release with a domain still attached goes back to the default. */
	assert_int_equal(iommu_group_claim_dma_owner(g, &owner_b), 0);
	assert_int_equal(iommu_attach_group_owned(d1, g), 0);
	iommu_group_release_dma_owner(g);
	assert_ptr_equal(iommu_get_domain_for_dev(dt), def);
	th_dma_lands(dt, PCI_NO_PASID, 0x1000, b0, "released");
	assert_int_equal(iommu_domain_free(d1), 0);
	assert_int_equal(iommu_domain_free(d2), 0);
	assert_int_equal(iommu_unmap(def, 0x1000, 4096), 4096);
	uiommu_host_free(h);
	free(b0);
	free(b1);
	free(b2);
}

/* ---- PASID attach (A-13) ---- */

static void test_pasid_attach_replace_detach(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0");
	unsigned max = iommu_dev_max_pasids(dsa);
	assert_int_equal(max, 1u << 20);
	struct iommu_domain *d1 = paging(dsa, 0), *d2 = paging(dsa, IOMMU_DOMAIN_FLAG_FIRST_STAGE);
	uint8_t *b1 = th_alloc_page(), *b2 = th_alloc_page();
	assert_int_equal(iommu_map(d1, 0x8000, pa(b1), 4096, RW), 0);
	assert_int_equal(iommu_map(d2, 0x8000, pa(b2), 4096, RW), 0);

	assert_int_equal(iommu_attach_device_pasid(d1, dsa, IOMMU_NO_PASID), -EINVAL);
	assert_int_equal(iommu_attach_device_pasid(d1, dsa, max), -EINVAL);
	assert_int_equal(iommu_attach_device_pasid(d1, dsa, IOMMU_PASID_INVALID), -EINVAL);
	/* Nothing attached yet: there is nothing to replace. */
	assert_int_equal(iommu_replace_device_pasid(d2, dsa, 9), -EINVAL);
	assert_null(iommu_get_domain_for_dev_pasid(dsa, 9));

	assert_int_equal(iommu_attach_device_pasid(d1, dsa, 9), 0);
	assert_ptr_equal(iommu_get_domain_for_dev_pasid(dsa, 9), d1);
	assert_int_equal(iommu_attach_device_pasid(d2, dsa, 9), -EBUSY);
	assert_int_equal(iommu_attach_device_pasid(d1, dsa, 9), -EBUSY);
	th_dma_lands(dsa, 9, 0x8000, b1, "pasid9");
	/* The RID is unaffected: still the empty default domain. */
	th_dma_faults(dsa, PCI_NO_PASID, 0x8000);
	/* The same domain may sit on several PASIDs. */
	assert_int_equal(iommu_attach_device_pasid(d1, dsa, max - 1), 0);
	th_dma_lands(dsa, max - 1, 0x8000, b1, "pasidmax");

	/* Replace: the next DMA with the PASID reaches the new domain. */
	assert_int_equal(iommu_replace_device_pasid(d2, dsa, 9), 0);
	assert_ptr_equal(iommu_get_domain_for_dev_pasid(dsa, 9), d2);
	th_dma_lands(dsa, 9, 0x8000, b2, "replaced");
	assert_int_equal(iommu_replace_device_pasid(d2, dsa, 9), 0); /* same: no-op */
	th_dma_lands(dsa, max - 1, 0x8000, b1, "other pasid kept");

	/* Detach of a domain that is not there does nothing. */
	iommu_detach_device_pasid(d1, dsa, 9);
	th_dma_lands(dsa, 9, 0x8000, b2, "still");
	assert_int_equal(iommu_domain_free(d2), -EBUSY);
	iommu_detach_device_pasid(d2, dsa, 9);
	assert_null(iommu_get_domain_for_dev_pasid(dsa, 9));
	th_dma_faults(dsa, 9, 0x8000);
	iommu_detach_device_pasid(d1, dsa, max - 1);
	th_dma_faults(dsa, max - 1, 0x8000);
	assert_int_equal(iommu_domain_free(d1), 0);
	assert_int_equal(iommu_domain_free(d2), 0);

	/* A PASID-less function takes no PASID domains. */
	struct device *dt = th_device(h, "dmatest0");
	struct iommu_domain *d3 = paging(dt, 0);
	assert_int_equal(iommu_dev_max_pasids(dt), 0);
	assert_int_equal(iommu_attach_device_pasid(d3, dt, 1), -EINVAL);
	assert_int_equal(iommu_domain_free(d3), 0);
	uiommu_host_free(h);
	free(b1);
	free(b2);
}

static void test_global_pasid_space(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0");
	ioasid_t p[8];
	for (unsigned i = 0; i < 8; i++) {
		p[i] = iommu_alloc_global_pasid(dsa);
		assert_true(p[i] >= 1 && p[i] < iommu_dev_max_pasids(dsa));
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(p[i], p[j]);
	}
	iommu_free_global_pasid(dsa, p[3]);
	assert_int_equal(iommu_alloc_global_pasid(dsa), p[3]);
	/* Never 0 (IOMMU_NO_PASID), even when "freed". */
	iommu_free_global_pasid(dsa, IOMMU_NO_PASID);
	ioasid_t q = iommu_alloc_global_pasid(dsa);
	assert_int_not_equal(q, IOMMU_NO_PASID);
	iommu_free_global_pasid(dsa, q);
	/* No PASID for a function without PASID support. */
	assert_int_equal(iommu_alloc_global_pasid(th_device(h, "dmatest0")), IOMMU_PASID_INVALID);
	/* A globally allocated PASID is usable for attach. */
	struct iommu_domain *d = paging(dsa, 0);
	uint8_t *b = th_alloc_page();
	assert_int_equal(iommu_map(d, 0x3000, pa(b), 4096, RW), 0);
	assert_int_equal(iommu_attach_device_pasid(d, dsa, p[5]), 0);
	th_dma_lands(dsa, p[5], 0x3000, b, "global");
	iommu_detach_device_pasid(d, dsa, p[5]);
	assert_int_equal(iommu_domain_free(d), 0);
	for (unsigned i = 0; i < 8; i++)
		iommu_free_global_pasid(dsa, p[i]);
	assert_int_equal(iommu_alloc_global_pasid(dsa), p[0]);
	uiommu_host_free(h);
	free(b);
}

static void test_pasid_attach_needs_singleton_group(void **s)
{
	(void)s;
	/* A PASID endpoint behind a root port without ACS shares the port's
	 * group: its {RID, PASID} would not name one device. */
	struct uiommu_host *h = th_host(
		"{\"devices\":[{\"bdf\":\"00:1c.0\",\"type\":\"root_port\",\"name\":\"rp\","
		"\"bus\":2,\"children\":[{\"bdf\":\"02:00.0\",\"type\":\"endpoint\","
		"\"name\":\"e\",\"pasid_bits\":20}]}]}", false);
	struct device *e = th_device(h, "e");
	assert_true(iommu_group_get(e)->nr_devices > 1);
	assert_true(iommu_dev_max_pasids(e) > 1);
	struct iommu_domain *d = paging(e, 0);
	assert_int_equal(iommu_attach_device_pasid(d, e, 1), -EINVAL);
	assert_null(iommu_get_domain_for_dev_pasid(e, 1));
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
}

/* A-12 on the PASID path, with and without a device TLB. */
static void test_pasid_map_dma_unmap_no_stale(void **s)
{
	(void)s;
	struct uiommu_host *hosts[2] = { th_host(NULL, false), th_host(pasid_topo, false) };
	const char *const names[2] = { "dsa0", "p" };
	const unsigned flags[] = { 0, IOMMU_DOMAIN_FLAG_FIRST_STAGE };
	uint8_t *buf = th_alloc_page();
	for (unsigned n = 0; n < 2; n++) {
		struct device *d = th_device(hosts[n], names[n]);
		for (unsigned f = 0; f < 2; f++) {
			struct iommu_domain *dom = paging(d, flags[f]);
			assert_int_equal(iommu_attach_device_pasid(dom, d, 33), 0);
			assert_int_equal(iommu_map(dom, 0x200000, pa(buf), 4096, RW), 0);
			th_dma_lands(d, 33, 0x200000, buf, "pasid");
			th_dma_lands(d, 33, 0x200000, buf, "cached");
			assert_int_equal(iommu_unmap(dom, 0x200000, 4096), 4096);
			th_dma_faults(d, 33, 0x200000);
			iommu_detach_device_pasid(dom, d, 33);
			assert_int_equal(iommu_domain_free(dom), 0);
		}
	}
	uiommu_host_free(hosts[0]);
	uiommu_host_free(hosts[1]);
	free(buf);
}

/* ---- faults go to the owner of the (RID, PASID) ---- */

static void test_fault_routing(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(pasid_topo, false);
	struct device *p = th_device(h, "p"), *q = th_device(h, "q");
	struct iommu_domain *rid = paging(p, 0), *pas = paging(p, 0);
	struct fault_rec fr = { 0 }, fp = { 0 };
	iommu_set_fault_handler(rid, on_fault, &fr);
	iommu_set_fault_handler(pas, on_fault, &fp);
	uint8_t *ro = th_alloc_page();
	assert_int_equal(iommu_map(rid, 0x4000, pa(ro), 4096, IOMMU_READ), 0);
	assert_int_equal(iommu_attach_device(rid, p), 0);
	assert_int_equal(iommu_attach_device_pasid(pas, p, 7), 0);

	/* Untagged read of an unmapped page: the RID's domain hears it. */
	uint8_t b[4] = { 1, 2, 3, 4 };
	assert_int_equal(th_kdma(p, PCI_NO_PASID, 0x9000, b, 4, false, NULL), -EFAULT);
	assert_int_equal(fr.n, 1);
	assert_int_equal(fp.n, 0);
	assert_ptr_equal(fr.domain, rid);
	assert_ptr_equal(fr.dev, p);
	assert_int_equal(fr.iova, 0x9000);
	assert_int_equal(fr.flags, IOMMU_FAULT_READ);

	/* A write to a read-only page: the write flag. */
	assert_int_equal(th_kdma(p, PCI_NO_PASID, 0x4000, b, 4, true, NULL), -EFAULT);
	assert_int_equal(fr.n, 2);
	assert_int_equal(fr.iova, 0x4000);
	assert_int_equal(fr.flags, IOMMU_FAULT_WRITE);
	assert_int_equal(ro[0], 0);

	/* Tagged with PASID 7: the PASID's domain, not the RID's. */
	assert_int_equal(th_kdma(p, 7, 0x7000, b, 4, true, NULL), -EFAULT);
	assert_int_equal(fp.n, 1);
	assert_int_equal(fr.n, 2);
	assert_ptr_equal(fp.domain, pas);
	assert_ptr_equal(fp.dev, p);
	assert_int_equal(fp.iova, 0x7000);
	assert_int_equal(fp.flags, IOMMU_FAULT_WRITE);
	struct iommu_fault_record f;
	assert_true(iommu_fault_last(h, &f));
	assert_true(f.pasid_valid);
	assert_int_equal(f.pasid, 7);
	assert_true(f.write);

	/* Another device's faults are not this domain's business. */
	th_dma_faults(q, PCI_NO_PASID, 0x9000);
	assert_int_equal(fr.n, 2);
	assert_int_equal(fp.n, 1);

	/* After detach the PASID's faults no longer reach it. */
	iommu_detach_device_pasid(pas, p, 7);
	assert_int_equal(th_kdma(p, 7, 0x7000, b, 4, true, NULL), -EFAULT);
	assert_int_equal(fp.n, 1);
	iommu_detach_device(rid, p);
	th_dma_faults(p, PCI_NO_PASID, 0x9000);
	assert_int_equal(fr.n, 2);
	assert_int_equal(iommu_domain_free(rid), 0);
	assert_int_equal(iommu_domain_free(pas), 0);
	uiommu_host_free(h);
	free(ro);
}

/* ---- bad arguments ---- */

static void test_null_arguments(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dt = th_device(h, "dmatest0");
	struct iommu_domain *d = paging(dt, 0);
	int err = 0;
	bool b;
	int id;

	assert_null(uiommu_device_find(NULL, "dsa0"));
	assert_null(uiommu_device_find(h, NULL));
	assert_null(uiommu_device_find(h, "nosuchdevice"));
	assert_null(iommu_paging_domain_alloc(NULL));
	assert_null(iommu_paging_domain_alloc_flags(NULL, 0, &err));
	assert_int_equal(err, -ENODEV);
	assert_null(iommu_domain_alloc(NULL));
	assert_int_equal(iommu_domain_free(NULL), 0);
	assert_int_not_equal(iommu_map(NULL, 0, 0x10000, 4096, RW), 0);
	assert_int_equal(iommu_unmap(NULL, 0, 4096), 0);
	assert_int_equal(iommu_iova_to_phys(NULL, 0x1000), 0);
	assert_int_not_equal(iommu_attach_device(NULL, dt), 0);
	assert_int_not_equal(iommu_attach_device(d, NULL), 0);
	assert_int_not_equal(iommu_attach_group(NULL, iommu_group_get(dt)), 0);
	assert_int_not_equal(iommu_attach_group(d, NULL), 0);
	iommu_detach_device(NULL, NULL);
	iommu_detach_device(d, NULL);
	iommu_detach_group(NULL, NULL);
	iommu_detach_group(d, NULL);
	assert_null(iommu_get_domain_for_dev(NULL));
	assert_null(iommu_group_get(NULL));
	assert_int_not_equal(iommu_group_claim_dma_owner(NULL, &err), 0);
	assert_int_not_equal(iommu_group_claim_dma_owner(iommu_group_get(dt), NULL), 0);
	iommu_group_release_dma_owner(NULL);
	assert_false(iommu_group_dma_owner_claimed(NULL));
	assert_int_not_equal(iommu_attach_group_owned(NULL, NULL), 0);
	assert_int_not_equal(iommu_group_replace_domain(NULL, d), 0);
	assert_int_not_equal(iommu_group_replace_domain(iommu_group_get(dt), NULL), 0);
	assert_int_not_equal(iommu_attach_device_pasid(NULL, dt, 1), 0);
	assert_int_not_equal(iommu_attach_device_pasid(d, NULL, 1), 0);
	assert_int_not_equal(iommu_replace_device_pasid(NULL, NULL, 1), 0);
	iommu_detach_device_pasid(NULL, NULL, 1);
	assert_null(iommu_get_domain_for_dev_pasid(NULL, 1));
	assert_int_equal(iommu_alloc_global_pasid(NULL), IOMMU_PASID_INVALID);
	iommu_free_global_pasid(NULL, 1);
	assert_int_equal(iommu_dev_max_pasids(NULL), 0);
	assert_int_not_equal(iommu_get_dev_attr(NULL, IOMMU_DEV_ATTR_AUXD_CAPABILITY, &b), 0);
	assert_int_not_equal(iommu_get_dev_attr(dt, IOMMU_DEV_ATTR_AUXD_CAPABILITY, NULL), 0);
	assert_int_not_equal(iommu_set_dev_attr(NULL, IOMMU_DEV_ATTR_AUXD_ENABLE, NULL), 0);
	assert_int_not_equal(iommu_attach_device_aux(NULL, dt), 0);
	assert_int_not_equal(iommu_attach_device_aux(d, NULL), 0);
	iommu_detach_device_aux(NULL, NULL);
	iommu_detach_device_aux(d, NULL);
	assert_int_not_equal(iommu_domain_get_attr(NULL, DOMAIN_ATTR_AUXD_ID, &id), 0);
	assert_int_not_equal(iommu_domain_get_attr(d, DOMAIN_ATTR_AUXD_ID, NULL), 0);
	assert_int_not_equal(iommu_aux_get_pasid(NULL, NULL), 0);
	assert_false(iommu_dev_has_feature(NULL, IOMMU_DEV_FEAT_AUX));
	assert_false(iommu_dev_feature_enabled(NULL, IOMMU_DEV_FEAT_AUX));
	assert_int_not_equal(iommu_dev_enable_feature(NULL, IOMMU_DEV_FEAT_AUX), 0);
	assert_int_not_equal(iommu_dev_disable_feature(NULL, IOMMU_DEV_FEAT_AUX), 0);
	iommu_set_fault_handler(NULL, on_fault, NULL);
	iommu_set_iopf_handler(NULL, NULL, NULL);
	assert_int_not_equal(iommu_page_response(NULL, NULL, IOMMU_PAGE_RESP_SUCCESS), 0);
	assert_int_not_equal(iommu_page_response(dt, NULL, IOMMU_PAGE_RESP_SUCCESS), 0);
	assert_string_equal(dev_name(NULL), "(null)");
	assert_int_equal(iommu_group_id(NULL), ~0u);
	/* Attribute numbers that are not of the kind asked. */
	assert_int_equal(iommu_set_dev_attr(dt, IOMMU_DEV_ATTR_AUXD_CAPABILITY, NULL), -EINVAL);
	assert_int_equal(iommu_get_dev_attr(dt, IOMMU_DEV_ATTR_AUXD_ENABLE, &b), -EINVAL);
	assert_int_equal(iommu_dev_enable_feature(dt, IOMMU_DEV_FEAT_SVA) < 0, true);

	/* Still alive and working. */
	uint8_t *buf = th_alloc_page();
	assert_int_equal(iommu_map(d, 0x1000, pa(buf), 4096, RW), 0);
	assert_int_equal(iommu_attach_device(d, dt), 0);
	th_dma_lands(dt, PCI_NO_PASID, 0x1000, buf, "alive");
	iommu_detach_device(d, dt);
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
	free(buf);
}

static void test_device_without_iommu(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(
		"{\"units\":[{\"name\":\"u\",\"scope\":[\"a\"]}],\"devices\":["
		"{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"a\",\"pasid_bits\":20},"
		"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"b\","
		"\"pasid_bits\":20}]}", false);
	struct device *a = th_device(h, "a"), *b = th_device(h, "b");
	assert_non_null(a->iommu);
	assert_null(b->iommu);
	int err = 0;
	bool cap = true;
	int id;
	assert_null(iommu_paging_domain_alloc_flags(b, 0, &err));
	assert_int_equal(err, -ENODEV);
	struct iommu_domain *d = paging(a, 0);
	assert_null(iommu_get_domain_for_dev(b));
	assert_int_equal(iommu_attach_device(d, b), -ENODEV);
	if (iommu_group_get(b)) {
		/* A group nobody translates for takes no domain. */
		assert_int_not_equal(iommu_attach_group(d, iommu_group_get(b)), 0);
	}
	assert_int_equal(iommu_attach_device_pasid(d, b, 1), -ENODEV);
	assert_int_equal(iommu_dev_max_pasids(b), 0);
	assert_int_equal(iommu_alloc_global_pasid(b), IOMMU_PASID_INVALID);
	assert_int_equal(iommu_get_dev_attr(b, IOMMU_DEV_ATTR_AUXD_CAPABILITY, &cap), -ENODEV);
	assert_int_equal(iommu_set_dev_attr(b, IOMMU_DEV_ATTR_AUXD_ENABLE, NULL), -ENODEV);
	assert_false(iommu_dev_has_feature(b, IOMMU_DEV_FEAT_AUX));
	assert_int_equal(iommu_dev_enable_feature(b, IOMMU_DEV_FEAT_AUX), -ENODEV);
	assert_int_equal(iommu_attach_device_aux(d, b), -ENODEV);
	iommu_detach_device_aux(d, b);
	assert_int_equal(iommu_aux_get_pasid(d, b), -ENODEV);
	assert_int_equal(iommu_domain_get_attr(d, DOMAIN_ATTR_AUXD_ID, &id), -EINVAL);
	/* The domain is untouched by all of it. */
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
}

static void test_domain_of_another_host(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false), *h2 = th_host(NULL, false);
	struct device *dt = th_device(h, "dmatest0"), *other = th_device(h2, "dmatest0");
	struct device *dsa2 = th_device(h2, "dsa0");
	struct iommu_domain *d = paging(dt, 0);
	/* A domain of one host's driver instance means nothing to another's
	 * units: its invalidations would never reach them (an unmap would
	 * leave the other unit's IOTLB translating). Undone before checking,
	 * so that a failure leaves the hosts safe to free. */
	int rc_rid = iommu_attach_device(d, other);
	if (!rc_rid)
		iommu_detach_device(d, other);
	int rc_grp = iommu_attach_group(d, iommu_group_get(other));
	if (!rc_grp)
		iommu_detach_group(d, iommu_group_get(other));
	int rc_pasid = iommu_attach_device_pasid(d, dsa2, 3);
	if (!rc_pasid)
		iommu_detach_device_pasid(d, dsa2, 3);
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
	uiommu_host_free(h2);
	assert_int_equal(rc_rid, -EINVAL);
	assert_int_equal(rc_grp, -EINVAL);
	assert_int_equal(rc_pasid, -EINVAL);
}

static void test_default_domain_not_freed_by_caller(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dt = th_device(h, "dmatest0");
	struct iommu_domain *d = paging(dt, 0);
	/* The default domain belongs to the group, even while unused: the
	 * group returns to it on detach. */
	struct iommu_domain *def = iommu_get_domain_for_dev(dt);
	assert_int_equal(iommu_domain_free(def), -EBUSY);
	assert_int_equal(iommu_attach_device(d, dt), 0);
	if (iommu_domain_free(def) == 0) {
		/* Nothing safe is left to do with this host: it would use and
		 * free the domain again. Leave it. */
		fail_msg("the unused default domain was freed under its group");
	}
	iommu_detach_device(d, dt);
	assert_ptr_equal(iommu_get_domain_for_dev(dt), def);
	th_dma_faults(dt, PCI_NO_PASID, 0x1000);
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
}

static void test_blocking_domain_is_not_the_callers(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dt = th_device(h, "dmatest0");
	struct iommu_group *g = iommu_group_get(dt);
	int owner;
	assert_int_equal(iommu_group_claim_dma_owner(g, &owner), 0);
	struct iommu_domain *blk = iommu_get_domain_for_dev(dt);
	assert_int_equal(iommu_domain_type(blk), IOMMU_DOMAIN_BLOCKED);
	/* Shared by every group: never mapped, never freed by a caller. */
	assert_int_not_equal(iommu_map(blk, 0x1000, 0x7f0000000000ull, 4096, RW), 0);
	assert_int_equal(iommu_unmap(blk, 0x1000, 4096), 0);
	assert_int_not_equal(iommu_domain_free(blk), 0);
	th_dma_faults(dt, PCI_NO_PASID, 0x1000);
	iommu_group_release_dma_owner(g);
	assert_int_equal(iommu_domain_type(iommu_get_domain_for_dev(dt)), IOMMU_DOMAIN_DMA);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_domains),
		cmocka_unit_test(test_bare_and_identity_hosts),
		cmocka_unit_test(test_paging_map_unmap),
		cmocka_unit_test(test_rid_map_dma_unmap_no_stale),
		cmocka_unit_test(test_unmap_is_one_batched_invalidation),
		cmocka_unit_test(test_group_attach_detach),
		cmocka_unit_test(test_dma_ownership),
		cmocka_unit_test(test_pasid_attach_replace_detach),
		cmocka_unit_test(test_global_pasid_space),
		cmocka_unit_test(test_pasid_attach_needs_singleton_group),
		cmocka_unit_test(test_pasid_map_dma_unmap_no_stale),
		cmocka_unit_test(test_fault_routing),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_device_without_iommu),
		cmocka_unit_test(test_domain_of_another_host),
		cmocka_unit_test(test_default_domain_not_freed_by_caller),
		cmocka_unit_test(test_blocking_domain_is_not_the_callers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
