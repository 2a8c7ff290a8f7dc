/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* sys/tree.h's generated functions are marked with BSD's __unused. */
#ifndef __unused
#define __unused __attribute__((unused))
#endif
#include <bsd/sys/tree.h>

#include "range_refs.h"
#include "../util/slab.h"

RB_HEAD(rr_tree, rr_extent);

static int cmp(const struct rr_extent *a, const struct rr_extent *b)
{
	return a->start < b->start ? -1 : a->start > b->start;
}

RB_GENERATE_STATIC(rr_tree, rr_extent, rb, cmp)

#define TREE(rr) ((struct rr_tree *)&(rr)->root)
_Static_assert(sizeof(struct rr_tree) == sizeof(struct rr_extent *), "head is the root");

/* H holders make at most 2H boundaries, so 2H - 1 extents, plus one in
 * flight while an operation splits before it merges. (An operation that
 * still finds the pool empty - a caller that did not reserve - falls back
 * to malloc.) */
#define RR_SLACK 1
/* Spare extents kept beyond the bound before trimming: holders come and
 * go with every map, and this spares malloc the churn. */
#define RR_KEEP 32

void range_refs_init(struct range_refs *rr)
{
	rr->root = NULL;
	rr->free = NULL;
	rr->nr_free = rr->nr_extents = rr->nr_holders = 0;
	rr->total = rr->covered = 0;
	for (unsigned i = 0; i < RR_INLINE; i++) {
		rr->inline_ext[i].free_next = rr->free;
		rr->free = &rr->inline_ext[i];
		rr->nr_free++;
	}
}

static bool is_inline(const struct range_refs *rr, const struct rr_extent *x)
{
	return x >= rr->inline_ext && x < rr->inline_ext + RR_INLINE;
}

static void free_extent(struct range_refs *rr, struct rr_extent *x)
{
	if (!is_inline(rr, x))
		free(x);
}

void range_refs_destroy(struct range_refs *rr)
{
	struct rr_extent *x, *t;
	RB_FOREACH_SAFE(x, rr_tree, TREE(rr), t) {
		RB_REMOVE(rr_tree, TREE(rr), x);
		free_extent(rr, x);
	}
	while ((x = rr->free)) {
		rr->free = x->free_next;
		free_extent(rr, x);
	}
	range_refs_init(rr);
}

static size_t wanted(const struct range_refs *rr)
{
	return rr->nr_holders ? 2 * rr->nr_holders - 1 + RR_SLACK : 0;
}

int range_refs_reserve(struct range_refs *rr)
{
	rr->nr_holders++;
	while (rr->nr_free + rr->nr_extents < wanted(rr)) {
		struct rr_extent *x = kmalloc(sizeof(*x));
		if (!x) {
			range_refs_unreserve(rr);
			return -ENOMEM;
		}
		x->free_next = rr->free;
		rr->free = x;
		rr->nr_free++;
	}
	return 0;
}

static void trim(struct range_refs *rr)
{
	if (rr->nr_free + rr->nr_extents <= wanted(rr) + RR_KEEP)
		return;
	/* Keep the inline ones: they cost nothing and cannot be freed. */
	struct rr_extent **pp = &rr->free;
	while (*pp && rr->nr_free + rr->nr_extents > wanted(rr)) {
		struct rr_extent *x = *pp;
		if (is_inline(rr, x)) {
			pp = &x->free_next;
			continue;
		}
		*pp = x->free_next;
		rr->nr_free--;
		free(x);
	}
}

void range_refs_unreserve(struct range_refs *rr)
{
	if (rr->nr_holders)
		rr->nr_holders--;
	trim(rr);
}

static struct rr_extent *get_extent(struct range_refs *rr, uint64_t start, uint64_t end,
				    uint64_t count)
{
	struct rr_extent *x = rr->free;
	if (x) {
		rr->free = x->free_next;
		rr->nr_free--;
	} else {
		/* Counting past what holders reserved is a caller bug; stay
		 * correct if memory allows, stop loudly if not. */
		x = kmalloc(sizeof(*x));
		if (!x) {
			fprintf(stderr, "range_refs: extent pool exhausted\n");
			abort();
		}
	}
	x->start = start;
	x->end = end;
	x->count = count;
	RB_INSERT(rr_tree, TREE(rr), x);
	rr->nr_extents++;
	return x;
}

static void put_extent(struct range_refs *rr, struct rr_extent *x)
{
	RB_REMOVE(rr_tree, TREE(rr), x);
	rr->nr_extents--;
	x->free_next = rr->free;
	rr->free = x;
	rr->nr_free++;
}

