/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A test-and-test-and-set spinlock for short writer sections of the
 * hardware caches (fills and invalidations). Readers never take it.
 */
#ifndef UIOMMU_UTIL_SPINLOCK_H
#define UIOMMU_UTIL_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "compiler.h"

typedef struct {
	atomic_bool locked;
} spinlock_t;

static inline void spin_init(spinlock_t *l)
{
	atomic_init(&l->locked, false);
}

static inline void spin_lock(spinlock_t *l)
{
	unsigned spins = 0;
	for (;;) {
		if (!atomic_exchange_explicit(&l->locked, true, memory_order_acquire))
			return;
		while (atomic_load_explicit(&l->locked, memory_order_relaxed)) {
			/* Two cores and possibly more threads: do not starve the holder. */
			if (++spins > 256) {
				sched_yield();
				spins = 0;
			} else {
				cpu_relax();
			}
		}
	}
}

static inline bool spin_trylock(spinlock_t *l)
{
	return !atomic_exchange_explicit(&l->locked, true, memory_order_acquire);
}

static inline void spin_unlock(spinlock_t *l)
{
	atomic_store_explicit(&l->locked, false, memory_order_release);
}

#endif
