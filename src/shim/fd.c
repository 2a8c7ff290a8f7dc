/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Calls on descriptors: a uiommu file's go to the file layer, every
 * other one to the C library. Results and errno are the kernel's.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uiommu/files.h>

#include "shim.h"
#include "../files/file.h"
#include "../sysfs/vfs.h"

/* The file behind fd if it is uiommu's and we are not inside uiommu. */
static inline struct file *ours(int fd)
{
	return likely(!shim_depth) ? fget(fd) : NULL;
}

static long done(struct file *f, long rc)
{
	fput(f);
	shim_leave();
	return shim_ret(rc);
}

int close(int fd)
{
	if (!shim_depth) {
		shim_enter();
		int rc = uiommu_close(fd);
		shim_leave();
		if (rc != -EBADF)
			return (int)shim_ret(rc);
	}
	return REAL(close)(fd);
}

int close_range(unsigned first, unsigned last, int flags)
{
	if (!shim_real_close_range)
		shim_resolve_real();
	if (!shim_real_close_range) {
		errno = ENOSYS;
		return -1;
	}
	int rc = shim_real_close_range(first, last, flags);
	/* CLOSE_RANGE_CLOEXEC only marks them; otherwise they are gone. */
	if (rc == 0 && !(flags & 4 /* CLOSE_RANGE_CLOEXEC */) && !shim_depth) {
		struct rlimit rl;
		unsigned top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < UINT_MAX ?
				       (unsigned)rl.rlim_cur : 1u << 20;
		for (unsigned fd = first; fd <= last && fd < top; fd++)
			shim_fd_fresh((int)fd);
	}
	return rc;
}

int dup(int fd)
{
	struct file *f = ours(fd);
	if (f) {
		shim_enter();
		return (int)done(f, uiommu_dup(fd, 0, 0));
	}
	int nfd = REAL(dup)(fd);
	shim_fd_fresh(nfd);
	return nfd;
}

static int dup_to(int oldfd, int newfd, int flags, bool three)
{
	struct file *f = ours(oldfd);
	if (f) {
		shim_enter();
		/* dup2 onto itself is a no-op; dup3 refuses it, as the kernel's. */
		if (oldfd == newfd)
			return (int)done(f, three ? -EINVAL : newfd);
		return (int)done(f, uiommu_dup3(oldfd, newfd, flags));
	}
	int rc = three ? REAL(dup3)(oldfd, newfd, flags) : REAL(dup2)(oldfd, newfd);
	/* Whatever newfd was is closed now, a uiommu file too. */
	if (rc >= 0 && oldfd != newfd)
		shim_fd_fresh(rc);
	return rc;
}

int dup2(int oldfd, int newfd)
{
	return dup_to(oldfd, newfd, 0, false);
}

int dup3(int oldfd, int newfd, int flags)
{
	return dup_to(oldfd, newfd, flags, true);
}

static int do_fcntl(int fd, int cmd, uintptr_t arg)
{
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		struct file *f = ours(fd);
		if (f) {
			shim_enter();
			if (arg > INT_MAX)
				return (int)done(f, -EINVAL);
			return (int)done(f, uiommu_dup(fd, (int)arg,
						       cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0));
		}
		int nfd = REAL(fcntl)(fd, cmd, arg);
		shim_fd_fresh(nfd);
		return nfd;
	}
	/* Flags, locks, owners: the backing descriptor's own, as it carries
	 * the program's O_NONBLOCK and FD_CLOEXEC. */
	return REAL(fcntl)(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	uintptr_t arg = va_arg(ap, uintptr_t);
	va_end(ap);
	return do_fcntl(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	uintptr_t arg = va_arg(ap, uintptr_t);
	va_end(ap);
	return do_fcntl(fd, cmd, arg);
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	unsigned long arg = va_arg(ap, unsigned long);
	va_end(ap);
	struct file *f = ours(fd);
	if (f) {
		shim_enter();
		/* The kernel's ioctl() takes the command as 32 bits. */
		return (int)done(f, file_ioctl(f, (unsigned int)request, arg));
	}
	return REAL(ioctl)(fd, request, arg);
}

/* ---- read and write ---- */

static ssize_t rw(int fd, void *buf, size_t count, int64_t *off, bool write)
{
	struct file *f = ours(fd);
	if (!f)
		return -ENOTUNIQ; /* not a uiommu file: the caller's C library call */
	shim_enter();
	return done(f, file_rw(f, buf, count, off, write));
}

ssize_t read(int fd, void *buf, size_t count)
{
	ssize_t rc = rw(fd, buf, count, NULL, false);
	return rc != -ENOTUNIQ ? rc : REAL(read)(fd, buf, count);
}

ssize_t write(int fd, const void *buf, size_t count)
{
	ssize_t rc = rw(fd, (void *)buf, count, NULL, true);
	return rc != -ENOTUNIQ ? rc : REAL(write)(fd, buf, count);
}

ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	int64_t o = off;
	ssize_t rc = rw(fd, buf, count, &o, false);
	return rc != -ENOTUNIQ ? rc : REAL(pread)(fd, buf, count, off);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	int64_t o = off;
	ssize_t rc = rw(fd, (void *)buf, count, &o, true);
	return rc != -ENOTUNIQ ? rc : REAL(pwrite)(fd, buf, count, off);
}

