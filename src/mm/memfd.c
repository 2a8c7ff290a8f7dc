/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory files the library maps itself (IOMMU_IOAS_MAP_FILE): Linux pins a
 * memfd's pages in the page cache, so they outlive any user mapping. The
 * equivalent here is the library's own shared mapping of the file: while
 * it exists the pages stay reachable whatever the client unmaps, and its
 * addresses are the pages' physical addresses (SPEC section 0).
 *
 * Each file gets a window of reserved address space with file offset 0 at
 * its base, so a page has one physical address however many times and in
 * whatever pieces it is mapped; ranges are mapped into the window as
 * MAP_FILE calls ask for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mm.h"
#include "../util/slab.h"

#define WINDOW_MIN (16ull << 30)

struct mm_file {
	dev_t dev;
	ino_t ino;
	uint8_t *base;      /* file offset 0 */
	uint64_t window;    /* bytes reserved at base */
	bool rw;            /* mapped writable */
	unsigned refs;      /* under files_lock */
	struct mm_file *next;
};

static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mm_file *files; /* under files_lock */

/* A descriptor for writable mappings of the file: fd itself, or the file
 * reopened read-write; -1 if the file cannot be written. */
static int rw_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_ACCMODE) == O_RDWR)
		return fd;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDWR | O_CLOEXEC);
}

static struct mm_file *lookup(const struct stat *st, uint64_t end)
{
	for (struct mm_file *f = files; f; f = f->next)
		if (f->dev == st->st_dev && f->ino == st->st_ino && end <= f->window)
			return f;
	return NULL;
}

static struct mm_file *window_new(const struct stat *st, uint64_t end, bool rw)
{
	struct mm_file *f = kcalloc(1, sizeof(*f));
	if (!f)
		return NULL;
	uint64_t w = WINDOW_MIN;
	while (w < end * 2 && w < (1ull << 46))
		w <<= 1;
	void *p = mmap(NULL, w, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED || w < end) {
		if (p != MAP_FAILED)
			munmap(p, w);
		free(f);
		return NULL;
	}
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->base = p;
	f->window = w;
	f->rw = rw;
	return f;
}

int mm_file_get(int fd, uint64_t start, uint64_t length, bool writable, struct mm_file **out,
		uint64_t *phys)
{
	struct stat st;
	if (fstat(fd, &st))
		return -EBADF;
	/* Only shmem and hugetlbfs files (what memfd_create makes) carry
	 * seals; Linux pins nothing else through MAP_FILE. */
	if (!S_ISREG(st.st_mode) || fcntl(fd, F_GET_SEALS) < 0)
		return -EINVAL;
	uint64_t end = start + length;
	if (!length || end < start || end > (uint64_t)st.st_size)
		return -EINVAL;
	int wfd = rw_fd(fd);
	if (writable && wfd < 0)
		return -EPERM;
	uint64_t off = start & ~(MM_PAGE_SIZE - 1);
	uint64_t map_end = (end + MM_PAGE_SIZE - 1) & ~(MM_PAGE_SIZE - 1);

	pthread_mutex_lock(&files_lock);
	int rc = 0;
	struct mm_file *f = lookup(&st, map_end);
	bool fresh = !f || (writable && !f->rw);
	if (fresh && !(f = window_new(&st, map_end, wfd >= 0))) {
		rc = -ENOMEM;
		goto out;
	}
	/* Re-mapping a range already mapped maps the same pages again. */
	void *p = mmap(f->base + off, map_end - off, PROT_READ | (f->rw ? PROT_WRITE : 0),
		       MAP_SHARED | MAP_FIXED, f->rw ? wfd : fd, (off_t)off);
	if (p == MAP_FAILED) {
		rc = errno == ENOMEM ? -ENOMEM : -EINVAL;
		if (fresh) {
			munmap(f->base, f->window);
			free(f);
		}
		goto out;
	}
	if (fresh) {
		f->next = files;
		files = f;
	}
	f->refs++;
	*out = f;
	*phys = (uint64_t)(uintptr_t)f->base;
out:
	pthread_mutex_unlock(&files_lock);
	if (wfd >= 0 && wfd != fd)
		close(wfd);
	return rc;
}

void mm_file_put(struct mm_file *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&files_lock);
	bool last = --f->refs == 0;
	if (last) {
		struct mm_file **pp = &files;
		while (*pp != f)
			pp = &(*pp)->next;
		*pp = f->next;
	}
	pthread_mutex_unlock(&files_lock);
	if (last) {
		munmap(f->base, f->window);
		free(f);
	}
}

int mm_user_to_phys(uint64_t uptr, uint64_t *phys)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	if (!maps)
		return -EFAULT;
	char line[512];
	int rc = -EFAULT;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long lo, hi, off, ino;
		unsigned maj, min;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &lo, &hi, perms, &off, &maj, &min,
			   &ino) != 7)
			continue;
		if (uptr < lo || uptr >= hi)
			continue;
		*phys = uptr;
		rc = 0;
		if (!ino)
			break;
		uint64_t foff = off + (uptr - lo);
		pthread_mutex_lock(&files_lock);
		for (struct mm_file *f = files; f; f = f->next) {
			if (f->dev == makedev(maj, min) && f->ino == ino && foff < f->window) {
				*phys = (uint64_t)(uintptr_t)f->base + foff;
				break;
			}
		}
		pthread_mutex_unlock(&files_lock);
		break;
	}
	fclose(maps);
	return rc;
}
