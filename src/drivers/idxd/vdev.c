/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idxd's mdev parent: each mdev is an Assignable Device Interface, one
 * dedicated WQ of the physical DSA presented to its user as a DSA of its
 * own with a single WQ (SPEC D-6, M-1 .. M-3).
 *
 * The virtual device (what VFIO regions show):
 *  - config space: a DSA function header; only the memory and bus-master
 *    bits of COMMAND are writable;
 *  - BAR0: a register file with one group, one engine and WQ 0. The
 *    configuration is the host's and read-only (GENCAP.config_en clear);
 *    commands are emulated, those on WQ 0 forwarded to the physical WQ;
 *  - BAR2: WQ 0's portals; a 64-byte write is a MOVDIR64B to the physical
 *    WQ's portal, the descriptor untouched: the hardware tags it with the
 *    PASID in the physical WQCFG, which the user never sees.
 *
 * The isolation step of the cover letter happens at vENABLE_WQ: the
 * domain VFIO attached to this mdev (mdev_get_iommu_domain) gives its
 * default PASID (DOMAIN_ATTR_AUXD_ID); the parent writes it into the
 * physical WQCFG and enables the WQ. Without a domain the WQ cannot be
 * enabled (CMDSTS ERR_PASID_EN).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/hw/pci_regs.h>
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>

#include "idxd.h"
#include "../../mdev/mdev.h"
#include "../../pci/pci.h"
#include "../../vfio/vfio.h"

#define VDEV_BAR2_SIZE (4 * DSA_PORTAL_SIZE)   /* WQ 0's four portal pages */
#define VDEV_CFG_SIZE  256

struct idxd_vdev {
	struct idxd_device *idxd;
	struct idxd_wq *wq;
	struct mdev_device *mdev;
	pthread_mutex_t lock;          /* the virtual register file */
	uint8_t cfg[VDEV_CFG_SIZE];
	uint32_t gencfg, genctrl, gensts, intcause, cmdsts;
};

/* ---- virtual config space ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void vdev_reset(struct idxd_vdev *v)
{
	memset(v->cfg, 0, sizeof(v->cfg));
	put16(v->cfg + PCI_VENDOR_ID, DSA_VENDOR_ID);
	put16(v->cfg + PCI_DEVICE_ID, DSA_DEVICE_ID);
	put32(v->cfg + 0x08, 0x08800001);      /* class 0880 (system peripheral), rev 1 */
	put32(v->cfg + 0x10, 0x4);             /* BAR0: 64-bit memory */
	put32(v->cfg + 0x18, 0x4);             /* BAR2: 64-bit memory */
	put16(v->cfg + 0x2c, DSA_VENDOR_ID);   /* subsystem vendor */
	put16(v->cfg + 0x2e, DSA_DEVICE_ID);
	v->gencfg = v->genctrl = v->intcause = v->cmdsts = 0;
	v->gensts = DSA_STATE_DISABLED;
}

static void cfg_write(struct idxd_vdev *v, unsigned off, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned o = off + (unsigned)i;
		if (o == PCI_COMMAND)
			v->cfg[o] = (uint8_t)(buf[i] & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
		/* everything else reads as the host made it */
	}
}

/* ---- commands ---- */

