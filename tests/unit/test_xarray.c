/* SPDX-License-Identifier: BSD-3-Clause */
/* util/xarray: against a plain reference array, and at the sizes the
 * hardware has (2^20 PASIDs). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/xarray.h"

#define P(i) ((void *)(uintptr_t)(((i) << 2) | 2))

static void basics(void **state)
{
	(void)state;
	struct xarray xa = XARRAY_INIT;
	assert_null(xa_load(&xa, 0));
	assert_null(xa_erase(&xa, 5));
	assert_int_equal(xa_store(&xa, 5, P(5), NULL), 0);
	assert_int_equal(xa_insert(&xa, 5, P(6)), -EBUSY);
	assert_ptr_equal(xa_load(&xa, 5), P(5));
	void *old;
	assert_int_equal(xa_store(&xa, 5, P(7), &old), 0);
	assert_ptr_equal(old, P(5));
	assert_int_equal(xa.count, 1);
	assert_int_equal(xa_store(&xa, 1ull << 40, P(8), NULL), 0);
	assert_int_equal(xa_store(&xa, UINT64_MAX, P(9), NULL), 0);
	assert_ptr_equal(xa_load(&xa, UINT64_MAX), P(9));
	assert_null(xa_load(&xa, (1ull << 40) + 1));
	uint64_t i = 6;
	assert_ptr_equal(xa_find(&xa, &i, UINT64_MAX), P(8));
	assert_int_equal(i, 1ull << 40);
	i = 6;
	assert_null(xa_find(&xa, &i, 1000));
	assert_int_equal(xa_store(&xa, 1, NULL, NULL), -EINVAL);
	uint64_t n = 0;
	void *e;
	xa_for_each(&xa, i, e)
		n++;
	assert_int_equal(n, 3);
	assert_ptr_equal(xa_erase(&xa, UINT64_MAX), P(9));
	assert_ptr_equal(xa_erase(&xa, 5), P(7));
	assert_ptr_equal(xa_erase(&xa, 1ull << 40), P(8));
	assert_true(xa_empty(&xa));
	assert_null(xa.root);
	xa_destroy(&xa);
}

/* Lowest free index first, as iommufd object IDs and PASIDs need. */
static void alloc_lowest_free(void **state)
{
	(void)state;
	struct xarray xa = XARRAY_INIT;
	uint64_t id;
	for (uint64_t k = 1; k <= 200; k++) {
		assert_int_equal(xa_alloc(&xa, &id, P(k), 1, UINT32_MAX), 0);
		assert_int_equal(id, k);
	}
	xa_erase(&xa, 64);
	xa_erase(&xa, 3);
	assert_int_equal(xa_alloc(&xa, &id, P(1), 1, UINT32_MAX), 0);
	assert_int_equal(id, 3);
	assert_int_equal(xa_alloc(&xa, &id, P(1), 1, UINT32_MAX), 0);
	assert_int_equal(id, 64);
	assert_int_equal(xa_alloc(&xa, &id, P(1), 1, UINT32_MAX), 0);
	assert_int_equal(id, 201);
	assert_int_equal(xa_alloc(&xa, &id, P(1), 150, 160), -EBUSY);
	assert_int_equal(xa_alloc(&xa, &id, P(1), 4096, 5000), 0);
	assert_int_equal(id, 4096);
	assert_int_equal(xa_alloc(&xa, &id, P(1), 5, 3), -EINVAL);
	xa_destroy(&xa);
}

/* Random operations against a plain array. */
static void random_against_array(void **state)
{
	(void)state;
	enum { N = 5000 };
	void **ref = calloc(N, sizeof(*ref));
	struct xarray xa = XARRAY_INIT;
	srand(7);
	size_t count = 0;
	for (int step = 0; step < 200000; step++) {
		uint64_t i = (uint64_t)rand() % N;
		int op = rand() % 4;
		if (op == 0 || op == 1) {
			void *e = P((uint64_t)step);
			assert_int_equal(xa_store(&xa, i, e, NULL), 0);
			count += !ref[i];
			ref[i] = e;
		} else if (op == 2) {
			assert_ptr_equal(xa_erase(&xa, i), ref[i]);
			count -= !!ref[i];
			ref[i] = NULL;
		} else {
			uint64_t id, want = i;
			while (want < N && ref[want])
				want++;
			if (xa_alloc(&xa, &id, P(1), i, N - 1) == 0) {
				assert_int_equal(id, want);
				ref[id] = P(1);
				count++;
			} else {
				assert_int_equal(want, N);
			}
		}
		assert_int_equal(xa.count, count);
		uint64_t probe = (uint64_t)rand() % N, want = probe;
		while (want < N && !ref[want])
			want++;
		void *e = xa_find(&xa, &probe, N - 1);
		if (want == N)
			assert_null(e);
		else
			assert_true(probe == want && e == ref[want]);
	}
	for (uint64_t i = 0; i < N; i++)
		assert_ptr_equal(xa_load(&xa, i), ref[i]);
	xa_destroy(&xa);
	free(ref);
}

/* 2^20 PASIDs: dense allocation stays cheap per entry. */
static void hardware_limits(void **state)
{
	(void)state;
	struct xarray xa = XARRAY_INIT;
	uint64_t id;
	for (uint64_t k = 1; k < (1u << 20); k++)
		assert_int_equal(xa_alloc(&xa, &id, P(k), 1, (1u << 20) - 1), 0);
	assert_int_equal(id, (1u << 20) - 1);
	assert_int_equal(xa_alloc(&xa, &id, P(1), 1, (1u << 20) - 1), -EBUSY);
	/* Under 9 bytes of tree per entry. */
	assert_true(xa_memory(&xa) < 9 * xa.count);
	xa_erase(&xa, 777777);
	assert_int_equal(xa_alloc(&xa, &id, P(1), 1, (1u << 20) - 1), 0);
	assert_int_equal(id, 777777);
	xa_destroy(&xa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basics),
		cmocka_unit_test(alloc_lowest_free),
		cmocka_unit_test(random_against_array),
		cmocka_unit_test(hardware_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
