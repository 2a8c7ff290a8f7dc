/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fopen/fdopen of uiommu files. The C library's fopen opens and reads
 * with its own internal calls, which no interposer sees, so a stream on
 * a uiommu file is a cookie stream whose reads, writes, seeks and close
 * are the shim's own calls.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "../files/file.h"
#include "../sysfs/vfs.h"

static ssize_t ck_read(void *c, char *buf, size_t size)
{
	return read((int)(intptr_t)c, buf, size);
}

static ssize_t ck_write(void *c, const char *buf, size_t size)
{
	return write((int)(intptr_t)c, buf, size);
}

static int ck_seek(void *c, off64_t *pos, int whence)
{
	off_t r = shim_lseek((int)(intptr_t)c, *pos, whence);
	if (r < 0)
		return -1;
	*pos = r;
	return 0;
}

static int ck_close(void *c)
{
	return close((int)(intptr_t)c);
}

static FILE *stream_of(int fd, const char *mode)
{
	cookie_io_functions_t io = { ck_read, ck_write, ck_seek, ck_close };
	return fopencookie((void *)(intptr_t)fd, mode, io);
}

/* fopen's mode string as open flags (glibc's letters); -EINVAL if bad. */
static int mode_flags(const char *mode)
{
	int flags;
	switch (mode[0]) {
	case 'r': flags = O_RDONLY; break;
	case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
	case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
	default: return -EINVAL;
	}
	for (const char *p = mode + 1; *p; p++) {
		if (*p == '+')
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		else if (*p == 'e')
			flags |= O_CLOEXEC;
		else if (*p == 'x')
			flags |= O_EXCL;
	}
	return flags;
}

FILE *fopen(const char *path, const char *mode)
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
		FILE *f = REAL(fopen)(rp, mode);
		if (f)
			shim_fd_fresh(fileno(f));
		return f;
	}
	int flags = mode ? mode_flags(mode) : -EINVAL;
	int fd = flags < 0 ? flags : vfs_open(h, &loc, flags);
	vfs_loc_put(&loc);
	shim_leave();
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	FILE *f = stream_of(fd, mode);
	if (!f) {
		int err = errno;
		close(fd);
		errno = err;
	}
	return f;
}

FILE *fopen64(const char *path, const char *mode) __attribute__((alias("fopen")));

FILE *fdopen(int fd, const char *mode)
{
	struct file *f = shim_depth ? NULL : fget(fd);
	if (!f)
		return REAL(fdopen)(fd, mode);
	shim_enter();
	fput(f);
	shim_leave();
	if (!mode || mode_flags(mode) < 0) {
		errno = EINVAL;
		return NULL;
	}
	return stream_of(fd, mode);
}
