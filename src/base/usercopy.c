/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "uaccess.h"
#include "usercopy.h"

#define CHUNK 256

int check_zeroed_user(uint64_t src, size_t size)
{
	uint8_t buf[CHUNK];
	while (size) {
		size_t n = size < CHUNK ? size : CHUNK;
		if (copy_from_user(buf, src, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return 0;
		src += n;
		size -= n;
	}
	return 1;
}

int copy_struct_from_user(void *dst, size_t ksize, uint64_t src, size_t usize)
{
	size_t n = usize < ksize ? usize : ksize;
	if (usize > ksize) {
		int rc = check_zeroed_user(src + ksize, usize - ksize);
		if (rc <= 0)
			return rc ? rc : -E2BIG;
	} else if (usize < ksize) {
		memset((uint8_t *)dst + usize, 0, ksize - usize);
	}
	return copy_from_user(dst, src, n) ? -EFAULT : 0;
}

int clear_user(uint64_t dst, size_t size)
{
	static const uint8_t zero[CHUNK];
	while (size) {
		size_t n = size < CHUNK ? size : CHUNK;
		if (copy_to_user(dst, zero, n))
			return -EFAULT;
		dst += n;
		size -= n;
	}
	return 0;
}
