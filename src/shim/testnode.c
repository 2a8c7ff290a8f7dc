/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /dev/uiommu-test: a device node for testing the shim itself, made only
 * when UIOMMU_SHIM_TESTNODE=1 (never by `uiommu exec`). It has what the
 * host's real nodes may lack today - mmap, readiness, a file position -
 * so tests can check that those reach the file layer through the shim:
 *
 *   ioctl TESTNODE_ECHO (arg)  returns arg + 1, leaving errno changed as
 *                              uiommu's internal calls may (the program
 *                              must still see its own)
 *   ioctl TESTNODE_READY (0|1) clears or sets readability (poll sees it)
 *   read/write/pread/pwrite    a 4 KiB buffer, shared by every open
 *   mmap (offset 0, one page)  the same buffer: stores show in reads
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim.h"
#include "../base/uaccess.h"
#include "../files/file.h"
#include "../util/slab.h"

#define TESTNODE_SIZE 4096
#define TESTNODE_ECHO _IO('u', 0x70)
#define TESTNODE_READY _IO('u', 0x71)

struct testnode {
	int memfd;                  /* the buffer; mappings map it */
	char *buf;                  /* the shim's own mapping of it */
};

static long tn_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case TESTNODE_ECHO:
		errno = EIO;
		return (long)arg + 1;
	case TESTNODE_READY:
		file_set_readable(f, arg != 0);
		return 0;
	default:
		return -ENOTTY;
	}
}

static ssize_t tn_rw(struct file *f, void *buf, size_t count, int64_t *pos, bool write)
{
	struct testnode *t = f->private_data;
	if (*pos >= TESTNODE_SIZE)
		return write ? -ENOSPC : 0;
	size_t n = TESTNODE_SIZE - (size_t)*pos < count ? TESTNODE_SIZE - (size_t)*pos : count;
	int rc = write ? copy_from_user(t->buf + *pos, (uintptr_t)buf, n) :
			 copy_to_user((uintptr_t)buf, t->buf + *pos, n);
	if (rc)
		return rc;
	*pos += (int64_t)n;
	return (ssize_t)n;
}

static ssize_t tn_read(struct file *f, void *buf, size_t count, int64_t *pos)
{
	return tn_rw(f, buf, count, pos, false);
}

static ssize_t tn_write(struct file *f, const void *buf, size_t count, int64_t *pos)
{
	return tn_rw(f, (void *)buf, count, pos, true);
}

static int tn_mmap(struct file *f, struct vm_area *vma)
{
	struct testnode *t = f->private_data;
	if (vma->pgoff || vma->length > TESTNODE_SIZE)
		return -EINVAL;
	void *p = mmap(vma->addr, vma->length, vma->prot, vma->flags, t->memfd, 0);
	if (p == MAP_FAILED)
		return -errno;
	vma->addr = p;
	return 0;
}

static int tn_open(struct file *f, void *node_data)
{
	f->private_data = node_data;
	return 0;
}

static const struct file_operations testnode_fops = {
	.fop_flags = FOP_READINESS,
	.open = tn_open,
	.ioctl = tn_ioctl,
	.read = tn_read,
	.write = tn_write,
	.mmap = tn_mmap,
};

/* Inside uiommu (shim_depth), with the host just built. Lives as long
 * as the process. */
void shim_testnode_register(struct uiommu_host *h)
{
	const char *v = getenv("UIOMMU_SHIM_TESTNODE");
	if (!v || strcmp(v, "1"))
		return;
	struct testnode *t = kcalloc(1, sizeof(*t));
	if (!t)
		return;
	t->memfd = memfd_create("uiommu-test", MFD_CLOEXEC);
	void *buf = MAP_FAILED;
	if (t->memfd >= 0 && !ftruncate(t->memfd, TESTNODE_SIZE))
		buf = mmap(NULL, TESTNODE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, t->memfd, 0);
	t->buf = buf;
	if (buf != MAP_FAILED && !devnode_register(h, "/dev/uiommu-test", &testnode_fops, t))
		return;
	if (buf != MAP_FAILED)
		munmap(buf, TESTNODE_SIZE);
	if (t->memfd >= 0)
		close(t->memfd);
	free(t);
}
