/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An unmodified Linux program - libc and the uAPI headers only, no
 * libuiommu - run by the suite under `uiommu exec` (SPEC F-2). Each test
 * does what a VFIO or sysfs client does on Linux and expects what Linux
 * answers: descriptors that dup, poll, fork and close-on-exec natively,
 * errno values as the kernel's, /sys and /dev laid out as Linux lays
 * them out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/vfio.h>

#define DMATEST_BDF "0000:00:02.0"
#define DMATEST_SYSFS "/sys/bus/pci/devices/" DMATEST_BDF
#define MDEV_TYPE "/sys/class/mdev_bus/0000:01:00.0/mdev_supported_types/idxd-dsa-1dwq-v1"
#define MDEV_UUID "0b5e7a9c-2f41-4d8e-a6c3-9e1f2d3c4b5a"

static int container(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int expect_errno(long rc, int err)
{
	return rc == -1 && errno == err;
}

static void container_calls(void **state)
{
	(void)state;
	int fd = container();
	/* A call that succeeds leaves errno alone, as a system call does. */
	errno = 12345;
	assert_int_equal(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	assert_int_equal(errno, 12345);
	assert_int_equal(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	/* Without an IOMMU backend the container refuses what it does not
	 * know with EINVAL, as Linux's vfio_fops_unl_ioctl(). */
	assert_true(expect_errno(ioctl(fd, _IO(VFIO_TYPE, VFIO_BASE + 99)), EINVAL));
	char buf[8];
	assert_true(expect_errno(read(fd, buf, sizeof(buf)), EINVAL));
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == ENODEV);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 10);
	assert_int_equal(minor(st.st_rdev), 196);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(close(fd), 0);
	assert_true(expect_errno(close(fd), EBADF));
	assert_true(expect_errno(ioctl(fd, VFIO_GET_API_VERSION), EBADF));
}

static void dup_family(void **state)
{
	(void)state;
	int fd = container();
	int d1 = dup(fd), d2 = dup2(fd, 100), d3 = dup3(fd, 101, O_CLOEXEC);
	int d4 = fcntl(fd, F_DUPFD_CLOEXEC, 200), d5 = fcntl(fd, F_DUPFD, 300);
	assert_true(d1 >= 0 && d1 != fd);
	assert_int_equal(d2, 100);
	assert_int_equal(d3, 101);
	assert_true(d4 >= 200 && d5 >= 300);
	assert_false(fcntl(d1, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(d3, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(d4, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(dup2(fd, fd), fd);
	assert_true(expect_errno(dup3(fd, fd, 0), EINVAL));
	/* One open file: each number works after the first is closed. */
	assert_int_equal(close(fd), 0);
	int dups[] = { d1, d2, d3, d4, d5 };
	for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++)
		assert_int_equal(ioctl(dups[i], VFIO_GET_API_VERSION), VFIO_API_VERSION);
	/* dup2 of a real file over a uiommu number replaces it. */
	int null = open("/dev/null", O_RDWR);
	assert_int_equal(dup2(null, d2), d2);
	assert_true(expect_errno(ioctl(d2, VFIO_GET_API_VERSION), ENOTTY));
	assert_int_equal(write(d2, "x", 1), 1);
	for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++)
		assert_int_equal(close(dups[i]), 0);
	close(null);
}

static void poll_and_flags(void **state)
{
	(void)state;
	int fd = container();
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(epoll_wait(ep, &ev, 1, 0), 0);
	close(ep);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	close(fd);
}

static void fork_child_has_a_copy(void **state)
{
	(void)state;
	int fd = container();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The inherited descriptor works on the child's copy of the
		 * host, and the child may open more. */
		int ok = ioctl(fd, VFIO_GET_API_VERSION) == VFIO_API_VERSION;
		int fd2 = open("/dev/vfio/vfio", O_RDWR);
		ok = ok && fd2 >= 0 && ioctl(fd2, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) == 1;
		ok = ok && close(fd) == 0 && close(fd2) == 0;
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	close(fd);
}

/* In the image exec() loads: the close-on-exec descriptor is gone, the
 * other is what its backing object is - an eventfd the new process's
 * host never knew (docs/exec.md). */
static int exec_check(int keep, int gone)
{
	if (fcntl(gone, F_GETFD) != -1 || errno != EBADF)
		return 2;
	if (fcntl(keep, F_GETFD) < 0)
		return 3;
	if (ioctl(keep, VFIO_GET_API_VERSION) != -1)
		return 4;
	return 0;
}

static void close_on_exec(void **state)
{
	(void)state;
	int gone = container();
	int keep = open("/dev/vfio/vfio", O_RDWR);
	assert_true(keep >= 0);
	pid_t pid = fork();
	if (pid == 0) {
		char a[16], b[16];
		snprintf(a, sizeof(a), "%d", keep);
		snprintf(b, sizeof(b), "%d", gone);
		execl("/proc/self/exe", "shim_client", "--exec-check", a, b, (char *)NULL);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(gone);
	close(keep);
}

static unsigned long read_hex_attr(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	unsigned long v = 0;
	assert_int_equal(fscanf(f, "0x%lx", &v), 1);
	assert_int_equal(fclose(f), 0);
	return v;
}

static int group_of(const char *bdf)
{
	char path[256], link[256];
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = 0;
	assert_non_null(strstr(link, "kernel/iommu_groups/"));
	return atoi(strrchr(link, '/') + 1);
}

static void sysfs_as_linux(void **state)
{
	(void)state;
	DIR *d = opendir("/sys/bus/pci/devices");
	assert_non_null(d);
	int n = 0, dots = 0;
	bool dmatest = false;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
			dots++;
			continue;
		}
		assert_int_equal(e->d_type, DT_LNK);
		dmatest |= !strcmp(e->d_name, DMATEST_BDF);
		n++;
	}
	assert_int_equal(closedir(d), 0);
	assert_int_equal(dots, 2);
	assert_true(n >= 2);
	assert_true(dmatest);

	assert_int_equal(read_hex_attr(DMATEST_SYSFS "/vendor"), 0x1b36);
	assert_int_equal(read_hex_attr(DMATEST_SYSFS "/device"), 0x00d7);
	char link[256];
	ssize_t ln = readlink(DMATEST_SYSFS "/driver", link, sizeof(link) - 1);
	assert_true(ln > 0);
	link[ln] = 0;
	assert_string_equal(strrchr(link, '/') + 1, "vfio-pci");
	assert_true(group_of(DMATEST_BDF) >= 0);

	struct stat st;
	assert_int_equal(stat(DMATEST_SYSFS "/vendor", &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0444);
	errno = 54321;
	d = opendir(DMATEST_SYSFS);
	assert_non_null(d);
	while (readdir(d))
		;
	assert_int_equal(errno, 54321); /* the end of a listing is not an error */
	closedir(d);
	assert_int_equal(lstat(DMATEST_SYSFS "/iommu_group", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(DMATEST_SYSFS "/iommu_group", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(access(DMATEST_SYSFS "/vendor", R_OK), 0);
	assert_true(expect_errno(access(DMATEST_SYSFS "/vendor", W_OK), EACCES));
	assert_true(expect_errno(open(DMATEST_SYSFS "/vendor", O_WRONLY), EACCES));
	assert_true(expect_errno(open(DMATEST_SYSFS "/nothing", O_RDONLY), ENOENT));
	assert_true(expect_errno(open(DMATEST_SYSFS "/vendor/", O_RDONLY), ENOTDIR));
	assert_null(opendir(DMATEST_SYSFS "/vendor"));
	assert_int_equal(errno, ENOTDIR);
	assert_true(expect_errno(readlink(DMATEST_SYSFS "/vendor", link, sizeof(link)), EINVAL));

	/* A directory descriptor is a base for the *at() calls. */
	d = opendir(DMATEST_SYSFS);
	assert_non_null(d);
	int dfd = dirfd(d);
	int afd = openat(dfd, "vendor", O_RDONLY);
	assert_true(afd >= 0);
	char buf[16] = "";
	assert_int_equal(read(afd, buf, sizeof(buf) - 1), 7);
	assert_string_equal(buf, "0x1b36\n");
	assert_int_equal(read(afd, buf, sizeof(buf)), 0);
	assert_int_equal(pread(afd, buf, 2, 4), 2);
	assert_memory_equal(buf, "36", 2);
	assert_int_equal(lseek(afd, 0, SEEK_SET), 0);
	assert_int_equal(read(afd, buf, 2), 2);
	assert_memory_equal(buf, "0x", 2);
	close(afd);
	assert_int_equal(fstatat(dfd, "iommu_group", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_true(readlinkat(dfd, "subsystem", link, sizeof(link)) > 0);
	assert_int_equal(fstat(dfd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(closedir(d), 0);

	/* What the host does not own is the real filesystem's. */
	assert_int_equal(stat("/sys/kernel/iommu_groups", &st), 0);
	int real = open("/proc/self/status", O_RDONLY);
	assert_true(real >= 0);
	assert_true(read(real, buf, sizeof(buf)) > 0);
	close(real);
}

static void dev_vfio_as_linux(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_of(DMATEST_BDF));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(stat("/dev/vfio", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	DIR *d = opendir("/dev/vfio");
	assert_non_null(d);
	bool vfio = false, group = false;
	struct dirent *e;
	while ((e = readdir(d))) {
		vfio |= !strcmp(e->d_name, "vfio") && e->d_type == DT_CHR;
		group |= !strcmp(e->d_name, strrchr(path, '/') + 1);
	}
	closedir(d);
	assert_true(vfio && group);
	assert_true(expect_errno(open("/dev/vfio/99999", O_RDWR), ENOENT));
	assert_true(expect_errno(open("/dev/vfio/vfio/", O_RDWR), ENOTDIR));
	assert_true(expect_errno(open("/dev/vfio/vfio", O_RDWR | O_DIRECTORY), ENOTDIR));
	/* The real /dev is still there. */
	int null = open("/dev/null", O_WRONLY);
	assert_true(null >= 0);
	close(null);
}

static void vfio_group_and_device(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_of(DMATEST_BDF));
	int c = container(), g = open(path, O_RDWR);
	assert_true(g >= 0);
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	assert_int_equal(ioctl(g, VFIO_GROUP_GET_STATUS, &gs), 0);
	assert_true(gs.flags & VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	assert_true(expect_errno(ioctl(c, _IO(VFIO_TYPE, VFIO_BASE + 99)), ENOTTY));
	int dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, DMATEST_BDF);
	assert_true(dev >= 0);
	assert_true(fcntl(dev, F_GETFD) & FD_CLOEXEC);
	struct vfio_device_info di = { .argsz = sizeof(di) };
	assert_int_equal(ioctl(dev, VFIO_DEVICE_GET_INFO, &di), 0);
	assert_true(di.flags & VFIO_DEVICE_FLAGS_PCI);
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	assert_int_equal(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
	uint16_t id[2];
	assert_int_equal(pread(dev, id, sizeof(id), (off_t)ri.offset), sizeof(id));
	assert_int_equal(id[0], 0x1b36);
	assert_int_equal(id[1], 0x00d7);
	/* The same through the file position and vectors. */
	uint16_t vendor = 0, device = 0;
	struct iovec iov[2] = { { &vendor, 2 }, { &device, 2 } };
	assert_int_equal(lseek(dev, (off_t)ri.offset, SEEK_SET), (off_t)ri.offset);
	assert_int_equal(readv(dev, iov, 2), 4);
	assert_int_equal(vendor, 0x1b36);
	assert_int_equal(device, 0x00d7);
	assert_int_equal(preadv(dev, iov, 1, (off_t)ri.offset + 2), 2);
	assert_int_equal(vendor, 0x00d7);
	/* A second open of the device is refused as the kernel refuses it
	 * while the group's container is busy elsewhere: not here, so both
	 * close cleanly. */
	assert_int_equal(close(dev), 0);
	assert_int_equal(close(g), 0);
	assert_int_equal(close(c), 0);
}

static void mdev_through_sysfs(void **state)
{
	(void)state;
	struct stat st;
	assert_true(expect_errno(stat("/sys/bus/mdev/devices/" MDEV_UUID, &st), ENOENT));
	int fd = open(MDEV_TYPE "/create", O_WRONLY);
	assert_true(fd >= 0);
	assert_true(expect_errno(write(fd, "junk", 4), EINVAL));
	assert_int_equal(write(fd, MDEV_UUID "\n", 37), 37);
	close(fd);
	assert_int_equal(stat("/sys/bus/mdev/devices/" MDEV_UUID, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	char link[256];
	assert_true(readlink("/sys/bus/mdev/devices/" MDEV_UUID "/iommu_group", link,
			     sizeof(link)) > 0);
	FILE *f = fopen("/sys/bus/mdev/devices/" MDEV_UUID "/remove", "w");
	assert_non_null(f);
	assert_int_equal(fputs("1\n", f), 1);
	assert_int_equal(fclose(f), 0);
	assert_true(expect_errno(stat("/sys/bus/mdev/devices/" MDEV_UUID, &st), ENOENT));
}

/* /dev/uiommu-test (UIOMMU_SHIM_TESTNODE=1): the file-layer paths the
 * host's nodes do not all have yet - mmap, readiness, positions. */
#define TESTNODE_ECHO _IO('u', 0x70)
#define TESTNODE_READY _IO('u', 0x71)

static int testnode(void)
{
	int fd = open("/dev/uiommu-test", O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		skip();
	assert_true(fd >= 0);
	return fd;
}

static void testnode_read_write_mmap(void **state)
{
	(void)state;
	int fd = testnode();
	/* uiommu's work inside a call that succeeds does not leak into the
	 * program's errno. */
	errno = 12345;
	assert_int_equal(ioctl(fd, TESTNODE_ECHO, 41), 42);
	assert_int_equal(errno, 12345);
	assert_int_equal(write(fd, "hello", 5), 5);
	char buf[16] = "";
	assert_int_equal(pread(fd, buf, 5, 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(lseek(fd, 1, SEEK_SET), 1);
	assert_int_equal(read(fd, buf, 4), 4);
	assert_memory_equal(buf, "ello", 4);
	assert_true(expect_errno(lseek(fd, -10, SEEK_CUR), EINVAL));

	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_memory_equal(p, "hello", 5);
	memcpy(p, "world", 5);
	assert_int_equal(pread(fd, buf, 5, 0), 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(munmap(p, 4096), 0);
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096) == MAP_FAILED && errno == EINVAL);
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 1) == MAP_FAILED && errno == EINVAL);

	/* Vectors, and a stream over the node. */
	char a[3], b[2];
	struct iovec iov[2] = { { a, 3 }, { b, 2 } };
	assert_int_equal(preadv(fd, iov, 2, 0), 5);
	assert_memory_equal(a, "wor", 3);
	assert_memory_equal(b, "ld", 2);
	FILE *f = fopen("/dev/uiommu-test", "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, 5, f), 5);
	assert_memory_equal(buf, "world", 5);
	fclose(f);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	close(fd);
}

static void testnode_readiness(void **state)
{
	(void)state;
	int fd = testnode(), d = dup(fd);
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = d, .events = POLLIN } };
	assert_int_equal(poll(p, 2, 0), 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = d };
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev), 0);
	assert_int_equal(ioctl(fd, TESTNODE_READY, 1), 0);
	assert_int_equal(poll(p, 2, 1000), 2);
	assert_true(p[0].revents & POLLIN);
	assert_int_equal(epoll_wait(ep, &ev, 1, 1000), 1);
	assert_int_equal(ev.data.fd, d);
	assert_int_equal(ioctl(d, TESTNODE_READY, 0), 0);
	assert_int_equal(poll(p, 2, 0), 0);
	close(ep);
	close(d);
	close(fd);
}

static void testnode_mapping_in_child(void **state)
{
	(void)state;
	int fd = testnode();
	pid_t pid = fork();
	if (pid == 0) {
		char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		int ok = m != MAP_FAILED && munmap(m, 4096) == 0 &&
			 ioctl(fd, TESTNODE_ECHO, 1) == 2;
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
}

#define HAMMER_THREADS 4
#define HAMMER_ROUNDS 2000

static void *hammer(void *arg)
{
	(void)arg;
	long bad = 0;
	for (int i = 0; i < HAMMER_ROUNDS; i++) {
		int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		int d = fd >= 0 ? dup(fd) : -1;
		bad += fd < 0 || d < 0;
		bad += ioctl(d, VFIO_GET_API_VERSION) != VFIO_API_VERSION;
		bad += close(fd) != 0;
		bad += ioctl(d, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) != 1;
		bad += close(d) != 0;
	}
	return (void *)bad;
}

static void threads_share_descriptors(void **state)
{
	(void)state;
	pthread_t t[HAMMER_THREADS];
	for (int i = 0; i < HAMMER_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < HAMMER_THREADS; i++) {
		void *bad;
		pthread_join(t[i], &bad);
		assert_int_equal((long)bad, 0);
	}
}

/* The fault-injection files Linux's iommufd_fail_nth uses (SPEC R-2). */
static void rw_attr(const char *path, const char *write_val, const char *expect)
{
	char buf[32] = "";
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	if (write_val)
		assert_int_equal(write(fd, write_val, strlen(write_val)), (ssize_t)strlen(write_val));
	assert_int_equal(pread(fd, buf, sizeof(buf) - 1, 0), (ssize_t)strlen(expect));
	assert_string_equal(buf, expect);
	close(fd);
}

static void fail_nth_files(void **state)
{
	(void)state;
	DIR *d = opendir("/sys/kernel/debug/");
	assert_non_null(d);
	int seen = 0;
	for (struct dirent *e; (e = readdir(d));)
		seen += !strcmp(e->d_name, "failslab") || !strcmp(e->d_name, "fail_page_alloc");
	closedir(d);
	assert_int_equal(seen, 2);
	rw_attr("/sys/kernel/debug/failslab/ignore-gfp-wait", NULL, "Y\n");
	rw_attr("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", NULL, "Y\n");
	rw_attr("/sys/kernel/debug/failslab/verbose", "0", "0\n");
	rw_attr("/sys/kernel/debug/fail_page_alloc/verbose", "0x0\n", "0\n");
	rw_attr("/sys/kernel/debug/failslab/ignore-gfp-wait", "N", "N\n");
	int bad = open("/sys/kernel/debug/failslab/ignore-gfp-wait", O_WRONLY);
	assert_int_equal(write(bad, "maybe", 5), -1);
	assert_int_equal(errno, EINVAL);
	close(bad);

	char path[64], buf[32] = "";
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", gettid());
	int nth = open(path, O_RDWR);
	assert_true(nth >= 0);
	assert_int_equal(pread(nth, buf, sizeof(buf), 0), 2);
	assert_string_equal(buf, "0\n");
	/* The next allocation fails: opening /dev/iommu makes a context. */
	assert_int_equal(pwrite(nth, "1", 1, 0), 1);
	assert_int_equal(open("/dev/iommu", O_RDWR), -1);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(pread(nth, buf, sizeof(buf), 0), 2);
	assert_string_equal(buf, "0\n");
	/* Not reached: what is left stays. */
	assert_int_equal(pwrite(nth, "0x10\n", 5, 0), 5);
	int fd = open("/dev/vfio/vfio", O_RDWR);
	assert_true(fd >= 0);
	memset(buf, 0, sizeof(buf));
	assert_true(pread(nth, buf, sizeof(buf), 0) > 0);
	assert_true(atoi(buf) > 0 && atoi(buf) < 16);
	assert_int_equal(pwrite(nth, "0", 1, 0), 1);
	close(fd);
	assert_int_equal(pwrite(nth, "x", 1, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pwrite(nth, "99999999999", 11, 0), -1);
	assert_int_equal(errno, ERANGE);
	close(nth);
	rw_attr("/proc/thread-self/fail-nth", "0", "0\n");
	rw_attr("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y", "Y\n");
	/* Another thread's file is not uiommu's. */
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", getpid() + 100000);
	assert_int_equal(open(path, O_RDWR), -1);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--exec-check"))
		return exec_check(atoi(argv[2]), atoi(argv[3]));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(container_calls),
		cmocka_unit_test(dup_family),
		cmocka_unit_test(poll_and_flags),
		cmocka_unit_test(fork_child_has_a_copy),
		cmocka_unit_test(close_on_exec),
		cmocka_unit_test(sysfs_as_linux),
		cmocka_unit_test(dev_vfio_as_linux),
		cmocka_unit_test(vfio_group_and_device),
		cmocka_unit_test(mdev_through_sysfs),
		cmocka_unit_test(threads_share_descriptors),
		cmocka_unit_test(fail_nth_files),
		cmocka_unit_test(testnode_read_write_mmap),
		cmocka_unit_test(testnode_readiness),
		cmocka_unit_test(testnode_mapping_in_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
