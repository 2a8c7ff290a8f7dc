/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VM's PASIDs (SPEC U-8; the proposal's section 1.4.2, type 8). A
 * context stands for one VM. Devices that take vPASIDs from the CPU's
 * ENQCMD to a shared work queue cannot have a pPASID per device: the CPU
 * translates the VM's vPASID to one pPASID, whichever device the
 * submission goes to. So the context keeps the table the CPU would use -
 * vPASID -> pPASID from the global space, counted by the devices using it
 * - and whether the translation is on (the KVM_CAP_PASID_TRANSLATION of
 * the proposal, here the uiommu extension UIOMMU_PASID_TRANSLATION). The
 * VFIO drivers of such devices refuse the shared portal until it is.
 */
#include <errno.h>
#include <stdlib.h>

#include <uiommu/iommufd_ext.h>

#include "iommufd_private.h"
#include "../util/slab.h"

struct vm_pasid {
	ioasid_t ppasid;
	unsigned users;
};

int iommufd_ctx_get_global_pasid(struct iommufd_ctx *ictx, struct device *dev, ioasid_t vpasid,
				 ioasid_t *ppasid)
{
	if (!ictx || !dev || !ppasid || vpasid == IOMMU_NO_PASID || vpasid >= 1u << 20)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&ictx->pasid_lock);
	struct vm_pasid *vp = xa_load(&ictx->vm_pasids, vpasid);
	if (vp) {
		/* The VM's pPASID must be one every device of it can carry. */
		if (vp->ppasid >= iommu_dev_max_pasids(dev)) {
			rc = -ENOSPC;
			goto out;
		}
		vp->users++;
		*ppasid = vp->ppasid;
		goto out;
	}
	rc = -ENOMEM;
	vp = kcalloc(1, sizeof(*vp));
	if (!vp)
		goto out;
	vp->ppasid = iommu_alloc_global_pasid(dev);
	rc = vp->ppasid == IOMMU_PASID_INVALID ? -ENOSPC :
						 xa_store(&ictx->vm_pasids, vpasid, vp, NULL);
	if (rc) {
		if (vp->ppasid != IOMMU_PASID_INVALID)
			iommu_free_global_pasid(dev, vp->ppasid);
		free(vp);
		goto out;
	}
	vp->users = 1;
	*ppasid = vp->ppasid;
out:
	pthread_mutex_unlock(&ictx->pasid_lock);
	return rc;
}

void iommufd_ctx_put_global_pasid(struct iommufd_ctx *ictx, struct device *dev, ioasid_t vpasid)
{
	if (!ictx || !dev)
		return;
	pthread_mutex_lock(&ictx->pasid_lock);
	struct vm_pasid *vp = xa_load(&ictx->vm_pasids, vpasid);
	if (vp && --vp->users == 0) {
		xa_erase(&ictx->vm_pasids, vpasid);
		iommu_free_global_pasid(dev, vp->ppasid);
		free(vp);
	}
	pthread_mutex_unlock(&ictx->pasid_lock);
}

int iommufd_ctx_cpu_pasid_translate(struct iommufd_ctx *ictx, ioasid_t vpasid, ioasid_t *ppasid)
{
	if (!ictx || !ppasid)
		return -EINVAL;
	pthread_mutex_lock(&ictx->pasid_lock);
	struct vm_pasid *vp = xa_load(&ictx->vm_pasids, vpasid);
	int rc = !ictx->cpu_pasid_translation ? -EPERM : !vp ? -ENOENT : 0;
	if (!rc)
		*ppasid = vp->ppasid;
	pthread_mutex_unlock(&ictx->pasid_lock);
	return rc;
}

int iommufd_pasid_translation(struct iommufd_ucmd *ucmd)
{
	struct uiommu_pasid_translation *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	if (cmd->flags & ~(UIOMMU_PASID_TRANSLATION_SET | UIOMMU_PASID_TRANSLATION_ENABLE) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->flags & UIOMMU_PASID_TRANSLATION_ENABLE) &&
	    !(cmd->flags & UIOMMU_PASID_TRANSLATION_SET))
		return -EINVAL;
	/* The answer is written before the state changes: a call that
	 * fails changes nothing (U-2). */
	pthread_mutex_lock(&ictx->pasid_lock);
	bool set = cmd->flags & UIOMMU_PASID_TRANSLATION_SET;
	cmd->out_enabled = set ? !!(cmd->flags & UIOMMU_PASID_TRANSLATION_ENABLE) :
				 ictx->cpu_pasid_translation;
	uint32_t n = 0;
	uint64_t index;
	struct vm_pasid *vp;
	xa_for_each(&ictx->vm_pasids, index, vp)
		n++;
	cmd->out_nr_pasids = n;
	int rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && set)
		ictx->cpu_pasid_translation = cmd->out_enabled;
	pthread_mutex_unlock(&ictx->pasid_lock);
	return rc;
}

/* The context goes after its devices, which put what they got. */
void iommufd_ctx_pasids_fini(struct iommufd_ctx *ictx)
{
	xa_destroy(&ictx->vm_pasids);
	pthread_mutex_destroy(&ictx->pasid_lock);
}
