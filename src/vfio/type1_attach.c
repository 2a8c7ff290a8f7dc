/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which domain a group of a type1 container joins - the isolation
 * decision of patch 8 of the 2018 series:
 *  - a PCI group is attached whole to a domain;
 *  - an mdev group whose mdevs all name the same iommu_device is isolated
 *    by the IOMMU through that device: an auxiliary domain (its own PASID)
 *    when the device is in aux mode, else the device's own domain; the
 *    mdev learns its domain through mdev_set_iommu_domain();
 *  - any other mdev group (no iommu_device, or several different ones) is
 *    "external": its parent reaches user memory only through
 *    vfio_pin_pages(), and must drop pins when told of an unmap.
 * New groups first try to join an existing domain; otherwise they get a
 * new domain into which every mapping is replayed.
 */
#include <errno.h>
#include <stdlib.h>

#include <uiommu/iommu.h>
#include <uiommu/mdev.h>

#include "type1.h"
#include "../iommu/group.h"
#include "../iommu/iommu.h"
#include "../util/slab.h"

/* Patch 8: the common iommu_device of an mdev group, NULL if any mdev
 * has none or they differ. */
static int common_iommu_device(struct device *dev, void *data)
{
	struct device **common = data;
	struct device *d = mdev_get_iommu_device(dev);
	if (!d || (*common && *common != d)) {
		*common = NULL;
		return 1;
	}
	*common = d;
	return 0;
}

static struct device *mdev_group_iommu_device(struct iommu_group *ig)
{
	struct device *common = NULL;
	iommu_group_for_each_dev(ig, &common, common_iommu_device);
	return common;
}

static struct type1_group *find_group(struct vfio_iommu *iommu, struct vfio_group *g,
				      struct type1_domain **in)
{
	struct type1_group *tg;
	list_for_each_entry(tg, &iommu->emulated, node)
		if (tg->group == g) {
			*in = NULL;
			return tg;
		}
	struct type1_domain *td;
	list_for_each_entry(td, &iommu->domains, node)
		list_for_each_entry(tg, &td->groups, node)
			if (tg->group == g) {
				*in = td;
				return tg;
			}
	return NULL;
}

static int domain_attach(struct iommu_domain *d, struct type1_group *tg)
{
	if (!tg->iommu_device)
		return iommu_attach_group_owned(d, tg->group->iommu_group);
	if (tg->aux)
		return iommu_aux_attach_device(d, tg->iommu_device);
	return iommu_attach_device(d, tg->iommu_device);
}

static void domain_detach(struct iommu_domain *d, struct type1_group *tg)
{
	if (!tg->iommu_device)
		iommu_detach_group(d, tg->group->iommu_group);
	else if (tg->aux)
		iommu_aux_detach_device(d, tg->iommu_device);
	else
		iommu_detach_device(d, tg->iommu_device);
}

struct set_domain {
	struct iommu_domain *domain;
	struct device *failed;  /* the first mdev that refused */
};

static int mdev_set_domain(struct device *dev, void *data)
{
	struct set_domain *sd = data;
	if (!dev_is_mdev(dev))
		return 0;
	int rc = mdev_set_iommu_domain(dev, sd->domain);
	if (rc)
		sd->failed = dev;
	return rc;
}

static int mdev_clear_domain(struct device *dev, void *data)
{
	struct set_domain *sd = data;
	if (dev == sd->failed)
		return 1;
	if (dev_is_mdev(dev))
		mdev_set_iommu_domain(dev, NULL);
	return 0;
}

/* Tell every mdev of the group its domain (patch 6/8). One that already
 * holds a domain refuses (-EINVAL): the parent would program one PASID
 * while the tenant's mappings are in another. Then nobody keeps it. */
static int mdevs_set_domain(struct type1_group *tg, struct iommu_domain *d)
{
	struct set_domain sd = { .domain = d };
	int rc = iommu_group_for_each_dev(tg->group->iommu_group, &sd, mdev_set_domain);
	if (rc && d)
		iommu_group_for_each_dev(tg->group->iommu_group, &sd, mdev_clear_domain);
	return rc;
}

/* Every mapping into a new domain. The container's first IOMMU domain
 * pins them first (type1_map.c: nothing is pinned before one exists);
 * on failure what this call pinned is unpinned again. */
static int replay(struct vfio_iommu *iommu, struct iommu_domain *d)
{
	bool first = list_empty(&iommu->domains);
	struct vfio_dma *dma;
	int rc = 0;
	for (dma = vfio_dma_first(iommu, 0, UINT64_MAX); dma && !rc;
	     dma = rc ? dma : vfio_dma_next(dma, 0, UINT64_MAX)) {
		rc = type1_dma_pin(dma);
		if (!rc)
			rc = iommu_map(d, dma->iova, dma->mem.phys, dma->size, dma->prot);
	}
	if (!rc)
		return 0;
	for (struct vfio_dma *u = vfio_dma_first(iommu, 0, UINT64_MAX); u;
	     u = vfio_dma_next(u, 0, UINT64_MAX)) {
		if (u != dma)
			iommu_unmap(d, u->iova, u->size);
		if (first)
			mm_unpin_user(&u->mem);
		if (u == dma)
			break;
	}
	return rc;
}

