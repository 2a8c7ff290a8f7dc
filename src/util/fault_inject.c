/* SPDX-License-Identifier: BSD-3-Clause */
/* Fault points and the per-thread fail-nth counter (fault_inject.h). */
#include <execinfo.h>
#include <stdio.h>
#include <unistd.h>

#include "fault_inject.h"

/* Linux's defaults: sleeping allocations exempt, verbose 2. */
struct fault_attr failslab = {
	.name = "failslab",
	.ignore_gfp_wait = true,
	.ignore_gfp_highmem = false,
	.verbose = 2,
};

struct fault_attr fail_page_alloc = {
	.name = "fail_page_alloc",
	.ignore_gfp_wait = true,
	.ignore_gfp_highmem = true,
	.verbose = 2,
};

__thread unsigned fail_nth_count __attribute__((tls_model("initial-exec")));

static void fail_dump(struct fault_attr *attr)
{
	unsigned long verbose = atomic_load_explicit(&attr->verbose, memory_order_relaxed);
	if (!verbose)
		return;
	/* One write, so lines of several threads do not interleave. */
	char line[128];
	int n = snprintf(line, sizeof(line), "FAULT_INJECTION: forcing a failure (%s, fail-nth)\n",
			 attr->name);
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
	if (verbose >= 2) {
		void *frames[32];
		int depth = backtrace(frames, 32);
		backtrace_symbols_fd(frames, depth, STDERR_FILENO);
	}
}

bool should_fail_slow(struct fault_attr *attr)
{
	/* Every fault point of uiommu may sleep; see fault_inject.h. */
	if (atomic_load_explicit(&attr->ignore_gfp_wait, memory_order_relaxed))
		return false;
	if (--fail_nth_count)
		return false;
	fail_dump(attr);
	return true;
}
