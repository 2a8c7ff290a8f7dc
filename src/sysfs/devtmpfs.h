/* SPDX-License-Identifier: BSD-3-Clause */
/* /dev of a host, from its device nodes (devtmpfs.c); for vfs.c. */
#ifndef UIOMMU_SYSFS_DEVTMPFS_H
#define UIOMMU_SYSFS_DEVTMPFS_H

#include <dirent.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

#include "vfs.h"

/* Paths the host owns even when it lacks them (/dev/iommu, /dev/vfio...). */
bool devtmpfs_owns(const char *path);
/* `path` (normalized, absolute, under /dev): a node (*dir false), a
 * directory of nodes (*dir true; /dev itself is one), or -ENOENT. */
int devtmpfs_lookup(struct uiommu_host *h, const char *path, bool *dir);
/* The names directly under `dir`; count or -errno. */
int devtmpfs_list(struct uiommu_host *h, const char *dir, struct vfs_dirent **out);
void devtmpfs_stat(const char *path, bool dir, time_t when, struct stat *st);
unsigned long devtmpfs_ino(const char *dir, const char *name);

#endif
