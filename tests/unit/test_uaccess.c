/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Copies to and from a client's memory (base/uaccess.c over
 * util/fixup.c): a bad pointer is -EFAULT, never a crash; a fault outside
 * any fixup still kills the process as it would have.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "base/uaccess.h"
#include "util/fixup.h"
#include "util/fixup_access.h"

#define U(p) ((uint64_t)(uintptr_t)(p))

/* The exception-table accesses (util/fixup_access.h): each reports a
 * missing page instead of faulting, and does its job where there is one. */
static void table_accesses(void **state)
{
	(void)state;
	fixup_install();
	uint8_t *page = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
	assert_true(page != MAP_FAILED);
	assert_int_equal(munmap(page + 4096, 4096), 0); /* a hole in the middle */
	uint8_t *hole = page + 4096;
	uint64_t v = 7;
	assert_false(fixup_load64(hole, &v));
	assert_int_equal(v, 0);
	assert_false(fixup_store64(hole, 1));
	assert_false(fixup_store32(hole + 8, 1));
	assert_int_equal(fixup_cmpxchg64(hole, 0, 1), -1);
	/* Where there is memory, they work. */
	assert_true(fixup_store64(page, 0x1122334455667788ull));
	assert_true(fixup_load64(page, &v));
	assert_true(v == 0x1122334455667788ull);
	assert_int_equal(fixup_cmpxchg64(page, 1, 2), 0);
	assert_int_equal(fixup_cmpxchg64(page, v, 2), 1);
	assert_true(fixup_store32(page + 8, 0xabcd));
	assert_int_equal(*(uint32_t *)(page + 8), 0xabcd);
	/* A copy into the hole stops at it: what came before is there. */
	uint8_t src[256];
	memset(src, 0x5c, sizeof(src));
	assert_int_equal(fixup_copy(hole - 100, src, 256), 156);
	assert_int_equal(page[4095], 0x5c);
	assert_int_equal(fixup_copy(src, hole - 16, 64), 48);
	assert_int_equal(fixup_copy(page, src, 256), 0);
	/* Overlapping moves both ways; backwards stopping at the hole. */
	for (int i = 0; i < 64; i++)
		page[i] = (uint8_t)i;
	assert_int_equal(fixup_move(page + 8, page, 32), 0);
	assert_int_equal(page[8], 0);
	assert_int_equal(page[39], 31);
	assert_int_equal(fixup_move(page, page + 8, 32), 0);
	assert_int_equal(page[0], 0);
	assert_int_equal(page[31], 31);
	uint8_t *after = page + 2 * 4096;
	assert_int_equal(fixup_copy_down(after + 8, after - 8, 32), 8);
	munmap(page, 4096);
	munmap(after, 4096);
}

static void bad_pointers_are_efault(void **state)
{
	(void)state;
	char buf[64];
	char *page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(page != MAP_FAILED);
	assert_int_equal(munmap(page + 4096, 4096), 0); /* a hole after the page */
	memcpy(page, "hello", 6);

	assert_int_equal(copy_from_user(buf, 0, 8), -EFAULT);
	assert_int_equal(copy_from_user(buf, 8, 8), -EFAULT);
	assert_int_equal(copy_from_user(buf, ~0ull - 4, 8), -EFAULT);
	assert_int_equal(copy_from_user(buf, 1ull << 50, 8), -EFAULT);
	assert_int_equal(copy_from_user(buf, U(page + 4096), 8), -EFAULT);
	/* Straddling into the hole. */
	assert_int_equal(copy_from_user(buf, U(page + 4090), 8), -EFAULT);
	assert_int_equal(copy_from_user(buf, U(page), 6), 0);
	assert_string_equal(buf, "hello");
	assert_int_equal(copy_from_user(buf, 0, 0), 0);

	assert_int_equal(copy_to_user(U(page + 4096), "x", 1), -EFAULT);
	assert_int_equal(mprotect(page, 4096, PROT_READ), 0);
	assert_int_equal(copy_to_user(U(page), "x", 1), -EFAULT);
	assert_int_equal(page[0], 'h');

	/* A string that ends right before the hole reads fine; one that
	 * runs into it faults; one too long says so. */
	assert_int_equal(mprotect(page, 4096, PROT_READ | PROT_WRITE), 0);
	memset(page, 'a', 4096);
	page[4095] = 0;
	char *big = malloc(8192);
	assert_int_equal(strncpy_from_user(big, U(page), 8192), 4095);
	page[4095] = 'a';
	assert_int_equal(strncpy_from_user(big, U(page), 8192), -EFAULT);
	assert_int_equal(strncpy_from_user(big, U(page), 16), -ENAMETOOLONG);
	assert_int_equal(strncpy_from_user(big, 0, 16), -EFAULT);
	free(big);
	munmap(page, 4096);
}

/* Faults in other threads and nested fixups unwind to their own point. */
static void nested_fixups(void **state)
{
	(void)state;
	char buf[8];
	struct fixup outer;
	volatile int reached = 0;
	if (fixup_try(&outer)) {
		assert_int_equal(copy_from_user(buf, 4096 * 3, 8), -EFAULT);
		reached = 1;
		fixup_end(&outer);
	}
	assert_int_equal(reached, 1);
	assert_null(fixup_top);
}

static void exit_42(int sig)
{
	(void)sig;
	_exit(42);
}

/* A fault nobody armed a fixup for goes where it went before fixups
 * existed (here a handler that exits 42; by default the process's
 * previous handler or the default action) - never silently resumed. */
static void unarmed_fault_is_passed_on(void **state)
{
	(void)state;
	fixup_install();
	pid_t pid = fork();
	if (pid == 0) {
		fixup_set_fallback(exit_42);
		volatile uintptr_t bad = 16; /* opaque to the compiler's bounds checks */
		*(volatile int *)bad = 1;
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_accesses),
		cmocka_unit_test(bad_pointers_are_efault),
		cmocka_unit_test(nested_fixups),
		cmocka_unit_test(unarmed_fault_is_passed_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