static unsigned vcmd(struct idxd_vdev *v, unsigned cmd, uint32_t operand)
{
	struct idxd_device *idxd = v->idxd;
	unsigned pwq = v->wq->id;
	bool dev_on = v->gensts == DSA_STATE_ENABLED;
	switch (cmd) {
	case DSA_CMD_ENABLE_DEVICE:
		if (dev_on)
			return DSA_CMDSTS_ERR_DEV_ENABLED;
		if (!(v->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER))
			return DSA_CMDSTS_ERR_BUSMASTER_EN;
		v->gensts = DSA_STATE_ENABLED;
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_DISABLE_DEVICE:
		if (!dev_on)
			return DSA_CMDSTS_ERR_DIS_DEV_EN;
		idxd_wq_disable(idxd, pwq);
		v->gensts = DSA_STATE_DISABLED;
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_RESET_DEVICE:
		idxd_wq_disable(idxd, pwq);
		v->gensts = DSA_STATE_DISABLED;
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_DRAIN_ALL:
	case DSA_CMD_DRAIN_PASID:
		/* The user's PASIDs are not the host's: for a dedicated WQ,
		 * all of its work is this user's. */
		return idxd_wq_enabled(idxd, pwq) ?
			       idxd_cmd(idxd, DSA_CMD_DRAIN_WQ, DSA_WQ_OPERAND(pwq)) :
			       DSA_CMDSTS_SUCCESS;
	case DSA_CMD_ABORT_ALL:
	case DSA_CMD_ABORT_PASID:
		return idxd_wq_enabled(idxd, pwq) ?
			       idxd_cmd(idxd, DSA_CMD_ABORT_WQ, DSA_WQ_OPERAND(pwq)) :
			       DSA_CMDSTS_SUCCESS;
	case DSA_CMD_ENABLE_WQ: {
		if (operand != 0)
			return DSA_CMDSTS_INVAL_WQIDX;
		if (!dev_on)
			return DSA_CMDSTS_ERR_DEV_NOTEN;
		if (idxd_wq_enabled(idxd, pwq))
			return DSA_CMDSTS_ERR_WQ_ENABLED;
		void *domain = mdev_get_iommu_domain(&v->mdev->dev);
		if (!domain)
			return DSA_CMDSTS_ERR_PASID_EN;
		int pasid;
		if (iommu_domain_get_attr(domain, DOMAIN_ATTR_AUXD_ID, &pasid) || pasid <= 0)
			return DSA_CMDSTS_ERR_PASID_INVAL;
		return idxd_wq_enable_pasid(idxd, pwq, (uint32_t)pasid);
	}
	case DSA_CMD_DISABLE_WQ:
	case DSA_CMD_DRAIN_WQ:
	case DSA_CMD_ABORT_WQ:
	case DSA_CMD_RESET_WQ:
		if (operand != DSA_WQ_OPERAND(0))
			return DSA_CMDSTS_INVAL_WQIDX;
		/* The physical WQ answers, errors included. */
		return idxd_cmd(idxd, cmd, DSA_WQ_OPERAND(pwq));
	default:
		return DSA_CMDSTS_INVAL_CMD;
	}
}

/* ---- BAR0 ---- */

/* The physical SWERR, if it is about this WQ, renumbered to WQ 0. */
static uint64_t vswerr(struct idxd_vdev *v, unsigned q)
{
	uint64_t q0 = idxd_read(v->idxd, DSA_REG_SWERR, 8);
	if (!(q0 & DSA_SWERR_VALID) || !(q0 & DSA_SWERR_WQ_IDX_VALID) ||
	    DSA_SWERR_WQ_IDX(q0) != v->wq->id)
		return 0;
	if (q == 0)
		return (q0 & ~(0xffull << 16)) & ~(0xfffffull << 40); /* WQ 0, no host PASID */
	return idxd_read(v->idxd, DSA_REG_SWERR + 8 * q, 8);
}

static uint64_t bar0_read(struct idxd_vdev *v, unsigned off)
{
	struct idxd_device *idxd = v->idxd;
	struct idxd_wq *wq = v->wq;
	switch (off) {
	case DSA_REG_VERSION:
	case DSA_REG_OPCAP:
	case DSA_REG_OPCAP + 8:
	case DSA_REG_OPCAP + 16:
	case DSA_REG_OPCAP + 24:
	case DSA_REG_TABLE_OFFSET:
	case DSA_REG_TABLE_OFFSET + 8:
	case DSA_REG_CMDCAP:
		return idxd_read(idxd, off, 8);
	case DSA_REG_GENCAP:
		return idxd_read(idxd, off, 8) & ~DSA_GENCAP_CONFIG_EN;
	case DSA_REG_WQCAP: {
		uint64_t c = idxd_read(idxd, off, 8);
		c &= ~(0xffffffull | DSA_WQCAP_SHARED_MODE);
		return c | (1ull << 16) | wq->size;
	}
	case DSA_REG_GRPCAP:
		return (idxd_read(idxd, off, 8) & ~0xffull) | 1;
	case DSA_REG_ENGCAP:
		return 1;
	case DSA_REG_GENCFG:
		return v->gencfg;
	case DSA_REG_GENCTRL:
		return v->genctrl;
	case DSA_REG_GENSTS:
		return v->gensts;
	case DSA_REG_INTCAUSE:
		return v->intcause;
	case DSA_REG_CMDSTS:
		return v->cmdsts;
	case DSA_REG_SWERR:
	case DSA_REG_SWERR + 8:
	case DSA_REG_SWERR + 16:
	case DSA_REG_SWERR + 24:
		return vswerr(v, (off - DSA_REG_SWERR) / 8);
	case DSA_GRPCFG_WQS(0):
		return 1;
	case DSA_GRPCFG_ENGINES(0):
		return 1;
	default:
		break;
	}
	if (off >= DSA_WQCFG(0, 0) && off < DSA_WQCFG(1, 0)) {
		unsigned dw = (off - DSA_WQCFG(0, 0)) / 4;
		uint64_t lo = 0, hi = 0;
		for (unsigned k = 0; k < 2; k++) {
			unsigned d = dw + k;
			uint32_t val = 0;
			if (d < 8) {
				val = (uint32_t)idxd_read(idxd, DSA_WQCFG(wq->id, d), 4);
				/* The host's PASID and privilege stay hidden. */
				if (d == 2)
					val &= ~(DSA_WQCFG_PASID(0xfffff) | DSA_WQCFG_PASID_EN |
						 DSA_WQCFG_PRIV);
			}
			if (k == 0)
				lo = val;
			else
				hi = val;
		}
		return lo | hi << 32;
	}
	return 0;
}

