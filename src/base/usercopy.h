/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Extensible structs from user memory (Linux copy_struct_from_user): the
 * size-in-struct rule of every iommufd call (SPEC U-2). A caller built
 * against an older ABI passes fewer bytes (the rest reads as zero); one
 * built against a newer ABI passes more, which is fine only while the
 * bytes this side does not know are zero.
 */
#ifndef UIOMMU_BASE_USERCOPY_H
#define UIOMMU_BASE_USERCOPY_H

#include <stddef.h>
#include <stdint.h>

/* Copy a usize-byte user struct into a ksize-byte one: 0, -E2BIG (a
 * non-zero byte past ksize) or -EFAULT. */
int copy_struct_from_user(void *dst, size_t ksize, uint64_t src, size_t usize);
/* 1 if [src, +size) of user memory is all zero, 0 if not, -EFAULT. */
int check_zeroed_user(uint64_t src, size_t size);
/* Zero [dst, +size) of user memory: 0 or -EFAULT. */
int clear_user(uint64_t dst, size_t size);

#endif
