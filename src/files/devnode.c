/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device nodes of a host: the paths uiommu_open() knows, each with the
 * operations of the files it opens. Layers register theirs as they come
 * up (iommufd: /dev/iommu; VFIO: /dev/vfio/vfio, a node per group, a
 * cdev per device) and drop them as they go.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files_host.h"
#include "../host/host.h"
#include "../util/slab.h"

static struct files_host *files_of(struct uiommu_host *h)
{
	return h ? h->files : NULL;
}

static struct devnode *lookup(struct files_host *fh, const char *path)
{
	struct devnode *n;
	list_for_each_entry(n, &fh->nodes, node)
		if (!strcmp(n->path, path))
			return n;
	return NULL;
}

static int node_add(struct files_host *fh, const char *path, const struct file_operations *fops,
		    const struct devnode_dir_ops *dir_ops, void *node_data)
{
	struct devnode *n = kcalloc(1, sizeof(*n));
	if (!n || !(n->path = kstrdup(path))) {
		free(n);
		return -ENOMEM;
	}
	n->fops = fops;
	n->dir_ops = dir_ops;
	n->node_data = node_data;
	pthread_mutex_lock(&fh->lock);
	int rc = 0;
	if (lookup(fh, path)) {
		rc = -EEXIST;
	} else {
		/* Sorted, so listings come out as a directory would. */
		struct devnode *at;
		list_for_each_entry(at, &fh->nodes, node)
			if (strcmp(at->path, path) > 0)
				break;
		list_add_tail(&n->node, &at->node);
	}
	pthread_mutex_unlock(&fh->lock);
	if (rc) {
		free(n->path);
		free(n);
	}
	return rc;
}

int devnode_register(struct uiommu_host *h, const char *path, const struct file_operations *fops,
		     void *node_data)
{
	struct files_host *fh = files_of(h);
	size_t len = path ? strlen(path) : 0;
	if (!fh || !len || path[0] != '/' || path[len - 1] == '/' || !fops)
		return -EINVAL;
	return node_add(fh, path, fops, NULL, node_data);
}

int devnode_register_dir(struct uiommu_host *h, const char *dir, const struct devnode_dir_ops *ops,
			 void *dir_data)
{
	struct files_host *fh = files_of(h);
	size_t len = dir ? strlen(dir) : 0;
	if (!fh || len < 2 || dir[0] != '/' || dir[len - 1] != '/' || !ops || !ops->lookup)
		return -EINVAL;
	return node_add(fh, dir, NULL, ops, dir_data);
}

void devnode_unregister(struct uiommu_host *h, const char *path)
{
	struct files_host *fh = files_of(h);
	if (!fh || !path)
		return;
	pthread_mutex_lock(&fh->lock);
	struct devnode *n = lookup(fh, path);
	if (n)
		list_del(&n->node);
	pthread_mutex_unlock(&fh->lock);
	if (n) {
		free(n->path);
		free(n);
	}
}

/* The directory node `path` is directly under, or NULL. fh->lock held. */
static struct devnode *dir_of(struct files_host *fh, const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return NULL;
	struct devnode *n;
	list_for_each_entry(n, &fh->nodes, node) {
		size_t len = strlen(n->path);
		if (n->dir_ops && len == (size_t)(slash - path) + 1 && !strncmp(n->path, path, len)) {
			*name = slash + 1;
			return n;
		}
	}
	return NULL;
}

/* What opening `path` means: fops and open data, or -ENOENT. */
static int resolve(struct files_host *fh, const char *path, const struct file_operations **fops,
		   void **data)
{
	pthread_mutex_lock(&fh->lock);
	struct devnode *n = lookup(fh, path);
	int rc = -ENOENT;
	if (n && n->fops) {
		*fops = n->fops;
		*data = n->node_data;
		rc = 0;
	} else if (!n) {
		const char *name;
		struct devnode *d = dir_of(fh, path, &name);
		/* The directory's lookup runs under the lock, so the
		 * provider cannot be unregistered meanwhile; it must not
		 * call back into the file layer. */
		if (d)
			rc = d->dir_ops->lookup(d->node_data, name, fops, data);
	}
	pthread_mutex_unlock(&fh->lock);
	return rc;
}

