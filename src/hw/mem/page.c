/* SPDX-License-Identifier: BSD-3-Clause */
/* Table pages for IOMMU structures, with live-count accounting for leak checks. */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "../../util/fault_inject.h"

/*
 * Tables hold their children as hardware addresses with flag bits, and the
 * VT-d driver keeps an entry count in entry 0's ignored high bits, so a
 * leak checker cannot follow a table to the tables below it. Table pages
 * are left out of its search (LeakSanitizer, when linked in); their leaks
 * show in the live count instead (SPEC R-2 sweeps check table_pages).
 */
void __lsan_ignore_object(const void *p) __attribute__((weak));

static void leak_check_ignore(const void *p)
{
	if (__lsan_ignore_object)
		__lsan_ignore_object(p);
}

void hw_mem_init(struct hw_mem *mem)
{
	atomic_init(&mem->table_pages, 0);
	atomic_init(&mem->table_allocs, 0);
	atomic_init(&mem->dma_errors, 0);
	/* The exception table's handler (util/fixup_access.h) must be in
	 * place before any device or unit touches memory. */
	fixup_install();
}

/* Table pages are what the kernel side asks the page allocator for
 * (iommu_alloc_pages in Linux): fail_page_alloc points (SPEC R-2). */
void *hw_page_alloc(struct hw_mem *mem)
{
	if (should_fail(&fail_page_alloc))
		return NULL;
	void *p = aligned_alloc(HW_PAGE_SIZE, HW_PAGE_SIZE);
	if (!p)
		return NULL;
	memset(p, 0, HW_PAGE_SIZE);
	leak_check_ignore(p);
	atomic_fetch_add_explicit(&mem->table_pages, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&mem->table_allocs, 1, memory_order_relaxed);
	return p;
}

void hw_page_free(struct hw_mem *mem, void *page)
{
	if (!page)
		return;
	atomic_fetch_sub_explicit(&mem->table_pages, 1, memory_order_relaxed);
	free(page);
}

void *hw_pages_alloc(struct hw_mem *mem, unsigned n)
{
	if (!n || n > (1u << 20) || should_fail(&fail_page_alloc))
		return NULL;
	void *p = aligned_alloc(HW_PAGE_SIZE, (size_t)n * HW_PAGE_SIZE);
	if (!p)
		return NULL;
	memset(p, 0, (size_t)n * HW_PAGE_SIZE);
	leak_check_ignore(p);
	atomic_fetch_add_explicit(&mem->table_pages, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&mem->table_allocs, 1, memory_order_relaxed);
	return p;
}

void hw_pages_free(struct hw_mem *mem, void *pages, unsigned n)
{
	if (!pages)
		return;
	atomic_fetch_sub_explicit(&mem->table_pages, n, memory_order_relaxed);
	free(pages);
}
