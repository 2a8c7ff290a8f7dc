/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interval tree behind IOAS areas and reserved ranges: overlap
 * queries find exactly the intervals that meet a range, in start order,
 * with overlapping and duplicate intervals; spans merge what touches.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/interval_tree.h"

#define N 600

static struct interval_tree_node nodes[N];
static bool in_tree[N];

static void check_query(struct interval_tree_root *root, uint64_t s, uint64_t l)
{
	int found = 0;
	uint64_t prev_start = 0;
	for (struct interval_tree_node *n = interval_tree_iter_first(root, s, l); n;
	     n = interval_tree_iter_next(n, s, l)) {
		assert_true(n->start <= l && n->last >= s);
		assert_true(n->start >= prev_start);
		prev_start = n->start;
		found++;
	}
	int want = 0;
	for (int i = 0; i < N; i++)
		if (in_tree[i] && nodes[i].start <= l && nodes[i].last >= s)
			want++;
	assert_int_equal(found, want);
}

/* Every node's subtree_last is the largest `last` below it (the
 * augmentation the queries rely on), recomputed from scratch. */
static uint64_t check_augment(const struct interval_tree_node *n)
{
	if (!n)
		return 0;
	uint64_t m = n->last, l = check_augment(n->rb.rbe_left), r = check_augment(n->rb.rbe_right);
	if (n->rb.rbe_left && l > m)
		m = l;
	if (n->rb.rbe_right && r > m)
		m = r;
	assert_true(n->subtree_last == m);
	return m;
}

static void random_queries(void **state)
{
	(void)state;
	srand(11);
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	memset(in_tree, 0, sizeof(in_tree));
	for (int step = 0; step < 20000; step++) {
		int i = rand() % N;
		if (in_tree[i]) {
			interval_tree_remove(&nodes[i], &root);
			in_tree[i] = false;
		} else {
			nodes[i].start = (uint64_t)(rand() % 10000);
			nodes[i].last = nodes[i].start + (uint64_t)(rand() % 300);
			interval_tree_insert(&nodes[i], &root);
			in_tree[i] = true;
		}
		uint64_t s = (uint64_t)(rand() % 10500);
		check_query(&root, s, s + (uint64_t)(rand() % 500));
		if (step % 16 == 0)
			check_augment(root.rb_root);
	}
	check_query(&root, 0, UINT64_MAX);
}

static void spans(void **state)
{
	(void)state;
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_node a = { .start = 10, .last = 19 };
	struct interval_tree_node b = { .start = 15, .last = 29 }; /* overlaps a */
	struct interval_tree_node c = { .start = 30, .last = 39 }; /* touches b */
	struct interval_tree_node d = { .start = 50, .last = 59 };
	struct interval_tree_node e = { .start = 52, .last = 53 }; /* inside d */
	interval_tree_insert(&d, &root);
	interval_tree_insert(&a, &root);
	interval_tree_insert(&c, &root);
	interval_tree_insert(&e, &root);
	interval_tree_insert(&b, &root);
	struct interval_tree_span_iter it;
	uint64_t want[][3] = { { 1, 0, 9 }, { 0, 10, 39 }, { 1, 40, 49 }, { 0, 50, 59 },
			       { 1, 60, 99 } };
	unsigned k = 0;
	interval_tree_for_each_span(&it, &root, 0, 99) {
		assert_true(k < ARRAY_SIZE(want));
		assert_int_equal(it.is_hole, want[k][0]);
		assert_int_equal(it.start, want[k][1]);
		assert_int_equal(it.end, want[k][2]);
		k++;
	}
	assert_int_equal(k, ARRAY_SIZE(want));
	/* A window starting inside a used stretch, and the whole space. */
	interval_tree_span_iter_first(&it, &root, 35, 51);
	assert_false(it.is_hole);
	assert_int_equal(it.end, 39);
	interval_tree_span_iter_next(&it);
	assert_true(it.is_hole);
	assert_int_equal(it.start, 40);
	assert_int_equal(it.end, 49);
	interval_tree_span_iter_next(&it);
	assert_false(it.is_hole);
	assert_int_equal(it.end, 51);
	interval_tree_span_iter_next(&it);
	assert_true(it.done);
	struct interval_tree_node all = { .start = 0, .last = UINT64_MAX };
	interval_tree_insert(&all, &root);
	interval_tree_span_iter_first(&it, &root, 0, UINT64_MAX);
	assert_false(it.is_hole);
	assert_int_equal(it.end, UINT64_MAX);
	interval_tree_span_iter_next(&it);
	assert_true(it.done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_queries),
		cmocka_unit_test(spans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
