/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark helpers: a monotonic clock, best-of-N timing, and one JSON
 * object per result line:
 *   {"bench":NAME,"value":V,"unit":U,"baseline":{"name":B,"value":BV,"unit":U},"target":T}
 * Every figure comes with a baseline measured in the same run, so ratios
 * stay meaningful on a noisy machine.
 */
#ifndef UIOMMU_BENCH_H
#define UIOMMU_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Keep the compiler from dropping a computed value. */
static inline void sink(uint64_t v)
{
	__asm__ __volatile__("" : : "r"(v) : "memory");
}

static inline void emit(const char *bench, double value, const char *unit, const char *base_name,
			double base_value, const char *base_unit, const char *target)
{
	printf("{\"bench\":\"%s\",\"value\":%.3f,\"unit\":\"%s\","
	       "\"baseline\":{\"name\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"},\"target\":\"%s\"}\n",
	       bench, value, unit, base_name, base_value, base_unit, target);
	fflush(stdout);
}

#define BEST_OF 7

#endif
