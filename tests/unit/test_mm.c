/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pin layer (SPEC U-3): range counts that never allocate per page,
 * pins counted per physical page process-wide, faulting in with the
 * permission checks of pin_user_pages, RLIMIT_MEMLOCK accounting with the
 * CAP_IPC_LOCK exemption, and memory files the library maps itself.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "harness.h"
#include "mm/mm.h"
#include "mm/range_refs.h"

/* ---- range_refs ---- */

#define SPACE 512
static unsigned model[SPACE];
static unsigned transitions;

static void on_edge(uint64_t s, uint64_t e, void *arg)
{
	int want = *(int *)arg; /* the count the stretch just reached */
	for (uint64_t i = s; i < e; i++)
		assert_int_equal(model[i], want);
	transitions += (unsigned)(e - s);
}

struct holder {
	uint64_t s, e;
};

static void range_refs_against_model(void **state)
{
	(void)state;
	srand(3);
	struct range_refs rr;
	range_refs_init(&rr);
	struct holder h[64];
	unsigned nh = 0;
	memset(model, 0, sizeof(model));
	for (int step = 0; step < 20000; step++) {
		if (nh < 64 && (nh == 0 || rand() % 2)) {
			uint64_t s = (uint64_t)(rand() % SPACE), e = s + 1 + (uint64_t)(rand() % 40);
			if (e > SPACE)
				e = SPACE;
			assert_int_equal(range_refs_reserve(&rr), 0);
			unsigned expect = 0;
			for (uint64_t i = s; i < e; i++)
				expect += model[i] == 0;
			for (uint64_t i = s; i < e; i++)
				model[i]++;
			transitions = 0;
			int one = 1;
			range_refs_inc(&rr, s, e, on_edge, &one);
			assert_int_equal(transitions, expect);
			h[nh++] = (struct holder){ s, e };
		} else {
			unsigned k = (unsigned)rand() % nh;
			unsigned expect = 0;
			for (uint64_t i = h[k].s; i < h[k].e; i++)
				expect += --model[i] == 0;
			transitions = 0;
			int zero = 0;
			assert_int_equal(range_refs_dec(&rr, h[k].s, h[k].e, on_edge, &zero), 0);
			assert_int_equal(transitions, expect);
			range_refs_unreserve(&rr);
			h[k] = h[--nh];
		}
		/* Merged extents never outnumber twice the holders. */
		assert_true(rr.nr_extents <= 2 * rr.nr_holders + 1);
		uint64_t total = 0, covered = 0;
		for (int i = 0; i < SPACE; i++) {
			total += model[i];
			covered += model[i] != 0;
		}
		assert_int_equal(rr.total, total);
		assert_int_equal(rr.covered, covered);
		int p = rand() % SPACE;
		assert_int_equal(range_refs_count(&rr, (uint64_t)p), model[p]);
	}
	range_refs_destroy(&rr);
}

static int gap_collect(uint64_t s, uint64_t e, void *arg)
{
	uint64_t *out = arg;
	out[out[0] * 2 + 1] = s;
	out[out[0] * 2 + 2] = e;
	out[0]++;
	return 0;
}

static void range_refs_huge_and_gaps(void **state)
{
	(void)state;
	struct range_refs rr;
	range_refs_init(&rr);
	assert_int_equal(range_refs_reserve(&rr), 0);
	assert_int_equal(range_refs_reserve(&rr), 0);
	/* A terabyte is one extent. */
	range_refs_inc(&rr, 1ull << 30, (1ull << 30) + (1ull << 40), NULL, NULL);
	assert_int_equal(rr.nr_extents, 1);
	range_refs_inc(&rr, 0, 4096, NULL, NULL);
	uint64_t gaps[16] = { 0 };
	assert_int_equal(range_refs_for_each_gap(&rr, 0, 1ull << 41, gap_collect, gaps), 0);
	assert_int_equal(gaps[0], 2);
	assert_int_equal(gaps[1], 4096);
	assert_int_equal(gaps[2], 1ull << 30);
	assert_int_equal(gaps[3], (1ull << 30) + (1ull << 40));
	assert_int_equal(gaps[4], 1ull << 41);
	/* Removing a count that is not there changes nothing. */
	assert_int_equal(range_refs_dec(&rr, 0, 8192, NULL, NULL), -EINVAL);
	assert_int_equal(range_refs_count(&rr, 0), 1);
	assert_int_equal(range_refs_dec(&rr, 0, 4096, NULL, NULL), 0);
	assert_int_equal(range_refs_dec(&rr, 1ull << 30, (1ull << 30) + (1ull << 40), NULL, NULL),
			 0);
	assert_int_equal(rr.nr_extents, 0);
	assert_int_equal(rr.total, 0);
	range_refs_destroy(&rr);
}