/* Puts the group in a domain of the container, an existing one if iommu
 * can; returns that domain, or NULL with *err. */
static struct iommu_domain *attach_to_domain(struct vfio_iommu *iommu, struct type1_group *tg,
					     int *err)
{
	struct device *dev = type1_group_dma_device(tg);
	if (!dev) {
		*err = -ENODEV;
		return NULL;
	}
	int rc;
	struct iommu_domain *nd = iommu_paging_domain_alloc_flags(dev, 0, &rc);
	if (!nd) {
		*err = rc ? rc : -ENOMEM;
		return NULL;
	}
	struct iova_range r[MAX_IOVA_RANGES];
	unsigned n;
	rc = type1_compute_ranges(iommu, nd, tg, r, &n);
	if (!rc && !type1_mappings_fit(iommu, r, n))
		rc = -EINVAL; /* a mapping would sit on this device's reserved IOVA */
	if (!rc)
		rc = domain_attach(nd, tg);
	if (rc)
		goto fail_free;

	/* Prefer a domain the container already has: one set of page
	 * tables, and for aux users one PASID on the device. */
	struct type1_domain *td;
	list_for_each_entry(td, &iommu->domains, node) {
		if (td->domain->owner != nd->owner)
			continue;
		domain_detach(nd, tg);
		if (!domain_attach(td->domain, tg)) {
			iommu_domain_free(nd);
			list_add_tail(&tg->node, &td->groups);
			return td->domain;
		}
		rc = domain_attach(nd, tg);
		if (rc)
			goto fail_free;
	}

	td = kcalloc(1, sizeof(*td));
	rc = td ? replay(iommu, nd) : -ENOMEM;
	if (rc) {
		domain_detach(nd, tg);
		free(td);
		goto fail_free;
	}
	td->domain = nd;
	list_init(&td->groups);
	list_add_tail(&tg->node, &td->groups);
	list_add_tail(&td->node, &iommu->domains);
	return nd;
fail_free:
	iommu_domain_free(nd);
	*err = rc;
	return NULL;
}

/* Take the group out of its domain; the domain goes with its last group
 * (group ownership is what grants it). */
static void detach_from_domain(struct vfio_iommu *iommu, struct type1_group *tg,
			       struct iommu_domain *d)
{
	struct type1_domain *td;
	list_for_each_entry(td, &iommu->domains, node)
		if (td->domain == d)
			break;
	list_del(&tg->node);
	domain_detach(d, tg);
	if (list_empty(&td->groups)) {
		list_del(&td->node);
		iommu_domain_free(d);
		free(td);
	}
}

int vfio_iommu_type1_attach_group(struct vfio_iommu *iommu, struct vfio_group *g)
{
	pthread_mutex_lock(&iommu->lock);
	struct type1_domain *in;
	int rc = -EINVAL;
	if (find_group(iommu, g, &in))
		goto out;
	rc = -ENOMEM;
	struct type1_group *tg = kcalloc(1, sizeof(*tg));
	if (!tg)
		goto out;
	tg->group = g;
	if (g->mdev_group) {
		tg->iommu_device = mdev_group_iommu_device(g->iommu_group);
		if (!tg->iommu_device) {
			/* Vendor-defined isolation: the external domain. */
			list_add_tail(&tg->node, &iommu->emulated);
			rc = 0;
			goto out;
		}
		tg->aux = iommu_dev_feature_enabled(tg->iommu_device, IOMMU_DEV_FEAT_AUX);
	}
	struct iommu_domain *d = attach_to_domain(iommu, tg, &rc);
	if (!d) {
		free(tg);
		goto out;
	}
	if (g->mdev_group && (rc = mdevs_set_domain(tg, d))) {
		/* An mdev that holds a domain already: undo the attach, and
		 * nothing changed (mdev_set_iommu_domain's -EINVAL). */
		detach_from_domain(iommu, tg, d);
		free(tg);
		goto out;
	}
	rc = 0;
	type1_update_pgsize(iommu);
	type1_refresh_ranges(iommu);
out:
	pthread_mutex_unlock(&iommu->lock);
	return rc;
}

void vfio_iommu_type1_detach_group(struct vfio_iommu *iommu, struct vfio_group *g)
{
	pthread_mutex_lock(&iommu->lock);
	struct type1_domain *td;
	struct type1_group *tg = find_group(iommu, g, &td);
	if (!tg)
		goto out;
	if (td) {
		if (g->mdev_group)
			mdevs_set_domain(tg, NULL);
		detach_from_domain(iommu, tg, td->domain);
	} else {
		list_del(&tg->node);
	}
	free(tg);
	/* No group left: the address space is gone with them. */
	if (list_empty(&iommu->domains) && list_empty(&iommu->emulated))
		vfio_dma_remove_all(iommu);
	type1_update_pgsize(iommu);
	type1_refresh_ranges(iommu);
out:
	pthread_mutex_unlock(&iommu->lock);
}
