/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idxd's mdev parent (SPEC D-5, M-1 .. M-3, U-6 .. U-8): the types it
 * offers, each a PASID policy of the /dev/iommu proposal (section 1.4):
 *
 *   dsa-1dwq-v1        one dedicated WQ, its default address space only
 *                      (type 3: a fixed default PASID, no vPASIDs)
 *   dsa-1dwq-pasid-v1  one dedicated WQ whose PASID the user programs
 *                      with a vPASID; each attached vPASID is a pPASID of
 *                      this device's per-RID space (type 6)
 *   dsa-1swq-v1        a slice of the shared WQ: ENQCMD carries the
 *                      user's vPASID, translated to the VM's pPASID from
 *                      the global space (type 8); refused until the
 *                      iommufd turns CPU PASID translation on
 *
 * Every instance is isolated by the IOMMU through this function
 * (mdev_set_iommu_device). The virtual device is vdev.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "idxd.h"
#include "../../mdev/mdev.h"

const struct idxd_vdev_type idxd_vdev_types[IDXD_NR_VDEV_TYPES] = {
	{ "dsa-1dwq-v1", VFIO_PASID_NONE, false },
	{ "dsa-1dwq-pasid-v1", VFIO_PASID_PER_RID, false },
	{ "dsa-1swq-v1", VFIO_PASID_GLOBAL, true },
};

static const struct idxd_vdev_type *type_of(const struct mdev_type *t)
{
	return &idxd_vdev_types[t->index];
}

/* The physical WQ for a new instance: a free dedicated one, or the
 * shared one while it has room. wq_lock held. */
static struct idxd_wq *wq_get(struct idxd_device *idxd, const struct idxd_vdev_type *vt,
			      struct mdev_device *mdev)
{
	if (vt->shared) {
		if (idxd->shared_wq < 0 || idxd->swq_mdevs >= IDXD_MAX_SWQ_MDEVS)
			return NULL;
		idxd->swq_mdevs++;
		return &idxd->wqs[idxd->shared_wq];
	}
	for (unsigned w = 0; w < idxd->nr_wqs; w++) {
		struct idxd_wq *wq = &idxd->wqs[w];
		if (!wq->shared && !wq->mdev) {
			wq->mdev = mdev;
			return wq;
		}
	}
	return NULL;
}

static void wq_put(struct idxd_device *idxd, struct idxd_wq *wq)
{
	if (wq->shared)
		idxd->swq_mdevs--;
	else
		wq->mdev = NULL;
}

static int create(struct mdev_device *mdev)
{
	struct idxd_device *idxd = mdev->parent->priv;
	const struct idxd_vdev_type *vt = type_of(mdev->type);
	pthread_mutex_lock(&idxd->wq_lock);
	struct idxd_wq *wq = wq_get(idxd, vt, mdev);
	pthread_mutex_unlock(&idxd->wq_lock);
	if (!wq)
		return -ENOSPC;
	int rc = idxd_vdev_create(mdev, idxd, vt, wq);
	if (rc) {
		pthread_mutex_lock(&idxd->wq_lock);
		wq_put(idxd, wq);
		pthread_mutex_unlock(&idxd->wq_lock);
		return rc;
	}
	/* Patch 6: this mdev is isolated by the IOMMU through the parent
	 * function, with PASIDs of its own. */
	mdev_set_iommu_device(&mdev->dev, idxd->dev);
	return 0;
}

static void remove_mdev(struct mdev_device *mdev)
{
	struct idxd_device *idxd = mdev->parent->priv;
	struct idxd_wq *wq = idxd_vdev_destroy(mdev);
	pthread_mutex_lock(&idxd->wq_lock);
	wq_put(idxd, wq);
	pthread_mutex_unlock(&idxd->wq_lock);
}

static unsigned available(struct mdev_parent *parent, const struct mdev_type *type)
{
	struct idxd_device *idxd = parent->priv;
	unsigned n = 0;
	pthread_mutex_lock(&idxd->wq_lock);
	if (type_of(type)->shared) {
		n = idxd->shared_wq < 0 ? 0 : IDXD_MAX_SWQ_MDEVS - idxd->swq_mdevs;
	} else {
		for (unsigned w = 0; w < idxd->nr_wqs; w++)
			n += !idxd->wqs[w].shared && !idxd->wqs[w].mdev;
	}
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
	struct mdev_type t[IDXD_NR_VDEV_TYPES] = { { .name = "" } };
	unsigned size = 0;
	for (unsigned w = 0; w < idxd->nr_wqs; w++)
		if (!idxd->wqs[w].shared)
			size = idxd->wqs[w].size;
	for (unsigned i = 0; i < IDXD_NR_VDEV_TYPES; i++)
		snprintf(t[i].name, sizeof(t[i].name), "%s", idxd_vdev_types[i].name);
	snprintf(t[0].description, sizeof(t[0].description),
		 "one dedicated WQ of %u entries, PASID-isolated (default PASID)", size);
	snprintf(t[1].description, sizeof(t[1].description),
		 "one dedicated WQ of %u entries with vPASIDs (per-RID pPASIDs)", size);
	snprintf(t[2].description, sizeof(t[2].description),
		 "the shared WQ through ENQCMD (the VM's pPASIDs, CPU translation)");
	/* Without a shared WQ the last type has no instances (available 0). */
	return mdev_register_parent(idxd->dev->host, idxd->dev, &idxd_parent_ops, t,
				    IDXD_NR_VDEV_TYPES, idxd, &idxd->parent);
}

void idxd_mdev_unregister(struct idxd_device *idxd)
{
	mdev_unregister_parent(idxd->parent);
	idxd->parent = NULL;
}
