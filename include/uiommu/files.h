/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Files: how programs see the kernel side of a host (SPEC U-16, DESIGN.md
 * "Files are the interface"). uiommu_open() on a device node of a host
 * ("/dev/iommu", "/dev/vfio/vfio", "/dev/vfio/<group>",
 * "/dev/vfio/devices/vfio<N>") returns a real file descriptor of this
 * process, so poll/epoll/select, close-on-exec and fork inheritance behave
 * as the kernel's do; the calls below act on it as the system calls of
 * the same names act on a kernel device file. Descriptors that an ioctl
 * returns (a VFIO device fd, a fault queue fd) are of the same kind.
 *
 * Descriptors are process-wide, like the kernel's: the calls take no host.
 * Every call returns 0 (or a count, or a descriptor) or a negative errno;
 * on -EBADF the descriptor is not one of uiommu's.
 *
 * A descriptor must be closed with uiommu_close() and duplicated with the
 * uiommu_dup*() calls, which keep uiommu's descriptor table in step with
 * the kernel's (the `uiommu exec` shim does this for unmodified programs).
 */
#ifndef UIOMMU_FILES_PUBLIC_H
#define UIOMMU_FILES_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uiommu_host;

/* flags: O_RDWR/O_RDONLY/O_WRONLY, O_CLOEXEC, O_NONBLOCK; others ignored.
 * -ENOENT: no such node on the host. */
int uiommu_open(struct uiommu_host *h, const char *path, int flags);
int uiommu_close(int fd);

long uiommu_ioctl(int fd, unsigned long cmd, unsigned long arg);
ssize_t uiommu_read(int fd, void *buf, size_t count);
ssize_t uiommu_write(int fd, const void *buf, size_t count);
ssize_t uiommu_pread(int fd, void *buf, size_t count, int64_t off);
ssize_t uiommu_pwrite(int fd, const void *buf, size_t count, int64_t off);

/* mmap(2) of a uiommu file; *out receives the address. */
int uiommu_mmap(int fd, void *addr, size_t length, int prot, int flags, int64_t off, void **out);
/* munmap(2) of a mapping uiommu_mmap() made; -ENOENT if [addr, addr +
 * length) is not one (the caller then unmaps it itself). */
int uiommu_munmap(void *addr, size_t length);

/* dup(2) is uiommu_dup(fd, 0, 0); fcntl(F_DUPFD[_CLOEXEC], min) is
 * uiommu_dup(fd, min, 0 or O_CLOEXEC). */
int uiommu_dup(int oldfd, int minfd, int flags);
/* dup2(2)/dup3(2); newfd's previous file, if any, is closed. */
int uiommu_dup3(int oldfd, int newfd, int flags);

bool uiommu_is_file(int fd);

/* The device nodes of a host: calls fn for each path, in sorted order;
 * stops at a non-zero return and returns it. */
int uiommu_for_each_node(struct uiommu_host *h, int (*fn)(const char *path, void *arg),
			 void *arg);
bool uiommu_node_exists(struct uiommu_host *h, const char *path);

#ifdef __cplusplus
}
#endif

#endif
