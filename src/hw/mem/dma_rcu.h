/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA as RCU readers: the guarantee behind "invalidation complete".
 *
 * On real hardware, once an invalidation wait descriptor has completed no
 * request can still be using a translation the invalidation removed, so
 * software may then free the page tables and the pages they mapped. In
 * uiommu a DMA is a thread translating and then touching memory, so the
 * unit has to wait for those threads before it reports completion - the
 * grace period of RCU, with DMA engines as the readers.
 *
 * Each engine that issues DMA registers a reader. While its thread is
 * online it brackets every translate-and-access step with a read-side
 * critical section, dma_read_lock()/dma_read_unlock() (two plain stores,
 * no fence: the hot path stays as cheap as a micro-TLB hit).
 * synchronize_dma() waits for every critical section open at the time of
 * the call; it forces ordering with membarrier(2), and costs only a fence
 * when no reader is online. Where membarrier is unavailable the read side
 * falls back to a full fence. The shape is liburcu's memb flavour, with
 * QSBR's online/offline for threads that stop issuing DMA.
 */
#ifndef UIOMMU_HW_MEM_DMA_RCU_H
#define UIOMMU_HW_MEM_DMA_RCU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../util/list.h"

struct dma_rcu_reader {
	atomic_ullong seq;   /* odd while inside a read-side critical section */
	atomic_bool online;
	_Atomic(pthread_t) owner; /* synchronize_dma() never waits for its own thread */
	struct list_node node;
	struct dma_rcu *rcu;
};

struct dma_rcu {
	pthread_mutex_t lock; /* the reader list */
	struct list_node readers;
	atomic_uint nr_online;
	bool membarrier;
	atomic_ullong syncs;        /* statistics */
	atomic_ullong sync_waits;
};

int dma_rcu_init(struct dma_rcu *rcu);
void dma_rcu_destroy(struct dma_rcu *rcu);

void dma_rcu_register_reader(struct dma_rcu *rcu, struct dma_rcu_reader *r);
void dma_rcu_unregister_reader(struct dma_rcu_reader *r);

/* The calling thread takes the reader; it may enter read-side critical
 * sections until it goes offline. */
void dma_rcu_thread_online(struct dma_rcu_reader *r);
void dma_rcu_thread_offline(struct dma_rcu_reader *r);

extern bool dma_rcu_need_fence; /* set when membarrier is unavailable */

static inline void dma_read_lock(struct dma_rcu_reader *r)
{
	uint64_t v = atomic_load_explicit(&r->seq, memory_order_relaxed);
	atomic_store_explicit(&r->seq, v + 1, memory_order_relaxed);
	if (__builtin_expect(dma_rcu_need_fence, 0))
		atomic_thread_fence(memory_order_seq_cst);
	else
		atomic_signal_fence(memory_order_seq_cst);
}

static inline void dma_read_unlock(struct dma_rcu_reader *r)
{
	uint64_t v = atomic_load_explicit(&r->seq, memory_order_relaxed);
	atomic_store_explicit(&r->seq, v + 1, memory_order_release);
}

/* Wait until every read-side critical section open now has ended. */
void synchronize_dma(struct dma_rcu *rcu);

#endif
