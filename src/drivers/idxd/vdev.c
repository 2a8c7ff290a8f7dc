/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtual DSA an idxd mdev shows its user (SPEC D-6, M-3, U-6, U-8):
 * one group, one engine and WQ 0, backed by a physical WQ - the mdev's
 * own dedicated WQ, or a slice of the shared WQ (mdev.c has the types).
 *
 *  - config space: a DSA function header; only the memory and bus-master
 *    bits of COMMAND are writable. Types with vPASIDs are PCI Express
 *    functions with a PASID capability (4 KiB of config space);
 *  - BAR0: the register file. The configuration is the host's and
 *    read-only (GENCAP.config_en clear), except the WQ's PASID settings
 *    (pasid, pasid_en in WQCFG dword 2, while the WQ is disabled) on the
 *    types with vPASIDs; commands are emulated, those on WQ 0 forwarded to
 *    the physical WQ;
 *  - BAR2: WQ 0's portals. Dedicated: a 64-byte write is a MOVDIR64B to
 *    the physical WQ's portal, the descriptor untouched - the hardware
 *    tags it with the PASID in the physical WQCFG, which the user never
 *    sees. Shared: a 64-byte write is the user's ENQCMD; its PASID field
 *    is the vPASID the CPU would take from IA32_PASID, and the submission
 *    reaches the device with the VM's pPASID, as CPU PASID translation
 *    would make it - refused (EPERM) until the iommufd turns that on, a
 *    full WQ's "retry" is EAGAIN.
 *
 * Which PASID a dedicated WQ runs with is decided at vENABLE_WQ (the
 * isolation step of the cover letter): the vPASID's pPASID when the user
 * enabled a PASID (VFIO's translation); otherwise the default PASID of
 * the mdev - the one VFIO chose when the mdev was bound to an iommufd
 * (mdev_get_iommu_pasid), or in the type1 flow the aux domain's
 * (DOMAIN_ATTR_AUXD_ID of mdev_get_iommu_domain). Without either the WQ
 * cannot be enabled (CMDSTS ERR_PASID_EN). When VFIO takes a physical
 * PASID back (pasid_revoke) the WQ running with it stops first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/hw/pci_regs.h>
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>

#include "idxd.h"
#include "../../mdev/mdev.h"
#include "../../pci/pci.h"
#include "../../util/slab.h"

#define VDEV_BAR2_SIZE (4 * DSA_PORTAL_SIZE)   /* WQ 0's four portal pages */
#define VDEV_CFG_LEGACY 256
#define VDEV_CFG_EXP    4096
#define VDEV_EXP_CAP    0x40
#define VDEV_PASID_CAP  0x100
#define VDEV_WQCFG_USER (DSA_WQCFG_PASID(0xfffff) | DSA_WQCFG_PASID_EN)

struct idxd_vdev {
	struct idxd_device *idxd;
	const struct idxd_vdev_type *type;
	struct idxd_wq *wq;            /* its dedicated WQ, or the shared WQ */
	struct mdev_device *mdev;
	pthread_mutex_t lock;          /* the virtual register file and the state below */
	struct vfio_device *vd;        /* while open */
	unsigned cfg_size;
	uint8_t cfg[VDEV_CFG_EXP];
	uint32_t gencfg, genctrl, gensts, intcause, cmdsts;
	uint32_t wqcfg_d2;             /* the user's pasid, pasid_en (vPASID types) */
	bool swq_enabled;              /* shared: the virtual WQ's own state */
	uint32_t dwq_pasid;            /* dedicated: the physical PASID it runs with */
};

static bool has_vpasids(const struct idxd_vdev *v)
{
	return v->type->policy != VFIO_PASID_NONE;
}

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

/* A PCIe endpoint with a PASID capability as wide as the parent's (the
 * vPASID capability of the proposal's section 1.4). */
static void cfg_pcie_pasid(struct idxd_vdev *v)
{
	uint8_t *c = v->cfg;
	put16(c + PCI_STATUS, PCI_STATUS_CAP_LIST);
	c[PCI_CAPABILITY_LIST] = VDEV_EXP_CAP;
	c[VDEV_EXP_CAP] = PCI_CAP_ID_EXP;
	put16(c + VDEV_EXP_CAP + PCI_EXP_FLAGS, 2); /* version 2, endpoint */
	unsigned width = 0, max = iommu_dev_max_pasids(v->idxd->dev);
	while (width < 20 && (1u << (width + 1)) <= max)
		width++;
	put32(c + VDEV_PASID_CAP, PCI_EXT_CAP_ID_PASID | 1u << 16);
	put16(c + VDEV_PASID_CAP + PCI_PASID_CAP, (uint16_t)(width << 8));
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
	v->cfg_size = has_vpasids(v) ? VDEV_CFG_EXP : VDEV_CFG_LEGACY;
	if (has_vpasids(v))
		cfg_pcie_pasid(v);
	v->gencfg = v->genctrl = v->intcause = v->cmdsts = 0;
	v->gensts = DSA_STATE_DISABLED;
	v->wqcfg_d2 = v->type->shared ? DSA_WQCFG_PASID_EN : 0;
	v->swq_enabled = false;
}

static void cfg_write(struct idxd_vdev *v, unsigned off, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned o = off + (unsigned)i;
		if (o == PCI_COMMAND)
			v->cfg[o] = (uint8_t)(buf[i] & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
		else if (has_vpasids(v) && o == VDEV_PASID_CAP + PCI_PASID_CTRL)
			v->cfg[o] = (uint8_t)(buf[i] & PCI_PASID_CTRL_ENABLE);
		/* everything else reads as the host made it */
	}
}

/* ---- the WQ's PASID ---- */

static bool dwq_enabled(struct idxd_vdev *v)
{
	return idxd_wq_enabled(v->idxd, v->wq->id);
}

/* The physical PASID the dedicated WQ is to run with; 0 and *err (a
 * CMDSTS code) if there is none. Lock held. */
static uint32_t dwq_pasid(struct idxd_vdev *v, unsigned *err)
{
	*err = DSA_CMDSTS_SUCCESS;
	if (v->wqcfg_d2 & DSA_WQCFG_PASID_EN) {
		/* The user's vPASID, behind PASID enable of its config space. */
		ioasid_t p;
		if (!(v->cfg[VDEV_PASID_CAP + PCI_PASID_CTRL] & PCI_PASID_CTRL_ENABLE) || !v->vd ||
		    vfio_device_pasid_translate(v->vd, DSA_WQCFG_PASID_OF(v->wqcfg_d2), &p)) {
			*err = DSA_CMDSTS_ERR_PASID_INVAL;
			return 0;
		}
		return p;
	}
	uint32_t pasid = mdev_get_iommu_pasid(&v->mdev->dev);
	if (pasid)
		return pasid; /* the iommufd flow's default PASID */
	void *domain = mdev_get_iommu_domain(&v->mdev->dev);
	int aux;
	if (!domain)
		*err = DSA_CMDSTS_ERR_PASID_EN;
	else if (iommu_domain_get_attr(domain, DOMAIN_ATTR_AUXD_ID, &aux) || aux <= 0)
		*err = DSA_CMDSTS_ERR_PASID_INVAL;
	return *err ? 0 : (uint32_t)aux;
}

/* ---- commands ---- */

static unsigned enable_wq(struct idxd_vdev *v, uint32_t operand, bool dev_on)
{
	if (operand != 0)
		return DSA_CMDSTS_INVAL_WQIDX;
	if (!dev_on)
		return DSA_CMDSTS_ERR_DEV_NOTEN;
	if (v->type->shared) {
		/* The shared WQ itself is the host's, always on. */
		if (v->swq_enabled)
			return DSA_CMDSTS_ERR_WQ_ENABLED;
		v->swq_enabled = true;
		return DSA_CMDSTS_SUCCESS;
	}
	if (dwq_enabled(v))
		return DSA_CMDSTS_ERR_WQ_ENABLED;
	unsigned err;
	uint32_t pasid = dwq_pasid(v, &err);
	if (err)
		return err;
	err = idxd_wq_enable_pasid(v->idxd, v->wq->id, pasid);
	if (!err)
		v->dwq_pasid = pasid;
	return err;
}

/* The WQ stops: a dedicated one is disabled (drained first); the shared
 * one stays the host's, drained of what was queued. */
static unsigned stop_wq(struct idxd_vdev *v)
{
	if (!v->type->shared)
		return idxd_wq_disable(v->idxd, v->wq->id);
	v->swq_enabled = false;
	return idxd_cmd(v->idxd, DSA_CMD_DRAIN_WQ, DSA_WQ_OPERAND(v->wq->id));
}

/* DRAIN/ABORT_PASID name a vPASID: the user's PASIDs are not the host's. */
static unsigned pasid_cmd(struct idxd_vdev *v, unsigned cmd, uint32_t vpasid)
{
	ioasid_t p;
	if (!has_vpasids(v) || !v->vd)
		return idxd_cmd(v->idxd, cmd == DSA_CMD_DRAIN_PASID ? DSA_CMD_DRAIN_WQ :
								     DSA_CMD_ABORT_WQ,
				DSA_WQ_OPERAND(v->wq->id));
	if (vfio_device_pasid_translate(v->vd, vpasid & 0xfffff, &p))
		return DSA_CMDSTS_SUCCESS; /* nothing of this user runs with it */
	return idxd_cmd(v->idxd, cmd, p);
}

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
		stop_wq(v);
		v->gensts = DSA_STATE_DISABLED;
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_RESET_DEVICE:
		stop_wq(v);
		v->gensts = DSA_STATE_DISABLED;
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_DRAIN_ALL:
	case DSA_CMD_ABORT_ALL:
		/* For a dedicated WQ all of its work is this user's. */
		return (v->type->shared || dwq_enabled(v)) ?
			       idxd_cmd(idxd, cmd == DSA_CMD_DRAIN_ALL ? DSA_CMD_DRAIN_WQ :
									    DSA_CMD_ABORT_WQ,
					DSA_WQ_OPERAND(pwq)) :
			       DSA_CMDSTS_SUCCESS;
	case DSA_CMD_DRAIN_PASID:
	case DSA_CMD_ABORT_PASID:
		return pasid_cmd(v, cmd, operand);
	case DSA_CMD_ENABLE_WQ:
		return enable_wq(v, operand, dev_on);
	case DSA_CMD_RESET_WQ: {
		if (operand != DSA_WQ_OPERAND(0))
			return DSA_CMDSTS_INVAL_WQIDX;
		/* A shared WQ is the parent's; the tenant's slice of it stops. */
		if (v->type->shared)
			return stop_wq(v);
		/* The tenant's WQ 0 goes back to what the tenant sees after a
		 * reset; the physical WQ's configuration is the parent's, not
		 * power-on (which would leave it unusable for the next mdev on
		 * it: a cross-tenant denial of service). */
		unsigned err = idxd_cmd(idxd, DSA_CMD_RESET_WQ, DSA_WQ_OPERAND(pwq));
		idxd_wq_configure(idxd, pwq);
		return err;
	}
	case DSA_CMD_DISABLE_WQ:
	case DSA_CMD_DRAIN_WQ:
	case DSA_CMD_ABORT_WQ:
		if (operand != DSA_WQ_OPERAND(0))
			return DSA_CMDSTS_INVAL_WQIDX;
		if (v->type->shared)
			return cmd == DSA_CMD_DISABLE_WQ ? stop_wq(v) :
							   idxd_cmd(idxd, cmd, DSA_WQ_OPERAND(pwq));
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
	if (v->type->shared || !(q0 & DSA_SWERR_VALID) || !(q0 & DSA_SWERR_WQ_IDX_VALID) ||
	    DSA_SWERR_WQ_IDX(q0) != v->wq->id)
		return 0;
	if (q == 0)
		return (q0 & ~(0xffull << 16)) & ~(0xfffffull << 40); /* WQ 0, no host PASID */
	return idxd_read(v->idxd, DSA_REG_SWERR + 8 * q, 8);
}

