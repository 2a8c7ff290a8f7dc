/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reference counts over ranges of a 64-bit space, kept as an ordered set
 * of extents [start, end) -> count (count >= 1; uncounted space has no
 * extent). A count over a terabyte is one extent, never one per page.
 * The pin layer counts pins per "physical" page this way, and each
 * iopt_pages counts which of its pages a domain or an access needs.
 *
 * Counting never fails: a *holder* (anything that will later add and
 * remove counts over its own range, such as a domain-filled area or an
 * access) first reserves, which can fail, and from then on adding and
 * removing counts take extents from a pool the reservations keep large
 * enough. Adjacent extents with equal counts are merged, so the extents
 * never outnumber twice the live holders; that is the pool's bound.
 *
 * Not locked: each user names the lock that guards its range_refs.
 */
#ifndef UIOMMU_MM_RANGE_REFS_H
#define UIOMMU_MM_RANGE_REFS_H

#include <stddef.h>
#include <stdint.h>

struct rr_extent {
	struct {                 /* sys/tree.h's RB_ENTRY, spelled out */
		struct rr_extent *rbe_left, *rbe_right, *rbe_parent;
		int rbe_color;
	} rb;
	uint64_t start, end;
	uint64_t count;
	struct rr_extent *free_next;
};

/* Extents every range_refs carries inline: what a run of pages with one
 * holder needs, so the common case allocates nothing. */
#define RR_INLINE 2

struct range_refs {
	struct rr_extent *root;  /* sys/tree.h red-black tree, by start */
	struct rr_extent *free;  /* the pool */
	size_t nr_free;
	size_t nr_extents;       /* in the tree */
	size_t nr_holders;
	uint64_t total;          /* sum of (end - start) * count */
	uint64_t covered;        /* sum of (end - start) */
	struct rr_extent inline_ext[RR_INLINE]; /* in the pool after init, never freed */
};

void range_refs_init(struct range_refs *rr);
/* Frees the extents; the counts are forgotten. */
void range_refs_destroy(struct range_refs *rr);

/* A new holder: 0 or -ENOMEM. */
int range_refs_reserve(struct range_refs *rr);
void range_refs_unreserve(struct range_refs *rr);

/* Called with each stretch whose count went 0 -> 1 (inc) or 1 -> 0 (dec). */
typedef void (*range_refs_fn)(uint64_t start, uint64_t end, void *arg);

/* +1 over [start, end). */
void range_refs_inc(struct range_refs *rr, uint64_t start, uint64_t end, range_refs_fn fn,
		    void *arg);
/* -1 over [start, end), which must be counted throughout: -EINVAL (and no
 * change) where it is not. */
int range_refs_dec(struct range_refs *rr, uint64_t start, uint64_t end, range_refs_fn fn,
		   void *arg);

/* The count at x. */
uint64_t range_refs_count(const struct range_refs *rr, uint64_t x);
/* Calls fn for each uncounted stretch of [start, end), in order; stops
 * and returns fn's first non-zero result. */
int range_refs_for_each_gap(const struct range_refs *rr, uint64_t start, uint64_t end,
			    int (*fn)(uint64_t start, uint64_t end, void *arg), void *arg);
/* Calls fn for each extent in order (tests, dumps). */
void range_refs_for_each(const struct range_refs *rr,
			 void (*fn)(uint64_t start, uint64_t end, uint64_t count, void *arg),
			 void *arg);

#endif
