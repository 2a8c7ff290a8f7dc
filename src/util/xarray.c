/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include "xarray.h"

#define XA_SHIFT 6
#define XA_SLOTS 64u
#define XA_MAX_HEIGHT 11 /* 64^11 > 2^64 */

struct xa_node {
	void *slots[XA_SLOTS];
	uint64_t present;   /* slot holds an entry (leaf) or a child (inner) */
	uint64_t full;      /* slot has no free index under it */
	unsigned count;     /* bits in present */
};

static inline unsigned shift_of(unsigned level)
{
	return XA_SHIFT * level;
}

static inline unsigned slot_of(uint64_t index, unsigned level)
{
	unsigned sh = shift_of(level);
	return sh >= 64 ? 0 : (unsigned)(index >> sh) & (XA_SLOTS - 1);
}

/* Does the tree, at its height, reach `index`? */
static bool covers(const struct xarray *xa, uint64_t index)
{
	unsigned sh = shift_of(xa->height);
	return xa->height && (sh >= 64 || (index >> sh) == 0);
}

void *xa_load(const struct xarray *xa, uint64_t index)
{
	if (!covers(xa, index))
		return NULL;
	const struct xa_node *n = xa->root;
	for (unsigned level = xa->height - 1;; level--) {
		void *p = n->slots[slot_of(index, level)];
		if (!level || !p)
			return p;
		n = p;
	}
}

static bool node_full(const struct xa_node *n)
{
	return n->full == ~0ull;
}

/* Make the tree tall enough for `index`. */
static int grow(struct xarray *xa, uint64_t index)
{
	while (!covers(xa, index)) {
		if (!xa->root) {
			/* An empty tree simply starts at the needed height. */
			unsigned h = 1;
			while (h < XA_MAX_HEIGHT && shift_of(h) < 64 && (index >> shift_of(h)))
				h++;
			xa->height = h;
			return 0;
		}
		struct xa_node *n = calloc(1, sizeof(*n));
		if (!n)
			return -ENOMEM;
		n->slots[0] = xa->root;
		n->present = 1;
		n->count = 1;
		if (node_full(xa->root))
			n->full = 1;
		xa->root = n;
		xa->height++;
	}
	return 0;
}

/* Recompute the full bits along a path after a change at its leaf. */
static void fix_full(struct xa_node **path, unsigned height, uint64_t index)
{
	for (unsigned level = 1; level < height; level++) {
		struct xa_node *parent = path[level], *child = path[level - 1];
		uint64_t bit = 1ull << slot_of(index, level);
		if (node_full(child))
			parent->full |= bit;
		else
			parent->full &= ~bit;
	}
}

static int store(struct xarray *xa, uint64_t index, void *entry, void **old, bool only_if_free)
{
	if (!entry)
		return -EINVAL;
	if (only_if_free && xa_load(xa, index))
		return -EBUSY;
	/* A taller tree holds the same entries: growing needs no undo. */
	int rc = grow(xa, index);
	if (rc)
		return rc;
	/* Allocate every missing node of the path first, so a failure
	 * leaves the tree as it was. */
	unsigned missing = xa->height;
	const struct xa_node *walk = xa->root;
	for (unsigned level = xa->height - 1; walk && level; level--) {
		missing = level;
		walk = walk->slots[slot_of(index, level)];
	}
	if (walk)
		missing = 0;
	struct xa_node *spare[XA_MAX_HEIGHT];
	for (unsigned i = 0; i < missing; i++) {
		if (!(spare[i] = calloc(1, sizeof(**spare)))) {
			while (i--)
				free(spare[i]);
			return -ENOMEM;
		}
	}
	if (!xa->root)
		xa->root = spare[--missing];
	struct xa_node *path[XA_MAX_HEIGHT];
	struct xa_node *n = xa->root;
	for (unsigned level = xa->height - 1; level; level--) {
		path[level] = n;
		unsigned s = slot_of(index, level);
		if (!n->slots[s]) {
			n->slots[s] = spare[--missing];
			n->present |= 1ull << s;
			n->count++;
		}
		n = n->slots[s];
	}
	path[0] = n;
	unsigned s = slot_of(index, 0);
	void *prev = n->slots[s];
	if (old)
		*old = prev;
	n->slots[s] = entry;
	if (!prev) {
		n->present |= 1ull << s;
		n->full |= 1ull << s;
		n->count++;
		xa->count++;
		fix_full(path, xa->height, index);
	}
	return 0;
}

int xa_store(struct xarray *xa, uint64_t index, void *entry, void **old)
{
	return store(xa, index, entry, old, false);
}

int xa_insert(struct xarray *xa, uint64_t index, void *entry)
{
	return store(xa, index, entry, NULL, true);
}