ssize_t pread64(int fd, void *buf, size_t count, off64_t off) __attribute__((alias("pread")));
ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t off)
	__attribute__((alias("pwrite")));

/* _FORTIFY_SOURCE's checked forms. */

ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return read(fd, buf, count);
}

ssize_t __pread_chk(int fd, void *buf, size_t count, off_t off, size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return pread(fd, buf, count, off);
}

ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t off, size_t buflen)
	__attribute__((alias("__pread_chk")));

/* Vectors, for files that read and write: one transfer per element,
 * stopping at the first short one, as the kernel's loop over ->read. */
static ssize_t rw_vec(struct file *f, const struct iovec *iov, int cnt, int64_t *off, bool write)
{
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	ssize_t total = 0;
	for (int i = 0; i < cnt; i++) {
		if (!iov[i].iov_len)
			continue;
		ssize_t n = file_rw(f, iov[i].iov_base, iov[i].iov_len, off, write);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	return total;
}

#define VEC_CALL(name, args, call_args, offp, write)                           \
	ssize_t name args                                                       \
	{                                                                       \
		struct file *f = ours(fd);                                      \
		if (!f)                                                         \
			return REAL(name) call_args;                            \
		shim_enter();                                                   \
		return done(f, rw_vec(f, iov, cnt, offp, write));               \
	}

VEC_CALL(readv, (int fd, const struct iovec *iov, int cnt), (fd, iov, cnt), NULL, false)
VEC_CALL(writev, (int fd, const struct iovec *iov, int cnt), (fd, iov, cnt), NULL, true)
VEC_CALL(preadv, (int fd, const struct iovec *iov, int cnt, off_t off), (fd, iov, cnt, off),
	 &(int64_t){ off }, false)
VEC_CALL(pwritev, (int fd, const struct iovec *iov, int cnt, off_t off), (fd, iov, cnt, off),
	 &(int64_t){ off }, true)

ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off64_t off)
	__attribute__((alias("preadv")));
ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
	__attribute__((alias("pwritev")));

/* lseek on a uiommu file moves its position, as a seekable device's. */
off_t shim_lseek(int fd, off_t off, int whence)
{
	struct file *f = ours(fd);
	if (!f)
		return REAL(lseek)(fd, off, whence);
	shim_enter();
	pthread_mutex_lock(&f->lock);
	int64_t pos = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->f_pos : -1;
	long rc;
	if (pos < 0 || (off > 0 && pos > INT64_MAX - off) || pos + off < 0) {
		rc = -EINVAL;
	} else {
		f->f_pos = pos + off;
		rc = (long)f->f_pos;
	}
	pthread_mutex_unlock(&f->lock);
	return (off_t)done(f, rc);
}

off_t lseek(int fd, off_t off, int whence)
{
	return shim_lseek(fd, off, whence);
}

off64_t lseek64(int fd, off64_t off, int whence) __attribute__((alias("lseek")));

/* ---- mappings ---- */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct file *f = (flags & MAP_ANONYMOUS) || fd < 0 ? NULL : ours(fd);
	if (!f)
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	shim_enter();
	fput(f);
	void *out = NULL;
	int rc = uiommu_mmap(fd, addr, len, prot, flags, off, &out);
	shim_leave();
	return shim_ret(rc) ? MAP_FAILED : out;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
	__attribute__((alias("mmap")));

int munmap(void *addr, size_t len)
{
	if (shim_depth)
		return REAL(munmap)(addr, len);
	shim_enter();
	int rc = uiommu_munmap(addr, len);
	shim_leave();
	if (rc == -ENOENT)
		return REAL(munmap)(addr, len);
	return (int)shim_ret(rc);
}

/* ---- fstat ---- */

int fstat(int fd, struct stat *st)
{
	struct file *f = ours(fd);
	if (f) {
		shim_enter();
		int rc = vfs_fstat(f, st);
		fput(f);
		shim_leave();
		/* An anonymous file (a VFIO device fd) is what its backing
		 * descriptor is: an anonymous inode, as the kernel's. */
		if (rc != -ENOENT)
			return (int)shim_ret(rc);
	}
	return REAL(fstat)(fd, st);
}

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "one stat layout (LP64)");

int fstat64(int fd, struct stat64 *st)
{
	return fstat(fd, (struct stat *)st);
}
