/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access to memory named by a client (the kernel's copy_from_user):
 * pointers that come with a request are checked, not trusted. A bad
 * pointer gives -EFAULT, never a crash (SPEC U-2, "nothing crashes on
 * input from a client program").
 */
#ifndef UIOMMU_BASE_UACCESS_H
#define UIOMMU_BASE_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int copy_from_user(void *dst, uint64_t uptr, size_t len);
int copy_to_user(uint64_t uptr, const void *src, size_t len);
/* Copy a string; its length, -EFAULT, or -ENAMETOOLONG if no NUL
 * within max bytes. */
long strncpy_from_user(char *dst, uint64_t uptr, size_t max);
/* Is [uptr, uptr+len) mapped in this process, and writable if asked? */
int user_range_ok(uint64_t uptr, uint64_t len, bool write);

#endif
