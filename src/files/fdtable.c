/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The descriptor table: which of this process's descriptors are uiommu
 * files, and which file each one is. Descriptors are process-wide, so the
 * table is too (the one piece of global state: the kernel's table it
 * shadows is global to the process as well).
 *
 * Two levels of FDT_CHUNK slots, so the table grows without moving and a
 * lookup takes no lock: fget() reads the slot, takes a reference if the
 * file is alive, and checks the slot still names it (see file.c for why
 * the file's memory may be read after a racing release). Writers - install,
 * close, dup - serialize on fdt_lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "files_host.h"
#include "../util/slab.h"

#define FDT_CHUNK_SHIFT 10
#define FDT_CHUNK (1u << FDT_CHUNK_SHIFT)
#define FDT_MAX (1u << 20)

static _Atomic(struct file *) *_Atomic fdt[FDT_MAX / FDT_CHUNK];
static pthread_mutex_t fdt_lock = PTHREAD_MUTEX_INITIALIZER;
static int fdt_high;                    /* highest descriptor ever installed + 1, under fdt_lock */

static _Atomic(struct file *) *slot(int fd, bool alloc)
{
	if (fd < 0 || (unsigned)fd >= FDT_MAX)
		return NULL;
	_Atomic(struct file *) *c = atomic_load_explicit(&fdt[fd >> FDT_CHUNK_SHIFT],
							memory_order_acquire);
	if (!c && alloc) {
		c = kcalloc(FDT_CHUNK, sizeof(*c));
		if (!c)
			return NULL;
		atomic_store_explicit(&fdt[fd >> FDT_CHUNK_SHIFT], c, memory_order_release);
	}
	return c ? &c[fd & (FDT_CHUNK - 1)] : NULL;
}

struct file *fget(int fd)
{
	_Atomic(struct file *) *s = slot(fd, false);
	if (!s)
		return NULL;
	for (;;) {
		struct file *f = atomic_load_explicit(s, memory_order_acquire);
		if (!f)
			return NULL;
		if (file_tryget(f)) {
			if (atomic_load_explicit(s, memory_order_acquire) == f)
				return f;
			fput(f);
		}
		/* Closed or replaced under us: look again. */
		if (atomic_load_explicit(s, memory_order_acquire) == f)
			return NULL;
	}
}

/* Make `fd` name `f`, taking over the caller's reference. A file the
 * slot still named (its descriptor was closed behind our back and the
 * number reused) loses that reference. */
int fd_install(int fd, struct file *f)
{
	pthread_mutex_lock(&fdt_lock);
	_Atomic(struct file *) *s = slot(fd, true);
	if (!s) {
		pthread_mutex_unlock(&fdt_lock);
		return fd < 0 || (unsigned)fd >= FDT_MAX ? -EMFILE : -ENOMEM;
	}
	struct file *old = atomic_exchange_explicit(s, f, memory_order_acq_rel);
	if (fd >= fdt_high)
		fdt_high = fd + 1;
	pthread_mutex_unlock(&fdt_lock);
	fput(old);
	return 0;
}

static struct file *fd_remove(int fd)
{
	pthread_mutex_lock(&fdt_lock);
	_Atomic(struct file *) *s = slot(fd, false);
	struct file *f = s ? atomic_exchange_explicit(s, NULL, memory_order_acq_rel) : NULL;
	pthread_mutex_unlock(&fdt_lock);
	return f;
}

void fdtable_close_host(struct uiommu_host *h)
{
	pthread_mutex_lock(&fdt_lock);
	int high = fdt_high;
	pthread_mutex_unlock(&fdt_lock);
	for (int fd = 0; fd < high; fd++) {
		struct file *f = fget(fd);
		if (!f)
			continue;
		bool ours = f->host == h;
		fput(f);
		if (ours)
			uiommu_close(fd);
	}
}

/* A file with its first descriptor installed; the file's reference
 * becomes the descriptor's. */
/* Make the kernel descriptor `fd` name f, taking over the caller's
 * reference: dropped, and the number closed, if that cannot be done. */
static int install_fd(struct file *f, int fd)
{
	int rc = fd_install(fd, f);
	if (rc) {
		close(fd);
		fput(f);
		return rc;
	}
	return fd;
}

static int install_new(struct file *f, int fd)
{
	files_host_link(f);
	return install_fd(f, fd);
}

int anon_file_getfd(struct uiommu_host *h, const char *name, const struct file_operations *fops,
		    void *priv, int flags)
{
	struct file *f;
	int fd = file_create(h, name, fops, priv, flags, &f);
	return fd < 0 ? fd : install_new(f, fd);
}

static const struct file_operations unopened_fops;

/* devnode.c: a node's file, opened. */
int file_open_node(struct uiommu_host *h, const char *name, const struct file_operations *fops,
		   void *node_data, int flags)
{
	struct file *f;
	int fd = file_create(h, name, fops, NULL, flags, &f);
	if (fd < 0)
		return fd;
	int rc = fops->open ? fops->open(f, node_data) : 0;
	if (rc) {
		/* Not opened: release must not run on what open never set up. */
		f->f_op = &unopened_fops;
		close(fd);
		fput(f);
		return rc;
	}
	return install_new(f, fd);
}

/* ---- the system calls ---- */

int uiommu_close(int fd)
{
	struct file *f = fd_remove(fd);
	if (!f)
		return -EBADF;
	close(fd);
	fput(f);
	return 0;
}

void fd_forget(int fd)
{
	fput(fd_remove(fd));
}

bool uiommu_is_file(int fd)
{
	struct file *f = fget(fd);
	fput(f);
	return f != NULL;
}

/* `fd` is a new kernel duplicate of one of f's descriptors: make it name
 * f too, taking over the caller's reference (dropped, and the number
 * closed, if that cannot be done). */
static int install_dup(struct file *f, int fd)
{
	if (fd < 0) {
		int err = -errno;
		fput(f);
		return err;
	}
	return install_fd(f, fd);
}

int uiommu_dup(int oldfd, int minfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	struct file *f = fget(oldfd);
	if (!f)
		return -EBADF;
	return install_dup(f, fcntl(oldfd, (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, minfd));
}

int uiommu_dup3(int oldfd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	struct file *f = fget(oldfd);
	if (!f)
		return -EBADF;
	if (oldfd == newfd) {
		/* dup2 returns it; dup3 refuses (as the kernel's). */
		fput(f);
		return flags ? -EINVAL : newfd;
	}
	return install_dup(f, dup3(oldfd, newfd, flags) < 0 ? -1 : newfd);
}

long file_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	return f->f_op->ioctl ? f->f_op->ioctl(f, cmd, arg) : -ENOTTY;
}

long uiommu_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	long rc = file_ioctl(f, (unsigned int)cmd, arg);
	fput(f);
	return rc;
}

