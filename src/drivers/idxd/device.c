/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idxd, the physical function: probe, configuration, commands (SPEC D-5).
 *
 * The configuration is the one a Scalable-IOV host uses for assignment:
 * every WQ but the last dedicated, PASID-enabled, user privilege; the
 * last one shared (ENQCMD) when there are two or more; the WQ space split
 * evenly, and groups pairing WQs with engines round-robin so tenants on
 * different groups do not share an engine. The device and the shared WQ
 * are enabled at probe; each dedicated WQ is enabled only when its mdev's
 * user enables it, once the PASID of that user's address space is known.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "idxd.h"
#include "../../pci/pci.h"
#include "../../util/slab.h"

uint64_t idxd_read(struct idxd_device *idxd, unsigned off, unsigned size)
{
	uint64_t v = 0;
	if (pci_bar_read(idxd->pdev, 0, off, size, &v))
		return ~0ull; /* what a failed MMIO read returns */
	return v;
}

void idxd_write(struct idxd_device *idxd, unsigned off, unsigned size, uint64_t val)
{
	pci_bar_write(idxd->pdev, 0, off, size, val);
}

unsigned idxd_cmd(struct idxd_device *idxd, enum dsa_cmd cmd, uint32_t operand)
{
	pthread_mutex_lock(&idxd->cmd_lock);
	idxd_write(idxd, DSA_REG_CMD, 4, DSA_CMD(cmd, operand));
	uint32_t sts;
	/* Commands complete in the model's time; a drain waits for work
	 * already queued, so poll rather than assume. */
	while ((sts = (uint32_t)idxd_read(idxd, DSA_REG_CMDSTS, 4)) & DSA_CMDSTS_ACTIVE)
		sched_yield();
	pthread_mutex_unlock(&idxd->cmd_lock);
	return DSA_CMDSTS_ERR(sts);
}

bool idxd_wq_enabled(struct idxd_device *idxd, unsigned wq)
{
	uint32_t d6 = (uint32_t)idxd_read(idxd, DSA_WQCFG(wq, 6), 4);
	return DSA_WQCFG_STATE(d6) == DSA_WQ_STATE_ENABLED;
}

unsigned idxd_wq_enable_pasid(struct idxd_device *idxd, unsigned wq, uint32_t pasid)
{
	uint32_t d2 = (uint32_t)idxd_read(idxd, DSA_WQCFG(wq, 2), 4);
	d2 &= ~(DSA_WQCFG_PASID(0xfffff) | DSA_WQCFG_PRIV);
	d2 |= DSA_WQCFG_PASID(pasid) | DSA_WQCFG_PASID_EN;
	idxd_write(idxd, DSA_WQCFG(wq, 2), 4, d2);
	return idxd_cmd(idxd, DSA_CMD_ENABLE_WQ, wq);
}

unsigned idxd_wq_disable(struct idxd_device *idxd, unsigned wq)
{
	if (!idxd_wq_enabled(idxd, wq))
		return DSA_CMDSTS_SUCCESS;
	/* DISABLE_WQ drains first: descriptors already accepted finish. */
	return idxd_cmd(idxd, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(wq));
}

void idxd_wq_configure(struct idxd_device *idxd, unsigned w)
{
	struct idxd_wq *wq = &idxd->wqs[w];
	idxd_write(idxd, DSA_WQCFG(w, 0), 4, wq->size);
	idxd_write(idxd, DSA_WQCFG(w, 1), 4, wq->shared ? wq->size : 0); /* threshold */
	idxd_write(idxd, DSA_WQCFG(w, 2), 4,
		   (wq->shared ? 0 : DSA_WQCFG_MODE_DEDICATED) | DSA_WQCFG_PRIORITY(1) |
			   DSA_WQCFG_PASID_EN);
	idxd_write(idxd, DSA_WQCFG(w, 3), 4,
		   DSA_WQCFG_MAX_XFER_SHIFT(idxd->max_xfer_shift) |
			   DSA_WQCFG_MAX_BATCH_SHIFT(idxd->max_batch_shift));
}

