/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Calls on paths: open, stat, access, readlink and their *at forms. A
 * path of the host's view (vfs.h) is answered by uiommu; any other, or
 * any call from inside uiommu, by the C library.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <uiommu/files.h>

#include "shim.h"
#include "../files/file.h"
#include "../sysfs/devtmpfs.h"
#include "../sysfs/vfs.h"

int shim_path(int dirfd, const char *path, unsigned vfs_flags, struct vfs_loc *loc,
	      struct uiommu_host **hp, const char **real_path, int *real_dirfd)
{
	*real_path = path;
	*real_dirfd = dirfd;
	if (shim_depth || !path)
		return 0;
	struct file *base = NULL;
	if (path[0] != '/') {
		if (dirfd == AT_FDCWD || !(base = fget(dirfd)))
			return 0;
	} else if (!vfs_path_maybe_ours(path)) {
		return 0;
	}
	struct uiommu_host *h = base ? base->host : shim_host();
	shim_enter();
	int rc;
	if (!h) {
		/* No host: the device nodes it would own are not there. */
		fput(base);
		shim_leave();
		return devtmpfs_owns(path) ? -ENODEV : 0;
	}
	rc = vfs_resolve(h, base, path, vfs_flags, loc);
	fput(base);
	if (rc < 0 || loc->kind == VFS_REAL) {
		shim_leave();
		if (rc < 0)
			return rc;
		*real_path = loc->path;
		if (base)
			*real_dirfd = AT_FDCWD;
		return 0;
	}
	*hp = h;
	return 1;
}

/* ---- open ---- */

int shim_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	struct vfs_loc loc;
	struct uiommu_host *h;
	const char *rp;
	int rd;
	int rc = shim_path(dirfd, path, (flags & O_NOFOLLOW) ? VFS_NOFOLLOW : 0, &loc, &h, &rp, &rd);
	if (rc < 0)
		return (int)shim_ret(rc);
	if (rc == 0) {
		int fd = REAL(openat)(rd, rp, flags, mode);
		shim_fd_fresh(fd);
		return fd;
	}
	rc = vfs_open(h, &loc, flags);
	vfs_loc_put(&loc);
	shim_leave();
	return (int)shim_ret(rc);
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	return shim_openat(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	return shim_openat(dirfd, path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));
int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

/* _FORTIFY_SOURCE's forms: O_CREAT without a mode is the caller's bug. */

int __open_2(const char *path, int flags)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		__chk_fail();
	return shim_openat(AT_FDCWD, path, flags, 0);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		__chk_fail();
	return shim_openat(dirfd, path, flags, 0);
}

int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));
int __openat64_2(int dirfd, const char *path, int flags) __attribute__((alias("__openat_2")));

int creat(const char *path, mode_t mode)
{
	return shim_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode) __attribute__((alias("creat")));

/* ---- stat ---- */

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	if (path && !*path && (flags & AT_EMPTY_PATH))
		return dirfd == AT_FDCWD ? REAL(fstatat)(dirfd, path, st, flags) : fstat(dirfd, st);
	struct vfs_loc loc;
	struct uiommu_host *h;
	const char *rp;
	int rd;
	int rc = shim_path(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? VFS_NOFOLLOW : 0, &loc, &h,
			   &rp, &rd);
	if (rc < 0)
		return (int)shim_ret(rc);
	if (rc == 0)
		return REAL(fstatat)(rd, rp, st, flags);
	rc = vfs_stat(h, &loc, st);
	vfs_loc_put(&loc);
	shim_leave();
	return (int)shim_ret(rc);
}

int stat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, 0);
}

int lstat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	return fstatat(dirfd, path, (struct stat *)st, flags);
}

int stat64(const char *path, struct stat64 *st)
{
	return fstatat(AT_FDCWD, path, (struct stat *)st, 0);
}

