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
#include <stddef.h>
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
/* Many unpins under one lock round: -1 on every page of each run
 * (physical addresses, [start, end)), then `holders` unreservations. Runs
 * may repeat pages; each counts. */
struct mm_run {
	uint64_t start, end;
};
void mm_unpin_runs(const struct mm_run *runs, size_t nr_runs, size_t holders);
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

/* ---- user memory for DMA (user.c) ---- */

/* A pinned run of user memory. */
struct mm_pinned {
	uint64_t phys;             /* physical address of its first byte */
	uint64_t len;
	void *own;                 /* the library's own mapping of shared memory, or NULL */
	enum mm_account_mode mode; /* how it was charged */
	bool device;               /* device memory (VM_PFNMAP): not pinned, not charged */
};

/* Fault in, find the physical address of, charge (in `mode`) and pin
 * [uptr, +len), page aligned: 0, -EINVAL (bad range), -EFAULT (not
 * mapped, or not writable when asked), -ENOMEM (over RLIMIT_MEMLOCK).
 * All or nothing. A run of device memory (a BAR a driver mapped,
 * VM_PFNMAP) has its address found and nothing else, as Linux's reserved
 * pfns; one that is part device memory, part not, is -EFAULT. */
int mm_pin_user(uint64_t uptr, uint64_t len, bool write, enum mm_account_mode mode,
		struct mm_pinned *p);
/* Undo it; once no device can reach phys any more (after the IOTLB
 * flush), as the library's own mapping goes too. */
void mm_unpin_user(struct mm_pinned *p);
/* The same for many at once (the mappings one UNMAP_DMA removed), in one
 * round of each lock: a batch collects them with mm_unpin_batch_add and
 * mm_unpin_batch_end drops the pins and the charges (the library's own
 * mappings are the caller's to munmap, as each `own` says). */
struct mm_unpin_batch {
	struct mm_run *runs;
	size_t nr_runs, cap, holders;
	uint64_t pages[MM_ACCOUNT_MODE_NUM];
};
void mm_unpin_batch_init(struct mm_unpin_batch *b);
void mm_unpin_batch_add(struct mm_unpin_batch *b, const struct mm_pinned *p);
void mm_unpin_batch_end(struct mm_unpin_batch *b);

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
