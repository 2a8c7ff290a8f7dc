/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared buffers (Linux's dma-buf, drivers/dma-buf in shape): memory one
 * driver exports as a file and others import by its descriptor - here
 * iommufd's IOMMU_IOAS_MAP_FILE, which maps the buffer into I/O address
 * spaces (SPEC U-3, U-15). The exporter may revoke the memory at any
 * time: every importer is told through its attachment and must drop its
 * mappings before the call returns.
 *
 * Importers reach the memory through the exporter's map_phys - the
 * private interconnect Linux 7.2 gives iommufd (a physically contiguous
 * range) rather than scatterlists.
 *
 * Lock order: the buffer's lock (Linux's reservation lock) before
 * anything an importer takes in invalidate_mappings.
 */
#ifndef UIOMMU_FILES_DMA_BUF_H
#define UIOMMU_FILES_DMA_BUF_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/list.h"

struct file;
struct uiommu_host;
struct dma_buf;
struct dma_buf_attachment;

struct dma_buf_ops {
	/* The memory as one physical range: -ENODEV while revoked, or
	 * -EOPNOTSUPP for an importer the exporter does not serve. Called
	 * with the buffer's lock held. */
	int (*map_phys)(struct dma_buf_attachment *attach, uint64_t *phys, uint64_t *len);
	/* The last reference went: free priv. */
	void (*release)(struct dma_buf *buf);
};

struct dma_buf_attach_ops {
	/* The memory moved or was revoked: mappings of it go now. Called
	 * with the buffer's lock held. */
	void (*invalidate_mappings)(struct dma_buf_attachment *attach);
};

struct dma_buf {
	size_t size;
	const struct dma_buf_ops *ops;
	void *priv;                    /* the exporter's */
	struct file *file;             /* the buffer lives as long as its file */
	pthread_mutex_t lock;          /* attachments, and the exporter's state */
	struct list_node attachments;  /* struct dma_buf_attachment */
};

struct dma_buf_attachment {
	struct dma_buf *dmabuf;
	const struct dma_buf_attach_ops *importer_ops;
	void *importer_priv;
	struct list_node node;         /* dmabuf->attachments */
};

/* A new buffer of `size` bytes and a descriptor for it (flags: O_CLOEXEC,
 * O_RDWR...): the descriptor, or -errno. The file owns priv from then. */
int dma_buf_export_fd(struct uiommu_host *h, const struct dma_buf_ops *ops, void *priv,
		      size_t size, int flags);
/* The buffer behind a descriptor, with a reference: NULL and -EBADF (not
 * a uiommu file) or -EINVAL (not a buffer). */
struct dma_buf *dma_buf_get(int fd, int *err);
void dma_buf_put(struct dma_buf *buf);

/* An importer's attachment; it holds a reference on the buffer until
 * dma_buf_detach(). */
struct dma_buf_attachment *dma_buf_attach(struct dma_buf *buf,
					  const struct dma_buf_attach_ops *ops, void *priv,
					  int *err);
void dma_buf_detach(struct dma_buf_attachment *attach);

void dma_buf_lock(struct dma_buf *buf);
void dma_buf_unlock(struct dma_buf *buf);
/* The exporter changed the memory: every importer drops its mappings.
 * Caller holds the buffer's lock. */
void dma_buf_invalidate_mappings(struct dma_buf *buf);

#endif
