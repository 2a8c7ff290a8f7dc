/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pinning a run of user memory for DMA, as VFIO type1 does at MAP_DMA
 * (Linux vfio_pin_pages_remote: pin_user_pages plus locked_vm): fault it
 * in, find its physical address, charge it, count the pins.
 *
 * The physical address (SPEC section 0) of private memory is the user's
 * own address. Shared memory - a memfd, a shared file or anonymous
 * mapping - the library maps a second time itself (mremap with an old
 * size of 0 makes a new mapping of the same pages of a shared one) and
 * uses that mapping: its pages stay reachable when the client unmaps its
 * own, as page-cache pages a pin holds stay in Linux. Private anonymous
 * memory cannot be mapped twice; a client that unmaps it while it is
 * mapped for DMA makes the device's accesses fail cleanly instead (a DMA
 * error the device reports, hw/mem), the one deviation from Linux, where
 * the pin keeps the page.
 *
 * The kernel says whether memory is shared through that mremap - one
 * system call, no walk of /proc/self/maps. Only for memory it says is
 * shared is /proc/self/maps read, to check the run is one mapping (a copy
 * of a shared mapping would otherwise run past its end); a run that
 * spans several mappings is left at the user's address.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm.h"
#include "../files/file.h"
#include "../util/slab.h"

/* Does one mapping of the process cover [uptr, +len)? */
static bool one_mapping(uint64_t uptr, uint64_t len)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	if (!maps)
		return false;
	char line[512];
	bool one = false;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long lo, hi;
		if (sscanf(line, "%llx-%llx", &lo, &hi) != 2 || uptr < lo || uptr >= hi)
			continue;
		one = uptr + len <= hi;
		break;
	}
	fclose(maps);
	return one;
}

static void own_mapping(uint64_t uptr, uint64_t len, struct mm_pinned *p)
{
	void *copy = mremap((void *)(uintptr_t)uptr, 0, len, MREMAP_MAYMOVE);
	if (copy == MAP_FAILED)
		return; /* private memory (EINVAL), or not plain memory at all */
	if (!one_mapping(uptr, len)) {
		munmap(copy, len);
		return;
	}
	p->own = copy;
	p->phys = (uint64_t)(uintptr_t)copy;
}

int mm_pin_user(uint64_t uptr, uint64_t len, bool write, enum mm_account_mode mode,
		struct mm_pinned *p)
{
	memset(p, 0, sizeof(*p));
	if (!len || ((uptr | len) & (MM_PAGE_SIZE - 1)) || uptr + len < uptr)
		return -EINVAL;
	p->phys = uptr;
	p->len = len;
	if (vma_range_pfnmap(uptr, len)) {
		/* Device memory: no pages behind it to fault in, pin or
		 * charge (vfio_pin_pages_remote's reserved pfns). */
		if (!vma_range_all_pfnmap(uptr, len, write)) {
			memset(p, 0, sizeof(*p));
			return -EFAULT;
		}
		p->device = true;
		own_mapping(uptr, len, p);
		return 0;
	}
	int rc = mm_fault_in(uptr, len, write);
	if (rc) {
		memset(p, 0, sizeof(*p));
		return rc;
	}
	own_mapping(uptr, len, p);
	p->mode = mode;
	rc = mm_account(&p->mode, len >> MM_PAGE_SHIFT, true);
	if (rc)
		goto err_own;
	rc = mm_pin_reserve();
	if (rc)
		goto err_account;
	mm_pin(p->phys, len);
	return 0;
err_account:
	mm_account(&p->mode, len >> MM_PAGE_SHIFT, false);
err_own:
	if (p->own)
		munmap(p->own, len);
	memset(p, 0, sizeof(*p));
	return rc;
}

void mm_unpin_user(struct mm_pinned *p)
{
	if (!p->len)
		return;
	if (p->device) {
		if (p->own)
			munmap(p->own, p->len);
		memset(p, 0, sizeof(*p));
		return;
	}
	mm_unpin(p->phys, p->len);
	mm_pin_unreserve();
	mm_account(&p->mode, p->len >> MM_PAGE_SHIFT, false);
	if (p->own)
		munmap(p->own, p->len);
	memset(p, 0, sizeof(*p));
}

void mm_unpin_batch_init(struct mm_unpin_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void mm_unpin_batch_add(struct mm_unpin_batch *b, const struct mm_pinned *p)
{
	if (!p->len || p->device)
		return;
	b->holders++;
	b->pages[p->mode] += p->len >> MM_PAGE_SHIFT;
	/* Runs that follow each other are one: a pin less on every page of
	 * each is a pin less on their union. */
	if (b->nr_runs && b->runs[b->nr_runs - 1].end == p->phys) {
		b->runs[b->nr_runs - 1].end += p->len;
		return;
	}
	if (b->nr_runs == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct mm_run *r = krealloc_array(b->runs, cap, sizeof(*r));
		if (!r) {
			/* No room to batch: this one goes now. */
			struct mm_run one = { p->phys, p->phys + p->len };
			mm_unpin_runs(&one, 1, 0);
			return;
		}
		b->runs = r;
		b->cap = cap;
	}
	b->runs[b->nr_runs++] = (struct mm_run){ p->phys, p->phys + p->len };
}

void mm_unpin_batch_end(struct mm_unpin_batch *b)
{
	mm_unpin_runs(b->runs, b->nr_runs, b->holders);
	for (unsigned m = 0; m < MM_ACCOUNT_MODE_NUM; m++) {
		enum mm_account_mode mode = (enum mm_account_mode)m;
		mm_account(&mode, b->pages[m], false);
	}
	free(b->runs);
	mm_unpin_batch_init(b);
}