void *xa_erase(struct xarray *xa, uint64_t index)
{
	if (!covers(xa, index) || !xa->root)
		return NULL;
	struct xa_node *path[XA_MAX_HEIGHT];
	struct xa_node *n = xa->root;
	for (unsigned level = xa->height - 1; level; level--) {
		path[level] = n;
		n = n->slots[slot_of(index, level)];
		if (!n)
			return NULL;
	}
	path[0] = n;
	unsigned s = slot_of(index, 0);
	void *entry = n->slots[s];
	if (!entry)
		return NULL;
	n->slots[s] = NULL;
	n->present &= ~(1ull << s);
	n->full &= ~(1ull << s);
	n->count--;
	xa->count--;
	fix_full(path, xa->height, index);
	/* Empty nodes go, bottom up. */
	for (unsigned level = 0; level < xa->height && path[level]->count == 0; level++) {
		free(path[level]);
		if (level + 1 == xa->height) {
			xa->root = NULL;
			xa->height = 0;
			break;
		}
		struct xa_node *parent = path[level + 1];
		unsigned ps = slot_of(index, level + 1);
		parent->slots[ps] = NULL;
		parent->present &= ~(1ull << ps);
		parent->full &= ~(1ull << ps);
		parent->count--;
	}
	return entry;
}

/* The lowest index >= min under `n` (at `level`, covering from `base`)
 * whose slot is free; false if every index >= min there is taken. */
static bool find_free(const struct xa_node *n, unsigned level, uint64_t base, uint64_t min,
		      uint64_t *out)
{
	unsigned sh = shift_of(level);
	unsigned first = min > base ? slot_of(min, level) : 0;
	uint64_t candidates = ~n->full & (~0ull << first);
	while (candidates) {
		unsigned s = (unsigned)__builtin_ctzll(candidates);
		candidates &= candidates - 1;
		uint64_t sbase = base + ((uint64_t)s << sh);
		uint64_t lo = min > sbase ? min : sbase;
		const struct xa_node *c = n->slots[s];
		if (!level || !c) {
			/* A free leaf slot, or a whole empty subtree. */
			*out = lo;
			return true;
		}
		if (find_free(c, level - 1, sbase, lo, out))
			return true;
	}
	return false;
}

int xa_alloc(struct xarray *xa, uint64_t *id, void *entry, uint64_t min, uint64_t max)
{
	if (!entry || !id || min > max)
		return -EINVAL;
	uint64_t found;
	if (!xa->root || !covers(xa, min)) {
		found = min;
	} else if (!find_free(xa->root, xa->height - 1, 0, min, &found)) {
		/* Everything the tree reaches from min on is taken: the
		 * first index beyond it is free. */
		unsigned sh = shift_of(xa->height);
		if (sh >= 64)
			return -EBUSY;
		found = 1ull << sh;
	}
	if (found > max)
		return -EBUSY;
	int rc = xa_insert(xa, found, entry);
	if (!rc)
		*id = found;
	return rc;
}

static void *find_present(const struct xa_node *n, unsigned level, uint64_t base, uint64_t min,
			  uint64_t *out)
{
	unsigned sh = shift_of(level);
	unsigned first = min > base ? slot_of(min, level) : 0;
	uint64_t candidates = n->present & (~0ull << first);
	while (candidates) {
		unsigned s = (unsigned)__builtin_ctzll(candidates);
		candidates &= candidates - 1;
		uint64_t sbase = base + ((uint64_t)s << sh);
		if (!level) {
			*out = sbase;
			return n->slots[s];
		}
		void *e = find_present(n->slots[s], level - 1, sbase, min > sbase ? min : sbase, out);
		if (e)
			return e;
	}
	return NULL;
}

void *xa_find(const struct xarray *xa, uint64_t *index, uint64_t max)
{
	if (!xa->root || *index > max || !covers(xa, *index))
		return NULL;
	uint64_t at;
	void *e = find_present(xa->root, xa->height - 1, 0, *index, &at);
	if (!e || at > max)
		return NULL;
	*index = at;
	return e;
}

static size_t destroy(struct xa_node *n, unsigned level)
{
	size_t bytes = sizeof(*n);
	if (level)
		for (unsigned s = 0; s < XA_SLOTS; s++)
			if (n->slots[s])
				bytes += destroy(n->slots[s], level - 1);
	free(n);
	return bytes;
}

void xa_destroy(struct xarray *xa)
{
	if (xa->root)
		destroy(xa->root, xa->height - 1);
	xa_init(xa);
}

static size_t memory(const struct xa_node *n, unsigned level)
{
	size_t bytes = sizeof(*n);
	if (level)
		for (unsigned s = 0; s < XA_SLOTS; s++)
			if (n->slots[s])
				bytes += memory(n->slots[s], level - 1);
	return bytes;
}

size_t xa_memory(const struct xarray *xa)
{
	return xa->root ? memory(xa->root, xa->height - 1) : 0;
}
