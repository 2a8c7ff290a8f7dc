/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA in flight: the guarantee behind "invalidation complete".
 *
 * On real hardware, once an invalidation wait descriptor has completed no
 * request can still be using a translation the invalidation removed, so
 * software may then free the page tables and the pages they mapped. In
 * uiommu a DMA is a thread translating and then touching memory, so the
 * unit has to wait for those threads before it reports completion.
 *
 * Each engine that issues DMA owns a slot. While it is online it brackets
 * every translate-and-access step with a section (two plain stores, no
 * fence: the hot path stays as cheap as an L1 TLB hit). hw_inflight_drain()
 * waits for every section open at the time of the call; it forces ordering
 * with membarrier(2), and costs only a fence when no engine is online.
 * Where membarrier is unavailable sections fall back to a full fence.
 */
#ifndef UIOMMU_HW_INFLIGHT_H
#define UIOMMU_HW_INFLIGHT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../util/list.h"

struct hw_inflight_slot {
	atomic_ullong seq;   /* odd while inside a section */
	atomic_bool online;
	pthread_t owner;     /* drain never waits for its own thread */
	struct list_node node;
	struct hw_inflight *in;
};

struct hw_inflight {
	pthread_mutex_t lock; /* the slot list */
	struct list_node slots;
	atomic_uint nr_online;
	bool membarrier;
	atomic_ullong drains;       /* statistics */
	atomic_ullong drain_waits;
};

int hw_inflight_init(struct hw_inflight *in);
void hw_inflight_destroy(struct hw_inflight *in);

void hw_inflight_register(struct hw_inflight *in, struct hw_inflight_slot *s);
void hw_inflight_unregister(struct hw_inflight_slot *s);

/* The calling thread takes the slot; sections may be opened until offline. */
void hw_slot_online(struct hw_inflight_slot *s);
void hw_slot_offline(struct hw_inflight_slot *s);

extern bool hw_inflight_need_fence; /* set when membarrier is unavailable */

static inline void hw_section_begin(struct hw_inflight_slot *s)
{
	uint64_t v = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, v + 1, memory_order_relaxed);
	if (__builtin_expect(hw_inflight_need_fence, 0))
		atomic_thread_fence(memory_order_seq_cst);
	else
		atomic_signal_fence(memory_order_seq_cst);
}

static inline void hw_section_end(struct hw_inflight_slot *s)
{
	uint64_t v = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, v + 1, memory_order_release);
}

/* Wait until every section open now has closed. */
void hw_inflight_drain(struct hw_inflight *in);

#endif
