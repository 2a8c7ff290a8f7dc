/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The isolation soak (issue #12, tools/uiommu/soak.h): its oracle's
 * verdicts on samples made by hand; a short soak of every tenant kind that
 * finds nothing; and the soak failing when it must - an oracle told of an
 * UNMAP that never happened sees DMA land outside the mappings, one told
 * that the never-mapped page is mapped sees the faults - and the driver
 * thread replaying its sequence from a seed.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "soak_int.h"

#define ON(g)  ((uint64_t)(g) << 2 | SOAK_ON)
#define OFF(g) ((uint64_t)(g) << 2 | SOAK_OFF)
#define CHG(g) ((uint64_t)(g) << 2 | SOAK_CHANGING)

static const struct soak_outcome landed_ok = { 1, true, false, true };
static const struct soak_outcome faulted_clean = { 0, false, true, true };

static void test_oracle_verdicts(void **state)
{
	(void)state;
	struct soak_sample steady = { { ON(1), ON(1) }, { ON(3), ON(3) }, { ON(5), ON(5) }, false };
	assert_null(soak_judge(&steady, &landed_ok));
	assert_non_null(soak_judge(&steady, &faulted_clean));
	struct soak_outcome wrong = landed_ok;
	wrong.bytes_ok = false;
	assert_non_null(soak_judge(&steady, &wrong));
	struct soak_outcome silent = { -ETIMEDOUT, false, true, true };
	assert_non_null(soak_judge(&steady, &silent));

	/* The destination's UNMAP returned before the DMA started. */
	struct soak_sample gone = steady;
	gone.dst[0] = gone.dst[1] = OFF(6);
	assert_null(soak_judge(&gone, &faulted_clean));
	assert_non_null(soak_judge(&gone, &landed_ok));
	struct soak_outcome scribbled = faulted_clean;
	scribbled.untouched = false;
	assert_non_null(soak_judge(&gone, &scribbled));

	/* Racing an unmap (or its device's detach): either way. */
	struct soak_sample racing = steady;
	racing.dst[1] = CHG(6);
	assert_null(soak_judge(&racing, &landed_ok));
	assert_null(soak_judge(&racing, &faulted_clean));
	assert_null(soak_judge(&racing, &silent));
	racing = steady;
	racing.attach[0] = CHG(2);
	racing.attach[1] = ON(3);
	assert_null(soak_judge(&racing, &faulted_clean));

	/* Detached throughout: nothing lands. */
	struct soak_sample detached = steady;
	detached.attach[0] = detached.attach[1] = OFF(2);
	assert_non_null(soak_judge(&detached, &landed_ok));
	assert_null(soak_judge(&detached, &faulted_clean));

	/* A stray DMA must fault and leave the victim page alone. */
	struct soak_sample stray = steady;
	stray.stray = true;
	assert_non_null(soak_judge(&stray, &landed_ok));
	assert_null(soak_judge(&stray, &faulted_clean));
	struct soak_outcome victim = faulted_clean;
	victim.victim_untouched = false;
	assert_non_null(soak_judge(&stray, &victim));
}

static void soak(const struct soak_opts *o, struct soak_result *r)
{
	char err[256] = "";
	int rc = soak_run(o, r, err, sizeof(err));
	if (rc)
		fail_msg("soak_run: %d %s", rc, err);
	printf("soak: %llu DMAs, %llu landed, %llu faulted, %llu racing, %llu ops, "
	       "%llu violations %s\n",
	       (unsigned long long)r->dmas, (unsigned long long)r->landed,
	       (unsigned long long)r->faulted, (unsigned long long)r->racing,
	       (unsigned long long)r->ops, (unsigned long long)r->violations,
	       r->first_violation);
}

static void test_soak_finds_nothing(void **state)
{
	(void)state;
	struct soak_opts o = { .seconds = 2, .tenants = 6, .seed = 7, .checker = true };
	struct soak_result r;
	soak(&o, &r);
	assert_int_equal(r.violations, 0);
	assert_int_equal(r.pdevs + r.adis + r.swmdevs, 6);
	for (int k = 0; k < 3; k++)
		assert_true(r.kind_landed[k] > 0);
	assert_true(r.stray > 0);
	assert_true(r.faulted >= r.stray);
	assert_true(r.ops > 10);
}

static void test_soak_catches_a_lying_unmap(void **state)
{
	(void)state;
	struct soak_opts o = { .seconds = 2, .tenants = 3, .seed = 8,
			       .inject = SOAK_INJECT_LIE_UNMAPPED };
	struct soak_result r;
	soak(&o, &r);
	assert_true(r.violations > 0);
	assert_non_null(strstr(r.first_violation, "outside the tenant's mappings landed"));
}

static void test_soak_catches_a_stray_taken_for_mapped(void **state)
{
	(void)state;
	struct soak_opts o = { .seconds = 1, .tenants = 3, .seed = 9,
			       .inject = SOAK_INJECT_EXPECT_STRAY };
	struct soak_result r;
	soak(&o, &r);
	assert_true(r.violations > 0);
	assert_non_null(strstr(r.first_violation, "inside the tenant's mappings faulted"));
}

static void test_soak_seed_replays(void **state)
{
	(void)state;
	struct soak_opts o = { .seconds = 60, .tenants = 4, .seed = 42, .max_ops = 200 };
	struct soak_result a, b, c;
	soak(&o, &a);
	soak(&o, &b);
	o.seed = 43;
	soak(&o, &c);
	assert_int_equal(a.ops, 200);
	assert_int_equal(b.ops, 200);
	assert_int_equal(a.op_hash, b.op_hash);
	assert_int_not_equal(a.op_hash, c.op_hash);
	assert_int_equal(a.violations + b.violations + c.violations, 0);
}

/* The device-TLB race the soak found (hw/vtd/inv_desc.c): idxd mdevs
 * only, whose mappings the driver thread changes fastest. */
static void test_soak_idxd_only(void **state)
{
	(void)state;
	struct soak_opts o = { .seconds = 1.5, .tenants = 3, .seed = 103, .checker = true,
			       .kinds = SOAK_KIND_IDXD };
	struct soak_result r;
	soak(&o, &r);
	assert_int_equal(r.adis, 3);
	assert_int_equal(r.pdevs + r.swmdevs, 0);
	assert_true(r.kind_landed[SOAK_ADI] > 0);
	assert_int_equal(r.violations, 0);
}

static void test_soak_bad_options(void **state)
{
	(void)state;
	struct soak_opts o = { .seconds = 1, .tenants = 0 };
	struct soak_result r;
	char err[128];
	assert_int_equal(soak_run(&o, &r, err, sizeof(err)), -EINVAL);
	o.tenants = SOAK_MAX_TENANTS + 1;
	assert_int_equal(soak_run(&o, &r, err, sizeof(err)), -EINVAL);
	o.tenants = 3;
	o.kinds = 8;
	assert_int_equal(soak_run(&o, &r, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_verdicts),
		cmocka_unit_test(test_soak_finds_nothing),
		cmocka_unit_test(test_soak_catches_a_lying_unmap),
		cmocka_unit_test(test_soak_catches_a_stray_taken_for_mapped),
		cmocka_unit_test(test_soak_seed_replays),
		cmocka_unit_test(test_soak_idxd_only),
		cmocka_unit_test(test_soak_bad_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
