/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pinning user pages (Linux mm/gup.c in purpose): fault the memory in the
 * way pin_user_pages() would, and count pins per physical page in one
 * process-wide set of extents, so that pinning a terabyte is one extent
 * and the count of any page can be asked (the selftest's MD_CHECK_REFS).
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "mm.h"
#include "../files/file.h"
#include "range_refs.h"
#include "../util/fixup_access.h"

static pthread_mutex_t pin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct range_refs pins = { 0 }; /* under pin_lock; keys are physical addresses */

/*
 * Faulting in the way pin_user_pages() does, without a system call: one
 * access per page, as the CPU would make it - a locked add of zero for a
 * writable pin (a write access that changes nothing, racing nothing: it
 * breaks copy-on-write and fills holes like a store would), a load
 * otherwise. Unmapped memory, PROT_NONE, a read-only mapping asked for
 * writing, a file page past EOF: each faults, and the access's
 * exception-table entry (util/fixup_access.h) turns the signal into
 * -EFAULT, what Linux's iommufd reports. (MADV_POPULATE_* checks the same,
 * at a system call per call - several times the cost of a whole
 * single-page map here.)
 */
static int touch_range(uint64_t uptr, uint64_t len, bool write)
{
	for (uint64_t off = 0; off < len; off += MM_PAGE_SIZE) {
		void *p = (void *)(uintptr_t)(uptr + off);
		uint64_t v;
		if (write ? !fixup_touch_write(p) : !fixup_load64(p, &v))
			return -EFAULT;
	}
	return 0;
}

static int populate(uint64_t uptr, uint64_t len, bool write)
{
	return madvise((void *)(uintptr_t)uptr, len, write ? MADV_POPULATE_WRITE :
							      MADV_POPULATE_READ) ? -EFAULT : 0;
}

static double mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define HUGE_RUN (2ull << 20)
/* A 2 MiB populate this fast walked huge pages, not 512 small ones. */
#define HUGE_RUN_FAST_NS 30000.0

/*
 * Large runs: where memory is backed by transparent huge pages (what VMMs
 * map), MADV_POPULATE_* checks a 2 MiB page per step, some 50 times faster
 * than touching each 4 KiB; where it is not, it is several times slower.
 * So the first 2 MiB decide. Both make the same checks with the same
 * result; only the time differs.
 */
int mm_fault_in(uint64_t uptr, uint64_t len, bool write)
{
	if (!len)
		return 0;
	if (uptr & (MM_PAGE_SIZE - 1) || len & (MM_PAGE_SIZE - 1) || uptr + len < uptr)
		return -EFAULT;
	/* Not user memory at all: the first page, the upper half; or device
	 * memory a driver mapped (a BAR, VM_PFNMAP): no pages to pin. */
	if (uptr < MM_PAGE_SIZE || uptr + len > (1ull << 47) || vma_range_pfnmap(uptr, len))
		return -EFAULT;
	if (len < 2 * HUGE_RUN)
		return touch_range(uptr, len, write);
	uint64_t first = HUGE_RUN - (uptr & (HUGE_RUN - 1));
	double t0 = mono_ns();
	int rc = populate(uptr, first, write);
	if (rc)
		return rc;
	if (mono_ns() - t0 < HUGE_RUN_FAST_NS * (double)first / (double)HUGE_RUN)
		return populate(uptr + first, len - first, write);
	return touch_range(uptr + first, len - first, write);
}

int mm_pin_reserve(void)
{
	pthread_mutex_lock(&pin_lock);
	int rc = range_refs_reserve(&pins);
	pthread_mutex_unlock(&pin_lock);
	return rc;
}

void mm_pin_unreserve(void)
{
	pthread_mutex_lock(&pin_lock);
	range_refs_unreserve(&pins);
	pthread_mutex_unlock(&pin_lock);
}

void mm_pin(uint64_t phys, uint64_t len)
{
	pthread_mutex_lock(&pin_lock);
	range_refs_inc(&pins, phys, phys + len, NULL, NULL);
	pthread_mutex_unlock(&pin_lock);
}

void mm_unpin(uint64_t phys, uint64_t len)
{
	pthread_mutex_lock(&pin_lock);
	int rc = range_refs_dec(&pins, phys, phys + len, NULL, NULL);
	pthread_mutex_unlock(&pin_lock);
	/* Unpinning what was never pinned is a caller bug. */
	assert(rc == 0);
	(void)rc;
}

void mm_unpin_runs(const struct mm_run *runs, size_t nr_runs, size_t holders)
{
	pthread_mutex_lock(&pin_lock);
	for (size_t i = 0; i < nr_runs; i++) {
		int rc = range_refs_dec(&pins, runs[i].start, runs[i].end, NULL, NULL);
		/* Unpinning what was never pinned is a caller bug. */
		assert(rc == 0);
		(void)rc;
	}
	for (size_t i = 0; i < holders; i++)
		range_refs_unreserve(&pins);
	pthread_mutex_unlock(&pin_lock);
}

uint64_t mm_pin_count(uint64_t phys)
{
	pthread_mutex_lock(&pin_lock);
	uint64_t n = range_refs_count(&pins, phys);
	pthread_mutex_unlock(&pin_lock);
	return n;
}

uint64_t mm_pinned_total(void)
{
	pthread_mutex_lock(&pin_lock);
	uint64_t n = pins.total >> MM_PAGE_SHIFT;
	pthread_mutex_unlock(&pin_lock);
	return n;
}
