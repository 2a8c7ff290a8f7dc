/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The file layer, the kernel's VFS in miniature (SPEC U-16): what the
 * upper layers (iommufd, VFIO) implement to be reachable from programs.
 *
 *  - A struct file is an open file: a reference count, the operations of
 *    its kind, and the layer's private data. Each is backed by a real
 *    kernel object of the process (an eventfd), whose descriptor is the
 *    number the program holds; dup() gives the same file another number.
 *  - A device node is a path registered on a host with the operations of
 *    the files opened through it (misc_register in spirit).
 *  - Anonymous files (anon_inode_getfd in spirit) are files an ioctl
 *    hands out: a VFIO device fd, a fault queue fd.
 *
 * Readiness is the backing object's: a file that has something to read
 * says so with file_set_readable(), and poll/epoll/select on the
 * program's descriptor see it natively.
 *
 * Lifetimes (as fget/fput): every descriptor number holds a reference,
 * and so does every call in progress and every mapping; the release op
 * runs when the last one goes, never during a call on the file.
 */
#ifndef UIOMMU_FILES_FILE_H
#define UIOMMU_FILES_FILE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uiommu/files.h>

#include "../util/list.h"

struct uiommu_host;
struct file;
struct vm_area;

/* file_operations.fop_flags */
#define FOP_READINESS (1u << 0) /* a queue: signals readiness with file_set_readable() */

struct file_operations {
	unsigned int fop_flags;
	/* Device nodes only: set up f->private_data; `node_data` is what
	 * the node was registered with. Return 0 or -errno. */
	int (*open)(struct file *f, void *node_data);
	long (*ioctl)(struct file *f, unsigned int cmd, unsigned long arg);
	/* `pos` is the file position (read/write) or the offset
	 * (pread/pwrite); advance it by what was transferred. Buffers are
	 * the caller's memory: reach them with copy_{to,from}_user. */
	ssize_t (*read)(struct file *f, void *buf, size_t count, int64_t *pos);
	ssize_t (*write)(struct file *f, const void *buf, size_t count, int64_t *pos);
	/* Map vma->length bytes at file offset vma->pgoff << 12: set
	 * vma->addr (honouring MAP_FIXED at vma->addr) and, if the mapping
	 * holds something, vma->close and vma->private_data. */
	int (*mmap)(struct file *f, struct vm_area *vma);
	/* The last reference is gone. */
	void (*release)(struct file *f);
};

struct file {
	atomic_long f_count;
	const struct file_operations *f_op;
	void *private_data;
	struct uiommu_host *host;
	char name[64];              /* node path or anonymous kind, for messages */
	int f_mode;                 /* O_RDONLY/O_WRONLY/O_RDWR */
	int f_flags;                /* as opened: access mode, O_NONBLOCK */

	/* FOP_READINESS files: a private duplicate of the backing eventfd,
	 * which the program never sees, to signal readiness through. */
	int wake_fd;
	pthread_mutex_t lock;       /* f_pos and the readable state */
	int64_t f_pos;
	bool readable;

	struct list_node host_node; /* files_host.files, under its lock */
	struct file *free_next;     /* the pool's free list (file.c) */
};

/* vm_area.vm_flags */
#define VM_PFNMAP (1u << 0) /* device memory (a BAR): not pages a pin can take */

struct vm_area {
	void *addr;
	size_t length;
	int prot, flags;
	unsigned vm_flags;          /* set by the mmap op */
	uint64_t pgoff;
	struct file *file;
	/* Called once when the mapping goes (munmap, or host teardown). */
	void (*close)(struct vm_area *vma);
	void *private_data;
	struct list_node node;
};

/* ---- for layers that provide files ---- */

/* Register `path` on the host: opening it creates a file with `fops`,
 * whose open op receives `node_data`. -EEXIST if taken. */
int devnode_register(struct uiommu_host *h, const char *path, const struct file_operations *fops,
		     void *node_data);
void devnode_unregister(struct uiommu_host *h, const char *path);

/* A directory of nodes that come and go with the objects behind them
 * (a node per IOMMU group under /dev/vfio/): looked up by name when
 * opened, listed on demand. Registered nodes win over a directory's. */
struct devnode_dir_ops {
	/* The node `name` (one path component): its fops and open data, or
	 * -ENOENT. */
	int (*lookup)(void *dir_data, const char *name, const struct file_operations **fops,
		      void **node_data);
	/* emit() each current name; stop at and return a non-zero. */
	int (*iterate)(void *dir_data, int (*emit)(const char *name, void *arg), void *arg);
};
/* `dir` ends with '/'. */
int devnode_register_dir(struct uiommu_host *h, const char *dir, const struct devnode_dir_ops *ops,
			 void *dir_data);

/* A new anonymous file and a descriptor for it in this process. `flags`:
 * O_RDWR/O_RDONLY/O_WRONLY, O_CLOEXEC, O_NONBLOCK. Returns the descriptor
 * or -errno; on success the file owns `priv` (release gets it). */
int anon_file_getfd(struct uiommu_host *h, const char *name, const struct file_operations *fops,
		    void *priv, int flags);

/* The file behind a descriptor, with a reference; NULL if it is not a
 * uiommu file. */
struct file *fget(int fd);
void fput(struct file *f);
void get_file(struct file *f);

/* ---- for transports (the exec shim, later the daemon) ---- */

/* ioctl(2), read/write(2) (off NULL: at and advancing the file position)
 * and pread/pwrite(2) on a file in hand (from fget()): what uiommu_ioctl()
 * and friends do after the lookup, so a caller that has already decided
 * the descriptor is uiommu's gets no -EBADF ambiguity. */
long file_ioctl(struct file *f, unsigned int cmd, unsigned long arg);
ssize_t file_rw(struct file *f, void *buf, size_t count, int64_t *off, bool write);
/* The program's descriptor `fd` is gone without uiommu_close() (closed
 * by a call no transport sees, or replaced by dup2 of a foreign file):
 * forget it, dropping its reference, without closing the number. */
void fd_forget(int fd);

/* Readiness of queue-like files (fault and event queues). */
void file_set_readable(struct file *f, bool readable);
/* O_NONBLOCK as the program's descriptor has it now (fcntl F_SETFL may
 * have changed it). */
bool file_nonblock(struct file *f);
/* Block until the file is readable (or a signal): 0 or -EINTR. */
int file_wait_readable(struct file *f);

/* Does [addr, +len) meet a mapping of a uiommu file with VM_PFNMAP? */
bool vma_range_pfnmap(uint64_t addr, uint64_t len);
/* Do such mappings cover all of [addr, +len), writable if asked? */
bool vma_range_all_pfnmap(uint64_t addr, uint64_t len, bool write);

/* ---- host lifecycle (host assembly) ---- */
int files_host_init(struct uiommu_host *h);
/* Closes every descriptor of the host's files still open, as a process
 * exit would, releases the files and drops the nodes. */
void files_host_fini(struct uiommu_host *h);

#endif
