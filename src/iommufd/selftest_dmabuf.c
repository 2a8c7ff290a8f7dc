/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The selftest's dma-buf exporter (IOMMU_TEST_OP_DMABUF_GET/REVOKE, SPEC
 * U-15): a buffer of zeroed memory handed out as a descriptor the test
 * maps with IOMMU_IOAS_MAP_FILE, and revoked or restored on request -
 * revoking takes it out of every I/O address space that maps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <uapi/linux/iommufd_test.h>

#include "iommufd_private.h"
#include "../files/dma_buf.h"
#include "../util/slab.h"

#define DMABUF_MAX_PAGES 512

struct test_dma_buf {
	void *memory;
	size_t length;
	bool revoked;   /* under the buffer's lock */
};

static int test_dmabuf_map_phys(struct dma_buf_attachment *attach, uint64_t *phys, uint64_t *len)
{
	struct test_dma_buf *priv = attach->dmabuf->priv;
	if (priv->revoked)
		return -ENODEV;
	*phys = (uint64_t)(uintptr_t)priv->memory;
	*len = priv->length;
	return 0;
}

static void test_dmabuf_release(struct dma_buf *buf)
{
	struct test_dma_buf *priv = buf->priv;
	free(priv->memory);
	free(priv);
}

static const struct dma_buf_ops test_dmabuf_ops = {
	.map_phys = test_dmabuf_map_phys,
	.release = test_dmabuf_release,
};

/* The new buffer's descriptor is the command's return value. */
int iommufd_test_dmabuf_get(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t len = ((uint64_t)cmd->dmabuf_get.length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (!len || len > PAGE_SIZE * DMABUF_MAX_PAGES)
		return -EINVAL;
	struct test_dma_buf *priv = kcalloc(1, sizeof(*priv));
	if (!priv)
		return -ENOMEM;
	priv->length = len;
	priv->memory = kmalloc_aligned(PAGE_SIZE, len);
	if (!priv->memory) {
		free(priv);
		return -ENOMEM;
	}
	memset(priv->memory, 0, len);
	int flags = (int)cmd->dmabuf_get.open_flags & (O_ACCMODE | O_CLOEXEC | O_NONBLOCK);
	int fd = dma_buf_export_fd(ucmd->ictx->host, &test_dmabuf_ops, priv, len, flags);
	if (fd < 0) {
		free(priv->memory);
		free(priv);
	}
	return fd;
}

int iommufd_test_dmabuf_revoke(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	int rc;
	struct dma_buf *buf = dma_buf_get(cmd->dmabuf_revoke.dmabuf_fd, &rc);
	if (!buf)
		return rc;
	if (buf->ops != &test_dmabuf_ops) {
		dma_buf_put(buf);
		return -EOPNOTSUPP;
	}
	struct test_dma_buf *priv = buf->priv;
	dma_buf_lock(buf);
	priv->revoked = cmd->dmabuf_revoke.revoked;
	dma_buf_invalidate_mappings(buf);
	dma_buf_unlock(buf);
	dma_buf_put(buf);
	return 0;
}
