/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing a VFIO device into an iommufd (SPEC U-4 .. U-8; the /dev/iommu
 * proposal's sections 1.2 - 1.4). iommufd offers attach on a RID or on a
 * (RID, PASID) and ACCESS objects; VFIO decides, by the device's type,
 * what a user's "attach this device to that address space" becomes:
 *
 *   pdev (a whole function)    its RID; vPASIDs are used as they are
 *                              (the proposal's type 5: vPASID == pPASID)
 *   IOMMU-backed mdev          the parent's RID + a default PASID chosen
 *                              here, never shown; each vPASID becomes a
 *                              pPASID of the parent's per-RID space (type
 *                              6) or the VM's pPASID from the global pool
 *                              (type 8, ENQCMD). The parent learns them
 *                              through mdev_get_iommu_pasid() and
 *                              vfio_device_pasid_translate().
 *   software mdev              nothing in the IOMMU: an ACCESS object on
 *                              the IOAS, through which the parent pins or
 *                              copies (vfio_pin_pages) and hears of unmaps
 *
 * Physical PASIDs are given back only after the device's driver has
 * stopped using them (ops->pasid_revoke, or the device closed): a PASID a
 * work queue still carries must not name another tenant's space.
 *
 * Everything here runs under the device's lock (Linux's dev_set lock).
 */
#include <errno.h>
#include <stdlib.h>

#include <uiommu/iommufd.h>
#include <uiommu/mdev.h>

#include "vfio.h"
#include "../iommu/iommu.h"
#include "../mdev/mdev.h"
#include "../util/slab.h"

/* A vPASID attached on the device, and what it is on the wire. */
struct vfio_pasid {
	ioasid_t ppasid;
	bool global;                   /* the VM's (type 8): put back to the context */
};

enum vfio_route vfio_route_of(struct vfio_device *vd)
{
	if (!dev_is_mdev(vd->dev))
		return VFIO_ROUTE_RID;
	return mdev_get_iommu_device(vd->dev) ? VFIO_ROUTE_PASID : VFIO_ROUTE_ACCESS;
}

static struct device *iommu_dev_of(struct vfio_device *vd)
{
	return vd->iommufd.route == VFIO_ROUTE_PASID ? mdev_get_iommu_device(vd->dev) : vd->dev;
}

static unsigned pasid_log2(struct device *dev)
{
	unsigned max = iommu_dev_max_pasids(dev);
	return max ? 31 - (unsigned)__builtin_clz(max) : 0;
}

enum vfio_pasid_policy vfio_pasid_policy_of(struct vfio_device *vd, unsigned *max_pasid_log2)
{
	enum vfio_pasid_policy p = VFIO_PASID_NONE;
	struct device *dev = vd->dev;
	if (!dev_is_mdev(dev)) {
		/* A pdev uses its own PASIDs, when the function has them. */
		if (iommu_dev_max_pasids(dev))
			p = VFIO_PASID_DIRECT;
	} else if (mdev_get_iommu_device(dev) && vd->ops->pasid_policy) {
		p = vd->ops->pasid_policy(vd);
		dev = mdev_get_iommu_device(dev);
		/* An mdev's vPASIDs become its parent's PASIDs. */
		if (p == VFIO_PASID_DIRECT || !iommu_dev_max_pasids(dev))
			p = VFIO_PASID_NONE;
	}
	*max_pasid_log2 = p == VFIO_PASID_NONE ? 0 : pasid_log2(dev);
	return p;
}

/* ---- emulated devices: the ACCESS's unmap callback ---- */

static void emulated_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct vfio_device *vd = data;
	if (vd->ops->dma_unmap)
		vd->ops->dma_unmap(vd, iova, length);
}

static const struct iommufd_access_ops vfio_user_ops = {
	.needs_pin_pages = true,
	.unmap = emulated_unmap,
};

/* ---- bind, unbind ---- */

