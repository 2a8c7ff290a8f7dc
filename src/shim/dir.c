/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Directory streams of the host's view. The C library's opendir opens
 * and reads with its own internal calls, so a directory of the view is a
 * stream of the shim's own: a snapshot of the entries at opendir (with
 * the real ones merged in where the view lies over a real directory)
 * and a descriptor of the view for dirfd() and *at() calls.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uiommu/files.h>

#include "shim.h"
#include "../files/file.h"
#include "../sysfs/kernfs.h"
#include "../sysfs/vfs.h"
#include "../util/list.h"
#include "../util/slab.h"

_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64),
	       "readdir and readdir64 share one entry layout here");

struct shim_dir {
	int fd;
	struct vfs_dirent *ents;
	int n, pos;
	struct dirent ent;
	struct list_node node;        /* dirs, under dirs_lock */
};

static pthread_mutex_t dirs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct list_node dirs = LIST_HEAD_INIT(dirs); /* the streams the shim made */

static struct shim_dir *shim_dir_of(DIR *d)
{
	struct shim_dir *sd, *found = NULL;
	pthread_mutex_lock(&dirs_lock);
	list_for_each_entry(sd, &dirs, node)
		if ((DIR *)sd == d)
			found = sd;
	pthread_mutex_unlock(&dirs_lock);
	return found;
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct vfs_dirent *)a)->name, ((const struct vfs_dirent *)b)->name);
}

static int add_ent(struct vfs_dirent **v, int *n, int *cap, const char *name, unsigned char type,
		   unsigned long ino)
{
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 16;
		struct vfs_dirent *nv = krealloc(*v, (size_t)c * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	if (!((*v)[*n].name = kstrdup(name)))
		return -ENOMEM;
	(*v)[*n].type = type;
	(*v)[*n].ino = ino;
	(*n)++;
	return 0;
}

/* The real directory's entries the view lacks (inside uiommu). */
static int merge_real(const char *path, struct vfs_dirent **v, int *n, int *cap)
{
	DIR *d = REAL(opendir)(path);
	if (!d)
		return 0; /* nothing real there, or not ours to read */
	int mine = *n, rc = 0;
	struct dirent *e;
	while (!rc && (e = REAL(readdir)(d))) {
		struct vfs_dirent key = { .name = e->d_name };
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    bsearch(&key, *v, (size_t)mine, sizeof(key), cmp_ent))
			continue;
		rc = add_ent(v, n, cap, e->d_name, e->d_type, e->d_ino);
	}
	REAL(closedir)(d);
	return rc;
}

/* Inside uiommu: the stream for a directory of the view and its fd. */
static DIR *make_dir(struct uiommu_host *h, const struct vfs_loc *loc, int fd)
{
	struct vfs_dirent *v = NULL;
	bool passthrough;
	int n = vfs_list(h, loc, &v, &passthrough), cap = n, rc = n < 0 ? n : 0;
	if (!rc && passthrough) {
		char path[PATH_MAX];
		const char *p = loc->path;
		if (loc->kind == VFS_KERNFS)
			p = kernfs_path(loc->kn, path, sizeof(path)) > 0 ? path : NULL;
		if (p)
			rc = merge_real(p, &v, &n, &cap);
		qsort(v, (size_t)n, sizeof(*v), cmp_ent);
	}
	if (!rc)
		rc = add_ent(&v, &n, &cap, ".", DT_DIR, 1);
	if (!rc)
		rc = add_ent(&v, &n, &cap, "..", DT_DIR, 1);
	struct shim_dir *sd = rc ? NULL : kcalloc(1, sizeof(*sd));
	if (!sd) {
		vfs_dirents_free(v, n < 0 ? 0 : n);
		errno = rc ? -rc : ENOMEM;
		return NULL;
	}
	/* "." and ".." first, as a real listing has them. */
	struct vfs_dirent dot = v[n - 2], dotdot = v[n - 1];
	memmove(v + 2, v, (size_t)(n - 2) * sizeof(*v));
	v[0] = dot;
	v[1] = dotdot;
	sd->fd = fd;
	sd->ents = v;
	sd->n = n;
	pthread_mutex_lock(&dirs_lock);
	list_add_tail(&sd->node, &dirs);
	pthread_mutex_unlock(&dirs_lock);
	return (DIR *)sd;
}

