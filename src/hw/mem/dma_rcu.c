/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dma_rcu.h"
#include "../../util/compiler.h"

bool dma_rcu_need_fence;

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

static bool have_membarrier;

static void membarrier_probe(void)
{
	long q = membarrier(MEMBARRIER_CMD_QUERY);
	have_membarrier = q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
			  membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
	if (!have_membarrier)
		dma_rcu_need_fence = true;
}

int dma_rcu_init(struct dma_rcu *rcu)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	int rc = pthread_mutex_init(&rcu->lock, NULL);
	if (rc)
		return -rc;
	list_init(&rcu->readers);
	atomic_init(&rcu->nr_online, 0);
	atomic_init(&rcu->syncs, 0);
	atomic_init(&rcu->sync_waits, 0);

	/* Registration is per process and idempotent: do it once. */
	pthread_once(&once, membarrier_probe);
	rcu->membarrier = have_membarrier;
	return 0;
}

void dma_rcu_destroy(struct dma_rcu *rcu)
{
	pthread_mutex_destroy(&rcu->lock);
}

void dma_rcu_register_reader(struct dma_rcu *rcu, struct dma_rcu_reader *r)
{
	atomic_init(&r->seq, 0);
	atomic_init(&r->online, false);
	r->rcu = rcu;
	pthread_mutex_lock(&rcu->lock);
	list_add_tail(&r->node, &rcu->readers);
	pthread_mutex_unlock(&rcu->lock);
}

void dma_rcu_unregister_reader(struct dma_rcu_reader *r)
{
	struct dma_rcu *rcu = r->rcu;
	if (atomic_load(&r->online))
		dma_rcu_thread_offline(r);
	pthread_mutex_lock(&rcu->lock);
	list_del(&r->node);
	pthread_mutex_unlock(&rcu->lock);
}

void dma_rcu_thread_online(struct dma_rcu_reader *r)
{
	atomic_store_explicit(&r->owner, pthread_self(), memory_order_relaxed);
	/* Release: a synchronize_dma() that sees us online also sees who we
	 * are. */
	atomic_store_explicit(&r->online, true, memory_order_release);
	atomic_fetch_add_explicit(&r->rcu->nr_online, 1, memory_order_relaxed);
	/* Pairs with the fence in synchronize_dma(): either the updater sees
	 * us online, or our first critical section sees everything it
	 * invalidated. */
	atomic_thread_fence(memory_order_seq_cst);
}

void dma_rcu_thread_offline(struct dma_rcu_reader *r)
{
	atomic_store_explicit(&r->online, false, memory_order_release);
	atomic_fetch_sub_explicit(&r->rcu->nr_online, 1, memory_order_release);
}

void synchronize_dma(struct dma_rcu *rcu)
{
	/* Order the invalidations before the look at who is online (the
	 * other half of the fence in dma_rcu_thread_online). */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&rcu->nr_online, memory_order_relaxed) == 0)
		return;
	atomic_fetch_add_explicit(&rcu->syncs, 1, memory_order_relaxed);

	/* Make every running reader's critical-section marker visible. */
	if (rcu->membarrier)
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);

	pthread_t self = pthread_self();
	pthread_mutex_lock(&rcu->lock);
	struct dma_rcu_reader *r;
	list_for_each_entry(r, &rcu->readers, node) {
		if (!atomic_load_explicit(&r->online, memory_order_acquire))
			continue;
		if (pthread_equal(atomic_load_explicit(&r->owner, memory_order_relaxed), self))
			continue;
		uint64_t v = atomic_load_explicit(&r->seq, memory_order_acquire);
		if (!(v & 1))
			continue;
		atomic_fetch_add_explicit(&rcu->sync_waits, 1, memory_order_relaxed);
		unsigned spins = 0;
		while (atomic_load_explicit(&r->seq, memory_order_acquire) == v) {
			if (++spins > 64) {
				sched_yield();
				spins = 0;
			} else {
				cpu_relax();
			}
		}
	}
	pthread_mutex_unlock(&rcu->lock);
}
