/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Open files: allocation, references, the backing eventfd, readiness.
 *
 * struct file memory is type-stable, as the kernel's files are
 * (SLAB_TYPESAFE_BY_RCU): a released file goes back to a pool, never to
 * malloc, so fget() may read the count of a file that a concurrent close
 * is releasing, see zero, and back off - no lock on the lookup path.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "file.h"
#include "files_host.h"
#include "../util/slab.h"

/* ---- the pool ---- */

#define POOL_CHUNK 64

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct file *pool_free;          /* under pool_lock */
static struct file_chunk {
	struct file_chunk *next;
	struct file files[POOL_CHUNK];
} *pool_chunks;                         /* under pool_lock; never freed */

static struct file *file_alloc(void)
{
	pthread_mutex_lock(&pool_lock);
	if (!pool_free) {
		struct file_chunk *c = kcalloc(1, sizeof(*c));
		if (!c) {
			pthread_mutex_unlock(&pool_lock);
			return NULL;
		}
		c->next = pool_chunks;
		pool_chunks = c;
		for (unsigned i = 0; i < POOL_CHUNK; i++) {
			c->files[i].free_next = pool_free;
			pool_free = &c->files[i];
		}
	}
	struct file *f = pool_free;
	pool_free = f->free_next;
	pthread_mutex_unlock(&pool_lock);
	/* f_count is zero already: a racing fget() keeps seeing a dead file
	 * until file_init publishes it in a slot. */
	return f;
}

static void file_free(struct file *f)
{
	pthread_mutex_lock(&pool_lock);
	f->free_next = pool_free;
	pool_free = f;
	pthread_mutex_unlock(&pool_lock);
}

/* ---- references ---- */

void get_file(struct file *f)
{
	atomic_fetch_add_explicit(&f->f_count, 1, memory_order_relaxed);
}

/* A reference unless the file is already dead. */
bool file_tryget(struct file *f)
{
	long c = atomic_load_explicit(&f->f_count, memory_order_relaxed);
	do {
		if (c <= 0)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&f->f_count, &c, c + 1,
							memory_order_acquire,
							memory_order_relaxed));
	return true;
}

void fput(struct file *f)
{
	if (!f || atomic_fetch_sub_explicit(&f->f_count, 1, memory_order_acq_rel) != 1)
		return;
	if (f->f_op->release)
		f->f_op->release(f);
	files_host_unlink(f);
	if (f->wake_fd >= 0)
		close(f->wake_fd);
	pthread_mutex_destroy(&f->lock);
	file_free(f);
}

/*
 * A file with one reference (the caller's) and its first descriptor. The
 * backing object is an eventfd: pollable, cheap, and closed by the kernel
 * with the process like any file. Queue-like files keep a private
 * duplicate to signal readiness through.
 */
int file_create(struct uiommu_host *h, const char *name, const struct file_operations *fops,
		void *priv, int flags, struct file **out)
{
	int efd_flags = ((flags & O_CLOEXEC) ? EFD_CLOEXEC : 0) |
			((flags & O_NONBLOCK) ? EFD_NONBLOCK : 0);
	int fd = eventfd(0, efd_flags), wake_fd = -1;
	if (fd < 0)
		return -errno;
	if (fops->fop_flags & FOP_READINESS) {
		wake_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (wake_fd < 0) {
			int err = -errno;
			close(fd);
			return err;
		}
	}
	struct file *f = file_alloc();
	if (!f) {
		close(fd);
		if (wake_fd >= 0)
			close(wake_fd);
		return -ENOMEM;
	}
	f->f_op = fops;
	f->private_data = priv;
	f->host = h;
	snprintf(f->name, sizeof(f->name), "%s", name ? name : "anon");
	f->f_mode = flags & O_ACCMODE;
	f->f_flags = flags & (O_ACCMODE | O_NONBLOCK);
	f->f_pos = 0;
	f->readable = false;
	f->wake_fd = wake_fd;
	pthread_mutex_init(&f->lock, NULL);
	list_init(&f->host_node);
	atomic_store_explicit(&f->f_count, 1, memory_order_release);
	*out = f;
	return fd;
}

/* ---- readiness ---- */

void file_set_readable(struct file *f, bool readable)
{
	if (f->wake_fd < 0)
		return;
	pthread_mutex_lock(&f->lock);
	if (readable != f->readable) {
		uint64_t v = 1;
		ssize_t n = readable ? write(f->wake_fd, &v, sizeof(v)) :
				       read(f->wake_fd, &v, sizeof(v));
		if (n == sizeof(v))
			f->readable = readable;
	}
	pthread_mutex_unlock(&f->lock);
}

bool file_nonblock(struct file *f)
{
	/* F_SETFL on any of the program's descriptors changes the open file
	 * description the private one shares. */
	int fl = f->wake_fd >= 0 ? fcntl(f->wake_fd, F_GETFL) : f->f_flags;
	return fl >= 0 && (fl & O_NONBLOCK);
}

int file_wait_readable(struct file *f)
{
	if (f->wake_fd < 0)
		return -EINVAL;
	struct pollfd p = { .fd = f->wake_fd, .events = POLLIN };
	if (poll(&p, 1, -1) < 0)
		return -errno;
	return 0;
}