DIR *opendir(const char *path)
{
	struct vfs_loc loc;
	struct uiommu_host *h;
	const char *rp;
	int rd;
	int rc = shim_path(AT_FDCWD, path, 0, &loc, &h, &rp, &rd);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	if (rc == 0) {
		DIR *d = REAL(opendir)(rp);
		if (d)
			shim_fd_fresh(REAL(dirfd)(d));
		return d;
	}
	int fd = vfs_open(h, &loc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = NULL;
	if (fd < 0) {
		errno = -fd;
	} else if (!(d = make_dir(h, &loc, fd))) {
		int err = errno;
		uiommu_close(fd);
		errno = err;
	} else {
		errno = shim_errno; /* merging a real listing may have failed: not ours to say */
	}
	vfs_loc_put(&loc);
	shim_leave();
	return d;
}

DIR *fdopendir(int fd)
{
	struct file *f = shim_depth ? NULL : fget(fd);
	if (!f)
		return REAL(fdopendir)(fd);
	shim_enter();
	struct vfs_loc loc;
	int rc = vfs_file_loc(f, &loc);
	DIR *d = NULL;
	if (rc)
		errno = -rc;
	else if ((d = make_dir(f->host, &loc, fd)))
		errno = shim_errno;
	if (!rc)
		vfs_loc_put(&loc);
	fput(f);
	shim_leave();
	return d;
}

struct dirent *readdir(DIR *d)
{
	struct shim_dir *sd = shim_depth ? NULL : shim_dir_of(d);
	if (!sd)
		return REAL(readdir)(d);
	if (sd->pos >= sd->n)
		return NULL; /* the end: errno untouched */
	const struct vfs_dirent *e = &sd->ents[sd->pos++];
	memset(&sd->ent, 0, sizeof(sd->ent));
	sd->ent.d_ino = e->ino;
	sd->ent.d_off = sd->pos;
	sd->ent.d_reclen = sizeof(sd->ent);
	sd->ent.d_type = e->type;
	snprintf(sd->ent.d_name, sizeof(sd->ent.d_name), "%s", e->name);
	return &sd->ent;
}

struct dirent64 *readdir64(DIR *d)
{
	return (struct dirent64 *)readdir(d);
}

int closedir(DIR *d)
{
	struct shim_dir *sd = shim_depth ? NULL : shim_dir_of(d);
	if (!sd)
		return REAL(closedir)(d);
	pthread_mutex_lock(&dirs_lock);
	list_del(&sd->node);
	pthread_mutex_unlock(&dirs_lock);
	int rc = close(sd->fd);
	vfs_dirents_free(sd->ents, sd->n);
	free(sd);
	return rc;
}

int dirfd(DIR *d)
{
	struct shim_dir *sd = shim_depth ? NULL : shim_dir_of(d);
	return sd ? sd->fd : REAL(dirfd)(d);
}

void rewinddir(DIR *d)
{
	struct shim_dir *sd = shim_depth ? NULL : shim_dir_of(d);
	if (sd)
		sd->pos = 0;
	else
		REAL(rewinddir)(d);
}

long telldir(DIR *d)
{
	struct shim_dir *sd = shim_depth ? NULL : shim_dir_of(d);
	return sd ? sd->pos : REAL(telldir)(d);
}

void seekdir(DIR *d, long pos)
{
	struct shim_dir *sd = shim_depth ? NULL : shim_dir_of(d);
	if (!sd)
		REAL(seekdir)(d, pos);
	else if (pos >= 0 && pos <= sd->n)
		sd->pos = (int)pos;
}