static int bind_pasid_route(struct vfio_device *vd, struct iommufd_ctx *ictx,
			    uint32_t *out_devid)
{
	struct vfio_iommufd *vi = &vd->iommufd;
	struct device *parent = mdev_get_iommu_device(vd->dev);
	unsigned log2;
	vfio_pasid_policy_of(vd, &log2);
	int rc;
	vi->idev = iommufd_device_bind_subdev(ictx, parent, log2, out_devid, &rc);
	if (!vi->idev)
		return rc;
	/* The default PASID is the mdev's for as long as it is bound: its
	 * work queue may carry it until the device is closed. */
	if ((rc = iommu_dev_pasid_alloc(parent, &vi->default_pasid))) {
		iommufd_device_unbind(vi->idev);
		vi->idev = NULL;
		return rc;
	}
	mdev_set_iommu_pasid(vd->dev, vi->default_pasid);
	return 0;
}

int vfio_iommufd_bind(struct vfio_device *vd, struct iommufd_ctx *ictx, uint32_t *out_devid)
{
	struct vfio_iommufd *vi = &vd->iommufd;
	int rc = 0;
	vi->route = vfio_route_of(vd);
	switch (vi->route) {
	case VFIO_ROUTE_RID:
		vi->idev = iommufd_device_bind(ictx, vd->dev, out_devid, &rc);
		break;
	case VFIO_ROUTE_PASID:
		rc = bind_pasid_route(vd, ictx, out_devid);
		break;
	case VFIO_ROUTE_ACCESS:
		vi->access = iommufd_access_create(ictx, &vfio_user_ops, vd, out_devid, &rc);
		break;
	}
	if (rc)
		return rc;
	iommufd_ctx_get(ictx);
	pthread_mutex_lock(&vi->pasids_lock);
	vi->ictx = ictx;
	pthread_mutex_unlock(&vi->pasids_lock);
	return 0;
}

/* The physical PASID goes back where it came from, detached first (if
 * `attached`) once the device's driver no longer uses it. */
static void pasid_release(struct vfio_device *vd, ioasid_t vpasid, struct vfio_pasid *p,
			  bool attached)
{
	struct device *dev = iommu_dev_of(vd);
	if (vd->iommufd.route == VFIO_ROUTE_PASID && vd->ops->pasid_revoke)
		vd->ops->pasid_revoke(vd, p->ppasid);
	if (attached)
		iommufd_device_detach(vd->iommufd.idev, p->ppasid);
	if (vd->iommufd.route != VFIO_ROUTE_PASID)
		return; /* a pdev's own PASID */
	if (p->global)
		iommufd_ctx_put_global_pasid(vd->iommufd.ictx, dev, vpasid);
	else
		iommu_free_dev_pasid(dev, p->ppasid);
}

/* The device is closed by now: nothing it does carries its PASIDs. */
void vfio_iommufd_unbind(struct vfio_device *vd)
{
	struct vfio_iommufd *vi = &vd->iommufd;
	uint64_t vpasid;
	struct vfio_pasid *p;
	xa_for_each(&vi->pasids, vpasid, p) {
		vfio_iommufd_pasid_detach(vd, (uint32_t)vpasid);
	}
	vfio_iommufd_detach(vd);
	switch (vi->route) {
	case VFIO_ROUTE_RID:
		iommufd_device_unbind(vi->idev);
		break;
	case VFIO_ROUTE_PASID:
		iommufd_device_unbind(vi->idev);
		mdev_set_iommu_pasid(vd->dev, IOMMU_NO_PASID);
		if (vd->ops->pasid_revoke)
			vd->ops->pasid_revoke(vd, vi->default_pasid);
		iommu_free_dev_pasid(mdev_get_iommu_device(vd->dev), vi->default_pasid);
		vi->default_pasid = IOMMU_NO_PASID;
		break;
	case VFIO_ROUTE_ACCESS:
		iommufd_access_destroy(vi->access);
		break;
	}
	vi->idev = NULL;
	vi->access = NULL;
	pthread_mutex_lock(&vi->pasids_lock);
	struct iommufd_ctx *ictx = vi->ictx;
	vi->ictx = NULL;
	pthread_mutex_unlock(&vi->pasids_lock);
	iommufd_ctx_put(ictx);
}