ssize_t file_rw(struct file *f, void *buf, size_t count, int64_t *off, bool write)
{
	ssize_t rc;
	if (write ? f->f_mode == O_RDONLY : f->f_mode == O_WRONLY)
		rc = -EBADF;
	else if (write ? !f->f_op->write : !f->f_op->read)
		rc = -EINVAL;
	else if (count > SSIZE_MAX)
		rc = -EINVAL;
	/* A zero count goes to the file as any other (Linux's vfs_read
	 * passes it on: a vEVENTQ answers EINVAL). */
	else if (off) {
		rc = *off < 0 ? -EINVAL :
		     write ? f->f_op->write(f, buf, count, off) : f->f_op->read(f, buf, count, off);
	} else {
		pthread_mutex_lock(&f->lock);
		int64_t pos = f->f_pos;
		pthread_mutex_unlock(&f->lock);
		rc = write ? f->f_op->write(f, buf, count, &pos) : f->f_op->read(f, buf, count, &pos);
		if (rc > 0) {
			pthread_mutex_lock(&f->lock);
			f->f_pos = pos;
			pthread_mutex_unlock(&f->lock);
		}
	}
	return rc;
}

static ssize_t rw(int fd, void *buf, size_t count, int64_t *off, bool write)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	ssize_t rc = file_rw(f, buf, count, off, write);
	fput(f);
	return rc;
}

ssize_t uiommu_read(int fd, void *buf, size_t count)
{
	return rw(fd, buf, count, NULL, false);
}

ssize_t uiommu_write(int fd, const void *buf, size_t count)
{
	return rw(fd, (void *)buf, count, NULL, true);
}

ssize_t uiommu_pread(int fd, void *buf, size_t count, int64_t off)
{
	return rw(fd, buf, count, &off, false);
}

ssize_t uiommu_pwrite(int fd, const void *buf, size_t count, int64_t off)
{
	return rw(fd, (void *)buf, count, &off, true);
}
