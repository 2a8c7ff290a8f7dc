/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Copies to and from memory a client named: done directly, with a fault
 * fixup armed (util/fixup.h), so a bad pointer costs a signal and gives
 * -EFAULT while a good one costs what a memcpy does - the kernel's
 * exception-table scheme. No system call on the way: an ioctl's struct
 * copy must stay far cheaper than the syscall it stands in for.
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "uaccess.h"
#include "../util/fixup_access.h"

/* Addresses that can never be user memory: the first page, the kernel
 * half, non-canonical ones; answered without touching anything. */
static bool user_ptr_ok(uint64_t uptr, size_t len)
{
	return uptr >= 4096 && uptr + len >= uptr && uptr + len <= (1ull << 47);
}

int copy_from_user(void *dst, uint64_t uptr, size_t len)
{
	if (!len)
		return 0;
	if (!user_ptr_ok(uptr, len))
		return -EFAULT;
	return fixup_memcpy(dst, (const void *)(uintptr_t)uptr, len);
}

int copy_to_user(uint64_t uptr, const void *src, size_t len)
{
	if (!len)
		return 0;
	if (!user_ptr_ok(uptr, len))
		return -EFAULT;
	return fixup_memcpy((void *)(uintptr_t)uptr, src, len);
}

/* A string, in bites through the exception table: each bite stops at a
 * missing page, and what it got is searched for the terminator. */
static long str_copy_fixup(char *dst, uint64_t uptr, size_t max)
{
	size_t n = 0;
	while (n < max) {
		/* Never across a page: a string may end right before a hole. */
		size_t bite = 4096 - (size_t)((uptr + n) & 4095);
		if (bite > max - n)
			bite = max - n;
		if (fixup_copy(dst + n, (const void *)(uintptr_t)(uptr + n), bite))
			return -EFAULT;
		char *nul = memchr(dst + n, 0, bite);
		if (nul)
			return (long)(nul - dst);
		n += bite;
	}
	return -ENAMETOOLONG;
}

long strncpy_from_user(char *dst, uint64_t uptr, size_t max)
{
	if (!max)
		return -ENAMETOOLONG;
	if (!user_ptr_ok(uptr, 1))
		return -EFAULT;
	/* Up to the end of user space at most. */
	size_t room = (size_t)((1ull << 47) - uptr);
	return str_copy_fixup(dst, uptr, max < room ? max : room);
}

/*
 * Like pin_user_pages(FOLL_WRITE): every page of the range must be mapped
 * readable, and writable if asked. The mappings come from
 * /proc/self/maps, which is what the kernel's VMA walk would see.
 */
int user_range_ok(uint64_t uptr, uint64_t len, bool write)
{
	if (!len)
		return 0;
	if (uptr + len < uptr)
		return -EFAULT;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -EFAULT;
	uint64_t want = uptr, end = uptr + len;
	char line[512];
	while (want < end && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3)
			continue;
		if (hi <= want)
			continue;
		if (lo > want)
			break; /* a hole */
		if (perms[0] != 'r' || (write && perms[1] != 'w'))
			break;
		want = hi;
	}
	fclose(f);
	return want >= end ? 0 : -EFAULT;
}
