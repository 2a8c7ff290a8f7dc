/* SPDX-License-Identifier: BSD-3-Clause */
/* The /proc files of the view: a thread's fail-nth (procfs.c). */
#ifndef UIOMMU_SYSFS_PROCFS_H
#define UIOMMU_SYSFS_PROCFS_H

#include <stdbool.h>
#include <sys/stat.h>

struct uiommu_host;
struct file;

/* Is `norm` (absolute, normalized) the calling thread's fail-nth? */
bool procfs_owns(const char *norm);
/* open(2) of it: a descriptor or -errno. */
int procfs_open(struct uiommu_host *h, int flags);
void procfs_stat(struct stat *st);
bool procfs_is_file(struct file *f);

#endif
