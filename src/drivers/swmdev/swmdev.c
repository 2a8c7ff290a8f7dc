/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * swmdev: a software mdev parent with vendor-defined isolation (SPEC M-7,
 * the "external domain" half of patch 8). Its instances are copy engines
 * implemented by the parent itself - no device DMA, no iommu_device - so
 * VFIO cannot isolate them with the IOMMU; the parent isolates them by
 * reaching user memory only through vfio_pin_pages(), which admits only
 * what the user mapped into the container, with the permissions mapped.
 *
 * Each instance shows the dmatest register layout (<uiommu/hw/dmatest.h>)
 * in BAR0, so one user driver runs on either. Pins are cached per
 * instance and dropped when VFIO reports an unmap, as a vendor driver
 * must for UNMAP_DMA to complete.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/hw/dmatest.h>
#include <uiommu/hw/pci_regs.h>
#include <uiommu/iommu.h>

#include "swmdev.h"
#include "../../mdev/mdev.h"
#include "../../util/fixup_access.h"
#include "../../vfio/vfio.h"
#include "../../util/slab.h"

#define SWMDEV_INSTANCES 8
#define PIN_CACHE 64
#define PG 4096ull
#define CFG_SIZE 256

struct pin {
	uint64_t iova;               /* page */
	uint64_t hva;
	int prot;
	bool valid;
};

struct sw_engine {
	pthread_mutex_t lock;
	struct vfio_device *vd;      /* while open */
	uint8_t cfg[CFG_SIZE];
	uint64_t src, dst, fault, done, count, bytes;
	uint32_t len, status, error;
	struct pin pins[PIN_CACHE];
	bool used;
};

struct swmdev {
	struct device dev;           /* the platform parent, "swmdev0" */
	struct mdev_parent *parent;
	pthread_mutex_t lock;
	struct sw_engine engines[SWMDEV_INSTANCES];
};

/* ---- the pin cache ---- */

static void pin_drop(struct sw_engine *e, struct pin *p)
{
	if (p->valid && e->vd)
		vfio_unpin_pages(e->vd, p->iova, 1);
	p->valid = false;
}

static void pins_drop_range(struct sw_engine *e, uint64_t iova, uint64_t len)
{
	for (unsigned i = 0; i < PIN_CACHE; i++)
		if (e->pins[i].valid && e->pins[i].iova >= iova && e->pins[i].iova - iova < len)
			pin_drop(e, &e->pins[i]);
}

/* The host address of `iova`'s page, pinned with at least `prot`. */
static int pin_get(struct sw_engine *e, uint64_t iova, int prot, uint64_t *hva)
{
	uint64_t page = iova & ~(PG - 1);
	struct pin *p = &e->pins[(page / PG) % PIN_CACHE];
	if (p->valid && p->iova == page && (p->prot & prot) == prot) {
		*hva = p->hva + (iova - page);
		return 0;
	}
	pin_drop(e, p);
	uint64_t h;
	int rc = vfio_pin_pages(e->vd, page, 1, prot, &h);
	if (rc < 0)
		return rc;
	*p = (struct pin){ .iova = page, .hva = h, .prot = prot, .valid = true };
	*hva = h + (iova - page);
	return 0;
}

/* ---- the engine ---- */

static void engine_reset(struct sw_engine *e)
{
	for (unsigned i = 0; i < PIN_CACHE; i++)
		pin_drop(e, &e->pins[i]);
	e->src = e->dst = e->fault = e->done = e->count = e->bytes = 0;
	e->len = e->error = 0;
	e->status = DMATEST_STATUS_IDLE;
}