/* ---- the default address space ---- */

int vfio_iommufd_attach(struct vfio_device *vd, uint32_t *pt_id)
{
	struct vfio_iommufd *vi = &vd->iommufd;
	int rc = 0;
	switch (vi->route) {
	case VFIO_ROUTE_RID:
		rc = vi->attached ? iommufd_device_replace(vi->idev, IOMMU_NO_PASID, pt_id) :
				    iommufd_device_attach(vi->idev, IOMMU_NO_PASID, pt_id);
		break;
	case VFIO_ROUTE_PASID:
		rc = vi->attached ? iommufd_device_replace(vi->idev, vi->default_pasid, pt_id) :
				    iommufd_device_attach(vi->idev, vi->default_pasid, pt_id);
		break;
	case VFIO_ROUTE_ACCESS:
		/* An access follows an IOAS; it has no HWPT of its own. */
		rc = vi->attached ? iommufd_access_replace(vi->access, *pt_id) :
				    iommufd_access_attach(vi->access, *pt_id);
		break;
	}
	if (!rc)
		vi->attached = true;
	return rc;
}

void vfio_iommufd_detach(struct vfio_device *vd)
{
	struct vfio_iommufd *vi = &vd->iommufd;
	if (!vi->attached)
		return;
	switch (vi->route) {
	case VFIO_ROUTE_RID:
		iommufd_device_detach(vi->idev, IOMMU_NO_PASID);
		break;
	case VFIO_ROUTE_PASID:
		/* The default PASID stays the mdev's: its entry is cleared,
		 * so what the device still sends with it is blocked. */
		iommufd_device_detach(vi->idev, vi->default_pasid);
		break;
	case VFIO_ROUTE_ACCESS:
		iommufd_access_detach(vi->access);
		break;
	}
	vi->attached = false;
}

/* ---- vPASIDs (U-8) ---- */

/* The physical PASID for a new vPASID, by the device's policy. */
static int pasid_get(struct vfio_device *vd, enum vfio_pasid_policy policy, uint32_t vpasid,
		     struct vfio_pasid *p)
{
	struct device *dev = iommu_dev_of(vd);
	switch (policy) {
	case VFIO_PASID_DIRECT:
		p->ppasid = vpasid;
		return 0;
	case VFIO_PASID_PER_RID:
		return iommu_dev_pasid_alloc(dev, &p->ppasid);
	case VFIO_PASID_GLOBAL:
		p->global = true;
		return iommufd_ctx_get_global_pasid(vd->iommufd.ictx, dev, vpasid, &p->ppasid);
	default:
		return -EOPNOTSUPP;
	}
}

int vfio_iommufd_pasid_attach(struct vfio_device *vd, uint32_t vpasid, uint32_t *pt_id)
{
	struct vfio_iommufd *vi = &vd->iommufd;
	unsigned log2;
	enum vfio_pasid_policy policy = vfio_pasid_policy_of(vd, &log2);
	if (policy == VFIO_PASID_NONE)
		return -EOPNOTSUPP;
	if (vpasid == IOMMU_NO_PASID || vpasid >= 1u << log2)
		return -EINVAL;
	struct vfio_pasid *p = xa_load(&vi->pasids, vpasid);
	if (p)
		return iommufd_device_replace(vi->idev, p->ppasid, pt_id);
	p = kcalloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int rc = pasid_get(vd, policy, vpasid, p);
	if (rc) {
		free(p);
		return rc;
	}
	rc = iommufd_device_attach(vi->idev, p->ppasid, pt_id);
	if (!rc) {
		pthread_mutex_lock(&vi->pasids_lock);
		rc = xa_store(&vi->pasids, vpasid, p, NULL);
		pthread_mutex_unlock(&vi->pasids_lock);
		if (rc)
			iommufd_device_detach(vi->idev, p->ppasid);
	}
	if (rc) {
		pasid_release(vd, vpasid, p, false);
		free(p);
	}
	return rc;
}

