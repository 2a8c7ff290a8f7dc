/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An xarray: a sparse array of pointers indexed by an integer, as a radix
 * tree of 64-slot nodes (Linux lib/xarray.c in role, not in code). What
 * Linux keeps in an xarray is kept in one here - object IDs of an iommufd
 * context, the PASIDs attached to a device, a mock domain's IOPTEs - so
 * lookups stay O(log n) at the hardware's limits (2^20 PASIDs).
 *
 * Each node records which of its slots are full (a present entry, or a
 * subtree with no free index), so xa_alloc() finds the lowest free index
 * in a range without scanning.
 *
 * Not synchronized: the owner's lock guards an xarray.
 */
#ifndef UIOMMU_UTIL_XARRAY_H
#define UIOMMU_UTIL_XARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xa_node;

struct xarray {
	struct xa_node *root;
	unsigned height;    /* levels; the tree covers indices < 64^height */
	size_t count;       /* present entries */
};

#define XARRAY_INIT { NULL, 0, 0 }

static inline void xa_init(struct xarray *xa)
{
	xa->root = NULL;
	xa->height = 0;
	xa->count = 0;
}

static inline bool xa_empty(const struct xarray *xa)
{
	return xa->count == 0;
}

/* The entry at `index`, or NULL. */
void *xa_load(const struct xarray *xa, uint64_t index);
/* Store `entry` (non-NULL) at `index`, returning the old entry in *old if
 * non-NULL. 0 or -ENOMEM (nothing changed). */
int xa_store(struct xarray *xa, uint64_t index, void *entry, void **old);
/* Store only if the index is free: 0, -EBUSY, or -ENOMEM. */
int xa_insert(struct xarray *xa, uint64_t index, void *entry);
/* Remove and return the entry at `index` (NULL if none). */
void *xa_erase(struct xarray *xa, uint64_t index);
/* Store `entry` at the lowest free index in [min, max], returned in *id:
 * 0, -EBUSY when the range is full, -ENOMEM. */
int xa_alloc(struct xarray *xa, uint64_t *id, void *entry, uint64_t min, uint64_t max);
/* The first present entry at an index in [*index, max], its index in
 * *index; NULL if none. */
void *xa_find(const struct xarray *xa, uint64_t *index, uint64_t max);
/* Free the tree (the entries are the caller's). */
void xa_destroy(struct xarray *xa);
/* Bytes of tree nodes, for accounting (pasid.bytes_per_pasid). */
size_t xa_memory(const struct xarray *xa);

/* Visit present entries in index order; the body may erase the current
 * entry. */
#define xa_for_each(xa, index, entry)                                           \
	for ((index) = 0, (entry) = xa_find((xa), &(index), UINT64_MAX); (entry); \
	     (entry) = (index) == UINT64_MAX ? NULL :                           \
		       ((index)++, xa_find((xa), &(index), UINT64_MAX)))

#endif