/* ---- pins and faulting in ---- */

static void pins_are_process_wide(void **state)
{
	(void)state;
	uint64_t base = mm_pinned_total();
	assert_int_equal(mm_pin_reserve(), 0);
	assert_int_equal(mm_pin_reserve(), 0);
	mm_pin(0x100000, 4 * MM_PAGE_SIZE);
	mm_pin(0x102000, 4 * MM_PAGE_SIZE);
	assert_int_equal(mm_pin_count(0x100000), 1);
	assert_int_equal(mm_pin_count(0x102000), 2);
	assert_int_equal(mm_pin_count(0x105000), 1);
	assert_int_equal(mm_pin_count(0x106000), 0);
	assert_int_equal(mm_pinned_total(), base + 8);
	mm_unpin(0x100000, 4 * MM_PAGE_SIZE);
	mm_unpin(0x102000, 4 * MM_PAGE_SIZE);
	mm_pin_unreserve();
	mm_pin_unreserve();
	assert_int_equal(mm_pinned_total(), base);
	assert_int_equal(mm_pin_count(0x102000), 0);
}

static void fault_in_checks_access(void **state)
{
	(void)state;
	uint8_t *rw = mmap(NULL, 4 * MM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ro = mmap(NULL, MM_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *none = mmap(NULL, MM_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(rw != MAP_FAILED && ro != MAP_FAILED && none != MAP_FAILED);
	assert_int_equal(mm_fault_in((uintptr_t)rw, 4 * MM_PAGE_SIZE, true), 0);
	assert_int_equal(mm_fault_in((uintptr_t)ro, MM_PAGE_SIZE, false), 0);
	assert_int_equal(mm_fault_in((uintptr_t)ro, MM_PAGE_SIZE, true), -EFAULT);
	assert_int_equal(mm_fault_in((uintptr_t)none, MM_PAGE_SIZE, false), -EFAULT);
	munmap(rw + 2 * MM_PAGE_SIZE, MM_PAGE_SIZE);
	assert_int_equal(mm_fault_in((uintptr_t)rw, 4 * MM_PAGE_SIZE, false), -EFAULT);
	assert_int_equal(mm_fault_in((uintptr_t)rw + 1, MM_PAGE_SIZE, false), -EFAULT);
	munmap(rw, 2 * MM_PAGE_SIZE);
	munmap(rw + 3 * MM_PAGE_SIZE, MM_PAGE_SIZE);
	munmap(ro, MM_PAGE_SIZE);
	munmap(none, MM_PAGE_SIZE);

	/* Large runs take another path (huge pages); the same answers. */
	size_t big = 16u << 20;
	for (int thp = 0; thp < 2; thp++) {
		uint8_t *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
				  0);
		madvise(b, big, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		assert_int_equal(mm_fault_in((uintptr_t)b, big, true), 0);
		mprotect(b + big / 2, MM_PAGE_SIZE, PROT_READ);
		assert_int_equal(mm_fault_in((uintptr_t)b, big, false), 0);
		assert_int_equal(mm_fault_in((uintptr_t)b, big, true), -EFAULT);
		munmap(b + big - 8 * MM_PAGE_SIZE, MM_PAGE_SIZE);
		assert_int_equal(mm_fault_in((uintptr_t)b, big, false), -EFAULT);
		munmap(b, big);
	}
}

/* ---- accounting ---- */

static void set_cap(int cap, bool on)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	assert_int_equal(syscall(SYS_capget, &hdr, d), 0);
	if (on)
		d[cap / 32].effective |= 1u << (cap % 32);
	else
		d[cap / 32].effective &= ~(1u << (cap % 32));
	assert_int_equal(syscall(SYS_capset, &hdr, d), 0);
}

static void accounting_honours_the_limit(void **state)
{
	(void)state;
	struct rlimit old;
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &old), 0);
	bool had_cap = mm_capable(CAP_IPC_LOCK);
	set_cap(CAP_IPC_LOCK, false);
	struct rlimit rl = { .rlim_cur = 64 * MM_PAGE_SIZE, .rlim_max = old.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	mm_account_refresh();

	uint64_t base = mm_account_charged(MM_ACCOUNT_USER);
	assert_true(base <= 64);
	enum mm_account_mode m = MM_ACCOUNT_USER;
	assert_int_equal(mm_account(&m, 64 - base, true), 0);
	assert_int_equal(mm_account(&m, 1, true), -ENOMEM);
	assert_int_equal(m, MM_ACCOUNT_USER);
	assert_int_equal(mm_account_charged(MM_ACCOUNT_USER), 64);
	/* Per process is a separate count against the same limit. */
	enum mm_account_mode mmm = MM_ACCOUNT_MM;
	assert_int_equal(mm_account(&mmm, 10, true), 0);
	assert_int_equal(mm_account(&mmm, 10, false), 0);

	/* A raised limit is seen without a refresh. */
	rl.rlim_cur = 65 * MM_PAGE_SIZE;
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	assert_int_equal(mm_account(&m, 1, true), 0);
	assert_int_equal(mm_account(&m, 1, false), 0);
	/* CAP_IPC_LOCK: exempt, nothing charged. */
	rl.rlim_cur = 64 * MM_PAGE_SIZE;
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	set_cap(CAP_IPC_LOCK, true);
	mm_account_refresh();
	assert_int_equal(mm_account(&m, 1, true), 0);
	assert_int_equal(m, MM_ACCOUNT_NONE);
	assert_int_equal(mm_account_charged(MM_ACCOUNT_USER), 64);
	m = MM_ACCOUNT_USER;
	assert_int_equal(mm_account(&m, 64 - base, false), 0);
	assert_int_equal(mm_account_charged(MM_ACCOUNT_USER), base);

	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &old), 0);
	set_cap(CAP_IPC_LOCK, had_cap);
	mm_account_refresh();
}

