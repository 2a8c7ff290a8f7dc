/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An index -> pointer map in the manner of Linux's xarray: a radix tree
 * of 64-slot nodes, so lookups cost one step per 6 bits of the highest
 * index, and allocation finds the lowest free index by following per-node
 * "subtree full" bitmaps instead of scanning (SPEC U-1: object IDs from 1,
 * lowest free first).
 *
 * XA_ZERO_ENTRY reserves an index: it reads back as NULL and iteration
 * skips it, but allocation and insertion treat the index as taken (an
 * object being created, not yet visible).
 *
 * Not locked: every xarray is guarded by its owner's lock, named at the
 * owner's declaration.
 */
#ifndef UIOMMU_UTIL_XARRAY_H
#define UIOMMU_UTIL_XARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xa_node;

struct xarray {
	struct xa_node *root;
	unsigned shift;     /* of the root's slots: root covers [0, 64 << shift) */
	size_t count;       /* occupied indexes, reservations included */
};

extern char xa_zero_marker;
#define XA_ZERO_ENTRY ((void *)&xa_zero_marker)

static inline bool xa_is_zero(const void *entry)
{
	return entry == XA_ZERO_ENTRY;
}

#define XARRAY_INIT { NULL, 0, 0 }

static inline void xa_init(struct xarray *xa)
{
	xa->root = NULL;
	xa->shift = 0;
	xa->count = 0;
}

/* No index occupied, reservations included. */
static inline bool xa_empty(const struct xarray *xa)
{
	return xa->count == 0;
}

/* The entry at index; NULL if none or reserved. */
void *xa_load(const struct xarray *xa, uint64_t index);
/* Like xa_load, but a reservation comes back as XA_ZERO_ENTRY. */
void *xa_load_raw(const struct xarray *xa, uint64_t index);
/* Put entry (XA_ZERO_ENTRY reserves; NULL erases) at index; *old gets
 * what was there. 0 or -ENOMEM (then nothing changed). */
int xa_store(struct xarray *xa, uint64_t index, void *entry, void **old);
/* Store only if the index is free: 0, -EBUSY or -ENOMEM. */
int xa_insert(struct xarray *xa, uint64_t index, void *entry);
/* Remove whatever is at index (entry or reservation); returns the entry,
 * NULL for a reservation or nothing. */
void *xa_erase(struct xarray *xa, uint64_t index);
/* Store entry at the lowest free index in [min, max], returned in *id:
 * 0, -EBUSY (none free) or -ENOMEM. A NULL entry reserves. */
int xa_alloc(struct xarray *xa, uint64_t *id, void *entry, uint64_t min, uint64_t max);
/* The first entry (not reservation) at an index in [*index, max]; *index
 * is set to it. NULL when there is none. */
void *xa_find(const struct xarray *xa, uint64_t *index, uint64_t max);
/* Free the nodes; entries are the caller's. */
void xa_destroy(struct xarray *xa);

/* Iterate entries in index order; the body may erase the current one. */
#define xa_for_each(xa, index, entry)                                           \
	for ((index) = 0, (entry) = xa_find((xa), &(index), UINT64_MAX); (entry); \
	     (entry) = ((index) == UINT64_MAX ? NULL :                          \
			(++(index), xa_find((xa), &(index), UINT64_MAX))))

#endif