static void bar0_write(struct idxd_vdev *v, unsigned off, unsigned size, uint64_t val)
{
	switch (off) {
	case DSA_REG_GENCFG:
		v->gencfg = (uint32_t)val;
		break;
	case DSA_REG_GENCTRL:
		v->genctrl = (uint32_t)val & 3;
		break;
	case DSA_REG_INTCAUSE:
		v->intcause &= ~(uint32_t)val;
		break;
	case DSA_REG_CMD: {
		uint32_t c = (uint32_t)val;
		v->cmdsts = vcmd(v, (c >> 20) & 0x1f, c & 0xfffff);
		if (c & DSA_CMD_INT_REQ)
			v->intcause |= DSA_INTCAUSE_CMD;
		break;
	}
	case DSA_REG_SWERR:
		/* Clearing our error clears the physical record of it. */
		if (vswerr(v, 0))
			idxd_write(v->idxd, DSA_REG_SWERR, 8,
				   val & (DSA_SWERR_VALID | DSA_SWERR_OVERFLOW));
		break;
	default:
		/* Capabilities and the configuration tables are read-only
		 * to the user: the host configured this WQ. */
		(void)size;
		break;
	}
}

/* ---- vfio_device_ops ---- */

static struct idxd_vdev *vdev_of(struct vfio_device *vd)
{
	return to_mdev_device(vd->dev)->driver_data;
}

static int region(struct vfio_device *vd, uint32_t index, uint64_t *size, uint32_t *flags)
{
	(void)vd;
	static const uint64_t bars[6] = { [0] = DSA_BAR0_SIZE, [2] = VDEV_BAR2_SIZE };
	return vfio_pci_region(bars, VDEV_CFG_SIZE, index, size, flags);
}

static ssize_t rd(struct vfio_device *vd, uint32_t index, void *buf, size_t count, uint64_t off)
{
	struct idxd_vdev *v = vdev_of(vd);
	uint8_t *out = buf;
	pthread_mutex_lock(&v->lock);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		memcpy(out, v->cfg + off, count);
	} else if (index == VFIO_PCI_BAR0_REGION_INDEX) {
		for (size_t done = 0; done < count;) {
			unsigned s = vfio_pci_access_size(off + done, count - done);
			uint64_t o = off + done;
			uint64_t word = bar0_read(v, (unsigned)(o & ~7ull));
			uint64_t val = word >> (8 * (o & 7));
			memcpy(out + done, &val, s);
			done += s;
		}
	} else {
		memset(out, 0xff, count); /* portals are write-only */
	}
	pthread_mutex_unlock(&v->lock);
	return (ssize_t)count;
}

