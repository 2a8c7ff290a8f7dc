/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mdev core (SPEC M-1 .. M-3): types offered by parents, instances
 * created and removed by UUID, one IOMMU group per instance, and the
 * placeholders of the 2018 series (patch 6): mdev_set/get_iommu_device
 * and mdev_set/get_iommu_domain.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "base/device.h"
#include "host/host.h"
#include "iommu/group.h"
#include "mdev/mdev.h"
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>

#define U(n) "0a1b2c3d-0000-4000-8000-00000000000" #n

static const struct uiommu_mdev_type_info *type(struct uiommu_mdev_type_info *t, int n,
						const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

static void test_types(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct uiommu_mdev_type_info t[8];
	int n = uiommu_mdev_types(h, t, 8);
	assert_true(n >= 1);
	const struct uiommu_mdev_type_info *sw = type(t, n, "swcopy-v1");
	assert_non_null(sw);
	assert_string_equal(sw->parent, "swmdev0");
	assert_string_equal(sw->device_api, "vfio-pci");
	assert_int_equal(sw->available, 8);
	/* Asking for the count only. */
	assert_int_equal(uiommu_mdev_types(h, NULL, 0), n);
	assert_int_equal(uiommu_mdev_types(NULL, t, 8), -EINVAL);

	struct device *m;
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", U(1), &m), 0);
	n = uiommu_mdev_types(h, t, 8);
	assert_int_equal(type(t, n, "swcopy-v1")->available, 7);
	assert_int_equal(uiommu_mdev_remove(h, U(1)), 0);
	n = uiommu_mdev_types(h, t, 8);
	assert_int_equal(type(t, n, "swcopy-v1")->available, 8);
	uiommu_host_free(h);
}

static void test_create_remove(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *a, *b;
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", U(1), &a), 0);
	assert_true(dev_is_mdev(a));
	assert_string_equal(a->name, U(1));
	/* Found by name like any device. */
	assert_ptr_equal(uiommu_device_find(h, U(1)), a);
	/* "parent:type" names the parent explicitly. */
	assert_int_equal(uiommu_mdev_create(h, "swmdev0:swcopy-v1", U(2), &b), 0);

	/* Each instance is a group of its own, new ids. */
	struct iommu_group *ga = iommu_group_get(a), *gb = iommu_group_get(b);
	assert_non_null(ga);
	assert_non_null(gb);
	assert_ptr_not_equal(ga, gb);
	assert_int_equal(ga->nr_devices, 1);
	assert_true(iommu_group_id(gb) > iommu_group_id(ga));
	/* ... with no IOMMU state: the IOMMU does not serve an mdev. */
	assert_null(a->iommu);
	struct iommu_domain *d = iommu_domain_alloc(h);
	assert_int_equal(iommu_attach_group(d, ga), -ENODEV);
	iommu_domain_free(d);

	/* Errors, none leaving anything behind. */
	struct device *x = NULL;
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", U(1), &x), -EEXIST);
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", "not-a-uuid", &x), -EINVAL);
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", "0a1b2c3d-0000-4000-8000-00000000000g",
					    &x), -EINVAL);
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", "0a1b2c3d00000-4000-8000-00000000000",
					    &x), -EINVAL);
	assert_int_equal(uiommu_mdev_create(h, "nosuch", U(3), &x), -ENOENT);
	assert_int_equal(uiommu_mdev_create(h, "nic0:swcopy-v1", U(3), &x), -ENOENT);
	assert_int_equal(uiommu_mdev_create(h, NULL, U(3), &x), -EINVAL);
	assert_null(x);
	assert_int_equal(uiommu_mdev_remove(h, U(3)), -ENOENT);
	assert_int_equal(uiommu_mdev_remove(h, "junk"), -ENOENT);

	/* Uppercase UUIDs name the same instance. */
	assert_int_equal(uiommu_mdev_remove(h, "0A1B2C3D-0000-4000-8000-000000000001"), 0);
	assert_null(uiommu_device_find(h, U(1)));
	/* The UUID is free again. */
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", U(1), &a), 0);

	/* The parent's capacity. */
	char uuid[64];
	int made = 2;
	for (int i = 0; i < 10; i++) {
		snprintf(uuid, sizeof(uuid), "0a1b2c3d-0000-4000-8000-1000000000%02d", i);
		int rc = uiommu_mdev_create(h, "swcopy-v1", uuid, &x);
		if (made < 8) {
			assert_int_equal(rc, 0);
			made++;
		} else {
			assert_int_equal(rc, -ENOSPC);
		}
	}
	/* The host removes what is left. */
	uiommu_host_free(h);
}