/* WQ 0's config dword d: the physical WQ's, with the host's PASID and
 * privilege replaced by what the user may see. */
static uint32_t vwqcfg(struct idxd_vdev *v, unsigned d)
{
	if (d >= 8)
		return 0;
	uint32_t val = (uint32_t)idxd_read(v->idxd, DSA_WQCFG(v->wq->id, d), 4);
	if (d == 2)
		val = (val & ~(VDEV_WQCFG_USER | DSA_WQCFG_PRIV)) | v->wqcfg_d2;
	if (d == 6 && v->type->shared)
		val = (uint32_t)(v->swq_enabled ? DSA_WQ_STATE_ENABLED : DSA_WQ_STATE_DISABLED)
		      << 30;
	return val;
}

static uint64_t bar0_read(struct idxd_vdev *v, unsigned off)
{
	struct idxd_device *idxd = v->idxd;
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
		c &= ~(0xffffffull | DSA_WQCAP_SHARED_MODE | DSA_WQCAP_DEDICATED_MODE);
		c |= v->type->shared ? DSA_WQCAP_SHARED_MODE : DSA_WQCAP_DEDICATED_MODE;
		return c | (1ull << 16) | v->wq->size;
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
		return vwqcfg(v, dw) | (uint64_t)vwqcfg(v, dw + 1) << 32;
	}
	return 0;
}

