/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small language helpers used everywhere: branch hints, container_of,
 * bit masks and field extraction in the style hardware specifications use
 * (bit ranges written high:low).
 */
#ifndef UIOMMU_UTIL_COMPILER_H
#define UIOMMU_UTIL_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define BIT(n)        (1u << (n))
#define BIT_ULL(n)    (1ull << (n))
/* Mask of bits hi..lo inclusive, as the VT-d and DSA specifications write them. */
#define GENMASK_ULL(hi, lo) \
	((~0ull >> (63 - (hi))) & (~0ull << (lo)))

/* Extract / insert the field hi..lo of a 64-bit value. */
static inline uint64_t bits_get(uint64_t v, unsigned hi, unsigned lo)
{
	return (v & GENMASK_ULL(hi, lo)) >> lo;
}

static inline uint64_t bits_set(uint64_t v, unsigned hi, unsigned lo, uint64_t f)
{
	return (v & ~GENMASK_ULL(hi, lo)) | ((f << lo) & GENMASK_ULL(hi, lo));
}

#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)   ALIGN_DOWN((x) + (a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define UNUSED __attribute__((unused))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Emitted by the CPU while spinning, so a sibling thread gets the core. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif
