/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Files of the view (vfs.h): attributes whose reads and writes go to
 * their show and store as sysfs files do, and directory descriptors,
 * all on the file layer so they are real descriptors of the program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/files.h>

#include "vfs.h"
#include "devtmpfs.h"
#include "procfs.h"
#include "sysfs_int.h"
#include "../base/uaccess.h"
#include "../files/file.h"
#include "../util/slab.h"

struct view_file {
	struct vfs_loc loc;
	pthread_mutex_t lock;         /* buf, len */
	char *buf;                    /* the content as of the last read at 0 */
	size_t len;
};

/* As seq_file: the content is made by a read at position 0 (or the first
 * read), and later reads continue in that snapshot. */
static ssize_t attr_read(struct file *f, void *buf, size_t count, int64_t *pos)
{
	struct view_file *vf = f->private_data;
	pthread_mutex_lock(&vf->lock);
	ssize_t rc = 0;
	if (*pos == 0 || !vf->buf) {
		free(vf->buf);
		vf->buf = NULL;
		rc = kernfs_show(vf->loc.kn, &vf->buf, &vf->len);
	}
	if (!rc && (uint64_t)*pos < vf->len) {
		size_t n = vf->len - (size_t)*pos < count ? vf->len - (size_t)*pos : count;
		rc = copy_to_user((uint64_t)(uintptr_t)buf, vf->buf + *pos, n);
		if (!rc) {
			*pos += (int64_t)n;
			rc = (ssize_t)n;
		}
	}
	pthread_mutex_unlock(&vf->lock);
	return rc;
}

/* As sysfs: one write is one store of at most a page, NUL-terminated. */
static ssize_t attr_write(struct file *f, const void *buf, size_t count, int64_t *pos)
{
	struct view_file *vf = f->private_data;
	if (count > KERNFS_ATTR_SIZE)
		count = KERNFS_ATTR_SIZE;
	char *kbuf = kmalloc(count + 1);
	if (!kbuf)
		return -ENOMEM;
	ssize_t rc = copy_from_user(kbuf, (uint64_t)(uintptr_t)buf, count);
	if (!rc) {
		kbuf[count] = 0;
		rc = kernfs_store(vf->loc.kn, kbuf, count);
		if (rc > 0)
			*pos += rc;
	}
	free(kbuf);
	return rc;
}

static ssize_t dir_read(struct file *f, void *buf, size_t count, int64_t *pos)
{
	(void)f, (void)buf, (void)count, (void)pos;
	return -EISDIR;
}

/* A view file no file owns yet. */
static void view_release_unowned(struct view_file *vf)
{
	vfs_loc_put(&vf->loc);
	pthread_mutex_destroy(&vf->lock);
	free(vf);
}

static void view_release(struct file *f)
{
	struct view_file *vf = f->private_data;
	free(vf->buf);
	view_release_unowned(vf);
}

static const struct file_operations attr_fops = {
	.read = attr_read,
	.write = attr_write,
	.release = view_release,
};

static const struct file_operations dir_fops = {
	.read = dir_read,
	.release = view_release,
};

static struct view_file *view_file_of(struct file *f)
{
	return f && (f->f_op == &attr_fops || f->f_op == &dir_fops) ? f->private_data : NULL;
}

static int open_view_file(struct uiommu_host *h, const struct vfs_loc *loc, bool dir, int flags)
{
	struct view_file *vf = kcalloc(1, sizeof(*vf));
	if (!vf)
		return -ENOMEM;
	vf->loc = *loc;
	if (vf->loc.kind == VFS_KERNFS)
		kernfs_get(vf->loc.kn);
	pthread_mutex_init(&vf->lock, NULL);
	/* For messages only: the file's name is cut to its field. */
	char name[PATH_MAX];
	if (loc->kind != VFS_KERNFS || kernfs_path(loc->kn, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "%s", loc->kind == VFS_KERNFS ? "sysfs" : loc->path);
	int fd = anon_file_getfd(h, name, dir ? &dir_fops : &attr_fops, vf,
				 flags & (O_ACCMODE | O_CLOEXEC | O_NONBLOCK));
	if (fd < 0)
		view_release_unowned(vf);
	return fd;
}

/* The owner's permission bits against the access mode (the program owns
 * its host). */
static int may_open(unsigned mode, int flags)
{
	int acc = flags & O_ACCMODE;
	if (flags & O_PATH)
		return 0;
	if ((acc == O_RDONLY || acc == O_RDWR) && !(mode & 0400))
		return -EACCES;
	if ((acc == O_WRONLY || acc == O_RDWR) && !(mode & 0200))
		return -EACCES;
	return 0;
}

int vfs_open(struct uiommu_host *h, const struct vfs_loc *loc, int flags)
{
	int acc = flags & O_ACCMODE, rc;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	switch (loc->kind) {
	case VFS_DEVNODE:
		if (flags & O_DIRECTORY)
			return -ENOTDIR;
		return uiommu_open(h, loc->path, flags);
	case VFS_DEVDIR:
		if (acc != O_RDONLY)
			return -EISDIR;
		return open_view_file(h, loc, true, flags);
	case VFS_PROC:
		return procfs_open(h, flags);
	case VFS_KERNFS:
		break;
	default:
		return -EINVAL;
	}
	struct kernfs_node *kn = loc->kn;
	if (kn->type == KERNFS_LINK) /* reached only with O_NOFOLLOW */
		return -ELOOP;
	if (kn->type == KERNFS_DIR) {
		if (acc != O_RDONLY && !(flags & O_PATH))
			return -EISDIR;
		if ((rc = may_open(kn->mode, flags)))
			return rc;
		return open_view_file(h, loc, true, flags);
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if ((rc = may_open(kn->mode, flags)))
		return rc;
	return open_view_file(h, loc, false, flags);
}

int vfs_fstat(struct file *f, struct stat *st)
{
	struct view_file *vf = view_file_of(f);
	if (vf)
		return vfs_stat(f->host, &vf->loc, st);
	if (procfs_is_file(f)) {
		procfs_stat(st);
		return 0;
	}
	/* A device node's file carries its path as its name. */
	if (f->name[0] == '/' && f->host) {
		struct sysfs_host *sh = sysfs_of(f->host);
		devtmpfs_stat(f->name, false, sh ? sh->btime : 0, st);
		return 0;
	}
	return -ENOENT;
}

int vfs_file_loc(struct file *f, struct vfs_loc *loc)
{
	struct view_file *vf = view_file_of(f);
	if (!vf || f->f_op != &dir_fops)
		return -ENOTDIR;
	*loc = vf->loc;
	if (loc->kind == VFS_KERNFS)
		kernfs_get(loc->kn);
	return 0;
}
