/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tree of directories, attribute files and symlinks, as Linux's kernfs
 * (fs/kernfs) holds sysfs and debugfs-like views: layers add nodes for
 * their objects and remove them when the objects go; programs walk
 * paths, list directories, read links, and read or write attributes,
 * whose contents the owning layer computes on each access (show) or
 * consumes (store). See sysfs.h for the host's tree (SPEC F-2).
 *
 * Locking. One rwlock per root guards the tree's shape: children lists,
 * parents, names, the removed flag. A walk or listing holds it shared
 * and hands back references; adding and removing hold it exclusive.
 * A node's memory lives while it has references (kernfs_get/put).
 *
 * Active references: show and store run with an active reference on
 * their node, taken only while the node is not removed. kernfs_remove()
 * waits for the active references of everything it removes to drain, so
 * once it returns no callback runs or will run on those nodes, and the
 * owner may free what `priv` points to. A store that removes its own node
 * (an mdev's `remove`) breaks its active protection first, as Linux's
 * kernfs_break_active_protection().
 */
#ifndef UIOMMU_SYSFS_KERNFS_H
#define UIOMMU_SYSFS_KERNFS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../util/list.h"

struct kernfs_node;
struct kernfs_root;

enum kernfs_type {
	KERNFS_DIR,
	KERNFS_FILE,
	KERNFS_LINK,
};

/* Attribute sizes as Linux's: show fills at most one page. */
#define KERNFS_ATTR_SIZE 4096u

struct kernfs_ops {
	/* The whole content into buf (KERNFS_ATTR_SIZE bytes): its length,
	 * or -errno. */
	ssize_t (*show)(struct kernfs_node *kn, char *buf);
	/* Instead of show, for debugfs-like files of any length: print the
	 * content to f; 0 or -errno. */
	int (*seq_show)(struct kernfs_node *kn, FILE *f);
	/* One write's bytes (NUL-terminated, at most KERNFS_ATTR_SIZE - 1):
	 * what was consumed (normally count), or -errno. */
	ssize_t (*store)(struct kernfs_node *kn, const char *buf, size_t count);
};

/* Directory flags. */
/* A name this directory lacks is the real filesystem's (the tree is
 * laid over it: "/", "/sys", "/sys/kernel" hold real entries too). */
#define KERNFS_DIR_PASSTHROUGH (1u << 0)

struct kernfs_node {
	atomic_int count;             /* references: the tree's, walkers', open files' */
	atomic_int active;            /* show/store in progress; < 0: removed (see .c) */
	enum kernfs_type type;
	unsigned mode;                /* permission bits (0444, 0200, 0755, ...) */
	unsigned flags;               /* KERNFS_DIR_* */
	uint64_t ino;
	char *name;
	struct kernfs_root *root;
	struct kernfs_node *parent;   /* a reference; NULL for the root */
	struct list_node sibling;     /* parent's children, sorted by name */
	struct list_node children;    /* directories */
	const struct kernfs_ops *ops; /* files */
	struct kernfs_node *target;   /* links: a reference */
	void *priv;                   /* the owner's */
};

/* A tree whose root directory stands for "/". */
struct kernfs_root *kernfs_create_root(void);
/* Removes everything; the caller holds no node. */
void kernfs_destroy_root(struct kernfs_root *r);
struct kernfs_node *kernfs_root_node(struct kernfs_root *r);

/* Each returns 0 and, if `out` is given, the new node (the tree's; take
 * a reference to keep it past its removal), or -EEXIST (the name is
 * taken), -ENOENT (the parent is removed), -EINVAL, -ENOMEM. */
int kernfs_create_dir(struct kernfs_node *parent, const char *name, unsigned mode,
		      unsigned flags, void *priv, struct kernfs_node **out);
int kernfs_create_file(struct kernfs_node *parent, const char *name, unsigned mode,
		       const struct kernfs_ops *ops, void *priv, struct kernfs_node **out);
int kernfs_create_link(struct kernfs_node *parent, const char *name,
		       struct kernfs_node *target, struct kernfs_node **out);
/* A directory on the way: the existing one, or a new one. */
int kernfs_ensure_dir(struct kernfs_node *parent, const char *name, unsigned mode,
		      unsigned flags, struct kernfs_node **out);

/* Unlinks `kn` and everything below it, then waits for their show and
 * store calls to finish. NULL is ignored. */
void kernfs_remove(struct kernfs_node *kn);
/* kernfs_remove() of parent's child `name`; -ENOENT if none. */
int kernfs_remove_by_name(struct kernfs_node *parent, const char *name);

void kernfs_get(struct kernfs_node *kn);
void kernfs_put(struct kernfs_node *kn);
bool kernfs_removed(struct kernfs_node *kn);

/* The child `name` of a directory, with a reference; NULL if none. */
struct kernfs_node *kernfs_find_and_get(struct kernfs_node *dir, const char *name);

/* ---- walking paths, as namei does ---- */
#define KERNFS_WALK_NOFOLLOW (1u << 0) /* the last component's link is the result */

struct kernfs_walk {
	struct kernfs_node *kn;      /* the result, with a reference (0 returned) */
	/* KERNFS_WALK_PASS (returned): the path leaves the tree through a
	 * passthrough directory; this is the real path to use instead. */
	char real[4096];
};
#define KERNFS_WALK_PASS 1

/* Resolve `path`, absolute or relative to directory `base` (NULL: the
 * root), following links (at most 40), "." and "..". Returns 0,
 * KERNFS_WALK_PASS, or -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG. A
 * trailing '/' asks for a directory. */
int kernfs_walk(struct kernfs_root *r, struct kernfs_node *base, const char *path,
		unsigned flags, struct kernfs_walk *w);

/* The absolute path of a node ("/sys/bus/pci"); -ENAMETOOLONG or -ENOENT
 * (removed), else its length. */
int kernfs_path(struct kernfs_node *kn, char *buf, size_t size);
/* A link's target relative to the link's directory, as sysfs shows it
 * ("../../../kernel/iommu_groups/3"); its length or -errno. */
int kernfs_readlink(struct kernfs_node *kn, char *buf, size_t size);

/* A directory's entries at one moment: names and types, sorted. */
struct kernfs_dirent {
	char *name;
	enum kernfs_type type;
	uint64_t ino;
};
/* Fills *out (free with kernfs_dirents_free); returns the count or -errno. */
int kernfs_list(struct kernfs_node *dir, struct kernfs_dirent **out);
void kernfs_dirents_free(struct kernfs_dirent *d, int n);

/* ---- attribute access ---- */
/* The content show or seq_show makes, in a new buffer (*data, free()
 * it) of *len bytes, NUL-terminated; under an active reference. 0, or
 * -ENODEV once removed, -EIO without either op, -ENOMEM. */
int kernfs_show(struct kernfs_node *kn, char **data, size_t *len);
/* store under an active reference; -ENODEV once removed, -EACCES
 * without the op. */
ssize_t kernfs_store(struct kernfs_node *kn, const char *buf, size_t count);
/* Inside a store: let a removal of this very node proceed. */
void kernfs_break_active_protection(struct kernfs_node *kn);
void kernfs_unbreak_active_protection(struct kernfs_node *kn);

#endif
