/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inflight.h"
#include "../../util/compiler.h"

bool hw_inflight_need_fence;

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
		hw_inflight_need_fence = true;
}

int hw_inflight_init(struct hw_inflight *in)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	int rc = pthread_mutex_init(&in->lock, NULL);
	if (rc)
		return -rc;
	list_init(&in->slots);
	atomic_init(&in->nr_online, 0);
	atomic_init(&in->drains, 0);
	atomic_init(&in->drain_waits, 0);

	/* Registration is per process and idempotent: do it once. */
	pthread_once(&once, membarrier_probe);
	in->membarrier = have_membarrier;
	return 0;
}

void hw_inflight_destroy(struct hw_inflight *in)
{
	pthread_mutex_destroy(&in->lock);
}

void hw_inflight_register(struct hw_inflight *in, struct hw_inflight_slot *s)
{
	atomic_init(&s->seq, 0);
	atomic_init(&s->online, false);
	s->in = in;
	pthread_mutex_lock(&in->lock);
	list_add_tail(&s->node, &in->slots);
	pthread_mutex_unlock(&in->lock);
}

void hw_inflight_unregister(struct hw_inflight_slot *s)
{
	struct hw_inflight *in = s->in;
	if (atomic_load(&s->online))
		hw_slot_offline(s);
	pthread_mutex_lock(&in->lock);
	list_del(&s->node);
	pthread_mutex_unlock(&in->lock);
}

void hw_slot_online(struct hw_inflight_slot *s)
{
	s->owner = pthread_self();
	/* Release: a drain that sees us online also sees who we are. */
	atomic_store_explicit(&s->online, true, memory_order_release);
	atomic_fetch_add_explicit(&s->in->nr_online, 1, memory_order_relaxed);
	/* Pairs with the fence in hw_inflight_drain(): either the drainer sees
	 * us online, or our first section sees everything it invalidated. */
	atomic_thread_fence(memory_order_seq_cst);
}

void hw_slot_offline(struct hw_inflight_slot *s)
{
	atomic_store_explicit(&s->online, false, memory_order_release);
	atomic_fetch_sub_explicit(&s->in->nr_online, 1, memory_order_release);
}

void hw_inflight_drain(struct hw_inflight *in)
{
	/* Order the invalidations before the look at who is online (the
	 * other half of the fence in hw_slot_online). */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&in->nr_online, memory_order_relaxed) == 0)
		return;
	atomic_fetch_add_explicit(&in->drains, 1, memory_order_relaxed);

	/* Make every running reader's section marker visible to us. */
	if (in->membarrier)
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);

	pthread_t self = pthread_self();
	pthread_mutex_lock(&in->lock);
	struct hw_inflight_slot *s;
	list_for_each_entry(s, &in->slots, node) {
		if (!atomic_load_explicit(&s->online, memory_order_acquire))
			continue;
		if (pthread_equal(s->owner, self))
			continue;
		uint64_t v = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (!(v & 1))
			continue;
		atomic_fetch_add_explicit(&in->drain_waits, 1, memory_order_relaxed);
		unsigned spins = 0;
		while (atomic_load_explicit(&s->seq, memory_order_acquire) == v) {
			if (++spins > 64) {
				sched_yield();
				spins = 0;
			} else {
				cpu_relax();
			}
		}
	}
	pthread_mutex_unlock(&in->lock);
}
