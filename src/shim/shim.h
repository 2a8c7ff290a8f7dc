/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exec shim (SPEC F-2): an LD_PRELOAD library that serves an
 * unmodified program's /dev/iommu, /dev/vfio nodes, device descriptors and
 * /sys entries from a host of its own, over the file layer and the sysfs
 * view (DESIGN.md: a transport, never a second implementation).
 *
 * Each interposed call decides "is it ours" and either hands the call to
 * uiommu or to the C library's own function (dlsym(RTLD_NEXT)):
 *  - descriptors: fget() on the file layer's table (lock-free);
 *  - paths: vfs_path_maybe_ours() without a host, then the view.
 * Inside uiommu (shim_depth > 0) every interposed call goes straight to
 * the C library: the library's own open/close/mmap of its backing files
 * must not come back here, and building the host must not recurse.
 */
#ifndef UIOMMU_SHIM_SHIM_H
#define UIOMMU_SHIM_SHIM_H

#include <dirent.h>
#include <sys/ioctl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "../util/compiler.h"

struct uiommu_host;
struct file;
struct vfs_loc;

/* How deep this thread is inside uiommu, and the program's errno when
 * it went in: a call that succeeds leaves errno as it was, as a system
 * call does, whatever uiommu did with it meanwhile. */
extern __thread int shim_depth __attribute__((tls_model("initial-exec")));
extern __thread int shim_errno __attribute__((tls_model("initial-exec")));

static inline void shim_enter(void)
{
	if (!shim_depth++)
		shim_errno = errno;
}

static inline void shim_leave(void)
{
	shim_depth--;
}

/* A uiommu result as the system call's: -1 and errno, or the value with
 * the errno the program had (a success follows a shim_enter()). */
static inline long shim_ret(long rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	errno = shim_errno;
	return rc;
}

/* ---- the C library's functions (real.c) ---- */
#define SHIM_REAL_CALLS(X)                                                                      \
	X(int, openat, (int, const char *, int, ...))                                           \
	X(int, close, (int))                                                                    \
	X(int, dup, (int))                                                                      \
	X(int, dup2, (int, int))                                                                \
	X(int, dup3, (int, int, int))                                                           \
	X(int, fcntl, (int, int, ...))                                                          \
	X(int, ioctl, (int, unsigned long, ...))                                                \
	X(ssize_t, read, (int, void *, size_t))                                                 \
	X(ssize_t, write, (int, const void *, size_t))                                          \
	X(ssize_t, pread, (int, void *, size_t, off_t))                                         \
	X(ssize_t, pwrite, (int, const void *, size_t, off_t))                                  \
	X(ssize_t, readv, (int, const struct iovec *, int))                                     \
	X(ssize_t, writev, (int, const struct iovec *, int))                                    \
	X(ssize_t, preadv, (int, const struct iovec *, int, off_t))                             \
	X(ssize_t, pwritev, (int, const struct iovec *, int, off_t))                            \
	X(off_t, lseek, (int, off_t, int))                                                      \
	X(void *, mmap, (void *, size_t, int, int, int, off_t))                                 \
	X(int, munmap, (void *, size_t))                                                        \
	X(int, close_range, (unsigned, unsigned, int))                                          \
	X(int, fstat, (int, struct stat *))                                                     \
	X(int, fstatat, (int, const char *, struct stat *, int))                                \
	X(int, statx, (int, const char *, int, unsigned, struct statx *))                       \
	X(int, faccessat, (int, const char *, int, int))                                        \
	X(ssize_t, readlinkat, (int, const char *, char *, size_t))                             \
	X(FILE *, fopen, (const char *, const char *))                                          \
	X(FILE *, fdopen, (int, const char *))                                                  \
	X(DIR *, opendir, (const char *))                                                       \
	X(DIR *, fdopendir, (int))                                                              \
	X(struct dirent *, readdir, (DIR *))                                                    \
	X(int, closedir, (DIR *))                                                               \
	X(int, dirfd, (DIR *))                                                                  \
	X(void, rewinddir, (DIR *))                                                             \
	X(long, telldir, (DIR *))                                                               \
	X(void, seekdir, (DIR *, long))

#define SHIM_DECLARE_REAL(ret, name, args) extern ret(*shim_real_##name) args;
SHIM_REAL_CALLS(SHIM_DECLARE_REAL)
#undef SHIM_DECLARE_REAL

/* Resolve them all; the constructor does, and each caller makes sure. */
void shim_resolve_real(void);
#define REAL(name) \
	(likely(shim_real_##name) ? shim_real_##name : (shim_resolve_real(), shim_real_##name))

/* ---- the host (host.c) ---- */
/* This process's host, built on first use from the environment that
 * `uiommu exec` sets (docs/exec.md); NULL if it cannot be built. */
struct uiommu_host *shim_host(void);

/* testnode.c: /dev/uiommu-test when UIOMMU_SHIM_TESTNODE=1 (tests only). */
void shim_testnode_register(struct uiommu_host *h);

/* ---- helpers shared by the interposers ---- */
/* A descriptor the C library just handed out: if the file layer still
 * names that number (closed where the shim did not see it), forget it. */
void shim_fd_fresh(int fd);

/* What a path call is about: 1 (then *loc is filled, the caller holds
 * shim_enter() and must vfs_loc_put and shim_leave), 0 (the C library's:
 * call it with *real_path / *real_dirfd), or -errno. */
int shim_path(int dirfd, const char *path, unsigned vfs_flags, struct vfs_loc *loc,
	      struct uiommu_host **h, const char **real_path, int *real_dirfd);

/* The C library's checked (_FORTIFY_SOURCE) and 64-bit names, which
 * its headers declare only in some configurations. */
extern void __chk_fail(void) __attribute__((noreturn));
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t count, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t off, size_t buflen);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen);
int fcntl64(int fd, int cmd, ...);
int eaccess(const char *path, int mode);

/* path.c, for stdio.c and dir.c */
int shim_openat(int dirfd, const char *path, int flags, mode_t mode);
off_t shim_lseek(int fd, off_t off, int whence);

#endif
