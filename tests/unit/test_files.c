/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The file layer (SPEC U-16): device nodes open as real descriptors;
 * ioctl/read/write/pread/pwrite/mmap reach the file's operations; dup
 * shares the open file; release runs with the last reference and never
 * under a call in progress; readiness is the descriptor's own; a host's
 * teardown closes what a program left open.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "files/file.h"

struct node_state {
	atomic_int opens, releases, ioctls, vma_closes;
	atomic_int in_ioctl;       /* a call in progress */
	atomic_bool release_during_call;
	char data[64];
	int memfd;
};

static void t_release(struct file *f)
{
	struct node_state *s = f->private_data;
	if (atomic_load(&s->in_ioctl))
		atomic_store(&s->release_during_call, true);
	atomic_fetch_add(&s->releases, 1);
}

static int t_open(struct file *f, void *node_data)
{
	struct node_state *s = node_data;
	if (!strcmp(s->data, "refuse"))
		return -EPERM;
	f->private_data = s;
	atomic_fetch_add(&s->opens, 1);
	return 0;
}

#define T_IOCTL_ECHO 0x1234
#define T_IOCTL_SLOW 0x1235

static long t_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct node_state *s = f->private_data;
	atomic_fetch_add(&s->ioctls, 1);
	if (cmd == T_IOCTL_ECHO)
		return (long)arg + 1;
	if (cmd == T_IOCTL_SLOW) {
		atomic_fetch_add(&s->in_ioctl, 1);
		usleep(20000);
		atomic_fetch_sub(&s->in_ioctl, 1);
		return 0;
	}
	return -ENOTTY;
}

static ssize_t t_read(struct file *f, void *buf, size_t count, int64_t *pos)
{
	struct node_state *s = f->private_data;
	if (*pos >= (int64_t)sizeof(s->data))
		return 0;
	size_t n = MIN(count, sizeof(s->data) - (size_t)*pos);
	memcpy(buf, s->data + *pos, n);
	*pos += (int64_t)n;
	return (ssize_t)n;
}

static ssize_t t_write(struct file *f, const void *buf, size_t count, int64_t *pos)
{
	struct node_state *s = f->private_data;
	if (*pos >= (int64_t)sizeof(s->data))
		return -ENOSPC;
	size_t n = MIN(count, sizeof(s->data) - (size_t)*pos);
	memcpy(s->data + *pos, buf, n);
	*pos += (int64_t)n;
	return (ssize_t)n;
}

static void t_vma_close(struct vm_area *vma)
{
	struct node_state *s = vma->private_data;
	atomic_fetch_add(&s->vma_closes, 1);
}

static int t_mmap(struct file *f, struct vm_area *vma)
{
	struct node_state *s = f->private_data;
	void *p = mmap(vma->addr, vma->length, vma->prot, vma->flags, s->memfd,
		       (off_t)(vma->pgoff << 12));
	if (p == MAP_FAILED)
		return -errno;
	vma->addr = p;
	vma->close = t_vma_close;
	vma->private_data = s;
	return 0;
}

static const struct file_operations t_fops = {
	.open = t_open,
	.ioctl = t_ioctl,
	.read = t_read,
	.write = t_write,
	.mmap = t_mmap,
	.release = t_release,
};

/* A queue: readable when `data` holds a record. */
static ssize_t q_read(struct file *f, void *buf, size_t count, int64_t *pos)
{
	struct node_state *s = f->private_data;
	(void)pos;
	for (;;) {
		if (s->data[0]) {
			((char *)buf)[0] = s->data[0];
			s->data[0] = 0;
			file_set_readable(f, false);
			return 1;
		}
		if (file_nonblock(f))
			return -EAGAIN;
		int rc = file_wait_readable(f);
		if (rc)
			return rc;
	}
	(void)count;
}

static const struct file_operations q_fops = {
	.fop_flags = FOP_READINESS,
	.read = q_read,
};

