/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pin layer (SPEC U-3, DESIGN.md "mm/"): which user memory devices may
 * reach, counted and accounted the way Linux's pin_user_pages() and
 * locked_vm accounting do it.
 *
 *  - Pins are counted per "physical" page (here: the host virtual address
 *    of the page, SPEC section 0), process-wide, as the kernel's page
 *    reference counts are system-wide: a page mapped through two IOASes
 *    from two MAP calls carries two pins.
 *  - Faulting in checks what pin_user_pages(FOLL_WRITE) checks: the memory
 *    is mapped, readable, and writable when asked; failures are -EFAULT.
 *  - Pinned pages are charged against RLIMIT_MEMLOCK per user or per
 *    process (IOMMU_OPTION_RLIMIT_MODE); CAP_IPC_LOCK exempts.
 *  - Memory files (memfd) are mapped by the library itself, so their pages
 *    stay reachable after the client unmaps them: their physical address
 *    is the library's mapping.
 *
 * Process-wide state, like the kernel's: one lock for the pin counts, one
 * for the accounting, one for the file windows (each in its file).
 */
#ifndef UIOMMU_MM_MM_H
#define UIOMMU_MM_MM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MM_PAGE_SHIFT 12
#define MM_PAGE_SIZE (1ull << MM_PAGE_SHIFT)

/* ---- pins (gup.c) ---- */

/* Fault [uptr, +len) in for a pin: every page mapped and accessible as
 * asked. 0 or -EFAULT. */
int mm_fault_in(uint64_t uptr, uint64_t len, bool write);
/* Each holder of pin ranges (something that will pin and unpin ranges
 * inside its own span) reserves first; then mm_pin/mm_unpin cannot fail
 * (see range_refs.h). */
int mm_pin_reserve(void);
void mm_pin_unreserve(void);
/* +1 / -1 pin on every page of [phys, +len), page aligned. */
void mm_pin(uint64_t phys, uint64_t len);
void mm_unpin(uint64_t phys, uint64_t len);
/* Pins on the page at phys. */
uint64_t mm_pin_count(uint64_t phys);
/* Pins held on all pages, summed: 0 when nothing is pinned anywhere. */
uint64_t mm_pinned_total(void);

/* ---- accounting (account.c) ---- */

enum mm_account_mode {
	MM_ACCOUNT_NONE = 0, /* CAP_IPC_LOCK: not charged */
	MM_ACCOUNT_USER = 1, /* the user's locked memory (io_uring style) */
	MM_ACCOUNT_MM = 2,   /* the process's locked_vm (VFIO style) */
	MM_ACCOUNT_MODE_NUM = 3,
};

/* Charge (inc) or release npages in `mode` against RLIMIT_MEMLOCK. A
 * charge that would pass the limit is -ENOMEM, unless the caller holds
 * CAP_IPC_LOCK: then *mode becomes MM_ACCOUNT_NONE and nothing is
 * charged (the caller must release what it charged before in the old
 * mode). Releases never fail. */
int mm_account(enum mm_account_mode *mode, uint64_t npages, bool inc);
/* Read RLIMIT_MEMLOCK and CAP_IPC_LOCK again (see account.c). */
void mm_account_refresh(void);
/* Pages charged now in a mode. */
uint64_t mm_account_charged(enum mm_account_mode mode);
/* Does the calling thread hold the capability (linux/capability.h)? */
bool mm_capable(int cap);

/* ---- memory files (memfd.c) ---- */

struct mm_file;

/* The library's own mapping of the memory file behind `fd` covering
 * [start, +length): -EBADF (no such fd), -EINVAL (not a memory file, or
 * the range passes its end), -EPERM (writable asked of a read-only
 * file), -ENOMEM. *phys receives the physical address of file offset 0;
 * the file's pages keep that address for as long as any reference lives. */
int mm_file_get(int fd, uint64_t start, uint64_t length, bool writable, struct mm_file **out,
		uint64_t *phys);
void mm_file_put(struct mm_file *f);

/* The physical address behind a user address: the library's mapping for
 * memory files it maps, the address itself for everything else. Reads
 * /proc/self/maps: for checks, not for fast paths. */
int mm_user_to_phys(uint64_t uptr, uint64_t *phys);

#endif
