/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Closed intervals [start, last] of 64-bit values in a red-black tree
 * augmented with each subtree's largest `last` (Linux's interval_tree in
 * shape): finding the intervals that meet a range costs O(log n + hits),
 * and intervals may overlap. The IOAS keeps its areas, allowed and reserved
 * ranges in these (io_pagetable.c), and the span iterator walks the holes
 * and the used stretches of a range, overlapping intervals merged.
 *
 * Not locked: each tree is guarded by its owner's lock.
 */
#ifndef UIOMMU_UTIL_INTERVAL_TREE_H
#define UIOMMU_UTIL_INTERVAL_TREE_H

#include <stdbool.h>
#include <stdint.h>

struct interval_tree_node {
	struct {                     /* sys/tree.h's RB_ENTRY, spelled out */
		struct interval_tree_node *rbe_left, *rbe_right, *rbe_parent;
		int rbe_color;
	} rb;
	uint64_t start, last;
	uint64_t subtree_last;       /* max `last` in this subtree */
};

struct interval_tree_root {
	struct interval_tree_node *rb_root;
};

#define INTERVAL_TREE_ROOT_INIT { NULL }

static inline bool interval_tree_empty(const struct interval_tree_root *root)
{
	return root->rb_root == NULL;
}

/* node->start and node->last must be set; duplicates are allowed. */
void interval_tree_insert(struct interval_tree_node *node, struct interval_tree_root *root);
void interval_tree_remove(struct interval_tree_node *node, struct interval_tree_root *root);
/* The first interval (by start) that meets [start, last], and the next. */
struct interval_tree_node *interval_tree_iter_first(const struct interval_tree_root *root,
						    uint64_t start, uint64_t last);
struct interval_tree_node *interval_tree_iter_next(struct interval_tree_node *node,
						   uint64_t start, uint64_t last);

/*
 * Spans of [first, last]: alternately holes (no interval) and used
 * stretches (covered by one or more intervals), each as long as it gets.
 */
struct interval_tree_span_iter {
	const struct interval_tree_root *root;
	struct interval_tree_node *nodes; /* the next interval past the span */
	uint64_t first, last;            /* the range walked */
	uint64_t start, end;             /* this span, inclusive */
	bool is_hole;
	bool done;
};

void interval_tree_span_iter_first(struct interval_tree_span_iter *it,
				   const struct interval_tree_root *root, uint64_t first,
				   uint64_t last);
void interval_tree_span_iter_next(struct interval_tree_span_iter *it);

#define interval_tree_for_each_span(it, root, first, last)                  \
	for (interval_tree_span_iter_first(it, root, first, last); !(it)->done; \
	     interval_tree_span_iter_next(it))

#endif
