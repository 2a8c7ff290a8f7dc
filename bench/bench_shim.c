/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * shim.ioctl_ns: an ioctl through the interposed ioctl() of a program
 * under `uiommu exec` (SPEC F-2), against a kernel ioctl system call on
 * /dev/null in the same run. The program is a plain client - libc and
 * uAPI headers - run by bench/run.sh as `uiommu exec -- bench_shim`.
 *
 * The ioctl is IOMMU_OPTION (GET, RLIMIT_MODE) on /dev/iommu when the
 * host has iommufd, else VFIO_GET_API_VERSION on /dev/vfio/vfio; stderr
 * says which. Also: shim.passthrough_ioctl_ns, what the interposer adds
 * to a descriptor that is not uiommu's (/dev/null through ioctl() against
 * the raw system call).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/vfio.h>
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#define HAVE_IOMMUFD_H 1
#endif

#include "bench.h"

#define ITERS 200000

typedef long (*op_fn)(int fd);

static long vfio_version(int fd)
{
	return ioctl(fd, VFIO_GET_API_VERSION);
}

#ifdef HAVE_IOMMUFD_H
static long iommu_option_get(int fd)
{
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	return ioctl(fd, IOMMU_OPTION, &o);
}
#endif

static long null_ioctl(int fd)
{
	int n;
	return ioctl(fd, FIONREAD, &n);
}

static long null_syscall(int fd)
{
	int n;
	return syscall(SYS_ioctl, fd, FIONREAD, &n);
}

/* Best of BEST_OF runs of ITERS calls: ns per call. */
static double time_op(op_fn op, int fd)
{
	double best = 1e30;
	for (int r = 0; r < BEST_OF; r++) {
		double t0 = now_ns();
		for (int i = 0; i < ITERS; i++)
			sink((uint64_t)op(fd));
		double ns = (now_ns() - t0) / ITERS;
		if (ns < best)
			best = ns;
	}
	return best;
}

int main(void)
{
	op_fn op = vfio_version;
	const char *what = "VFIO_GET_API_VERSION on /dev/vfio/vfio";
	int fd = -1;
#ifdef HAVE_IOMMUFD_H
	if ((fd = open("/dev/iommu", O_RDWR | O_CLOEXEC)) >= 0 && iommu_option_get(fd) == 0) {
		op = iommu_option_get;
		what = "IOMMU_OPTION GET on /dev/iommu";
	} else if (fd >= 0) {
		close(fd);
		fd = -1;
	}
#endif
	if (fd < 0 && ((fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC)) < 0 ||
		       vfio_version(fd) != VFIO_API_VERSION)) {
		fprintf(stderr, "bench_shim: no uiommu device node: run it under 'uiommu exec'\n");
		return 1;
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || null_syscall(null) != -1 || errno != ENOTTY) {
		fprintf(stderr, "bench_shim: /dev/null does not answer ioctl with ENOTTY\n");
		return 1;
	}
	fprintf(stderr, "bench_shim: %s\n", what);
	double shim = time_op(op, fd), kernel = time_op(null_syscall, null);
	double passthrough = time_op(null_ioctl, null);
	emit("shim.ioctl_ns", shim, "ns", "kernel_ioctl_dev_null", kernel, "ns", ">=2x faster");
	emit("shim.passthrough_ioctl_ns", passthrough, "ns", "kernel_ioctl_dev_null", kernel, "ns",
	     "informational");
	close(null);
	close(fd);
	return 0;
}
