/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ID map behind iommufd objects (SPEC U-1): lowest free index first,
 * reservations that read as empty but hold their index, iteration in
 * order, and indexes far apart in one tree.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/xarray.h"

static int v[4096];

static void alloc_is_lowest_free(void **state)
{
	(void)state;
	struct xarray xa = XARRAY_INIT;
	uint64_t id;
	for (int i = 1; i <= 200; i++) {
		assert_int_equal(xa_alloc(&xa, &id, &v[i], 1, UINT32_MAX), 0);
		assert_int_equal(id, i);
	}
	/* Holes are refilled from the bottom, even across node boundaries. */
	assert_ptr_equal(xa_erase(&xa, 70), &v[70]);
	assert_ptr_equal(xa_erase(&xa, 5), &v[5]);
	assert_ptr_equal(xa_erase(&xa, 130), &v[130]);
	assert_int_equal(xa_alloc(&xa, &id, &v[0], 1, UINT32_MAX), 0);
	assert_int_equal(id, 5);
	assert_int_equal(xa_alloc(&xa, &id, &v[0], 1, UINT32_MAX), 0);
	assert_int_equal(id, 70);
	assert_int_equal(xa_alloc(&xa, &id, &v[0], 100, UINT32_MAX), 0);
	assert_int_equal(id, 130);
	assert_int_equal(xa_alloc(&xa, &id, &v[0], 1, UINT32_MAX), 0);
	assert_int_equal(id, 201);
	/* A bounded range that is full. */
	assert_int_equal(xa_alloc(&xa, &id, &v[0], 1, 64), -EBUSY);
	assert_int_equal(xa.count, 201);
	xa_destroy(&xa);
	assert_true(xa_empty(&xa));
}

static void reservations_hold_their_index(void **state)
{
	(void)state;
	struct xarray xa = XARRAY_INIT;
	uint64_t id;
	assert_int_equal(xa_alloc(&xa, &id, NULL, 1, 100), 0);
	assert_int_equal(id, 1);
	assert_null(xa_load(&xa, 1));
	assert_ptr_equal(xa_load_raw(&xa, 1), XA_ZERO_ENTRY);
	assert_int_equal(xa_insert(&xa, 1, &v[1]), -EBUSY);
	assert_int_equal(xa_alloc(&xa, &id, &v[2], 1, 100), 0);
	assert_int_equal(id, 2);
	/* Iteration skips the reservation. */
	uint64_t idx;
	void *e;
	int n = 0;
	xa_for_each(&xa, idx, e) {
		assert_int_equal(idx, 2);
		n++;
	}
	assert_int_equal(n, 1);
	/* Publishing it. */
	void *old;
	assert_int_equal(xa_store(&xa, 1, &v[1], &old), 0);
	assert_ptr_equal(old, XA_ZERO_ENTRY);
	assert_ptr_equal(xa_load(&xa, 1), &v[1]);
	assert_false(xa_empty(&xa));
	xa_erase(&xa, 1);
	xa_erase(&xa, 2);
	assert_true(xa_empty(&xa));
	xa_destroy(&xa);
}

static void sparse_and_huge_indexes(void **state)
{
	(void)state;
	struct xarray xa = XARRAY_INIT;
	uint64_t keys[] = { 0, 63, 64, 4095, 1ull << 31, 1ull << 40, UINT64_MAX - 1, UINT64_MAX };
	for (unsigned i = 0; i < ARRAY_SIZE(keys); i++)
		assert_int_equal(xa_insert(&xa, keys[i], &v[i]), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(keys); i++)
		assert_ptr_equal(xa_load(&xa, keys[i]), &v[i]);
	assert_null(xa_load(&xa, 62));
	assert_null(xa_load(&xa, 1ull << 39));
	uint64_t idx;
	void *e;
	unsigned i = 0;
	xa_for_each(&xa, idx, e) {
		assert_int_equal(idx, keys[i]);
		assert_ptr_equal(e, &v[i]);
		i++;
	}
	assert_int_equal(i, ARRAY_SIZE(keys));
	/* Erase during iteration. */
	xa_for_each(&xa, idx, e)
		xa_erase(&xa, idx);
	assert_true(xa_empty(&xa));
	assert_null(xa.root);
	xa_destroy(&xa);
}

/* Against a plain array model: random alloc/erase/insert. */
static void random_against_model(void **state)
{
	(void)state;
	srand(7);
	struct xarray xa = XARRAY_INIT;
	static void *model[4096];
	memset(model, 0, sizeof(model));
	for (int step = 0; step < 100000; step++) {
		int op = rand() % 3;
		uint64_t k = (uint64_t)(rand() % 4000) + 1;
		if (op == 0) {
			uint64_t id, want = 0;
			for (uint64_t j = 1; j < 4096; j++)
				if (!model[j]) {
					want = j;
					break;
				}
			if (!want) {
				/* All of [1, 4095] taken. */
				assert_int_equal(xa_alloc(&xa, &id, &v[0], 1, 4095), -EBUSY);
				continue;
			}
			assert_int_equal(xa_alloc(&xa, &id, &v[want], 1, 4095), 0);
			assert_int_equal(id, want);
			model[id] = &v[want];
		} else if (op == 1) {
			assert_ptr_equal(xa_erase(&xa, k), model[k]);
			model[k] = NULL;
		} else {
			int rc = xa_insert(&xa, k, &v[k]);
			assert_int_equal(rc, model[k] ? -EBUSY : 0);
			if (!rc)
				model[k] = &v[k];
		}
		uint64_t probe = (uint64_t)(rand() % 4096);
		assert_ptr_equal(xa_load(&xa, probe), model[probe]);
	}
	xa_destroy(&xa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alloc_is_lowest_free),
		cmocka_unit_test(reservations_hold_their_index),
		cmocka_unit_test(sparse_and_huge_indexes),
		cmocka_unit_test(random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
