/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Resolving, stat and listing of the paths a program sees (vfs.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vfs.h"
#include "devtmpfs.h"
#include "procfs.h"
#include "sysfs_int.h"
#include "../util/slab.h"

/* Lexically: "." and ".." and repeated slashes folded. Returns whether
 * the path ended with a slash, or -ENAMETOOLONG. */
static int normalize(const char *in, char *out, size_t size)
{
	size_t len = strlen(in);
	if (len + 2 > size)
		return -ENAMETOOLONG;
	size_t at = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (at && out[at - 1] != '/')
				at--;
			if (at)
				at--;
		} else if (n) {
			out[at++] = '/';
			memcpy(out + at, p, n);
			at += n;
		}
		p = e;
	}
	if (!at)
		out[at++] = '/';
	out[at] = 0;
	return len > 1 && in[len - 1] == '/';
}

static bool under(const char *norm, const char *top)
{
	size_t n = strlen(top);
	return !strncmp(norm, top, n) && (norm[n] == '/' || !norm[n]);
}

bool vfs_path_maybe_ours(const char *path)
{
	char norm[PATH_MAX];
	if (!path || path[0] != '/' || normalize(path, norm, sizeof(norm)) < 0)
		return false;
	return under(norm, "/sys") || under(norm, "/dev") || procfs_owns(norm);
}

void vfs_loc_put(struct vfs_loc *loc)
{
	if (loc->kind == VFS_KERNFS)
		kernfs_put(loc->kn);
	loc->kn = NULL;
	loc->kind = VFS_REAL;
}

static int real_path(struct vfs_loc *loc, const char *path)
{
	loc->kind = VFS_REAL;
	if (strlen(path) >= sizeof(loc->path))
		return -ENAMETOOLONG;
	strcpy(loc->path, path);
	return 0;
}

static int resolve_kernfs(struct uiommu_host *h, struct kernfs_node *base, const char *path,
			  unsigned flags, struct vfs_loc *loc)
{
	struct kernfs_root *r = sysfs_root(h);
	if (!r)
		return real_path(loc, path);
	struct kernfs_walk *w = kmalloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	int rc = kernfs_walk(r, base, path, (flags & VFS_NOFOLLOW) ? KERNFS_WALK_NOFOLLOW : 0, w);
	if (rc == KERNFS_WALK_PASS) {
		rc = real_path(loc, w->real);
	} else if (!rc) {
		loc->kind = VFS_KERNFS;
		loc->kn = w->kn;
	}
	free(w);
	return rc;
}

static int resolve_dev(struct uiommu_host *h, const char *norm, bool slash, const char *orig,
		       struct vfs_loc *loc)
{
	bool dir;
	int rc = devtmpfs_lookup(h, norm, &dir);
	if (rc)
		return devtmpfs_owns(norm) ? rc : real_path(loc, orig);
	if (slash && !dir)
		return -ENOTDIR;
	loc->kind = dir ? VFS_DEVDIR : VFS_DEVNODE;
	strcpy(loc->path, norm);
	return 0;
}

int vfs_resolve(struct uiommu_host *h, struct file *base, const char *path, unsigned flags,
		struct vfs_loc *loc)
{
	memset(loc, 0, sizeof(*loc));
	if (!path)
		return -EFAULT;
	if (!*path)
		return -ENOENT;
	char norm[PATH_MAX];
	if (base && path[0] != '/') {
		struct vfs_loc b;
		int rc = vfs_file_loc(base, &b);
		if (rc)
			return rc;
		if (b.kind == VFS_KERNFS) {
			rc = resolve_kernfs(h, b.kn, path, flags, loc);
		} else {
			char joined[PATH_MAX];
			if (snprintf(joined, sizeof(joined), "%s/%s", b.path, path) >= (int)sizeof(joined))
				rc = -ENAMETOOLONG;
			else
				rc = vfs_resolve(h, NULL, joined, flags, loc);
		}
		vfs_loc_put(&b);
		return rc;
	}
	if (path[0] != '/')
		return real_path(loc, path);
	int slash = normalize(path, norm, sizeof(norm));
	if (slash < 0)
		return slash;
	if (under(norm, "/sys"))
		return resolve_kernfs(h, NULL, path, flags, loc);
	if (under(norm, "/dev"))
		return resolve_dev(h, norm, slash, path, loc);
	if (procfs_owns(norm)) {
		if (slash)
			return -ENOTDIR;
		loc->kind = VFS_PROC;
		strcpy(loc->path, norm);
		return 0;
	}
	return real_path(loc, path);
}

/* ---- attributes of the view's nodes ---- */

static time_t view_time(struct uiommu_host *h)
{
	struct sysfs_host *sh = sysfs_of(h);
	return sh ? sh->btime : 0;
}