static int configure(struct idxd_device *idxd)
{
	uint64_t gencap = idxd_read(idxd, DSA_REG_GENCAP, 8);
	uint64_t wqcap = idxd_read(idxd, DSA_REG_WQCAP, 8);
	idxd->nr_wqs = DSA_WQCAP_NUM_WQS(wqcap);
	idxd->wq_total = DSA_WQCAP_TOTAL_SIZE(wqcap);
	idxd->nr_groups = DSA_GRPCAP_NUM_GROUPS(idxd_read(idxd, DSA_REG_GRPCAP, 8));
	idxd->nr_engines = DSA_ENGCAP_NUM_ENGINES(idxd_read(idxd, DSA_REG_ENGCAP, 8));
	idxd->max_xfer_shift = DSA_GENCAP_MAX_XFER_SHIFT(gencap);
	idxd->max_batch_shift = DSA_GENCAP_MAX_BATCH_SHIFT(gencap);
	if (!(gencap & DSA_GENCAP_CONFIG_EN) || !(wqcap & DSA_WQCAP_DEDICATED_MODE))
		return -ENODEV; /* nothing this driver can set up */
	if (!idxd->nr_wqs || !idxd->nr_engines || !idxd->nr_groups ||
	    idxd->wq_total < idxd->nr_wqs)
		return -ENODEV;
	if (idxd->nr_wqs > IDXD_MAX_WQS)
		idxd->nr_wqs = IDXD_MAX_WQS;

	unsigned groups = idxd->nr_groups;
	if (groups > idxd->nr_engines)
		groups = idxd->nr_engines;
	if (groups > idxd->nr_wqs)
		groups = idxd->nr_wqs;

	uint64_t wq_bits[IDXD_MAX_GROUPS][4] = { { 0 } };
	uint64_t eng_bits[IDXD_MAX_GROUPS] = { 0 };
	unsigned size = idxd->wq_total / idxd->nr_wqs;
	/* The last WQ is shared (ENQCMD, SPEC D-2) when the device can have
	 * one besides a dedicated WQ: the shared-WQ mdevs slice it. */
	idxd->shared_wq = idxd->nr_wqs >= 2 && (wqcap & DSA_WQCAP_SHARED_MODE) ?
				  (int)idxd->nr_wqs - 1 :
				  -1;
	for (unsigned w = 0; w < idxd->nr_wqs; w++) {
		struct idxd_wq *wq = &idxd->wqs[w];
		bool shared = (int)w == idxd->shared_wq;
		wq->id = w;
		wq->group = w % groups;
		wq->size = size;
		wq->shared = shared;
		wq_bits[wq->group][w / 64] |= 1ull << (w % 64);
		idxd_wq_configure(idxd, w);
	}
	for (unsigned e = 0; e < idxd->nr_engines && e < 64; e++)
		eng_bits[e % groups] |= 1ull << e;
	for (unsigned g = 0; g < idxd->nr_groups && g < IDXD_MAX_GROUPS; g++) {
		for (unsigned q = 0; q < 4; q++)
			idxd_write(idxd, DSA_GRPCFG_WQS(g) + 8 * q, 8, wq_bits[g][q]);
		idxd_write(idxd, DSA_GRPCFG_ENGINES(g), 8, eng_bits[g]);
		idxd_write(idxd, DSA_GRPCFG_FLAGS(g), 8, 0);
	}
	unsigned err = idxd_cmd(idxd, DSA_CMD_ENABLE_DEVICE, 0);
	/* The shared WQ is on from the start: every submission names its
	 * PASID, and the shared-WQ mdevs' users reach it only translated. */
	if (!err && idxd->shared_wq >= 0)
		err = idxd_cmd(idxd, DSA_CMD_ENABLE_WQ, (uint32_t)idxd->shared_wq);
	if (err) {
		fprintf(stderr, "idxd %s: enable device failed, CMDSTS.err 0x%x\n",
			idxd->dev->name, err);
		return -EIO;
	}
	return 0;
}

static int idxd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)id;
	struct device *dev = &pdev->dev;
	/* Slicing needs PASID-granular isolation: aux mode on the IOMMU
	 * . Without it the device stays with no driver, free for
	 * whole-function assignment. */
	int rc = iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_AUX);
	if (rc)
		return rc;
	struct idxd_device *idxd = kcalloc(1, sizeof(*idxd));
	if (!idxd) {
		iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_AUX);
		return -ENOMEM;
	}
	idxd->dev = dev;
	idxd->pdev = pdev;
	pthread_mutex_init(&idxd->cmd_lock, NULL);
	pthread_mutex_init(&idxd->wq_lock, NULL);
	pci_enable_device_mem_master(pdev);
	rc = configure(idxd);
	if (!rc)
		rc = idxd_mdev_register(idxd);
	if (rc) {
		pci_reset_function_locked(pdev);
		iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_AUX);
		pthread_mutex_destroy(&idxd->cmd_lock);
		pthread_mutex_destroy(&idxd->wq_lock);
		free(idxd);
		return rc;
	}
	dev->driver_data = idxd;
	return 0;
}

static void idxd_remove(struct pci_dev *pdev)
{
	struct idxd_device *idxd = pdev->dev.driver_data;
	if (!idxd)
		return;
	/* The mdevs go first: each disables its WQ. */
	idxd_mdev_unregister(idxd);
	idxd_cmd(idxd, DSA_CMD_DISABLE_DEVICE, 0);
	pci_reset_function_locked(pdev);
	iommu_dev_disable_feature(&pdev->dev, IOMMU_DEV_FEAT_AUX);
	pthread_mutex_destroy(&idxd->cmd_lock);
	pthread_mutex_destroy(&idxd->wq_lock);
	free(idxd);
}

static const struct pci_device_id idxd_ids[] = {
	{ DSA_VENDOR_ID, DSA_DEVICE_ID },
	{ 0 },
};

struct pci_driver idxd_pci_driver = {
	.driver = { .name = "idxd" },
	.id_table = idxd_ids,
	.probe = idxd_probe,
	.remove = idxd_remove,
};