static struct uiommu_host *new_host(void)
{
	struct uiommu_host *h;
	assert_int_equal(uiommu_host_new(NULL, &h, NULL, 0), 0);
	return h;
}

static void open_and_call(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = -1 };
	assert_int_equal(devnode_register(h, "/dev/test", &t_fops, &s), 0);
	assert_int_equal(devnode_register(h, "/dev/test", &t_fops, &s), -EEXIST);
	assert_int_equal(devnode_register(h, "relative", &t_fops, &s), -EINVAL);
	assert_true(uiommu_node_exists(h, "/dev/test"));
	assert_int_equal(uiommu_open(h, "/dev/nothing", O_RDWR), -ENOENT);

	int fd = uiommu_open(h, "/dev/test", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(atomic_load(&s.opens), 1);
	/* A real descriptor of this process, with the flags asked for. */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(uiommu_is_file(fd));
	assert_false(uiommu_is_file(0));

	assert_int_equal(uiommu_ioctl(fd, T_IOCTL_ECHO, 41), 42);
	assert_int_equal(uiommu_ioctl(fd, 0x9999, 0), -ENOTTY);
	assert_int_equal(uiommu_ioctl(0, T_IOCTL_ECHO, 0), -EBADF);

	/* read/write move the position; pread/pwrite do not. */
	assert_int_equal(uiommu_write(fd, "hello", 5), 5);
	assert_int_equal(uiommu_pwrite(fd, "J", 1, 0), 1);
	char buf[8] = { 0 };
	assert_int_equal(uiommu_pread(fd, buf, 5, 0), 5);
	assert_memory_equal(buf, "Jello", 5);
	assert_int_equal(uiommu_read(fd, buf, 3), 3);
	assert_memory_equal(buf, "\0\0\0", 3); /* position was 5, after "hello" */
	assert_int_equal(uiommu_pread(fd, buf, 1, -1), -EINVAL);

	/* Open refused by the node: no descriptor, no release. */
	strcpy(s.data, "refuse");
	assert_int_equal(uiommu_open(h, "/dev/test", O_RDWR), -EPERM);
	assert_int_equal(atomic_load(&s.releases), 0);

	assert_int_equal(uiommu_close(fd), 0);
	assert_int_equal(atomic_load(&s.releases), 1);
	assert_int_equal(uiommu_close(fd), -EBADF);
	/* The kernel's descriptor is gone too. */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	uiommu_host_free(h);
}

static void read_only_and_nodes(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = -1 };
	assert_int_equal(devnode_register(h, "/dev/b", &t_fops, &s), 0);
	assert_int_equal(devnode_register(h, "/dev/a", &t_fops, &s), 0);
	int fd = uiommu_open(h, "/dev/a", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(uiommu_write(fd, "x", 1), -EBADF);
	assert_int_equal(uiommu_close(fd), 0);
	devnode_unregister(h, "/dev/b");
	assert_false(uiommu_node_exists(h, "/dev/b"));
	assert_int_equal(uiommu_open(h, "/dev/b", O_RDWR), -ENOENT);
	uiommu_host_free(h);
}

