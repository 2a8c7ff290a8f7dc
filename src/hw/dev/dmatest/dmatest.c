/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dmatest engine. A GO write runs the copy to completion in the
 * writer's thread through the device's own DMA context, the way a doorbell
 * starts a simple engine; STATUS then reads DONE or ERROR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmatest.h"
#include "../../machine.h"
#include "../../pci/dma.h"

struct dmatest {
	pthread_mutex_t lock;
	struct pci_dma_ctx *dma;
	uint64_t src, dst, fault, done, count, bytes;
	uint32_t len, status, error;
};

static void run(struct hw_pci_function *d, struct dmatest *t)
{
	t->status = DMATEST_STATUS_BUSY;
	t->error = DMATEST_ERR_NONE;
	t->done = 0;
	t->fault = 0;
	if (!t->len || t->len > DMATEST_MAX_LEN) {
		t->status = DMATEST_STATUS_ERROR;
		t->error = DMATEST_ERR_LEN;
		return;
	}
	struct pci_dma_attr a = { .pasid = PCI_NO_PASID };
	struct pci_dma_result res;
	pci_dma_ctx_online(t->dma);
	int rc = pci_dma_copy(t->dma, d, &a, t->dst, t->src, t->len, &res);
	pci_dma_ctx_offline(t->dma);

	t->done = res.done;
	t->bytes += res.done;
	if (!rc) {
		t->status = DMATEST_STATUS_DONE;
		t->count++;
		return;
	}
	t->status = DMATEST_STATUS_ERROR;
	t->fault = res.fault_addr;
	if (res.status == PCI_DMA_BLOCKED && !hw_pci_bus_master(d))
		t->error = DMATEST_ERR_MASTER;
	else if (res.status == PCI_DMA_FAULT || res.status == PCI_DMA_BLOCKED)
		t->error = res.fault_write ? DMATEST_ERR_WRITE : DMATEST_ERR_READ;
	else
		t->error = DMATEST_ERR_ABORT;
}

static int bar_read(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
		    uint64_t *val)
{
	struct dmatest *t = d->model;
	if (bar != 0 || (size != 4 && size != 8) || (off & (size - 1)) || off + size > DMATEST_BAR0_SIZE)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	uint64_t v;
	switch (off & ~7ull) {
	case DMATEST_REG_ID: v = DMATEST_ID_VALUE; break;
	case DMATEST_REG_SRC: v = t->src; break;
	case DMATEST_REG_DST: v = t->dst; break;
	case DMATEST_REG_LEN: v = t->len; break; /* CTRL (0x1c) reads 0 */
	case DMATEST_REG_STATUS: v = t->status | ((uint64_t)t->error << 32); break;
	case DMATEST_REG_FAULT: v = t->fault; break;
	case DMATEST_REG_DONE: v = t->done; break;
	case DMATEST_REG_COUNT: v = t->count; break;
	case DMATEST_REG_BYTES: v = t->bytes; break;
	default: v = 0; break;
	}
	pthread_mutex_unlock(&t->lock);
	if (size == 4 && (off & 4))
		v >>= 32;
	*val = size == 4 ? (uint32_t)v : v;
	return 0;
}

static void set_half(uint64_t *r, uint64_t off, unsigned size, uint64_t val)
{
	if (size == 8)
		*r = val;
	else if (off & 4)
		*r = (*r & 0xffffffffull) | (val << 32);
	else
		*r = (*r & ~0xffffffffull) | (uint32_t)val;
}

static int bar_write(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
		     uint64_t val)
{
	struct dmatest *t = d->model;
	if (bar != 0 || (size != 4 && size != 8) || (off & (size - 1)) || off + size > DMATEST_BAR0_SIZE)
		return -EINVAL;
	if (!(hw_pci_cfg_ld(d, PCI_COMMAND) & PCI_COMMAND_MEMORY))
		return 0; /* memory decoding off: the write goes nowhere */
	bool irq = false;
	pthread_mutex_lock(&t->lock);
	switch (off & ~7ull) {
	case DMATEST_REG_SRC: set_half(&t->src, off, size, val); break;
	case DMATEST_REG_DST: set_half(&t->dst, off, size, val); break;
	case DMATEST_REG_LEN: {
		uint32_t ctrl = 0;
		if (size == 8) {
			t->len = (uint32_t)val;
			ctrl = (uint32_t)(val >> 32);
		} else if (off & 4) {
			ctrl = (uint32_t)val;
		} else {
			t->len = (uint32_t)val;
		}
		if (ctrl & DMATEST_CTRL_RESET) {
			t->status = DMATEST_STATUS_IDLE;
			t->error = 0;
			t->count = t->bytes = t->done = t->fault = 0;
		}
		if (ctrl & DMATEST_CTRL_GO) {
			if (!hw_pci_bus_master(d)) {
				t->status = DMATEST_STATUS_ERROR;
				t->error = DMATEST_ERR_MASTER;
			} else {
				run(d, t);
			}
			irq = ctrl & DMATEST_CTRL_INT;
		}
		break;
	}
	default:
		break; /* read-only */
	}
	pthread_mutex_unlock(&t->lock);
	/* The operation is over (STATUS says how): the interrupt after it. */
	if (irq)
		hw_pci_msi_notify(d, 0);
	return 0;
}

static void reset(struct hw_pci_function *d)
{
	struct dmatest *t = d->model;
	pthread_mutex_lock(&t->lock);
	t->src = t->dst = t->fault = t->done = t->count = t->bytes = 0;
	t->len = t->status = t->error = 0;
	pthread_mutex_unlock(&t->lock);
}

static void destroy(struct hw_pci_function *d)
{
	struct dmatest *t = d->model;
	if (!t)
		return;
	pci_dma_ctx_free(t->dma);
	pthread_mutex_destroy(&t->lock);
	free(t);
	d->model = NULL;
}

static const struct hw_pci_function_ops dmatest_ops = {
	.bar_read = bar_read,
	.bar_write = bar_write,
	.reset = reset,
	.destroy = destroy,
};

int dmatest_init(struct hw_pci_function *d)
{
	struct dmatest *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int rc = pci_dma_ctx_new(d->m, &t->dma);
	if (rc) {
		free(t);
		return rc;
	}
	pthread_mutex_init(&t->lock, NULL);
	hw_pci_cfg_set16(d, PCI_VENDOR_ID, DMATEST_VENDOR_ID);
	hw_pci_cfg_set16(d, PCI_DEVICE_ID, DMATEST_DEVICE_ID);
	hw_pci_cfg_set16(d, PCI_CLASS_DEVICE, 0x0880); /* system peripheral, other */
	hw_pci_set_bar(d, 0, DMATEST_BAR0_SIZE);
	int rc2 = hw_pci_set_bar_memory(d, 2, DMATEST_BAR2_SIZE);
	if (rc2) {
		pci_dma_ctx_free(t->dma);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return rc2;
	}
	hw_pci_add_msi_cap(d, DMATEST_MSI_VECTORS_LOG2);
	hw_pci_add_msix_cap(d, DMATEST_MSIX_VECTORS, 0, DMATEST_MSIX_TABLE, DMATEST_MSIX_PBA);
	snprintf(d->model_name, sizeof(d->model_name), "dmatest");
	d->model = t;
	d->ops = &dmatest_ops;
	return 0;
}
