/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * process_vm_readv/writev on our own pid copy through the kernel, which
 * reports an unmapped or protected address as EFAULT instead of
 * delivering SIGSEGV.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "uaccess.h"

static int xfer(void *local, uint64_t remote, size_t len, bool write)
{
	if (!len)
		return 0;
	if (!remote || remote + len < remote)
		return -EFAULT;
	struct iovec l = { .iov_base = local, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)remote, .iov_len = len };
	ssize_t n = write ? process_vm_writev(getpid(), &l, 1, &r, 1, 0) :
			    process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

int copy_from_user(void *dst, uint64_t uptr, size_t len)
{
	return xfer(dst, uptr, len, false);
}

int copy_to_user(uint64_t uptr, const void *src, size_t len)
{
	return xfer((void *)src, uptr, len, true);
}

/* A NUL-terminated string of at most max-1 characters; reads in small
 * pieces so that a string ending just before an unmapped page works. */
long strncpy_from_user(char *dst, uint64_t uptr, size_t max)
{
	size_t n = 0;
	while (n < max) {
		/* Never cross a page boundary in one read. */
		size_t chunk = 64 - ((uptr + n) & 63);
		if (chunk > max - n)
			chunk = max - n;
		if (xfer(dst + n, uptr + n, chunk, false))
			return -EFAULT;
		for (size_t i = 0; i < chunk; i++)
			if (!dst[n + i])
				return (long)(n + i);
		n += chunk;
	}
	return -ENAMETOOLONG;
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
