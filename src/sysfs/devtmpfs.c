/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /dev as the host has it (devtmpfs in spirit): the file layer's device
 * nodes, the directories their paths imply, and the attributes stat(2)
 * shows for them (character devices with the numbers Linux gives the
 * VFIO and iommufd nodes where it fixes them, synthesized otherwise).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <uiommu/files.h>

#include "devtmpfs.h"
#include "../util/slab.h"

#define MISC_MAJOR 10
#define VFIO_MINOR 196          /* Linux include/linux/miscdevice.h */
#define IOMMUFD_MINOR 250       /* dynamic on Linux; fixed here */
#define VFIO_GROUP_MAJOR 511    /* dynamic on Linux (vfio); fixed here */

bool devtmpfs_owns(const char *path)
{
	return !strcmp(path, "/dev/iommu") || !strcmp(path, "/dev/vfio") ||
	       !strncmp(path, "/dev/vfio/", 10);
}

struct prefix_search {
	const char *dir;      /* "/dev/vfio" */
	size_t len;
	bool found;
	struct vfs_dirent *v; /* listing: the immediate children */
	int n, cap;
	int err;
};

static int add_child(struct prefix_search *s, const char *name, size_t len, bool dir)
{
	if (s->n && strlen(s->v[s->n - 1].name) == len && !strncmp(s->v[s->n - 1].name, name, len))
		return 0; /* sorted input: a repeat is the previous one */
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;
		struct vfs_dirent *v = krealloc(s->v, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	char *copy = kstrndup(name, len);
	if (!copy)
		return -ENOMEM;
	s->v[s->n].name = copy;
	s->v[s->n].type = dir ? DT_DIR : DT_CHR;
	s->v[s->n].ino = devtmpfs_ino(s->dir, copy);
	s->n++;
	return 0;
}

static int match_node(const char *path, void *arg)
{
	struct prefix_search *s = arg;
	if (strncmp(path, s->dir, s->len) || path[s->len] != '/')
		return 0;
	s->found = true;
	if (s->cap < 0)
		return 1; /* only asked whether there is one */
	const char *name = path + s->len + 1, *slash = strchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : strlen(name);
	return add_child(s, name, len, slash != NULL);
}

int devtmpfs_lookup(struct uiommu_host *h, const char *path, bool *dir)
{
	if (uiommu_node_exists(h, path)) {
		*dir = false;
		return 0;
	}
	struct prefix_search s = { .dir = path, .len = strlen(path), .cap = -1 };
	if (s.len && path[s.len - 1] == '/')
		s.len--;
	uiommu_for_each_node(h, match_node, &s);
	*dir = true;
	return s.found || !strcmp(path, "/dev") ? 0 : -ENOENT;
}

int devtmpfs_list(struct uiommu_host *h, const char *dir, struct vfs_dirent **out)
{
	struct prefix_search s = { .dir = dir, .len = strlen(dir) };
	int rc = uiommu_for_each_node(h, match_node, &s);
	if (rc < 0) {
		vfs_dirents_free(s.v, s.n);
		return rc;
	}
	*out = s.v;
	return s.n;
}

unsigned long devtmpfs_ino(const char *dir, const char *name)
{
	/* FNV-1a of the path: stable for the life of the node. */
	unsigned long hsh = 14695981039346656037ul;
	for (const char *p = dir; *p; p++)
		hsh = (hsh ^ (unsigned char)*p) * 1099511628211ul;
	hsh = (hsh ^ '/') * 1099511628211ul;
	for (const char *p = name; p && *p; p++)
		hsh = (hsh ^ (unsigned char)*p) * 1099511628211ul;
	return hsh | 1;
}

static dev_t node_rdev(const char *path, unsigned *mode)
{
	unsigned n;
	char tail;
	*mode = 0600;
	if (!strcmp(path, "/dev/vfio/vfio")) {
		*mode = 0666;
		return makedev(MISC_MAJOR, VFIO_MINOR);
	}
	if (!strcmp(path, "/dev/iommu"))
		return makedev(MISC_MAJOR, IOMMUFD_MINOR);
	if (sscanf(path, "/dev/vfio/devices/vfio%u%c", &n, &tail) == 1)
		return makedev(VFIO_CDEV_MAJOR, n);
	if (sscanf(path, "/dev/vfio/%u%c", &n, &tail) == 1)
		return makedev(VFIO_GROUP_MAJOR, n);
	return makedev(MISC_MAJOR, 255);
}

void devtmpfs_stat(const char *path, bool dir, time_t when, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	const char *slash = strrchr(path, '/');
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - path) : 0, path);
	st->st_dev = makedev(0, 5);
	st->st_ino = devtmpfs_ino(parent, slash ? slash + 1 : path);
	st->st_uid = geteuid();
	st->st_gid = getegid();
	st->st_blksize = 4096;
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = when;
	if (dir) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_size = 60;
		return;
	}
	unsigned mode;
	st->st_rdev = node_rdev(path, &mode);
	st->st_mode = S_IFCHR | mode;
	st->st_nlink = 1;
}
