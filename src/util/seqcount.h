/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence counters: lock-free readers of small multi-word records that a
 * serialized writer updates in place. A reader that sees an odd count, or a
 * count that changed under it, treats the record as absent - for a hardware
 * cache that is always a legal outcome (an entry may be evicted at any time).
 */
#ifndef UIOMMU_UTIL_SEQCOUNT_H
#define UIOMMU_UTIL_SEQCOUNT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef _Atomic uint64_t seqcount_t;

static inline uint64_t seq_read_begin(seqcount_t *s)
{
	return atomic_load_explicit(s, memory_order_acquire);
}

/* True when the words read since seq_read_begin() form a consistent record. */
static inline bool seq_read_ok(seqcount_t *s, uint64_t start)
{
	atomic_thread_fence(memory_order_acquire);
	return !(start & 1) && atomic_load_explicit(s, memory_order_relaxed) == start;
}

/* Writers are serialized by the caller. */
static inline void seq_write_begin(seqcount_t *s)
{
	uint64_t v = atomic_load_explicit(s, memory_order_relaxed);
	atomic_store_explicit(s, v + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static inline void seq_write_end(seqcount_t *s)
{
	uint64_t v = atomic_load_explicit(s, memory_order_relaxed);
	atomic_store_explicit(s, v + 1, memory_order_release);
}

/* Relaxed word access for the fields a seqcount protects. */
static inline uint64_t ld64(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void st64(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

#endif