/* The extent containing x, or NULL. */
static struct rr_extent *find(const struct range_refs *rr, uint64_t x)
{
	struct rr_extent *n = RB_ROOT(TREE(rr)), *best = NULL;
	while (n) {
		if (n->start <= x) {
			best = n;
			n = RB_RIGHT(n, rb);
		} else {
			n = RB_LEFT(n, rb);
		}
	}
	return best && x < best->end ? best : NULL;
}

/* The first extent starting at or after x. */
static struct rr_extent *first_from(const struct range_refs *rr, uint64_t x)
{
	struct rr_extent key = { .start = x };
	return RB_NFIND(rr_tree, TREE(rr), &key);
}

/* Make `at` an extent boundary. */
static void split(struct range_refs *rr, uint64_t at)
{
	struct rr_extent *x = find(rr, at);
	if (!x || x->start == at)
		return;
	uint64_t end = x->end;
	x->end = at;
	get_extent(rr, at, end, x->count);
}

/* Merge x with its right neighbour while they touch with equal counts. */
static void merge_right(struct range_refs *rr, struct rr_extent *x)
{
	for (;;) {
		struct rr_extent *n = RB_NEXT(rr_tree, TREE(rr), x);
		if (!n || n->start != x->end || n->count != x->count)
			return;
		x->end = n->end;
		put_extent(rr, n);
	}
}

/* Merge the extents that meet [start, end] with equal-count neighbours. */
static void merge_around(struct range_refs *rr, uint64_t start, uint64_t end)
{
	struct rr_extent *x = find(rr, start ? start - 1 : 0);
	if (!x)
		x = first_from(rr, start);
	while (x && x->start <= end) {
		merge_right(rr, x);
		x = RB_NEXT(rr_tree, TREE(rr), x);
	}
}

static void apply(struct range_refs *rr, uint64_t start, uint64_t end, int delta,
		  range_refs_fn fn, void *arg)
{
	split(rr, start);
	split(rr, end);
	uint64_t pos = start;
	struct rr_extent *cur = first_from(rr, start);
	while (pos < end) {
		if (cur && cur->start == pos) {
			struct rr_extent *next = RB_NEXT(rr_tree, TREE(rr), cur);
			uint64_t len = cur->end - cur->start;
			pos = cur->end;
			if (delta > 0) {
				cur->count++;
				rr->total += len;
			} else {
				cur->count--;
				rr->total -= len;
				if (!cur->count) {
					rr->covered -= len;
					if (fn)
						fn(cur->start, cur->end, arg);
					put_extent(rr, cur);
				}
			}
			cur = next;
		} else {
			/* A gap; only an increment can meet one. */
			uint64_t gap_end = cur && cur->start < end ? cur->start : end;
			get_extent(rr, pos, gap_end, 1);
			rr->total += gap_end - pos;
			rr->covered += gap_end - pos;
			if (fn)
				fn(pos, gap_end, arg);
			pos = gap_end;
		}
	}
	merge_around(rr, start, end);
}

void range_refs_inc(struct range_refs *rr, uint64_t start, uint64_t end, range_refs_fn fn,
		    void *arg)
{
	if (start < end)
		apply(rr, start, end, +1, fn, arg);
}

int range_refs_dec(struct range_refs *rr, uint64_t start, uint64_t end, range_refs_fn fn,
		   void *arg)
{
	if (start >= end)
		return 0;
	/* Counted throughout? Walk the extents once before changing any. */
	uint64_t pos = start;
	struct rr_extent *x = find(rr, start);
	while (x && x->start <= pos && pos < end) {
		pos = x->end;
		x = RB_NEXT(rr_tree, TREE(rr), x);
	}
	if (pos < end)
		return -EINVAL;
	apply(rr, start, end, -1, fn, arg);
	return 0;
}

uint64_t range_refs_count(const struct range_refs *rr, uint64_t x)
{
	struct rr_extent *e = find(rr, x);
	return e ? e->count : 0;
}

int range_refs_for_each_gap(const struct range_refs *rr, uint64_t start, uint64_t end,
			    int (*fn)(uint64_t start, uint64_t end, void *arg), void *arg)
{
	uint64_t pos = start;
	struct rr_extent *x = find(rr, start);
	if (!x)
		x = first_from(rr, start);
	while (pos < end) {
		if (x && x->start <= pos) {
			pos = x->end;
			x = RB_NEXT(rr_tree, TREE(rr), x);
			continue;
		}
		uint64_t gap_end = x && x->start < end ? x->start : end;
		int rc = fn(pos, gap_end, arg);
		if (rc)
			return rc;
		pos = gap_end;
	}
	return 0;
}

void range_refs_for_each(const struct range_refs *rr,
			 void (*fn)(uint64_t start, uint64_t end, uint64_t count, void *arg),
			 void *arg)
{
	struct rr_extent *x;
	RB_FOREACH(x, rr_tree, TREE(rr))
		fn(x->start, x->end, x->count, arg);
}