/* ---- memory files ---- */

static void memfd_pages_are_the_librarys(void **state)
{
	(void)state;
	int fd = memfd_create("mm-test", 0);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 * MM_PAGE_SIZE), 0);
	uint8_t *user = mmap(NULL, 8 * MM_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(user != MAP_FAILED);
	memset(user, 0x5a, 8 * MM_PAGE_SIZE);

	struct mm_file *f1, *f2;
	uint64_t p1, p2;
	assert_int_equal(mm_file_get(fd, 0, 4 * MM_PAGE_SIZE, true, &f1, &p1), 0);
	assert_int_equal(mm_file_get(fd, 4 * MM_PAGE_SIZE, 4 * MM_PAGE_SIZE, true, &f2, &p2), 0);
	/* One physical address per page, however it is mapped. */
	assert_int_equal(p1, p2);
	uint64_t ph;
	assert_int_equal(mm_user_to_phys((uintptr_t)user + 5 * MM_PAGE_SIZE + 7, &ph), 0);
	assert_int_equal(ph, p1 + 5 * MM_PAGE_SIZE + 7);
	/* Anonymous memory is its own physical address. */
	assert_int_equal(mm_user_to_phys((uintptr_t)&ph, &ph), 0);
	assert_int_equal(ph, (uintptr_t)&ph);

	/* The client's unmap does not take the pages away. */
	munmap(user, 8 * MM_PAGE_SIZE);
	uint8_t *lib = (uint8_t *)(uintptr_t)p1;
	assert_int_equal(lib[6 * MM_PAGE_SIZE], 0x5a);
	lib[0] = 1;
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, 0), 1);
	assert_int_equal(b, 1);

	/* Not a memory file, past the end, a bad descriptor. */
	struct mm_file *f3;
	uint64_t p3;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(mm_file_get(pfd[0], 0, MM_PAGE_SIZE, false, &f3, &p3), -EINVAL);
	assert_int_equal(mm_file_get(fd, 4 * MM_PAGE_SIZE, 5 * MM_PAGE_SIZE, false, &f3, &p3),
			 -EINVAL);
	assert_int_equal(mm_file_get(12345, 0, MM_PAGE_SIZE, false, &f3, &p3), -EBADF);
	close(pfd[0]);
	close(pfd[1]);
	mm_file_put(f1);
	mm_file_put(f2);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(range_refs_against_model),
		cmocka_unit_test(range_refs_huge_and_gaps),
		cmocka_unit_test(pins_are_process_wide),
		cmocka_unit_test(fault_in_checks_access),
		cmocka_unit_test(accounting_honours_the_limit),
		cmocka_unit_test(memfd_pages_are_the_librarys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
