/* SPDX-License-Identifier: BSD-3-Clause */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mutex.h"

static void futex(atomic_uint *addr, int op, unsigned val)
{
	syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

void mutex_lock_slow(mutex_t *m, unsigned seen)
{
	/* Say there are sleepers, then sleep until the holder goes; whoever
	 * wakes takes it marked contended, as it cannot know it is the last. */
	if (seen != 2)
		seen = atomic_exchange_explicit(&m->state, 2, memory_order_acquire);
	while (seen != 0) {
		futex(&m->state, FUTEX_WAIT, 2);
		seen = atomic_exchange_explicit(&m->state, 2, memory_order_acquire);
	}
}

void mutex_wake(mutex_t *m)
{
	futex(&m->state, FUTEX_WAKE, 1);
}