static ssize_t wr(struct vfio_device *vd, uint32_t index, const void *buf, size_t count,
		  uint64_t off)
{
	struct idxd_vdev *v = vdev_of(vd);
	if (index == VFIO_PCI_BAR2_REGION_INDEX) {
		/* A portal takes exactly one 64-byte aligned write; anything
		 * else is not a MOVDIR64B and goes nowhere. */
		unsigned page = (unsigned)(off / DSA_PORTAL_SIZE);
		if (count == sizeof(struct dsa_hw_desc) && !(off & 63) && page < 2) {
			struct dsa_hw_desc d;
			memcpy(&d, buf, sizeof(d));
			pci_bar_movdir64b(v->idxd->pdev, 2, DSA_WQ_PORTAL(v->wq->id, page == 1),
					  &d);
		}
		return (ssize_t)count;
	}
	pthread_mutex_lock(&v->lock);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		cfg_write(v, (unsigned)off, buf, count);
	} else if (index == VFIO_PCI_BAR0_REGION_INDEX) {
		const uint8_t *in = buf;
		for (size_t done = 0; done < count;) {
			unsigned s = vfio_pci_access_size(off + done, count - done);
			uint64_t val = 0;
			memcpy(&val, in + done, s);
			bar0_write(v, (unsigned)(off + done), s, val);
			done += s;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return (ssize_t)count;
}

static int vreset(struct vfio_device *vd)
{
	struct idxd_vdev *v = vdev_of(vd);
	pthread_mutex_lock(&v->lock);
	idxd_wq_disable(v->idxd, v->wq->id);
	vdev_reset(v);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static void vclose(struct vfio_device *vd)
{
	/* The user is gone: its WQ stops before its domain can go. */
	vreset(vd);
}

static const struct vfio_device_ops idxd_vdev_ops = {
	.name = "idxd-mdev",
	.close = vclose,
	.info = vfio_pci_info,
	.region = region,
	.read = rd,
	.write = wr,
	.reset = vreset,
};

/* ---- mdev parent ---- */

static int create(struct mdev_device *mdev)
{
	struct idxd_device *idxd = mdev->parent->priv;
	struct idxd_vdev *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	pthread_mutex_lock(&idxd->wq_lock);
	struct idxd_wq *wq = NULL;
	for (unsigned w = 0; w < idxd->nr_wqs && !wq; w++)
		if (!idxd->wqs[w].mdev)
			wq = &idxd->wqs[w];
	if (wq)
		wq->mdev = mdev;
	pthread_mutex_unlock(&idxd->wq_lock);
	if (!wq) {
		free(v);
		return -ENOSPC;
	}
	v->idxd = idxd;
	v->wq = wq;
	v->mdev = mdev;
	pthread_mutex_init(&v->lock, NULL);
	vdev_reset(v);
	mdev->driver_data = v;
	/* Patch 6: this mdev is isolated by the IOMMU through the parent
	 * function, with a PASID of its own. */
	mdev_set_iommu_device(&mdev->dev, idxd->dev);
	return 0;
}

static void remove_mdev(struct mdev_device *mdev)
{
	struct idxd_device *idxd = mdev->parent->priv;
	struct idxd_vdev *v = mdev->driver_data;
	idxd_wq_disable(idxd, v->wq->id);
	pthread_mutex_lock(&idxd->wq_lock);
	v->wq->mdev = NULL;
	pthread_mutex_unlock(&idxd->wq_lock);
	pthread_mutex_destroy(&v->lock);
	free(v);
	mdev->driver_data = NULL;
}

static unsigned available(struct mdev_parent *parent, const struct mdev_type *type)
{
	(void)type;
	struct idxd_device *idxd = parent->priv;
	unsigned n = 0;
	pthread_mutex_lock(&idxd->wq_lock);
	for (unsigned w = 0; w < idxd->nr_wqs; w++)
		n += !idxd->wqs[w].mdev;
	pthread_mutex_unlock(&idxd->wq_lock);
	return n;
}

static const struct mdev_parent_ops idxd_parent_ops = {
	.create = create,
	.remove = remove_mdev,
	.available = available,
	.vfio_ops = &idxd_vdev_ops,
};

int idxd_mdev_register(struct idxd_device *idxd)
{
	/* One type per WQ configuration; the host sets up one (dedicated
	 * WQs of equal size), hence one type. */
	struct mdev_type t = { .name = "dsa-1dwq-v1" };
	snprintf(t.description, sizeof(t.description),
		 "one dedicated WQ of %u entries, PASID-isolated (aux domain)", idxd->wqs[0].size);
	return mdev_register_parent(idxd->dev->host, idxd->dev, &idxd_parent_ops, &t, 1, idxd,
				    &idxd->parent);
}

void idxd_mdev_unregister(struct idxd_device *idxd)
{
	mdev_unregister_parent(idxd->parent);
	idxd->parent = NULL;
}