int uiommu_open(struct uiommu_host *h, const char *path, int flags)
{
	struct files_host *fh = files_of(h);
	if (!fh || !path)
		return -EINVAL;
	const struct file_operations *fops;
	void *data;
	int rc = resolve(fh, path, &fops, &data);
	return rc ? rc : file_open_node(h, path, fops, data, flags);
}

bool uiommu_node_exists(struct uiommu_host *h, const char *path)
{
	struct files_host *fh = files_of(h);
	const struct file_operations *fops;
	void *data;
	return fh && path && resolve(fh, path, &fops, &data) == 0;
}

struct name_list {
	char **v;
	size_t n, cap;
	const char *dir;
};

static int name_list_add(const char *name, void *arg)
{
	struct name_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = krealloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	size_t len = strlen(l->dir) + strlen(name) + 1;
	char *p = kmalloc(len);
	if (!p)
		return -ENOMEM;
	snprintf(p, len, "%s%s", l->dir, name);
	l->v[l->n++] = p;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int uiommu_for_each_node(struct uiommu_host *h, int (*fn)(const char *path, void *arg), void *arg)
{
	struct files_host *fh = files_of(h);
	if (!fh || !fn)
		return -EINVAL;
	/* A sorted snapshot, so `fn` may open nodes (or a layer add them). */
	struct name_list l = { .dir = "" };
	int rc = 0;
	pthread_mutex_lock(&fh->lock);
	struct devnode *d;
	list_for_each_entry(d, &fh->nodes, node) {
		if (d->fops) {
			rc = name_list_add(d->path, &l);
		} else if (d->dir_ops->iterate) {
			l.dir = d->path;
			rc = d->dir_ops->iterate(d->node_data, name_list_add, &l);
			l.dir = "";
		}
		if (rc)
			break;
	}
	pthread_mutex_unlock(&fh->lock);
	if (!rc && l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	for (size_t i = 0; i < l.n; i++) {
		if (!rc)
			rc = fn(l.v[i], arg);
		free(l.v[i]);
	}
	free(l.v);
	return rc;
}

void files_host_link(struct file *f)
{
	struct files_host *fh = files_of(f->host);
	if (!fh)
		return;
	pthread_mutex_lock(&fh->lock);
	list_add_tail(&f->host_node, &fh->files);
	pthread_mutex_unlock(&fh->lock);
}

void files_host_unlink(struct file *f)
{
	struct files_host *fh = files_of(f->host);
	if (!fh)
		return;
	pthread_mutex_lock(&fh->lock);
	list_del(&f->host_node);
	pthread_mutex_unlock(&fh->lock);
}

int files_host_init(struct uiommu_host *h)
{
	struct files_host *fh = kcalloc(1, sizeof(*fh));
	if (!fh)
		return -ENOMEM;
	pthread_mutex_init(&fh->lock, NULL);
	list_init(&fh->nodes);
	list_init(&fh->files);
	h->files = fh;
	return 0;
}

void files_host_fini(struct uiommu_host *h)
{
	struct files_host *fh = files_of(h);
	if (!fh)
		return;
	/* As at process exit: mappings go, then descriptors; each file is
	 * released with its last reference. */
	vma_close_host(h);
	fdtable_close_host(h);
	/* Only a layer holding a file it never put can leave one here;
	 * detach the stragglers so nothing points at a freed host. */
	pthread_mutex_lock(&fh->lock);
	while (!list_empty(&fh->files)) {
		struct file *f = list_entry(fh->files.next, struct file, host_node);
		list_del(&f->host_node);
		f->host = NULL;
	}
	pthread_mutex_unlock(&fh->lock);
	struct devnode *n, *t;
	list_for_each_entry_safe(n, t, &fh->nodes, node) {
		list_del(&n->node);
		free(n->path);
		free(n);
	}
	pthread_mutex_destroy(&fh->lock);
	free(fh);
	h->files = NULL;
}
