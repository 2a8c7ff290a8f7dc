/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOMMU core's plug (issue #8): a second IOMMU driver, written here
 * against the core's driver interface alone, registers an instance,
 * serves devices of its own bus - added before or after it registers -
 * gives them groups and a default domain, takes a paging domain with
 * maps, and lets go of them on unregister or device removal. The VT-d
 * driver runs beside it and neither touches the other's devices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "harness.h"
#include "base/device.h"
#include "iommu/group.h"
#include "iommu/iommu.h"

/* ---- a software IOMMU for a software bus ---- */

static const struct bus_type mock_bus = { .name = "iommufd_mock" };

#define MOCK_PAGES 16 /* the whole I/O address space: 64 KiB */

struct mock_dev {
	struct device dev;
	bool served;                  /* the mock serves it */
	int probe_error;              /* what probe_device answers instead */
	struct iommu_domain *domain;  /* what its requests translate by */
};

struct mock_domain {
	struct iommu_domain domain;
	uint64_t pa[MOCK_PAGES];      /* 0: not mapped */
};

struct mock_iommu {
	struct iommu_device iommu;
	struct iommu_domain identity, blocked;
	unsigned probes, releases, frees;
};

static struct mock_iommu mock;

static struct mock_dev *to_mock_dev(struct device *dev)
{
	return (struct mock_dev *)dev;
}

static struct mock_domain *to_mock_domain(struct iommu_domain *d)
{
	return (struct mock_domain *)d;
}

static int mock_attach_dev(struct iommu_domain *d, struct device *dev)
{
	to_mock_dev(dev)->domain = d;
	return 0;
}

static int mock_map_pages(struct iommu_domain *d, uint64_t iova, uint64_t paddr, uint64_t size,
			  int prot, uint64_t *mapped)
{
	(void)prot;
	struct mock_domain *md = to_mock_domain(d);
	for (uint64_t o = 0; o < size; o += 4096) {
		uint64_t i = (iova + o) / 4096;
		if (i >= MOCK_PAGES || md->pa[i])
			return -EEXIST;
		md->pa[i] = paddr + o;
		*mapped += 4096;
	}
	return 0;
}

static uint64_t mock_unmap_pages(struct iommu_domain *d, uint64_t iova, uint64_t size,
				 struct iommu_iotlb_gather *g)
{
	(void)g;
	struct mock_domain *md = to_mock_domain(d);
	uint64_t n = 0;
	for (uint64_t o = 0; o < size && (iova + o) / 4096 < MOCK_PAGES; o += 4096) {
		md->pa[(iova + o) / 4096] = 0;
		n += 4096;
	}
	return n;
}

static int mock_iova_to_phys(struct iommu_domain *d, uint64_t iova, uint64_t *pa)
{
	struct mock_domain *md = to_mock_domain(d);
	if (iova / 4096 >= MOCK_PAGES || !md->pa[iova / 4096])
		return -ENOENT;
	*pa = md->pa[iova / 4096] + iova % 4096;
	return 0;
}

static void mock_domain_free(struct iommu_domain *d)
{
	mock.frees++;
	free(to_mock_domain(d));
}

static const struct iommu_domain_ops mock_paging_ops = {
	.attach_dev = mock_attach_dev,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_domain_free,
};

static const struct iommu_domain_ops mock_fixed_ops = {
	.attach_dev = mock_attach_dev,
};

static const struct iommu_ops mock_ops;

static struct iommu_device *mock_probe_device(struct device *dev)
{
	if (dev->bus != &mock_bus || !to_mock_dev(dev)->served)
		return ERR_PTR(-ENODEV);
	if (to_mock_dev(dev)->probe_error)
		return ERR_PTR(to_mock_dev(dev)->probe_error);
	mock.probes++;
	return &mock.iommu;
}

static void mock_release_device(struct device *dev)
{
	to_mock_dev(dev)->domain = NULL;
	mock.releases++;
}

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev, unsigned flags, int *err)
{
	if (flags) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	struct mock_domain *md = calloc(1, sizeof(*md));
	if (!md) {
		*err = -ENOMEM;
		return NULL;
	}
	iommu_domain_init(&md->domain, IOMMU_DOMAIN_UNMANAGED, &mock_paging_ops, &mock_ops,
			  dev->host);
	md->domain.pgsize_bitmap = 4096;
	md->domain.geometry = (struct iommu_domain_geometry){
		.aperture_start = 0, .aperture_end = MOCK_PAGES * 4096 - 1, .force_aperture = true
	};
	return &md->domain;
}

static struct iommu_domain *mock_identity_domain(struct device *dev)
{
	(void)dev;
	return &mock.identity;
}

static struct iommu_domain *mock_blocked_domain(struct device *dev)
{
	(void)dev;
	return &mock.blocked;
}

static const struct iommu_ops mock_ops = {
	.name = "mock",
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.device_group = generic_device_group,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.identity_domain = mock_identity_domain,
	.blocked_domain = mock_blocked_domain,
};