void vfio_iommufd_pasid_detach(struct vfio_device *vd, uint32_t vpasid)
{
	struct vfio_iommufd *vi = &vd->iommufd;
	struct vfio_pasid *p = xa_load(&vi->pasids, vpasid);
	if (!p)
		return;
	/* The driver stops using it (revoke) with the entry still there:
	 * its last descriptors complete, or fault, in the user's space. */
	pthread_mutex_lock(&vi->pasids_lock);
	xa_erase(&vi->pasids, vpasid);
	pthread_mutex_unlock(&vi->pasids_lock);
	pasid_release(vd, vpasid, p, true);
	free(p);
}

/* ---- for the device's driver ---- */

int vfio_device_pasid_translate(struct vfio_device *vd, ioasid_t vpasid, ioasid_t *ppasid)
{
	if (!vd || !ppasid)
		return -EINVAL;
	struct vfio_iommufd *vi = &vd->iommufd;
	pthread_mutex_lock(&vi->pasids_lock);
	struct vfio_pasid *p = xa_load(&vi->pasids, vpasid);
	if (p)
		*ppasid = p->ppasid;
	pthread_mutex_unlock(&vi->pasids_lock);
	return p ? 0 : -ENOENT;
}

int vfio_device_cpu_pasid_translate(struct vfio_device *vd, ioasid_t vpasid, ioasid_t *ppasid)
{
	if (!vd || !ppasid)
		return -EINVAL;
	struct vfio_iommufd *vi = &vd->iommufd;
	pthread_mutex_lock(&vi->pasids_lock);
	struct vfio_pasid *p = xa_load(&vi->pasids, vpasid);
	int rc = vi->ictx ? iommufd_ctx_cpu_pasid_translate(vi->ictx, vpasid, ppasid) : -EPERM;
	/* The VM's translation, of a vPASID this device was given. */
	if (!rc && (!p || !p->global || p->ppasid != *ppasid))
		rc = -ENOENT;
	pthread_mutex_unlock(&vi->pasids_lock);
	return rc;
}

/* ---- pinning for emulated devices (M-7), either backend ---- */

int vfio_pin_pages(struct vfio_device *vd, uint64_t iova, int npage, int prot, uint64_t *hva)
{
	/* Bound to an iommufd: through the ACCESS (set while bound, read
	 * without the device lock - the unmap callback may pin and unpin). */
	struct iommufd_access *access = vd ? vd->iommufd.access : NULL;
	if (!access)
		return vfio_type1_pin_pages(vd, iova, npage, prot, hva);
	if (!hva || npage <= 0 || (iova & 4095))
		return -EINVAL;
	if (npage > VFIO_PIN_PAGES_MAX_ENTRIES)
		return -E2BIG;
	void *pages[VFIO_PIN_PAGES_MAX_ENTRIES];
	int rc = iommufd_access_pin_pages(access, iova, (uint64_t)npage << 12, pages,
					  (prot & IOMMU_WRITE) ? IOMMUFD_ACCESS_RW_WRITE : 0);
	if (rc)
		return rc;
	for (int i = 0; i < npage; i++)
		hva[i] = (uint64_t)(uintptr_t)pages[i];
	return npage;
}

void vfio_unpin_pages(struct vfio_device *vd, uint64_t iova, int npage)
{
	struct iommufd_access *access = vd ? vd->iommufd.access : NULL;
	if (!access) {
		vfio_type1_unpin_pages(vd, iova, npage);
		return;
	}
	if (npage > 0)
		iommufd_access_unpin_pages(access, iova, (uint64_t)npage << 12);
}
