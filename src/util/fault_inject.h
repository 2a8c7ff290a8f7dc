/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection (SPEC R-2), in the model of Linux's
 * Documentation/fault-injection: every allocation the stack makes is a
 * fault point of one of two kinds - `failslab` (object allocations, the
 * kmalloc family of util/slab.h) and `fail_page_alloc` (table pages,
 * hw/iface/mem.h) - and a thread can ask that its Nth fault point from now
 * fail (`fail-nth` of /proc/self/task/<tid>/, which `uiommu exec` serves).
 *
 * Each kind has Linux's debugfs attributes that matter here:
 *   ignore-gfp-wait   Y: allocations that may sleep are never fault points.
 *                     Every allocation of uiommu may sleep (GFP_KERNEL in
 *                     Linux's terms), so with Linux's default Y nothing is
 *                     injected; a test writes N, as Linux's does.
 *   ignore-gfp-highmem (fail_page_alloc) Y: highmem pages are exempt. There
 *                     is no highmem here: kept and shown, with no effect.
 *   verbose           0 silent, 1 a line per injected failure, 2 the line
 *                     and a backtrace (Linux's default).
 * Probability, interval and times stay at Linux's defaults (never fail
 * but by fail-nth); they are not offered.
 *
 * The attributes are process-wide (Linux's are system-wide); fail-nth is
 * per thread. A fault point decrements the thread's fail-nth when it is
 * non-zero and fails when it reaches 0, so reading 0 back after a call
 * means a failure was injected into it (the protocol of Linux's
 * iommufd_fail_nth test).
 */
#ifndef UIOMMU_UTIL_FAULT_INJECT_H
#define UIOMMU_UTIL_FAULT_INJECT_H

#include <stdatomic.h>
#include <stdbool.h>

struct fault_attr {
	const char *name;
	atomic_bool ignore_gfp_wait;
	atomic_bool ignore_gfp_highmem;
	atomic_ulong verbose;
};

extern struct fault_attr failslab;
extern struct fault_attr fail_page_alloc;

/* The calling thread's fail-nth. */
extern __thread unsigned fail_nth_count __attribute__((tls_model("initial-exec")));

bool should_fail_slow(struct fault_attr *attr);

/* A fault point of `attr` for an allocation that may sleep: true when this
 * allocation must fail. Costs a thread-local load when nothing is armed. */
static inline bool should_fail(struct fault_attr *attr)
{
	if (__builtin_expect(fail_nth_count == 0, 1))
		return false;
	return should_fail_slow(attr);
}

static inline unsigned fail_nth_read(void)
{
	return fail_nth_count;
}

static inline void fail_nth_write(unsigned n)
{
	fail_nth_count = n;
}

/*
 * Work that is not the thread's own call - building a host on a
 * program's first use of it, as the kernel boots before any task asks -
 * runs with the thread's fail-nth set aside and restored after.
 */
static inline unsigned fail_nth_suspend(void)
{
	unsigned n = fail_nth_count;
	fail_nth_count = 0;
	return n;
}

static inline void fail_nth_resume(unsigned n)
{
	fail_nth_count = n;
}

#endif