/* The user programs its vPASID into WQCFG (types with vPASIDs), while
 * the WQ is disabled, as DSA allows; the rest of WQCFG is the host's. */
static void wqcfg_write(struct idxd_vdev *v, unsigned d, uint32_t val)
{
	if (d != 2 || !has_vpasids(v) || v->type->shared)
		return;
	if (dwq_enabled(v))
		return;
	v->wqcfg_d2 = val & VDEV_WQCFG_USER;
}

static void bar0_write(struct idxd_vdev *v, unsigned off, unsigned size, uint64_t val)
{
	if (off >= DSA_WQCFG(0, 0) && off < DSA_WQCFG(1, 0)) {
		unsigned dw = (off - DSA_WQCFG(0, 0)) / 4;
		wqcfg_write(v, dw, (uint32_t)val);
		if (size == 8)
			wqcfg_write(v, dw + 1, (uint32_t)(val >> 32));
		return;
	}
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
		break;
	}
}

/* ---- BAR2: the portals ---- */

/* The user's ENQCMD to the shared WQ: the vPASID the CPU put in is
 * translated as the CPU would, by the VM's table (U-8, type 8). */
static ssize_t enqcmd(struct idxd_vdev *v, bool limited, const struct dsa_hw_desc *d)
{
	pthread_mutex_lock(&v->lock);
	bool on = v->swq_enabled;
	struct vfio_device *vd = v->vd;
	pthread_mutex_unlock(&v->lock);
	ioasid_t p;
	int rc = vd ? vfio_device_cpu_pasid_translate(vd, DSA_DESC_PASID(d), &p) : -EPERM;
	if (rc)
		return rc == -ENOENT ? -EINVAL : rc; /* no translation for it: #GP */
	if (!on)
		return -EAGAIN; /* a disabled WQ takes nothing: retry */
	struct dsa_hw_desc desc = *d;
	desc.pasid_priv = p; /* user privilege, the pPASID */
	bool accepted = false;
	rc = pci_bar_enqcmd(v->idxd->pdev, 2, DSA_WQ_PORTAL(v->wq->id, limited), &desc, p,
			    &accepted);
	return rc ? rc : accepted ? (ssize_t)sizeof(desc) : -EAGAIN;
}