static void mock_init(struct uiommu_host *h)
{
	memset(&mock, 0, sizeof(mock));
	iommu_domain_init(&mock.identity, IOMMU_DOMAIN_IDENTITY, &mock_fixed_ops, &mock_ops, h);
	iommu_domain_init(&mock.blocked, IOMMU_DOMAIN_BLOCKED, &mock_fixed_ops, &mock_ops, h);
	snprintf(mock.iommu.name, sizeof(mock.iommu.name), "mock0");
}

static void mock_dev_init(struct mock_dev *md, struct uiommu_host *h, const char *name,
			  bool served)
{
	memset(md, 0, sizeof(*md));
	device_initialize(&md->dev, h, &mock_bus, name);
	md->served = served;
}

/* What a request of the device at `iova` reaches, 0 if nothing. */
static uint64_t mock_translate(struct mock_dev *md, uint64_t iova)
{
	struct iommu_domain *d = md->domain;
	if (!d || d->type == IOMMU_DOMAIN_BLOCKED)
		return 0;
	if (d->type == IOMMU_DOMAIN_IDENTITY)
		return iova;
	uint64_t pa;
	return mock_iova_to_phys(d, iova, &pa) ? 0 : pa;
}

/* ---- the tests ---- */

/* A device added after the driver registered is probed by the core's
 * notifier: group, default domain, and then the usual API works on it. */
static void test_registered_driver_serves_new_device(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	mock_init(h);
	assert_int_equal(iommu_device_register(&mock.iommu, &mock_ops, h), 0);
	assert_int_equal(mock.probes, 0); /* no PCI function is the mock's */

	struct mock_dev a;
	mock_dev_init(&a, h, "mock-a", true);
	assert_int_equal(device_add(&a.dev), 0);
	assert_int_equal(mock.probes, 1);
	assert_ptr_equal(uiommu_device_find(h, "mock-a"), &a.dev);
	struct iommu_group *g = iommu_group_get(&a.dev);
	assert_non_null(g);
	assert_int_equal(g->nr_devices, 1);
	/* The default domain: a DMA paging domain of the mock, nothing mapped. */
	struct iommu_domain *def = iommu_get_domain_for_dev(&a.dev);
	assert_non_null(def);
	assert_int_equal(iommu_domain_type(def), IOMMU_DOMAIN_DMA);
	assert_ptr_equal(a.domain, def);
	assert_int_equal(mock_translate(&a, 0x1000), 0);

	/* A paging domain of its own, attached, mapped: translations happen. */
	uint8_t *buf = th_alloc_page();
	struct iommu_domain *d = iommu_paging_domain_alloc(&a.dev);
	assert_non_null(d);
	assert_ptr_equal(d->owner, &mock_ops);
	assert_int_equal(iommu_attach_device(d, &a.dev), 0);
	assert_ptr_equal(a.domain, d);
	assert_int_equal(iommu_map(d, 0x2000, (uint64_t)(uintptr_t)buf, 4096, IOMMU_READ), 0);
	assert_int_equal(mock_translate(&a, 0x2010), (uint64_t)(uintptr_t)buf + 0x10);
	assert_int_equal(iommu_map(d, MOCK_PAGES * 4096, (uint64_t)(uintptr_t)buf, 4096, 0),
			 -EFAULT); /* beyond the aperture */
	assert_int_equal(iommu_unmap(d, 0x2000, 4096), 4096);
	assert_int_equal(mock_translate(&a, 0x2010), 0);
	/* Ownership as VFIO takes it: the blocking domain, then its own. */
	iommu_detach_device(d, &a.dev);
	assert_ptr_equal(a.domain, def);
	int owner;
	assert_int_equal(iommu_group_claim_dma_owner(g, &owner), 0);
	assert_int_equal(iommu_domain_type(a.domain), IOMMU_DOMAIN_BLOCKED);
	assert_int_equal(iommu_attach_group_owned(d, g), 0);
	assert_ptr_equal(a.domain, d);
	iommu_detach_group(d, g);
	iommu_group_release_dma_owner(g);
	assert_ptr_equal(a.domain, def);
	assert_int_equal(iommu_domain_free(d), 0);

	/* The VT-d driver's devices and the mock's never meet: neither
	 * driver's domain goes on the other's device. */
	struct device *dt = th_device(h, "dmatest0");
	assert_non_null(dt->iommu);
	assert_ptr_not_equal(dt->iommu->ops, &mock_ops);
	struct iommu_domain *vtd = iommu_paging_domain_alloc(dt);
	assert_int_equal(iommu_attach_device(vtd, &a.dev), -EINVAL);
	assert_int_equal(iommu_attach_device_pasid(vtd, &a.dev, 1), -ENODEV); /* no PASIDs */
	assert_ptr_equal(a.domain, def);
	d = iommu_paging_domain_alloc(&a.dev);
	assert_int_equal(iommu_attach_device(d, dt), -EINVAL);
	assert_int_equal(iommu_domain_free(d), 0);
	assert_int_equal(iommu_domain_free(vtd), 0);

	/* Removal releases it: its group goes, its default domain is freed. */
	unsigned frees = mock.frees;
	device_del(&a.dev);
	assert_int_equal(mock.releases, 1);
	assert_int_equal(mock.frees, frees + 1);
	assert_null(a.dev.iommu);
	assert_null(iommu_group_get(&a.dev));
	assert_null(uiommu_device_find(h, "mock-a"));
	iommu_device_unregister(&mock.iommu);
	uiommu_host_free(h);
	free(buf);
}