static bool passthrough_dir(const struct vfs_loc *loc)
{
	if (loc->kind == VFS_KERNFS)
		return loc->kn->type == KERNFS_DIR && (loc->kn->flags & KERNFS_DIR_PASSTHROUGH);
	return loc->kind == VFS_DEVDIR && !strcmp(loc->path, "/dev");
}

static void kernfs_stat(struct kernfs_node *kn, time_t when, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(0, 22);
	st->st_ino = kn->ino;
	st->st_uid = geteuid();
	st->st_gid = getegid();
	st->st_blksize = 4096;
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = when;
	st->st_nlink = 1;
	switch (kn->type) {
	case KERNFS_DIR:
		st->st_mode = S_IFDIR | kn->mode;
		st->st_nlink = 2;
		break;
	case KERNFS_FILE:
		st->st_mode = S_IFREG | kn->mode;
		/* sysfs says a page; a debugfs-like file says nothing. */
		st->st_size = kn->ops->seq_show ? 0 : KERNFS_ATTR_SIZE;
		break;
	case KERNFS_LINK: {
		char target[PATH_MAX];
		int n = kernfs_readlink(kn, target, sizeof(target));
		st->st_mode = S_IFLNK | 0777;
		st->st_size = n > 0 ? n : 0;
		break;
	}
	}
}

int vfs_stat(struct uiommu_host *h, const struct vfs_loc *loc, struct stat *st)
{
	char path[PATH_MAX];
	/* A directory laid over a real one shows the real one. */
	if (passthrough_dir(loc)) {
		const char *p = loc->path;
		if (loc->kind == VFS_KERNFS)
			p = kernfs_path(loc->kn, path, sizeof(path)) > 0 ? path : NULL;
		if (p && !stat(p, st))
			return 0;
	}
	switch (loc->kind) {
	case VFS_KERNFS:
		kernfs_stat(loc->kn, view_time(h), st);
		return 0;
	case VFS_DEVNODE:
	case VFS_DEVDIR:
		devtmpfs_stat(loc->path, loc->kind == VFS_DEVDIR, view_time(h), st);
		return 0;
	case VFS_PROC:
		procfs_stat(st);
		return 0;
	default:
		return -EINVAL;
	}
}

int vfs_access(struct uiommu_host *h, const struct vfs_loc *loc, int mode)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	struct stat st;
	unsigned perm;
	if (loc->kind == VFS_KERNFS)
		perm = loc->kn->type == KERNFS_LINK ? 0777 : loc->kn->mode;
	else if (vfs_stat(h, loc, &st) == 0)
		perm = st.st_mode & 0777;
	else
		return -ENOENT;
	/* The program owns its host: the owner's bits decide. */
	if (((mode & R_OK) && !(perm & S_IRUSR)) || ((mode & W_OK) && !(perm & S_IWUSR)) ||
	    ((mode & X_OK) && !(perm & S_IXUSR)))
		return -EACCES;
	return 0;
}

int vfs_readlink(const struct vfs_loc *loc, char *buf, size_t size)
{
	if (loc->kind != VFS_KERNFS || loc->kn->type != KERNFS_LINK)
		return -EINVAL;
	char target[PATH_MAX];
	int n = kernfs_readlink(loc->kn, target, sizeof(target));
	if (n < 0)
		return n;
	/* readlink(2): truncated to the buffer, not terminated. */
	size_t copy = (size_t)n < size ? (size_t)n : size;
	memcpy(buf, target, copy);
	return (int)copy;
}

/* ---- listings ---- */

void vfs_dirents_free(struct vfs_dirent *d, int n)
{
	for (int i = 0; i < n; i++)
		free(d[i].name);
	free(d);
}

static int list_kernfs(struct kernfs_node *dir, struct vfs_dirent **out)
{
	struct kernfs_dirent *kd;
	int n = kernfs_list(dir, &kd);
	if (n < 0)
		return n;
	struct vfs_dirent *v = kcalloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		kernfs_dirents_free(kd, n);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		v[i].name = kd[i].name;
		kd[i].name = NULL;
		v[i].ino = kd[i].ino;
		v[i].type = kd[i].type == KERNFS_DIR ? DT_DIR :
			    kd[i].type == KERNFS_LINK ? DT_LNK : DT_REG;
	}
	kernfs_dirents_free(kd, n);
	*out = v;
	return n;
}

int vfs_list(struct uiommu_host *h, const struct vfs_loc *loc, struct vfs_dirent **out,
	     bool *passthrough)
{
	*passthrough = passthrough_dir(loc);
	if (loc->kind == VFS_KERNFS)
		return loc->kn->type == KERNFS_DIR ? list_kernfs(loc->kn, out) : -ENOTDIR;
	if (loc->kind == VFS_DEVDIR)
		return devtmpfs_list(h, loc->path, out);
	return -ENOTDIR;
}