static ssize_t portal_write(struct idxd_vdev *v, const void *buf, size_t count, uint64_t off)
{
	/* A portal takes exactly one 64-byte aligned write; anything else is
	 * neither MOVDIR64B nor ENQCMD and goes nowhere. */
	unsigned page = (unsigned)(off / DSA_PORTAL_SIZE);
	if (count != sizeof(struct dsa_hw_desc) || (off & 63) || page >= 2)
		return (ssize_t)count;
	struct dsa_hw_desc d;
	memcpy(&d, buf, sizeof(d));
	if (v->type->shared)
		return enqcmd(v, page == 1, &d);
	pci_bar_movdir64b(v->idxd->pdev, 2, DSA_WQ_PORTAL(v->wq->id, page == 1), &d);
	return (ssize_t)count;
}

/* ---- vfio_device_ops ---- */

static struct idxd_vdev *vdev_of(struct vfio_device *vd)
{
	return to_mdev_device(vd->dev)->driver_data;
}

static int region(struct vfio_device *vd, uint32_t index, uint64_t *size, uint32_t *flags)
{
	static const uint64_t bars[6] = { [0] = DSA_BAR0_SIZE, [2] = VDEV_BAR2_SIZE };
	return vfio_pci_region(bars, vdev_of(vd)->cfg_size, index, size, flags);
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
	if (index == VFIO_PCI_BAR2_REGION_INDEX)
		return portal_write(v, buf, count, off);
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
	stop_wq(v);
	vdev_reset(v);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static int vopen(struct vfio_device *vd)
{
	struct idxd_vdev *v = vdev_of(vd);
	pthread_mutex_lock(&v->lock);
	v->vd = vd;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static void vclose(struct vfio_device *vd)
{
	/* The user is gone: its WQ stops before its address spaces can go. */
	vreset(vd);
	struct idxd_vdev *v = vdev_of(vd);
	pthread_mutex_lock(&v->lock);
	v->vd = NULL;
	pthread_mutex_unlock(&v->lock);
}

static enum vfio_pasid_policy pasid_policy(struct vfio_device *vd)
{
	return vdev_of(vd)->type->policy;
}

/* VFIO gives `pasid` back: nothing of ours may run with it afterwards. */
static void pasid_revoke(struct vfio_device *vd, ioasid_t pasid)
{
	struct idxd_vdev *v = vdev_of(vd);
	pthread_mutex_lock(&v->lock);
	if (v->type->shared)
		idxd_cmd(v->idxd, DSA_CMD_DRAIN_PASID, pasid);
	else if (dwq_enabled(v) && v->dwq_pasid == pasid)
		idxd_wq_disable(v->idxd, v->wq->id);
	pthread_mutex_unlock(&v->lock);
}

const struct vfio_device_ops idxd_vdev_ops = {
	.name = "idxd-mdev",
	.open = vopen,
	.close = vclose,
	.info = vfio_pci_info,
	.region = region,
	.read = rd,
	.write = wr,
	.reset = vreset,
	.pasid_policy = pasid_policy,
	.pasid_revoke = pasid_revoke,
};

/* ---- instances ---- */

int idxd_vdev_create(struct mdev_device *mdev, struct idxd_device *idxd,
		     const struct idxd_vdev_type *vt, struct idxd_wq *wq)
{
	struct idxd_vdev *v = kcalloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->idxd = idxd;
	v->type = vt;
	v->wq = wq;
	v->mdev = mdev;
	pthread_mutex_init(&v->lock, NULL);
	vdev_reset(v);
	mdev->driver_data = v;
	return 0;
}

struct idxd_wq *idxd_vdev_destroy(struct mdev_device *mdev)
{
	struct idxd_vdev *v = mdev->driver_data;
	struct idxd_wq *wq = v->wq;
	if (!wq->shared)
		idxd_wq_disable(v->idxd, wq->id);
	pthread_mutex_destroy(&v->lock);
	free(v);
	mdev->driver_data = NULL;
	return wq;
}
