/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xarray.h"
#include "slab.h"

#define XA_SHIFT 6
#define XA_SLOTS 64
#define XA_MAX_SHIFT 60 /* root slots of 2^60: 64 of them cover 2^64 */

char xa_zero_marker;

struct xa_node {
	uint64_t present;  /* slot holds an entry, a reservation or a child */
	uint64_t full;     /* leaf: as present; interior: the child has no free index */
	void *slots[XA_SLOTS];
};

static unsigned slot_of(uint64_t index, unsigned shift)
{
	return (unsigned)((index >> shift) & (XA_SLOTS - 1));
}

/* One past the last index the tree covers now (0 for "all of them"). */
static uint64_t capacity(const struct xarray *xa)
{
	return xa->shift >= XA_MAX_SHIFT ? 0 : (uint64_t)XA_SLOTS << xa->shift;
}

static bool covers(const struct xarray *xa, uint64_t index)
{
	uint64_t cap = capacity(xa);
	return xa->root && (cap == 0 || index < cap);
}

void *xa_load_raw(const struct xarray *xa, uint64_t index)
{
	if (!covers(xa, index))
		return NULL;
	struct xa_node *n = xa->root;
	for (unsigned shift = xa->shift;; shift -= XA_SHIFT) {
		void *s = n->slots[slot_of(index, shift)];
		if (!shift || !s)
			return s;
		n = s;
	}
}

void *xa_load(const struct xarray *xa, uint64_t index)
{
	void *e = xa_load_raw(xa, index);
	return xa_is_zero(e) ? NULL : e;
}

/* Add levels on top until index fits. */
static int grow(struct xarray *xa, uint64_t index)
{
	if (!xa->root) {
		unsigned shift = 0;
		while (shift < XA_MAX_SHIFT && (index >> shift) >= XA_SLOTS)
			shift += XA_SHIFT;
		xa->root = kcalloc(1, sizeof(*xa->root));
		if (!xa->root)
			return -ENOMEM;
		xa->shift = shift;
		return 0;
	}
	while (!covers(xa, index)) {
		struct xa_node *top = kcalloc(1, sizeof(*top));
		if (!top)
			return -ENOMEM;
		top->slots[0] = xa->root;
		top->present = 1;
		top->full = xa->root->full == ~0ull ? 1 : 0;
		xa->root = top;
		xa->shift += XA_SHIFT;
	}
	return 0;
}

/* Recompute the present/full bits of the path's nodes from the bottom
 * up, freeing nodes that became empty. path[i] is the node at depth i,
 * with path[depth-1] the leaf. */
static void fixup_path(struct xarray *xa, struct xa_node **path, unsigned depth, uint64_t index)
{
	for (unsigned d = depth; d-- > 1;) {
		struct xa_node *n = path[d], *parent = path[d - 1];
		unsigned pshift = xa->shift - (d - 1) * XA_SHIFT;
		uint64_t bit = 1ull << slot_of(index, pshift);
		if (!n->present) {
			free(n);
			parent->slots[slot_of(index, pshift)] = NULL;
			parent->present &= ~bit;
			parent->full &= ~bit;
		} else if (n->full == ~0ull) {
			parent->full |= bit;
		} else {
			parent->full &= ~bit;
		}
	}
	if (xa->root && !xa->root->present) {
		free(xa->root);
		xa->root = NULL;
		xa->shift = 0;
	}
}

/* The path to index's leaf, creating nodes on the way if `create`.
 * Returns the depth, 0 if a node is missing, -ENOMEM. */
static int walk(struct xarray *xa, uint64_t index, struct xa_node **path, bool create)
{
	struct xa_node *n = xa->root;
	unsigned d = 0;
	for (unsigned shift = xa->shift;; shift -= XA_SHIFT) {
		path[d++] = n;
		if (!shift)
			return (int)d;
		unsigned s = slot_of(index, shift);
		if (!n->slots[s]) {
			if (!create)
				return 0;
			struct xa_node *c = kcalloc(1, sizeof(*c));
			if (!c) {
				/* Undo the empty nodes this walk made. */
				fixup_path(xa, path, d, index);
				return -ENOMEM;
			}
			n->slots[s] = c;
			n->present |= 1ull << s;
		}
		n = n->slots[s];
	}
}

