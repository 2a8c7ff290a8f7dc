/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one file of /proc the view serves: a thread's `fail-nth` (SPEC R-2,
 * Linux's Documentation/fault-injection), at /proc/self/task/<tid>/,
 * /proc/<pid>/task/<tid>/ and /proc/thread-self/. Writing N (decimal,
 * octal or hex, as kstrtouint) makes the thread's Nth allocation from then
 * on fail; reading gives what is left of the count ("0\n" once a failure
 * was injected). The counter is util/fault_inject.h's.
 *
 * uiommu can reach only the calling thread's counter: the file of another
 * thread's tid is left to the real /proc, and a file opened by one thread
 * answers EPERM to the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "procfs.h"
#include "../base/uaccess.h"
#include "../files/file.h"
#include "../util/compiler.h"
#include "../util/fault_inject.h"
#include "../util/slab.h"

/* A decimal number ending at '/' or the end; -1 otherwise. */
static long parse_id(const char **p)
{
	char *end;
	if (**p < '0' || **p > '9')
		return -1;
	long v = strtol(*p, &end, 10);
	if (*end && *end != '/')
		return -1;
	*p = end;
	return v;
}

bool procfs_owns(const char *norm)
{
	const char *p;
	if (!strcmp(norm, "/proc/thread-self/fail-nth"))
		return true;
	if (!strncmp(norm, "/proc/self/", 11)) {
		p = norm + 11;
	} else if (!strncmp(norm, "/proc/", 6)) {
		p = norm + 6;
		if (parse_id(&p) != getpid() || *p++ != '/')
			return false;
	} else {
		return false;
	}
	if (strncmp(p, "task/", 5))
		return false;
	p += 5;
	return parse_id(&p) == gettid() && !strcmp(p, "/fail-nth");
}

struct fail_nth_file {
	pid_t tid;
};

static int same_thread(struct file *f)
{
	struct fail_nth_file *ff = f->private_data;
	return ff->tid == gettid() ? 0 : -EPERM;
}

static ssize_t fail_nth_read_op(struct file *f, void *buf, size_t count, int64_t *pos)
{
	int rc = same_thread(f);
	if (rc)
		return rc;
	char num[16];
	int len = snprintf(num, sizeof(num), "%u\n", fail_nth_read());
	if (*pos < 0)
		return -EINVAL;
	if (*pos >= len)
		return 0;
	size_t n = MIN(count, (size_t)(len - *pos));
	if ((rc = copy_to_user((uint64_t)(uintptr_t)buf, num + *pos, n)))
		return rc;
	*pos += (int64_t)n;
	return (ssize_t)n;
}

/* kstrtouint(.., 0, ..): a base prefix, an optional newline, nothing
 * else; ERANGE past 32 bits. */
static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	if (*s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end == '\n')
		end++;
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > UINT32_MAX)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

static ssize_t fail_nth_write_op(struct file *f, const void *buf, size_t count, int64_t *pos)
{
	int rc = same_thread(f);
	if (rc)
		return rc;
	char kbuf[32];
	if (count >= sizeof(kbuf))
		return -EINVAL;
	if ((rc = copy_from_user(kbuf, (uint64_t)(uintptr_t)buf, count)))
		return rc;
	kbuf[count] = 0;
	unsigned n;
	if ((rc = parse_uint(kbuf, &n)))
		return rc;
	/* Written last: nothing above allocates, and the write is the
	 * thread's own from here on. */
	fail_nth_write(n);
	*pos += (int64_t)count;
	return (ssize_t)count;
}

static void fail_nth_release(struct file *f)
{
	free(f->private_data);
}

static const struct file_operations fail_nth_fops = {
	.read = fail_nth_read_op,
	.write = fail_nth_write_op,
	.release = fail_nth_release,
};

bool procfs_is_file(struct file *f)
{
	return f && f->f_op == &fail_nth_fops;
}

int procfs_open(struct uiommu_host *h, int flags)
{
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	struct fail_nth_file *ff = kzalloc(sizeof(*ff));
	if (!ff)
		return -ENOMEM;
	ff->tid = gettid();
	int fd = anon_file_getfd(h, "fail-nth", &fail_nth_fops, ff,
				 flags & (O_ACCMODE | O_CLOEXEC | O_NONBLOCK));
	if (fd < 0)
		free(ff);
	return fd;
}

void procfs_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(0, 23);
	st->st_ino = 0x7000 + (ino_t)gettid();
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_uid = geteuid();
	st->st_gid = getegid();
	st->st_blksize = 4096;
}