static void dup_shares_the_file(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = -1 };
	assert_int_equal(devnode_register(h, "/dev/test", &t_fops, &s), 0);
	int fd = uiommu_open(h, "/dev/test", O_RDWR);
	int d1 = uiommu_dup(fd, 0, 0);
	int d2 = uiommu_dup(fd, 200, O_CLOEXEC);
	assert_true(d1 >= 0 && d1 != fd);
	assert_true(d2 >= 200);
	assert_true(fcntl(d2, F_GETFD) & FD_CLOEXEC);
	/* One open file: the position is shared. */
	assert_int_equal(uiommu_write(fd, "ab", 2), 2);
	assert_int_equal(uiommu_write(d1, "cd", 2), 2);
	char buf[4];
	assert_int_equal(uiommu_pread(d2, buf, 4, 0), 4);
	assert_memory_equal(buf, "abcd", 4);

	/* dup3 onto a descriptor of another file closes that one. */
	int other = uiommu_open(h, "/dev/test", O_RDWR);
	assert_int_equal(atomic_load(&s.opens), 2);
	assert_int_equal(uiommu_dup3(fd, other, 0), other);
	assert_int_equal(atomic_load(&s.releases), 1);
	assert_int_equal(uiommu_dup3(fd, fd, O_CLOEXEC), -EINVAL);
	assert_int_equal(uiommu_dup3(fd, fd, 0), fd);
	assert_int_equal(uiommu_dup(fd, 0, O_NONBLOCK), -EINVAL);

	assert_int_equal(uiommu_close(fd), 0);
	assert_int_equal(uiommu_close(d1), 0);
	assert_int_equal(uiommu_close(d2), 0);
	assert_int_equal(atomic_load(&s.releases), 1);
	assert_int_equal(uiommu_close(other), 0);
	assert_int_equal(atomic_load(&s.releases), 2);
	uiommu_host_free(h);
}

struct slow_call {
	int fd;
	long rc;
};

static void *slow_ioctl(void *arg)
{
	struct slow_call *c = arg;
	c->rc = uiommu_ioctl(c->fd, T_IOCTL_SLOW, 0);
	return NULL;
}

static void release_waits_for_calls(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = -1 };
	assert_int_equal(devnode_register(h, "/dev/test", &t_fops, &s), 0);
	struct slow_call c = { .fd = uiommu_open(h, "/dev/test", O_RDWR) };
	pthread_t t;
	pthread_create(&t, NULL, slow_ioctl, &c);
	while (!atomic_load(&s.in_ioctl))
		usleep(100);
	/* close while the call runs: the descriptor goes now, the file only
	 * when the call returns (fget/fput). */
	assert_int_equal(uiommu_close(c.fd), 0);
	assert_false(uiommu_is_file(c.fd));
	pthread_join(t, NULL);
	assert_int_equal(c.rc, 0);
	assert_int_equal(atomic_load(&s.releases), 1);
	assert_false(atomic_load(&s.release_during_call));
	uiommu_host_free(h);
}

struct churn {
	struct uiommu_host *h;
	atomic_bool stop;
	atomic_long calls, bad;
	int fd;
};

static void *churn_calls(void *arg)
{
	struct churn *c = arg;
	while (!atomic_load(&c->stop)) {
		long rc = uiommu_ioctl(atomic_load((_Atomic int *)&c->fd), T_IOCTL_ECHO, 1);
		if (rc != 2 && rc != -EBADF)
			atomic_fetch_add(&c->bad, 1);
		atomic_fetch_add(&c->calls, 1);
	}
	return NULL;
}

/* Lookups racing close and reopen of the same descriptor numbers never
 * reach a released file and never see anything but the answer or EBADF. */
static void lookups_race_close(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = -1 };
	assert_int_equal(devnode_register(h, "/dev/test", &t_fops, &s), 0);
	struct churn c = { .h = h, .fd = uiommu_open(h, "/dev/test", O_RDWR) };
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, churn_calls, &c);
	for (int i = 0; i < 2000; i++) {
		int old = c.fd;
		int fd = uiommu_open(h, "/dev/test", O_RDWR);
		assert_true(fd >= 0);
		atomic_store((_Atomic int *)&c.fd, fd);
		assert_int_equal(uiommu_close(old), 0);
	}
	atomic_store(&c.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&c.bad), 0);
	assert_int_equal(uiommu_close(c.fd), 0);
	assert_int_equal(atomic_load(&s.opens), atomic_load(&s.releases));
	uiommu_host_free(h);
}