/* Devices listed before the driver registers are probed at
 * registration; unregistering lets go of every device it served and of
 * the domains users left allocated. Devices it does not serve stay
 * untouched, and a probe that fails fails the device's addition. */
static void test_registration_probes_existing_devices(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	mock_init(h);
	struct mock_dev a, b, other, broken;
	mock_dev_init(&a, h, "mock-a", true);
	mock_dev_init(&b, h, "mock-b", true);
	mock_dev_init(&other, h, "not-mine", false);
	assert_int_equal(device_add(&a.dev), 0);
	assert_int_equal(device_add(&b.dev), 0);
	assert_int_equal(device_add(&other.dev), 0);
	assert_null(a.dev.iommu); /* nobody serves it yet */

	assert_int_equal(iommu_device_register(&mock.iommu, &mock_ops, h), 0);
	assert_int_equal(mock.probes, 2);
	assert_non_null(a.dev.iommu);
	assert_null(other.dev.iommu);
	assert_null(iommu_group_get(&other.dev));
	assert_ptr_not_equal(iommu_group_get(&a.dev), iommu_group_get(&b.dev));
	assert_int_equal(iommu_domain_type(a.domain), IOMMU_DOMAIN_DMA);

	mock_dev_init(&broken, h, "broken", true);
	broken.probe_error = -ENOMEM;
	assert_int_equal(device_add(&broken.dev), -ENOMEM);
	assert_null(uiommu_device_find(h, "broken"));

	/* A domain left allocated and attached goes with the driver's last
	 * instance. */
	struct iommu_domain *d = iommu_paging_domain_alloc(&b.dev);
	assert_int_equal(iommu_attach_device(d, &b.dev), 0);
	unsigned frees = mock.frees;
	iommu_device_unregister(&mock.iommu);
	assert_int_equal(mock.releases, 2);
	assert_int_equal(mock.frees, frees + 3); /* two default domains, d */
	assert_null(a.dev.iommu);
	assert_null(b.dev.iommu);
	assert_null(a.domain); /* released: nothing translates for it */

	/* Nothing serves them now, and the core says so. */
	int err = 0;
	assert_null(iommu_paging_domain_alloc_flags(&a.dev, 0, &err));
	assert_int_equal(err, -ENODEV);
	device_del(&a.dev);
	device_del(&b.dev);
	device_del(&other.dev);
	uiommu_host_free(h);
}

/* The default domain follows the host's choice: pass-through when asked
 * for, from the driver's identity domain. */
static void test_identity_default(void **s)
{
	(void)s;
	struct uiommu_host *h = NULL;
	struct uiommu_host_opts o = { .default_identity = true, .no_drivers = true };
	assert_int_equal(uiommu_host_new(&o, &h, NULL, 0), 0);
	mock_init(h);
	assert_int_equal(iommu_device_register(&mock.iommu, &mock_ops, h), 0);
	struct mock_dev a;
	mock_dev_init(&a, h, "mock-a", true);
	assert_int_equal(device_add(&a.dev), 0);
	assert_ptr_equal(iommu_get_domain_for_dev(&a.dev), &mock.identity);
	assert_int_equal(mock_translate(&a, 0x123000), 0x123000);
	device_del(&a.dev);
	iommu_device_unregister(&mock.iommu);
	uiommu_host_free(h);
}

/* Bad registrations are refused without a trace. */
static void test_bad_registration(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	mock_init(h);
	static const struct iommu_ops no_probe = { .name = "broken" };
	assert_int_equal(iommu_device_register(NULL, &mock_ops, h), -EINVAL);
	assert_int_equal(iommu_device_register(&mock.iommu, NULL, h), -EINVAL);
	assert_int_equal(iommu_device_register(&mock.iommu, &mock_ops, NULL), -EINVAL);
	assert_int_equal(iommu_device_register(&mock.iommu, &no_probe, h), -EINVAL);
	struct mock_dev a;
	mock_dev_init(&a, h, "mock-a", true);
	assert_int_equal(device_add(&a.dev), 0);
	assert_null(a.dev.iommu);
	assert_int_equal(device_add(&a.dev), -EINVAL); /* already there */
	device_del(&a.dev);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered_driver_serves_new_device),
		cmocka_unit_test(test_registration_probes_existing_devices),
		cmocka_unit_test(test_identity_default),
		cmocka_unit_test(test_bad_registration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