static void test_iommu_placeholders(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *m;
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", U(1), &m), 0);
	struct device *dt = uiommu_device_find(h, "dmatest0");

	/* Default: vendor-defined isolation. */
	assert_null(mdev_get_iommu_device(m));
	assert_null(mdev_get_iommu_domain(m));
	assert_int_equal(mdev_set_iommu_device(m, dt), 0);
	assert_ptr_equal(mdev_get_iommu_device(m), dt);
	assert_int_equal(mdev_set_iommu_device(m, NULL), 0);

	/* One domain at a time; NULL clears it. */
	int token1, token2;
	assert_int_equal(mdev_set_iommu_domain(m, &token1), 0);
	assert_int_equal(mdev_set_iommu_domain(m, &token2), -EINVAL);
	assert_ptr_equal(mdev_get_iommu_domain(m), &token1);
	assert_int_equal(mdev_set_iommu_domain(m, NULL), 0);
	assert_null(mdev_get_iommu_domain(m));
	assert_int_equal(mdev_set_iommu_domain(m, &token2), 0);
	assert_int_equal(mdev_set_iommu_domain(m, NULL), 0);

	/* Not an mdev. */
	assert_false(dev_is_mdev(dt));
	assert_int_equal(mdev_set_iommu_device(dt, dt), -EINVAL);
	assert_int_equal(mdev_set_iommu_domain(dt, &token1), -EINVAL);
	assert_null(mdev_get_iommu_device(dt));
	assert_null(mdev_get_iommu_domain(dt));
	assert_int_equal(mdev_set_iommu_device(NULL, dt), -EINVAL);
	uiommu_host_free(h);
}

/* The idxd parent, when the DSA is there: one ADI per dedicated WQ, each
 * naming the DSA as its iommu_device. */
static void test_idxd_parent(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *dsa = uiommu_device_find(h, "dsa0");
	if (!dsa->driver)
		skip();
	assert_string_equal(dsa->driver->name, "idxd");
	assert_true(iommu_dev_feature_enabled(dsa, IOMMU_DEV_FEAT_AUX));
	struct uiommu_mdev_type_info t[8];
	int n = uiommu_mdev_types(h, t, 8);
	const struct uiommu_mdev_type_info *dt = type(t, n, "dsa-1dwq-v1");
	assert_non_null(dt);
	assert_string_equal(dt->parent, "dsa0");
	unsigned wqs = dt->available;
	assert_true(wqs >= 2);
	struct device *m;
	assert_int_equal(uiommu_mdev_create(h, "dsa-1dwq-v1", U(1), &m), 0);
	assert_ptr_equal(mdev_get_iommu_device(m), dsa);
	assert_null(mdev_get_iommu_domain(m));
	n = uiommu_mdev_types(h, t, 8);
	assert_int_equal(type(t, n, "dsa-1dwq-v1")->available, wqs - 1);
	char uuid[64];
	for (unsigned i = 1; i < wqs; i++) {
		snprintf(uuid, sizeof(uuid), "0a1b2c3d-0000-4000-8000-2000000000%02u", i);
		assert_int_equal(uiommu_mdev_create(h, "dsa-1dwq-v1", uuid, &m), 0);
	}
	assert_int_equal(uiommu_mdev_create(h, "dsa-1dwq-v1", U(9), &m), -ENOSPC);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_create_remove),
		cmocka_unit_test(test_iommu_placeholders),
		cmocka_unit_test(test_idxd_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