static void go(struct sw_engine *e)
{
	e->done = 0;
	e->error = DMATEST_ERR_NONE;
	if (!(e->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
		e->error = DMATEST_ERR_MASTER;
	} else if (!e->len || e->len > DMATEST_MAX_LEN) {
		e->error = DMATEST_ERR_LEN;
	} else {
		uint64_t left = e->len;
		while (left) {
			uint64_t s = e->src + e->done, d = e->dst + e->done;
			uint64_t n = left;
			if (n > PG - (s & (PG - 1)))
				n = PG - (s & (PG - 1));
			if (n > PG - (d & (PG - 1)))
				n = PG - (d & (PG - 1));
			uint64_t hs, hd;
			if (pin_get(e, s, IOMMU_READ, &hs)) {
				e->error = DMATEST_ERR_READ;
				e->fault = s;
				break;
			}
			if (pin_get(e, d, IOMMU_WRITE, &hd)) {
				e->error = DMATEST_ERR_WRITE;
				e->fault = d;
				break;
			}
			/* Memory the client unmapped while it was mapped:
			 * the copy stops there, as a device's on a master abort. */
			size_t unmoved = fixup_move((void *)(uintptr_t)hd,
						    (const void *)(uintptr_t)hs, n);
			if (unmoved) {
				e->done += n - unmoved;
				e->error = DMATEST_ERR_ABORT;
				e->fault = s + (n - unmoved);
				break;
			}
			e->done += n;
			left -= n;
		}
	}
	e->bytes += e->done;
	if (e->error == DMATEST_ERR_NONE) {
		e->count++;
		e->status = DMATEST_STATUS_DONE;
	} else {
		e->status = DMATEST_STATUS_ERROR;
	}
}

static uint64_t reg64(struct sw_engine *e, unsigned off)
{
	switch (off) {
	case DMATEST_REG_ID: return DMATEST_ID_VALUE;
	case DMATEST_REG_SRC: return e->src;
	case DMATEST_REG_DST: return e->dst;
	case DMATEST_REG_LEN: return e->len;   /* CTRL above it reads 0 */
	case DMATEST_REG_STATUS: return e->status | (uint64_t)e->error << 32;
	case DMATEST_REG_FAULT: return e->fault;
	case DMATEST_REG_DONE: return e->done;
	case DMATEST_REG_COUNT: return e->count;
	case DMATEST_REG_BYTES: return e->bytes;
	default: return 0;
	}
}

/* A 32-bit register, or half of a 64-bit one, at a dword offset. */
static uint32_t reg32(struct sw_engine *e, unsigned off)
{
	return (uint32_t)(reg64(e, off & ~7u) >> (8 * (off & 4)));
}

static void reg_write(struct sw_engine *e, unsigned off, unsigned size, uint64_t v)
{
	switch (off) {
	case DMATEST_REG_SRC:
		e->src = size == 8 ? v : (e->src & ~0xffffffffull) | (uint32_t)v;
		break;
	case DMATEST_REG_SRC + 4:
		e->src = (e->src & 0xffffffffull) | v << 32;
		break;
	case DMATEST_REG_DST:
		e->dst = size == 8 ? v : (e->dst & ~0xffffffffull) | (uint32_t)v;
		break;
	case DMATEST_REG_DST + 4:
		e->dst = (e->dst & 0xffffffffull) | v << 32;
		break;
	case DMATEST_REG_LEN:
		e->len = (uint32_t)v;
		break;
	case DMATEST_REG_CTRL:
		if (v & DMATEST_CTRL_RESET) {
			engine_reset(e);
		} else if (v & DMATEST_CTRL_GO) {
			e->status = DMATEST_STATUS_BUSY;
			go(e);
		}
		break;
	default:
		break;
	}
}

/* ---- vfio_device_ops ---- */

static struct sw_engine *eng(struct vfio_device *vd)
{
	return to_mdev_device(vd->dev)->driver_data;
}

static int vopen(struct vfio_device *vd)
{
	struct sw_engine *e = eng(vd);
	pthread_mutex_lock(&e->lock);
	e->vd = vd;
	engine_reset(e);
	memset(e->cfg, 0, sizeof(e->cfg));
	e->cfg[0] = DMATEST_VENDOR_ID & 0xff;
	e->cfg[1] = DMATEST_VENDOR_ID >> 8;
	e->cfg[2] = DMATEST_DEVICE_ID & 0xff;
	e->cfg[3] = DMATEST_DEVICE_ID >> 8;
	e->cfg[0x0b] = 0x08;    /* system peripheral */
	e->cfg[0x0a] = 0x80;
	pthread_mutex_unlock(&e->lock);
	return 0;
}

static void vclose(struct vfio_device *vd)
{
	struct sw_engine *e = eng(vd);
	pthread_mutex_lock(&e->lock);
	engine_reset(e);           /* every pin goes back */
	e->vd = NULL;
	pthread_mutex_unlock(&e->lock);
}

static int region(struct vfio_device *vd, uint32_t index, uint64_t *size, uint32_t *flags)
{
	(void)vd;
	static const uint64_t bars[6] = { [0] = DMATEST_BAR0_SIZE };
	return vfio_pci_region(bars, CFG_SIZE, index, size, flags);
}

static ssize_t rd(struct vfio_device *vd, uint32_t index, void *buf, size_t count, uint64_t off)
{
	struct sw_engine *e = eng(vd);
	pthread_mutex_lock(&e->lock);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		memcpy(buf, e->cfg + off, count);
	} else {
		/* Dword-aligned reads of 4 or 8 bytes; others read all ones. */
		uint64_t v = ~0ull;
		if ((count == 4 || count == 8) && !(off & 3))
			v = reg32(e, (unsigned)off) |
			    (count == 8 ? (uint64_t)reg32(e, (unsigned)off + 4) << 32 : 0);
		memcpy(buf, &v, count < 8 ? count : 8);
		if (count > 8)
			memset((uint8_t *)buf + 8, 0xff, count - 8);
	}
	pthread_mutex_unlock(&e->lock);
	return (ssize_t)count;
}