static void readiness_is_the_descriptors(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = -1 };
	int fd = anon_file_getfd(h, "test-queue", &q_fops, &s, O_RDWR | O_NONBLOCK);
	assert_true(fd >= 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 0);
	char c;
	assert_int_equal(uiommu_read(fd, &c, 1), -EAGAIN);

	struct file *f = fget(fd);
	assert_non_null(f);
	s.data[0] = 'x';
	file_set_readable(f, true);
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_true(p.revents & POLLIN);
	/* A dup sees the same readiness: one open file. */
	int d = uiommu_dup(fd, 0, 0);
	struct pollfd pd = { .fd = d, .events = POLLIN };
	assert_int_equal(poll(&pd, 1, 0), 1);
	assert_int_equal(uiommu_read(fd, &c, 1), 1);
	assert_int_equal(c, 'x');
	assert_int_equal(poll(&p, 1, 0), 0);
	fput(f);
	assert_int_equal(uiommu_close(d), 0);
	assert_int_equal(uiommu_close(fd), 0);
	uiommu_host_free(h);
}

static void mmap_holds_the_file(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = memfd_create("t", 0) };
	assert_true(s.memfd >= 0);
	assert_int_equal(ftruncate(s.memfd, 8192), 0);
	assert_int_equal(devnode_register(h, "/dev/test", &t_fops, &s), 0);
	int fd = uiommu_open(h, "/dev/test", O_RDWR);
	void *p;
	assert_int_equal(uiommu_mmap(fd, NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, 4096, &p),
			 0);
	assert_int_equal(uiommu_mmap(fd, NULL, 4096, PROT_READ, MAP_SHARED, 100, &p), -EINVAL);
	assert_int_equal(uiommu_mmap(0, NULL, 4096, PROT_READ, MAP_SHARED, 0, &p), -EBADF);
	assert_int_equal(uiommu_mmap(fd, NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &p),
			 0);
	memset(p, 7, 8192);
	/* The mapping keeps the file after its last descriptor. */
	assert_int_equal(uiommu_close(fd), 0);
	assert_int_equal(atomic_load(&s.releases), 0);
	/* Someone else's mapping is not ours to unmap. */
	void *other = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_int_equal(uiommu_munmap(other, 4096), -ENOENT);
	munmap(other, 4096);
	assert_int_equal(uiommu_munmap(p, 8192), 0);
	assert_int_equal(atomic_load(&s.vma_closes), 1);
	/* The first mapping goes with the host, as at exit. */
	uiommu_host_free(h);
	assert_int_equal(atomic_load(&s.vma_closes), 2);
	assert_int_equal(atomic_load(&s.releases), 1);
	close(s.memfd);
}

static void host_teardown_closes(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = -1 };
	assert_int_equal(devnode_register(h, "/dev/test", &t_fops, &s), 0);
	int fd = uiommu_open(h, "/dev/test", O_RDWR);
	int d = uiommu_dup(fd, 0, 0);
	assert_true(fd >= 0 && d >= 0);
	uiommu_host_free(h);
	assert_int_equal(atomic_load(&s.releases), 1);
	assert_false(uiommu_is_file(fd));
	assert_int_equal(fcntl(d, F_GETFD), -1);
}

static int count_node(const char *path, void *arg)
{
	char *seen = arg;
	strcat(seen, path);
	strcat(seen, ";");
	return 0;
}

static void nodes_are_listed_sorted(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = -1 };
	devnode_register(h, "/test/z", &t_fops, &s);
	devnode_register(h, "/test/a", &t_fops, &s);
	char seen[1024] = "";
	assert_int_equal(uiommu_for_each_node(h, count_node, seen), 0);
	/* Sorted among the host's own nodes. */
	assert_non_null(strstr(seen, "/dev/vfio/vfio;/test/a;/test/z;"));
	uiommu_host_free(h);
}

struct dir_state {
	struct node_state s;
	int names;                 /* nodes 0 .. names-1 exist */
};

static int dir_lookup(void *dir_data, const char *name, const struct file_operations **fops,
		      void **node_data)
{
	struct dir_state *d = dir_data;
	char *end;
	long i = strtol(name, &end, 10);
	if (*end || end == name || i < 0 || i >= d->names)
		return -ENOENT;
	*fops = &t_fops;
	*node_data = &d->s;
	return 0;
}