int xa_store(struct xarray *xa, uint64_t index, void *entry, void **old)
{
	struct xa_node *path[12];
	void *dummy;
	if (!old)
		old = &dummy;
	*old = NULL;
	if (!entry) {
		void *raw = xa_load_raw(xa, index);
		*old = xa_erase(xa, index);
		if (xa_is_zero(raw))
			*old = XA_ZERO_ENTRY;
		return 0;
	}
	struct xa_node *oldroot = xa->root;
	unsigned oldshift = xa->shift;
	int rc = grow(xa, index);
	if (rc)
		goto undo_grow;
	int depth = walk(xa, index, path, true);
	if (depth < 0) {
		rc = depth;
		goto undo_grow;
	}
	struct xa_node *leaf = path[depth - 1];
	unsigned s = slot_of(index, 0);
	*old = leaf->slots[s];
	if (!*old)
		xa->count++;
	leaf->slots[s] = entry;
	leaf->present |= 1ull << s;
	leaf->full = leaf->present;
	fixup_path(xa, path, (unsigned)depth, index);
	return 0;
undo_grow:
	/* Levels added on top of an old root hold nothing new. */
	while (xa->root && xa->root != oldroot && xa->shift > oldshift &&
	       xa->root->present == 1) {
		struct xa_node *top = xa->root;
		xa->root = top->slots[0];
		xa->shift -= XA_SHIFT;
		free(top);
	}
	if (!oldroot && xa->root && !xa->root->present) {
		free(xa->root);
		xa->root = NULL;
		xa->shift = 0;
	}
	return rc;
}

int xa_insert(struct xarray *xa, uint64_t index, void *entry)
{
	if (xa_load_raw(xa, index))
		return -EBUSY;
	return xa_store(xa, index, entry ? entry : XA_ZERO_ENTRY, NULL);
}

void *xa_erase(struct xarray *xa, uint64_t index)
{
	struct xa_node *path[12];
	if (!covers(xa, index))
		return NULL;
	int depth = walk(xa, index, path, false);
	if (depth <= 0)
		return NULL;
	struct xa_node *leaf = path[depth - 1];
	unsigned s = slot_of(index, 0);
	void *e = leaf->slots[s];
	if (!e)
		return NULL;
	leaf->slots[s] = NULL;
	leaf->present &= ~(1ull << s);
	leaf->full = leaf->present;
	xa->count--;
	fixup_path(xa, path, (unsigned)depth, index);
	return xa_is_zero(e) ? NULL : e;
}

/* Lowest free index in [min, max] under node n (covering from base, its
 * slots `shift` wide). */
static bool find_free(const struct xa_node *n, unsigned shift, uint64_t base, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	unsigned first = base >= min ? 0 : slot_of(min, shift);
	if (base < min && ((min - base) >> shift) >= XA_SLOTS)
		return false;
	for (unsigned i = first; i < XA_SLOTS; i++) {
		uint64_t lo = base + ((uint64_t)i << shift);
		if (lo > max)
			return false;
		uint64_t bit = 1ull << i;
		if (!(n->present & bit)) {
			*out = lo < min ? min : lo;
			return true;
		}
		if (!shift || (n->full & bit))
			continue;
		if (find_free(n->slots[i], shift - XA_SHIFT, lo, min, max, out))
			return true;
		if (lo + (1ull << shift) - 1 >= max)
			return false;
	}
	return false;
}

int xa_alloc(struct xarray *xa, uint64_t *id, void *entry, uint64_t min, uint64_t max)
{
	if (min > max)
		return -EBUSY;
	uint64_t idx;
	if (!xa->root || !covers(xa, min)) {
		idx = min;
	} else if (!find_free(xa->root, xa->shift, 0, min, max, &idx)) {
		/* Everything the tree covers in range is taken: the first
		 * index beyond it, if there is one. */
		uint64_t cap = capacity(xa);
		if (cap == 0 || cap > max)
			return -EBUSY;
		idx = cap;
	}
	int rc = xa_store(xa, idx, entry ? entry : XA_ZERO_ENTRY, NULL);
	if (!rc)
		*id = idx;
	return rc;
}

static void *find_in(const struct xa_node *n, unsigned shift, uint64_t base, uint64_t *index,
		     uint64_t max)
{
	for (unsigned i = base >= *index ? 0 : slot_of(*index, shift); i < XA_SLOTS; i++) {
		uint64_t lo = base + ((uint64_t)i << shift);
		if (lo > max)
			return NULL;
		if (!(n->present & (1ull << i)))
			continue;
		if (!shift) {
			if (lo < *index || xa_is_zero(n->slots[i]))
				continue;
			*index = lo;
			return n->slots[i];
		}
		void *e = find_in(n->slots[i], shift - XA_SHIFT, lo, index, max);
		if (e)
			return e;
	}
	return NULL;
}

void *xa_find(const struct xarray *xa, uint64_t *index, uint64_t max)
{
	if (!covers(xa, *index) || *index > max)
		return NULL;
	return find_in(xa->root, xa->shift, 0, index, max);
}

static void free_node(struct xa_node *n, unsigned shift)
{
	if (shift)
		for (unsigned i = 0; i < XA_SLOTS; i++)
			if (n->slots[i])
				free_node(n->slots[i], shift - XA_SHIFT);
	free(n);
}

void xa_destroy(struct xarray *xa)
{
	if (xa->root)
		free_node(xa->root, xa->shift);
	xa_init(xa);
}
