/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device nodes of a host: the paths uiommu_open() knows, each with the
 * operations of the files it opens. Layers register theirs as they come
 * up (iommufd: /dev/iommu; VFIO: /dev/vfio/vfio, a node per group, a
 * cdev per device) and drop them as they go.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "files_host.h"
#include "../host.h"

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

int devnode_register(struct uiommu_host *h, const char *path, const struct file_operations *fops,
		     void *node_data)
{
	struct files_host *fh = files_of(h);
	if (!fh || !path || path[0] != '/' || !fops)
		return -EINVAL;
	struct devnode *n = calloc(1, sizeof(*n));
	if (!n || !(n->path = strdup(path))) {
		free(n);
		return -ENOMEM;
	}
	n->fops = fops;
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

int uiommu_open(struct uiommu_host *h, const char *path, int flags)
{
	struct files_host *fh = files_of(h);
	if (!fh || !path)
		return -EINVAL;
	pthread_mutex_lock(&fh->lock);
	struct devnode *n = lookup(fh, path);
	const struct file_operations *fops = n ? n->fops : NULL;
	void *data = n ? n->node_data : NULL;
	pthread_mutex_unlock(&fh->lock);
	if (!fops)
		return -ENOENT;
	return file_open_node(h, path, fops, data, flags);
}

bool uiommu_node_exists(struct uiommu_host *h, const char *path)
{
	struct files_host *fh = files_of(h);
	if (!fh || !path)
		return false;
	pthread_mutex_lock(&fh->lock);
	bool found = lookup(fh, path) != NULL;
	pthread_mutex_unlock(&fh->lock);
	return found;
}

int uiommu_for_each_node(struct uiommu_host *h, int (*fn)(const char *path, void *arg), void *arg)
{
	struct files_host *fh = files_of(h);
	if (!fh || !fn)
		return -EINVAL;
	/* A snapshot, so `fn` may open nodes (or a layer add them). */
	pthread_mutex_lock(&fh->lock);
	size_t n = list_count(&fh->nodes), i = 0;
	char **paths = calloc(n ? n : 1, sizeof(*paths));
	struct devnode *d;
	if (paths)
		list_for_each_entry(d, &fh->nodes, node)
			if (!(paths[i++] = strdup(d->path)))
				break;
	pthread_mutex_unlock(&fh->lock);
	if (!paths || i < n || (n && !paths[n - 1])) {
		for (size_t k = 0; paths && k < n; k++)
			free(paths[k]);
		free(paths);
		return -ENOMEM;
	}
	int rc = 0;
	for (i = 0; i < n; i++) {
		if (!rc)
			rc = fn(paths[i], arg);
		free(paths[i]);
	}
	free(paths);
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
	struct files_host *fh = calloc(1, sizeof(*fh));
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
