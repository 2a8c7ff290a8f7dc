/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The paths a program sees of a host (SPEC F-2): /sys from the host's
 * kernfs tree (sysfs.h) and /dev from the file layer's device nodes,
 * laid over the real filesystem. What transports (the exec shim, later
 * the daemon) call to answer open, stat, access, readlink and directory
 * listings; everything the view does not own resolves to a real path.
 *
 * Ownership: a path is the host's if it lies in the /sys tree below a
 * directory the host owns whole (bus/pci/devices, kernel/iommu_groups,
 * ...), or is /dev/iommu, under /dev/vfio, or any other device node
 * path of the host, or the calling thread's /proc/self/task/<tid>/fail-nth
 * (and its other names; procfs.h). /, /sys, /sys/kernel, /dev and the like are
 * passthrough: the host adds entries to what is really there. Relative
 * paths count only against a directory descriptor of the view.
 *
 * Files of the view are file-layer files (file.h): an attribute's reads
 * and writes go to its show and store, a directory descriptor answers
 * fstat and serves as a base for *at() calls. The program owns every
 * node of its host: permission checks use the owner's bits.
 */
#ifndef UIOMMU_SYSFS_VFS_H
#define UIOMMU_SYSFS_VFS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>

struct uiommu_host;
struct file;
struct kernfs_node;

enum vfs_kind {
	VFS_REAL,     /* not the host's: use the real filesystem at `path` */
	VFS_KERNFS,   /* a node of the /sys tree: `kn`, with a reference */
	VFS_DEVNODE,  /* a device node at `path` */
	VFS_DEVDIR,   /* a directory of device nodes at `path` */
	VFS_PROC,     /* the calling thread's /proc fail-nth (procfs.h) */
};

struct vfs_loc {
	enum vfs_kind kind;
	struct kernfs_node *kn;
	char path[PATH_MAX];
};

/* Cheap, without a host: could `path` (absolute) be the view's? Lets a
 * transport leave /etc, /proc, /usr... alone without building one. */
bool vfs_path_maybe_ours(const char *path);

#define VFS_NOFOLLOW (1u << 0) /* a final symlink is the result (lstat, readlink) */

/* What `path` names, relative to `base` (a directory file of the view,
 * or NULL). 0 (then vfs_loc_put()) or -errno for a path of the view that
 * does not resolve. A VFS_REAL result carries the path to use instead. */
int vfs_resolve(struct uiommu_host *h, struct file *base, const char *path, unsigned flags,
		struct vfs_loc *loc);
void vfs_loc_put(struct vfs_loc *loc);

/* open(2) of a view path: a descriptor or -errno. `flags` as open's. */
int vfs_open(struct uiommu_host *h, const struct vfs_loc *loc, int flags);
int vfs_stat(struct uiommu_host *h, const struct vfs_loc *loc, struct stat *st);
/* access(2) mode bits (F_OK, R_OK, W_OK, X_OK). */
int vfs_access(struct uiommu_host *h, const struct vfs_loc *loc, int mode);
int vfs_readlink(const struct vfs_loc *loc, char *buf, size_t size);

/* fstat(2) of a file of the view; -ENOENT if it is another kind (a
 * VFIO device fd: the caller asks the kernel about its backing object). */
int vfs_fstat(struct file *f, struct stat *st);
/* The directory a file of the view stands for, for *at() and fdopendir;
 * -ENOTDIR if it is not one. */
int vfs_file_loc(struct file *f, struct vfs_loc *loc);

/* A directory's entries: names with DT_* types, sorted; for passthrough
 * directories the host's entries only (the caller merges the real ones).
 * Returns the count or -errno; free with vfs_dirents_free(). */
struct vfs_dirent {
	char *name;
	unsigned char type;
	unsigned long ino;
};
int vfs_list(struct uiommu_host *h, const struct vfs_loc *loc, struct vfs_dirent **out,
	     bool *passthrough);
void vfs_dirents_free(struct vfs_dirent *d, int n);

#endif