static ssize_t wr(struct vfio_device *vd, uint32_t index, const void *buf, size_t count,
		  uint64_t off)
{
	struct sw_engine *e = eng(vd);
	pthread_mutex_lock(&e->lock);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		for (size_t i = 0; i < count; i++)
			if (off + i == PCI_COMMAND)
				e->cfg[PCI_COMMAND] = ((const uint8_t *)buf)[i] &
						      (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	} else if ((count == 4 || count == 8) && !(off & (count - 1))) {
		uint64_t v = 0;
		memcpy(&v, buf, count);
		reg_write(e, (unsigned)off, (unsigned)count, v);
	}
	pthread_mutex_unlock(&e->lock);
	return (ssize_t)count;
}

static int vreset(struct vfio_device *vd)
{
	struct sw_engine *e = eng(vd);
	pthread_mutex_lock(&e->lock);
	engine_reset(e);
	e->cfg[PCI_COMMAND] = 0;
	pthread_mutex_unlock(&e->lock);
	return 0;
}

/* VFIO: the user unmapped a range; let go of it (M-7). */
static void dma_unmap(struct vfio_device *vd, uint64_t iova, uint64_t length)
{
	struct sw_engine *e = eng(vd);
	pthread_mutex_lock(&e->lock);
	pins_drop_range(e, iova, length);
	pthread_mutex_unlock(&e->lock);
}

static const struct vfio_device_ops sw_ops = {
	.name = "swmdev",
	.open = vopen,
	.close = vclose,
	.info = vfio_pci_info,
	.region = region,
	.read = rd,
	.write = wr,
	.reset = vreset,
	.dma_unmap = dma_unmap,
};

/* ---- mdev parent ---- */

static int create(struct mdev_device *mdev)
{
	struct swmdev *s = mdev->parent->priv;
	pthread_mutex_lock(&s->lock);
	struct sw_engine *e = NULL;
	for (unsigned i = 0; i < SWMDEV_INSTANCES && !e; i++)
		if (!s->engines[i].used)
			e = &s->engines[i];
	if (e)
		e->used = true;
	pthread_mutex_unlock(&s->lock);
	if (!e)
		return -ENOSPC;
	mdev->driver_data = e;
	/* No mdev_set_iommu_device(): vendor-defined isolation. */
	return 0;
}

static void remove_mdev(struct mdev_device *mdev)
{
	struct swmdev *s = mdev->parent->priv;
	struct sw_engine *e = mdev->driver_data;
	pthread_mutex_lock(&s->lock);
	e->used = false;
	pthread_mutex_unlock(&s->lock);
}

static unsigned available(struct mdev_parent *parent, const struct mdev_type *type)
{
	(void)type;
	struct swmdev *s = parent->priv;
	unsigned n = 0;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < SWMDEV_INSTANCES; i++)
		n += !s->engines[i].used;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static const struct mdev_parent_ops sw_parent_ops = {
	.create = create,
	.remove = remove_mdev,
	.available = available,
	.vfio_ops = &sw_ops,
};

static const struct device_driver swmdev_driver = { .name = "swmdev" };

int swmdev_init(struct uiommu_host *h, struct swmdev **out)
{
	struct swmdev *s = kcalloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* A platform device of its own; not listed on the host, as it has
	 * no hardware and nothing to isolate. */
	device_initialize(&s->dev, h, &platform_bus_type, "swmdev0");
	s->dev.driver = &swmdev_driver;
	pthread_mutex_init(&s->lock, NULL);
	for (unsigned i = 0; i < SWMDEV_INSTANCES; i++)
		pthread_mutex_init(&s->engines[i].lock, NULL);
	struct mdev_type t = { .name = "swcopy-v1",
			       .description = "software copy engine, dmatest registers, "
					      "isolated by pinning (no IOMMU)" };
	int rc = mdev_register_parent(h, &s->dev, &sw_parent_ops, &t, 1, s, &s->parent);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void swmdev_fini(struct swmdev *s)
{
	if (!s)
		return;
	mdev_unregister_parent(s->parent);
	for (unsigned i = 0; i < SWMDEV_INSTANCES; i++)
		pthread_mutex_destroy(&s->engines[i].lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