static int dir_iterate(void *dir_data, int (*emit)(const char *name, void *arg), void *arg)
{
	struct dir_state *d = dir_data;
	for (int i = 0; i < d->names; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", i);
		int rc = emit(name, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static const struct devnode_dir_ops t_dir_ops = { .lookup = dir_lookup, .iterate = dir_iterate };

/* Nodes that come and go with their objects, beside registered ones. */
static void directory_nodes(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct dir_state d = { .s = { .memfd = -1 }, .names = 2 };
	assert_int_equal(devnode_register_dir(h, "/dev/t/", &t_dir_ops, &d), 0);
	assert_int_equal(devnode_register_dir(h, "/dev/t", &t_dir_ops, &d), -EINVAL);
	assert_int_equal(devnode_register(h, "/dev/t/vfio", &t_fops, &d.s), 0);
	assert_true(uiommu_node_exists(h, "/dev/t/1"));
	assert_false(uiommu_node_exists(h, "/dev/t/2"));
	assert_false(uiommu_node_exists(h, "/dev/t/"));
	assert_false(uiommu_node_exists(h, "/dev/t/x/1"));
	int fd = uiommu_open(h, "/dev/t/1", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(uiommu_ioctl(fd, T_IOCTL_ECHO, 1), 2);
	assert_int_equal(uiommu_close(fd), 0);
	d.names = 3; /* an object appears: its node with it */
	assert_true(uiommu_node_exists(h, "/dev/t/2"));
	char seen[1024] = "";
	assert_int_equal(uiommu_for_each_node(h, count_node, seen), 0);
	assert_non_null(strstr(seen, "/dev/t/0;/dev/t/1;/dev/t/2;/dev/t/vfio;"));
	uiommu_host_free(h);
}

/* What a transport uses: the calls on a file in hand, and forgetting a
 * descriptor the program closed where no transport saw it. */
static void file_in_hand_and_forget(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct node_state s = { .memfd = -1 };
	assert_int_equal(devnode_register(h, "/dev/test", &t_fops, &s), 0);
	int fd = uiommu_open(h, "/dev/test", O_RDWR);
	struct file *f = fget(fd);
	assert_non_null(f);
	assert_int_equal(file_ioctl(f, T_IOCTL_ECHO, 6), 7);
	assert_int_equal(file_ioctl(f, 0x9999, 0), -ENOTTY);
	int64_t off = 2;
	assert_int_equal(file_rw(f, "xy", 2, &off, true), 2);
	assert_int_equal(off, 4);
	assert_int_equal(file_rw(f, "ab", 2, NULL, true), 2);
	char buf[4];
	off = 0;
	assert_int_equal(file_rw(f, buf, 4, &off, false), 4);
	assert_memory_equal(buf, "abxy", 4);
	fput(f);

	/* The number was closed behind our back and reused by a real file. */
	close(fd);
	int other = eventfd(0, 0);
	assert_int_equal(other, fd);
	assert_true(uiommu_is_file(other));
	fd_forget(other);
	assert_false(uiommu_is_file(other));
	assert_int_equal(atomic_load(&s.releases), 1);
	assert_int_equal(fcntl(other, F_GETFD), 0); /* left open */
	fd_forget(other); /* not ours: nothing */
	close(other);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_and_call),
		cmocka_unit_test(read_only_and_nodes),
		cmocka_unit_test(dup_shares_the_file),
		cmocka_unit_test(release_waits_for_calls),
		cmocka_unit_test(lookups_race_close),
		cmocka_unit_test(readiness_is_the_descriptors),
		cmocka_unit_test(mmap_holds_the_file),
		cmocka_unit_test(host_teardown_closes),
		cmocka_unit_test(nodes_are_listed_sorted),
		cmocka_unit_test(directory_nodes),
		cmocka_unit_test(file_in_hand_and_forget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
