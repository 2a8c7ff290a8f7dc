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

#include "mm.h"
#include "range_refs.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

static pthread_mutex_t pin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct range_refs pins = { 0 }; /* under pin_lock; keys are physical addresses */

/*
 * MADV_POPULATE_{READ,WRITE} faults every page of the range in through
 * the kernel's GUP path, with its permission checks: unmapped memory, a
 * PROT_NONE or (for write) read-only mapping, or a file page past EOF all
 * fail - what pin_user_pages() would refuse, and what the kernel's iommufd
 * reports as EFAULT.
 */
int mm_fault_in(uint64_t uptr, uint64_t len, bool write)
{
	if (!len)
		return 0;
	if (uptr & (MM_PAGE_SIZE - 1) || len & (MM_PAGE_SIZE - 1) || uptr + len < uptr)
		return -EFAULT;
	if (madvise((void *)(uintptr_t)uptr, len, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ))
		return -EFAULT;
	return 0;
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