int lstat64(const char *path, struct stat64 *st)
{
	return fstatat(AT_FDCWD, path, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

static void to_statx(const struct stat *st, unsigned mask, struct statx *sx)
{
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS & (mask | STATX_BASIC_STATS);
	sx->stx_blksize = (uint32_t)st->st_blksize;
	sx->stx_nlink = (uint32_t)st->st_nlink;
	sx->stx_uid = st->st_uid;
	sx->stx_gid = st->st_gid;
	sx->stx_mode = (uint16_t)st->st_mode;
	sx->stx_ino = st->st_ino;
	sx->stx_size = (uint64_t)st->st_size;
	sx->stx_blocks = (uint64_t)st->st_blocks;
	sx->stx_atime.tv_sec = st->st_atim.tv_sec;
	sx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	sx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	sx->stx_rdev_major = major(st->st_rdev);
	sx->stx_rdev_minor = minor(st->st_rdev);
	sx->stx_dev_major = major(st->st_dev);
	sx->stx_dev_minor = minor(st->st_dev);
}

int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *sx)
{
	struct stat st;
	int rc;
	if (path && !*path && (flags & AT_EMPTY_PATH)) {
		struct file *f = shim_depth || dirfd == AT_FDCWD ? NULL : fget(dirfd);
		if (!f)
			return REAL(statx)(dirfd, path, flags, mask, sx);
		shim_enter();
		rc = vfs_fstat(f, &st);
		fput(f);
		shim_leave();
		if (rc == -ENOENT)
			return REAL(statx)(dirfd, path, flags, mask, sx);
	} else {
		struct vfs_loc loc;
		struct uiommu_host *h;
		const char *rp;
		int rd;
		rc = shim_path(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? VFS_NOFOLLOW : 0, &loc,
			       &h, &rp, &rd);
		if (rc == 0)
			return REAL(statx)(rd, rp, flags, mask, sx);
		if (rc > 0) {
			rc = vfs_stat(h, &loc, &st);
			vfs_loc_put(&loc);
			shim_leave();
		}
	}
	if (rc == 0)
		to_statx(&st, mask, sx);
	return (int)shim_ret(rc);
}

/* ---- access ---- */

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	struct vfs_loc loc;
	struct uiommu_host *h;
	const char *rp;
	int rd;
	int rc = shim_path(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? VFS_NOFOLLOW : 0, &loc, &h,
			   &rp, &rd);
	if (rc < 0)
		return (int)shim_ret(rc);
	if (rc == 0)
		return REAL(faccessat)(rd, rp, mode, flags);
	rc = vfs_access(h, &loc, mode);
	vfs_loc_put(&loc);
	shim_leave();
	return (int)shim_ret(rc);
}

int access(const char *path, int mode)
{
	return faccessat(AT_FDCWD, path, mode, 0);
}

int euidaccess(const char *path, int mode)
{
	return faccessat(AT_FDCWD, path, mode, AT_EACCESS);
}

int eaccess(const char *path, int mode) __attribute__((alias("euidaccess")));

/* ---- readlink ---- */

ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	struct vfs_loc loc;
	struct uiommu_host *h;
	const char *rp;
	int rd;
	int rc = shim_path(dirfd, path, VFS_NOFOLLOW, &loc, &h, &rp, &rd);
	if (rc < 0)
		return shim_ret(rc);
	if (rc == 0)
		return REAL(readlinkat)(rd, rp, buf, size);
	rc = size ? vfs_readlink(&loc, buf, size) : -EINVAL;
	vfs_loc_put(&loc);
	shim_leave();
	return shim_ret(rc);
}

ssize_t readlink(const char *path, char *buf, size_t size)
{
	return readlinkat(AT_FDCWD, path, buf, size);
}

ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		__chk_fail();
	return readlinkat(AT_FDCWD, path, buf, size);
}

ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		__chk_fail();
	return readlinkat(dirfd, path, buf, size);
}

/* ---- extended attributes ---- */
/* The view's nodes carry none (sysfs without security labels): lookups
 * say so, listings are empty. Tools such as ls(1) ask for ACLs. */

static ssize_t xattr_of(int dirfd, const char *path, bool follow, bool list, bool *mine)
{
	struct vfs_loc loc;
	struct uiommu_host *h;
	const char *rp;
	int rd;
	int rc = shim_path(dirfd, path, follow ? 0 : VFS_NOFOLLOW, &loc, &h, &rp, &rd);
	*mine = rc != 0;
	if (rc <= 0)
		return rc;
	vfs_loc_put(&loc);
	shim_leave();
	return list ? 0 : -ENODATA;
}

#define XATTR_CALLS(X)                                                                  \
	X(ssize_t, getxattr, (const char *p, const char *n, void *v, size_t s), p, true,  \
	  false, (p, n, v, s))                                                           \
	X(ssize_t, lgetxattr, (const char *p, const char *n, void *v, size_t s), p, false, \
	  false, (p, n, v, s))                                                           \
	X(ssize_t, listxattr, (const char *p, char *l, size_t s), p, true, true, (p, l, s)) \
	X(ssize_t, llistxattr, (const char *p, char *l, size_t s), p, false, true, (p, l, s))

#define XATTR_DEFINE(ret, name, args, path, follow, list, call)                          \
	ret name args                                                                     \
	{                                                                                 \
		static ret(*real) args;                                                   \
		bool mine;                                                                \
		ssize_t rc = xattr_of(AT_FDCWD, path, follow, list, &mine);               \
		if (mine)                                                                 \
			return shim_ret(rc);                                              \
		if (!real)                                                                \
			real = (ret(*) args)dlsym(RTLD_NEXT, #name);                      \
		if (!real) {                                                              \
			errno = ENOTSUP;                                                  \
			return -1;                                                        \
		}                                                                         \
		return real call;                                                         \
	}
XATTR_CALLS(XATTR_DEFINE)
