/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A sleeping lock for the sections that may wait - a wait descriptor
 * draining DMA, a submitter waiting for its status - where a spinlock
 * must not be held (issue #7), on paths hot enough that glibc's mutex
 * shows (a VT-d map+unmap takes three): the three-state futex lock of
 * Drepper's "Futexes are tricky". Uncontended, a lock and an unlock are
 * one atomic each; a contended one sleeps in the kernel.
 *
 * Its acquire and release are atomics, which ThreadSanitizer follows as
 * it follows a spinlock's.
 */
#ifndef UIOMMU_UTIL_MUTEX_H
#define UIOMMU_UTIL_MUTEX_H

#include <stdatomic.h>

typedef struct {
	atomic_uint state; /* 0 free, 1 held, 2 held with sleepers */
} mutex_t;

static inline void mutex_init(mutex_t *m)
{
	atomic_init(&m->state, 0);
}

void mutex_lock_slow(mutex_t *m, unsigned seen);
void mutex_wake(mutex_t *m);

static inline void mutex_lock(mutex_t *m)
{
	unsigned seen = 0;
	if (!atomic_compare_exchange_strong_explicit(&m->state, &seen, 1, memory_order_acquire,
						     memory_order_relaxed))
		mutex_lock_slow(m, seen);
}

static inline void mutex_unlock(mutex_t *m)
{
	if (atomic_exchange_explicit(&m->state, 0, memory_order_release) == 2)
		mutex_wake(m);
}

#endif
