/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tree is libbsd's red-black tree (sys/tree.h). RB_AUGMENT recomputes
 * one node's subtree_last; the generated code calls it on every node a
 * rotation moves, after that node's children are final (a rotation keeps
 * the maximum of the subtree it turns, so nothing above needs it), and on
 * the path from a removed node's successor upwards. What it does not
 * reach - the ancestors of an inserted node, of a removed node's place -
 * is recomputed by one walk to the root after each insert and remove, so
 * both stay O(log n).
 */
#include <stddef.h>

#include "interval_tree.h"

static void augment_one(struct interval_tree_node *n);

/* sys/tree.h's generated functions are marked with BSD's __unused. */
#ifndef __unused
#define __unused __attribute__((unused))
#endif
#define RB_AUGMENT(x) augment_one(x)
#include <bsd/sys/tree.h>

RB_HEAD(it_head, interval_tree_node);
_Static_assert(sizeof(struct it_head) == sizeof(struct interval_tree_root), "head layout");

#define LEFT(n)   RB_LEFT(n, rb)
#define RIGHT(n)  RB_RIGHT(n, rb)
#define PARENT(n) RB_PARENT(n, rb)

static void augment_one(struct interval_tree_node *n)
{
	uint64_t m = n->last;
	if (LEFT(n) && LEFT(n)->subtree_last > m)
		m = LEFT(n)->subtree_last;
	if (RIGHT(n) && RIGHT(n)->subtree_last > m)
		m = RIGHT(n)->subtree_last;
	n->subtree_last = m;
}

static void augment_up(struct interval_tree_node *n)
{
	for (; n; n = PARENT(n))
		augment_one(n);
}

static int cmp(const struct interval_tree_node *a, const struct interval_tree_node *b)
{
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	/* Equal starts: any fixed order, so duplicates coexist. */
	return a < b ? -1 : a > b ? 1 : 0;
}

RB_GENERATE_STATIC(it_head, interval_tree_node, rb, cmp)

void interval_tree_insert(struct interval_tree_node *node, struct interval_tree_root *root)
{
	node->subtree_last = node->last;
	it_head_RB_INSERT((struct it_head *)root, node);
	augment_up(node);
}

void interval_tree_remove(struct interval_tree_node *node, struct interval_tree_root *root)
{
	struct interval_tree_node *parent = PARENT(node);
	it_head_RB_REMOVE((struct it_head *)root, node);
	augment_up(parent);
	LEFT(node) = RIGHT(node) = PARENT(node) = NULL;
}

/* The leftmost interval under n meeting [start, last]. */
static struct interval_tree_node *subtree_search(struct interval_tree_node *n, uint64_t start,
						 uint64_t last)
{
	for (;;) {
		if (LEFT(n) && LEFT(n)->subtree_last >= start) {
			n = LEFT(n);
			continue;
		}
		if (n->start > last)
			return NULL;
		if (n->last >= start)
			return n;
		n = RIGHT(n);
		if (!n || n->subtree_last < start)
			return NULL;
	}
}

struct interval_tree_node *interval_tree_iter_first(const struct interval_tree_root *root,
						    uint64_t start, uint64_t last)
{
	struct interval_tree_node *n = root->rb_root;
	if (!n || n->subtree_last < start)
		return NULL;
	return subtree_search(n, start, last);
}

struct interval_tree_node *interval_tree_iter_next(struct interval_tree_node *node,
						   uint64_t start, uint64_t last)
{
	struct interval_tree_node *r = RIGHT(node), *prev;
	for (;;) {
		if (r && r->subtree_last >= start)
			return subtree_search(r, start, last);
		/* Up to the first ancestor reached from its left. */
		do {
			prev = node;
			node = PARENT(node);
			if (!node)
				return NULL;
		} while (RIGHT(node) == prev);
		if (node->start > last)
			return NULL;
		if (node->last >= start)
			return node;
		r = RIGHT(node);
	}
}

/* ---- spans ---- */

/* Fill the span that starts at it->start from it->nodes on. */
static void span_fill(struct interval_tree_span_iter *it)
{
	struct interval_tree_node *n = it->nodes;
	if (!n || n->start > it->start) {
		it->is_hole = true;
		it->end = n && n->start - 1 < it->last ? n->start - 1 : it->last;
		return;
	}
	/* Used: extend over every interval that overlaps or touches. */
	uint64_t end = n->last;
	while (end < it->last) {
		n = interval_tree_iter_next(n, it->first, it->last);
		if (!n || n->start > end + 1)
			break;
		if (n->last > end)
			end = n->last;
	}
	it->is_hole = false;
	it->end = end < it->last ? end : it->last;
	it->nodes = n;
}

void interval_tree_span_iter_first(struct interval_tree_span_iter *it,
				   const struct interval_tree_root *root, uint64_t first,
				   uint64_t last)
{
	it->root = root;
	it->first = first;
	it->last = last;
	it->start = first;
	it->done = first > last;
	it->nodes = it->done ? NULL : interval_tree_iter_first(root, first, last);
	if (!it->done)
		span_fill(it);
}

void interval_tree_span_iter_next(struct interval_tree_span_iter *it)
{
	if (it->end >= it->last) {
		it->done = true;
		return;
	}
	it->start = it->end + 1;
	/* Intervals that ended inside the span just walked count no more. */
	while (it->nodes && it->nodes->last < it->start)
		it->nodes = interval_tree_iter_next(it->nodes, it->first, it->last);
	span_fill(it);
}
