/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared buffers as files (dma_buf.h): export, lookup by descriptor,
 * attachments and their invalidation.
 */
#include <errno.h>
#include <stdlib.h>

#include "dma_buf.h"
#include "file.h"
#include "../util/slab.h"

static void dma_buf_release(struct file *f)
{
	struct dma_buf *buf = f->private_data;
	/* Attachments hold references: none can be left. */
	if (buf->ops->release)
		buf->ops->release(buf);
	pthread_mutex_destroy(&buf->lock);
	free(buf);
}

static const struct file_operations dma_buf_fops = {
	.release = dma_buf_release,
};

int dma_buf_export_fd(struct uiommu_host *h, const struct dma_buf_ops *ops, void *priv,
		      size_t size, int flags)
{
	if (!ops || !size)
		return -EINVAL;
	struct dma_buf *buf = kcalloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	buf->size = size;
	buf->ops = ops;
	buf->priv = priv;
	pthread_mutex_init(&buf->lock, NULL);
	list_init(&buf->attachments);
	int fd = anon_file_getfd(h, "dmabuf", &dma_buf_fops, buf, flags);
	if (fd < 0) {
		pthread_mutex_destroy(&buf->lock);
		free(buf);
		return fd;
	}
	/* The descriptor's reference keeps the file; the pointer is only
	 * ever used by holders of another. */
	struct file *f = fget(fd);
	buf->file = f;
	fput(f);
	return fd;
}

struct dma_buf *dma_buf_get(int fd, int *err)
{
	struct file *f = fget(fd);
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (f->f_op != &dma_buf_fops) {
		fput(f);
		*err = -EINVAL;
		return NULL;
	}
	return f->private_data;
}

void dma_buf_put(struct dma_buf *buf)
{
	if (buf)
		fput(buf->file);
}

struct dma_buf_attachment *dma_buf_attach(struct dma_buf *buf,
					  const struct dma_buf_attach_ops *ops, void *priv,
					  int *err)
{
	struct dma_buf_attachment *a = kcalloc(1, sizeof(*a));
	if (!a) {
		*err = -ENOMEM;
		return NULL;
	}
	a->dmabuf = buf;
	a->importer_ops = ops;
	a->importer_priv = priv;
	get_file(buf->file);
	pthread_mutex_lock(&buf->lock);
	list_add_tail(&a->node, &buf->attachments);
	pthread_mutex_unlock(&buf->lock);
	return a;
}

void dma_buf_detach(struct dma_buf_attachment *attach)
{
	struct dma_buf *buf = attach->dmabuf;
	pthread_mutex_lock(&buf->lock);
	list_del(&attach->node);
	pthread_mutex_unlock(&buf->lock);
	free(attach);
	fput(buf->file);
}

void dma_buf_lock(struct dma_buf *buf)
{
	pthread_mutex_lock(&buf->lock);
}

void dma_buf_unlock(struct dma_buf *buf)
{
	pthread_mutex_unlock(&buf->lock);
}

void dma_buf_invalidate_mappings(struct dma_buf *buf)
{
	struct dma_buf_attachment *a;
	list_for_each_entry(a, &buf->attachments, node)
		if (a->importer_ops && a->importer_ops->invalidate_mappings)
			a->importer_ops->invalidate_mappings(a);
}
