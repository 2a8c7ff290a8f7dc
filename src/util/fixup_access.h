/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory accesses that may find no memory, at no cost when they do
 * (issue #7): what a bus does when a device reaches an address with
 * nothing behind it, for the hardware model's hot paths - page walks,
 * table reads, DMA data - where fixup_try()'s sigsetjmp would cost a third
 * of a walk.
 *
 * Each access is one instruction with an entry in an exception table (the
 * kernel's mechanism for user copies): the table, a section of its own,
 * pairs the instruction's address with the address to resume at. A
 * SIGSEGV or SIGBUS at a listed instruction resumes there (fixup.c), and
 * the access reports failure; nothing runs on the way in. The entries are
 * offsets from themselves, so the table needs no relocation.
 *
 * x86-64 only; elsewhere the same calls fall back to fixup_try().
 */
#ifndef UIOMMU_UTIL_FIXUP_ACCESS_H
#define UIOMMU_UTIL_FIXUP_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixup.h"

/* One exception-table entry. */
struct fixup_entry {
	int32_t insn;   /* the faulting instruction, relative to this field */
	int32_t resume; /* where to go on, relative to this field */
};

/* The resume address for a faulting instruction, or 0 (fixup.c). */
uintptr_t fixup_search_table(uintptr_t insn);

/* ThreadSanitizer cannot see an access made by inline assembly. Stores
 * here are release stores other threads synchronize with (a completion
 * record's status byte, a wait descriptor's status word), so under TSan
 * each says so: the annotation, not a suppression, keeps the
 * happens-before edge its reader's acquire load expects. */
#if defined(__SANITIZE_THREAD__)
void __tsan_release(void *addr);
#define FIXUP_RELEASE(p) __tsan_release((void *)(p))
#else
#define FIXUP_RELEASE(p) ((void)0)
#endif

#if defined(__x86_64__)

#define FIXUP_ENTRY(insn, resume)                                                   \
	"\t.pushsection uiommu_fixup_table,\"a\"\n\t.balign 4\n\t.long " insn " - .\n" \
	"\t.long " resume " - .\n\t.popsection\n"

/* A relaxed 64-bit load; false (and 0) where there is no memory. The
 * compiler is told which word is read, not "memory": like a relaxed
 * atomic load, it orders nothing else, and the walk around it keeps its
 * registers. */
static inline bool fixup_load64(const void *p, uint64_t *out)
{
	uint64_t v;
	uint32_t bad = 0;
	__asm__ volatile(".Lfx_ld%=:\tmovq %[m], %[v]\n"
			 ".Lfx_ld_done%=:\n"
			 "\t.pushsection .text.unlikely,\"ax\"\n"
			 ".Lfx_ld_bad%=:\tmovl $1, %[bad]\n\txorl %k[v], %k[v]\n"
			 "\tjmp .Lfx_ld_done%=\n\t.popsection\n"
			 FIXUP_ENTRY(".Lfx_ld%=", ".Lfx_ld_bad%=")
			 : [v] "=&r"(v), [bad] "+r"(bad)
			 : [m] "m"(*(const uint64_t *)p));
	*out = v;
	return !bad;
}

/* A store with release ordering (x86 stores are). */
static inline bool fixup_store64(void *p, uint64_t v)
{
	uint32_t bad = 0;
	FIXUP_RELEASE(p);
	__asm__ volatile(".Lfx_st%=:\tmovq %[v], (%[p])\n"
			 ".Lfx_st_done%=:\n"
			 "\t.pushsection .text.unlikely,\"ax\"\n"
			 ".Lfx_st_bad%=:\tmovl $1, %[bad]\n\tjmp .Lfx_st_done%=\n\t.popsection\n"
			 FIXUP_ENTRY(".Lfx_st%=", ".Lfx_st_bad%=")
			 : [bad] "+r"(bad)
			 : [p] "r"(p), [v] "r"(v)
			 : "memory");
	return !bad;
}

static inline bool fixup_store32(void *p, uint32_t v)
{
	uint32_t bad = 0;
	FIXUP_RELEASE(p);
	__asm__ volatile(".Lfx_st32%=:\tmovl %[v], (%[p])\n"
			 ".Lfx_st32_done%=:\n"
			 "\t.pushsection .text.unlikely,\"ax\"\n"
			 ".Lfx_st32_bad%=:\tmovl $1, %[bad]\n\tjmp .Lfx_st32_done%=\n\t.popsection\n"
			 FIXUP_ENTRY(".Lfx_st32%=", ".Lfx_st32_bad%=")
			 : [bad] "+r"(bad)
			 : [p] "r"(p), [v] "r"(v)
			 : "memory");
	return !bad;
}

static inline bool fixup_store8(void *p, uint8_t v)
{
	uint32_t bad = 0;
	FIXUP_RELEASE(p);
	__asm__ volatile(".Lfx_st8%=:\tmovb %[v], (%[p])\n"
			 ".Lfx_st8_done%=:\n"
			 "\t.pushsection .text.unlikely,\"ax\"\n"
			 ".Lfx_st8_bad%=:\tmovl $1, %[bad]\n\tjmp .Lfx_st8_done%=\n\t.popsection\n"
			 FIXUP_ENTRY(".Lfx_st8%=", ".Lfx_st8_bad%=")
			 : [bad] "+r"(bad)
			 : [p] "r"(p), [v] "q"(v)
			 : "memory");
	return !bad;
}

/* A write access that changes nothing (a locked add of zero): what a
 * store would fault on - unmapped, read-only, copy-on-write to break - it
 * faults on, and nothing is written. */
static inline bool fixup_touch_write(void *p)
{
	uint32_t bad = 0;
	__asm__ volatile(".Lfx_tw%=:\tlock orb $0, (%[p])\n"
			 ".Lfx_tw_done%=:\n"
			 "\t.pushsection .text.unlikely,\"ax\"\n"
			 ".Lfx_tw_bad%=:\tmovl $1, %[bad]\n\tjmp .Lfx_tw_done%=\n\t.popsection\n"
			 FIXUP_ENTRY(".Lfx_tw%=", ".Lfx_tw_bad%=")
			 : [bad] "+r"(bad)
			 : [p] "r"(p)
			 : "memory", "cc");
	return !bad;
}

/* A locked compare-and-exchange: 1 swapped, 0 the value was not
 * `expect`, -1 no memory. */
static inline int fixup_cmpxchg64(void *p, uint64_t expect, uint64_t desired)
{
	uint64_t prev = expect;
	uint32_t bad = 0;
	__asm__ volatile(".Lfx_cx%=:\tlock cmpxchgq %[n], (%[p])\n"
			 ".Lfx_cx_done%=:\n"
			 "\t.pushsection .text.unlikely,\"ax\"\n"
			 ".Lfx_cx_bad%=:\tmovl $1, %[bad]\n\tjmp .Lfx_cx_done%=\n\t.popsection\n"
			 FIXUP_ENTRY(".Lfx_cx%=", ".Lfx_cx_bad%=")
			 : "+a"(prev), [bad] "+r"(bad)
			 : [p] "r"(p), [n] "r"(desired)
			 : "memory", "cc");
	return bad ? -1 : prev == expect;
}

/* Copy n bytes forwards; returns how many were NOT copied (0: all). On a
 * fault the copy stops there, the bytes before it written. */
static inline size_t fixup_copy(void *dst, const void *src, size_t n)
{
	__asm__ volatile(".Lfx_cp%=:\trep movsb\n"
			 ".Lfx_cp_done%=:\n"
			 FIXUP_ENTRY(".Lfx_cp%=", ".Lfx_cp_done%=")
			 : "+D"(dst), "+S"(src), "+c"(n)
			 :
			 : "memory");
	return n;
}

/* The same, backwards from the ends (an overlapping move upwards). */
static inline size_t fixup_copy_down(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	char *d = (char *)dst + n - 1;
	const char *s = (const char *)src + n - 1;
	__asm__ volatile("\tstd\n.Lfx_cpd%=:\trep movsb\n"
			 ".Lfx_cpd_done%=:\tcld\n"
			 FIXUP_ENTRY(".Lfx_cpd%=", ".Lfx_cpd_done%=")
			 : "+D"(d), "+S"(s), "+c"(n)
			 :
			 : "memory");
	return n;
}

#else /* !__x86_64__ */

static inline bool fixup_load64(const void *p, uint64_t *out)
{
	struct fixup fx;
	if (fixup_try(&fx)) {
		*out = __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
		fixup_end(&fx);
		return true;
	}
	*out = 0;
	return false;
}

static inline bool fixup_store64(void *p, uint64_t v)
{
	struct fixup fx;
	if (fixup_try(&fx)) {
		__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE);
		fixup_end(&fx);
		return true;
	}
	return false;
}

static inline bool fixup_store32(void *p, uint32_t v)
{
	struct fixup fx;
	if (fixup_try(&fx)) {
		__atomic_store_n((uint32_t *)p, v, __ATOMIC_RELEASE);
		fixup_end(&fx);
		return true;
	}
	return false;
}

static inline bool fixup_store8(void *p, uint8_t v)
{
	struct fixup fx;
	if (fixup_try(&fx)) {
		__atomic_store_n((uint8_t *)p, v, __ATOMIC_RELEASE);
		fixup_end(&fx);
		return true;
	}
	return false;
}

static inline bool fixup_touch_write(void *p)
{
	struct fixup fx;
	if (fixup_try(&fx)) {
		__atomic_fetch_or((uint8_t *)p, 0, __ATOMIC_RELAXED);
		fixup_end(&fx);
		return true;
	}
	return false;
}

static inline int fixup_cmpxchg64(void *p, uint64_t expect, uint64_t desired)
{
	struct fixup fx;
	if (fixup_try(&fx)) {
		bool ok = __atomic_compare_exchange_n((uint64_t *)p, &expect, desired, false,
						      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
		fixup_end(&fx);
		return ok;
	}
	return -1;
}

static inline size_t fixup_copy(void *dst, const void *src, size_t n)
{
	return fixup_memcpy(dst, src, n) ? n : 0;
}

static inline size_t fixup_copy_down(void *dst, const void *src, size_t n)
{
	return fixup_memcpy(dst, src, n) ? n : 0;
}

#endif

/* memmove that may fault: bytes NOT moved (0: all). A fault part way
 * leaves a prefix (forwards) or a suffix (backwards) moved. */
static inline size_t fixup_move(void *dst, const void *src, size_t n)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
	if (d > s && d - s < n)
		return fixup_copy_down(dst, src, n);
	return fixup_copy(dst, src, n);
}

#endif
