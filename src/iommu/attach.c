/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which domain a group's RIDs use (SPEC A-2): the default domain set up
 * with the group's first IOMMU-served device, attach and detach of groups
 * and singleton devices, replacement, and DMA ownership by a user (VFIO,
 * iommufd), which parks the group on its blocking domain until the owner
 * attaches its own. Every change runs under the group's lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommu.h"
#include "group.h"

/* Switch every served device of the group to `domain`; undo on failure. */
int iommu_group_set_domain_locked(struct iommu_group *g, struct iommu_domain *domain)
{
	struct iommu_domain *old = g->domain;
	if (old == domain)
		return 0;
	if (!domain->ops->attach_dev)
		return -ENODEV;
	struct device *dev;
	int rc = 0;
	list_for_each_entry(dev, &g->devices, group_node) {
		if (!dev->iommu)
			continue;
		rc = domain->ops->attach_dev(domain, dev);
		if (rc)
			break;
	}
	if (rc) {
		struct device *d2;
		list_for_each_entry(d2, &g->devices, group_node) {
			if (d2 == dev)
				break;
			if (d2->iommu && old)
				old->ops->attach_dev(old, d2);
		}
		return rc;
	}
	if (old)
		atomic_fetch_sub(&old->attach_users, 1);
	atomic_fetch_add(&domain->attach_users, 1);
	g->domain = domain;
	return 0;
}

/* The default domain: a DMA-API paging domain (strict translation,
 * nothing mapped), or pass-through if the host asks for it. A unit
 * without pass-through support has no identity domain: the group keeps a
 * translating default domain instead. A driver may fix its own (the
 * selftest mock starts its devices blocked, as Linux's does). */
static int setup_default_domain(struct iommu_group *g, struct device *dev)
{
	const struct iommu_ops *ops = dev->iommu->ops;
	struct iommu_domain *blocking = ops->blocked_domain ? ops->blocked_domain(dev) : NULL;
	struct iommu_domain *def = NULL;
	struct iommu_core *core = iommu_core_of(dev->host);
	if (ops->default_domain)
		def = ops->default_domain(dev);
	else if (core->default_identity && ops->identity_domain)
		def = ops->identity_domain(dev);
	if (!def && ops->domain_alloc_paging) {
		int err;
		def = ops->domain_alloc_paging(dev, 0, &err);
		if (def)
			def->type = IOMMU_DOMAIN_DMA;
	}
	if (!def || !blocking) {
		if (def && def->type == IOMMU_DOMAIN_DMA)
			iommu_domain_put(def);
		return -ENOMEM;
	}
	g->blocking_domain = blocking;
	g->default_domain = def;
	int rc = iommu_group_set_domain_locked(g, def);
	if (rc) {
		if (def->type == IOMMU_DOMAIN_DMA)
			iommu_domain_put(def);
		g->default_domain = g->blocking_domain = NULL;
	}
	return rc;
}

int iommu_group_attach_new_device(struct iommu_group *g, struct device *dev)
{
	pthread_mutex_lock(&g->lock);
	int rc;
	if (!g->blocking_domain)
		rc = setup_default_domain(g, dev);
	else
		rc = g->domain ? g->domain->ops->attach_dev(g->domain, dev) : 0;
	pthread_mutex_unlock(&g->lock);
	return rc;
}

void iommu_group_teardown_locked(struct iommu_group *g)
{
	if (g->blocking_domain && g->domain != g->blocking_domain)
		iommu_group_set_domain_locked(g, g->blocking_domain);
	if (g->domain && g->domain != g->default_domain)
		atomic_fetch_sub(&g->domain->attach_users, 1);
	if (g->default_domain && g->default_domain->type == IOMMU_DOMAIN_DMA) {
		atomic_store(&g->default_domain->attach_users, 0);
		/* A fault delivery holding it keeps it until its handler returns. */
		iommu_domain_put(g->default_domain);
	}
	g->default_domain = g->blocking_domain = g->domain = NULL;
	g->owner = NULL;
	g->owner_cnt = 0;
}

/*
 * no RID attach while a member has aux domains. The members' device
 * locks are taken (in list order, under the group's lock, after which an
 * aux attach, which takes one device lock, cannot slip in) and stay held
 * until unlock_members(), so the check and the switch are one step.
 */
static bool lock_members_check_aux(struct iommu_group *g)
{
	struct device *dev;
	bool aux = false;
	list_for_each_entry(dev, &g->devices, group_node) {
		if (!dev->iommu)
			continue;
		pthread_mutex_lock(&dev->iommu->lock);
		aux |= dev->iommu->nr_aux != 0;
	}
	return aux;
}

static void unlock_members(struct iommu_group *g)
{
	struct device *dev;
	list_for_each_entry(dev, &g->devices, group_node)
		if (dev->iommu)
			pthread_mutex_unlock(&dev->iommu->lock);
}

/* ---- attaching groups and devices ---- */

/* A domain is made by one driver and serves only devices it serves. */
static bool domain_fits(struct iommu_domain *domain, struct iommu_group *g)
{
	if (domain->host != g->host)
		return false; /* another machine's domain: its flushes never reach here */
	struct device *dev;
	list_for_each_entry(dev, &g->devices, group_node)
		if (dev->iommu && domain->owner && dev->iommu->ops != domain->owner)
			return false;
	return true;
}

int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	if (!domain || !iommu_group_translated(group))
		return -ENODEV;
	if (!domain_fits(domain, group))
		return -EINVAL;
	if (domain->type == IOMMU_DOMAIN_NESTED ? false : !domain->ops->attach_dev)
		return -ENODEV;
	pthread_mutex_lock(&group->lock);
	int rc;
	if (lock_members_check_aux(group))
		rc = -EPERM; /* the whole device is not handed out under PASID users */
	else if (group->domain != group->default_domain && group->domain != group->blocking_domain)
		rc = -EBUSY;
	else
		rc = iommu_group_set_domain_locked(group, domain);
	unlock_members(group);
	pthread_mutex_unlock(&group->lock);
	return rc;
}

void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	if (!domain || !iommu_group_translated(group))
		return;
	pthread_mutex_lock(&group->lock);
	if (group->domain == domain)
		iommu_group_set_domain_locked(group, group->owner_cnt ? group->blocking_domain :
									 group->default_domain);
	pthread_mutex_unlock(&group->lock);
}

int iommu_attach_device(struct iommu_domain *domain, struct device *dev)
{
	if (!dev || !dev->iommu || !dev->group)
		return -ENODEV;
	/* Only a device alone in its group can be attached on its own. */
	if (dev->group->nr_devices != 1)
		return -EINVAL;
	return iommu_attach_group(domain, dev->group);
}

void iommu_detach_device(struct iommu_domain *domain, struct device *dev)
{
	if (dev && dev->group && dev->group->nr_devices == 1)
		iommu_detach_group(domain, dev->group);
}

struct iommu_domain *iommu_get_domain_for_dev(struct device *dev)
{
	struct iommu_group *g = dev ? dev->group : NULL;
	if (!iommu_group_translated(g))
		return NULL;
	pthread_mutex_lock(&g->lock);
	struct iommu_domain *d = g->domain;
	pthread_mutex_unlock(&g->lock);
	return d;
}

/*
 * A domain for a group its owner (VFIO, iommufd) holds: an attach finds the
 * group blocked, a replace may find any domain there. Neither while aux
 * domains are attached to a member.
 */
static int set_owned_domain(struct iommu_group *group, struct iommu_domain *domain, bool replace)
{
	if (!iommu_group_translated(group) || !domain)
		return -ENODEV;
	if (!domain_fits(domain, group))
		return -EINVAL;
	pthread_mutex_lock(&group->lock);
	int rc;
	bool aux = lock_members_check_aux(group);
	if (!group->owner_cnt || aux)
		rc = -EPERM; /* not owned, or A-8 */
	else if (!replace && group->domain != group->blocking_domain)
		rc = -EBUSY;
	else
		rc = iommu_group_set_domain_locked(group, domain);
	unlock_members(group);
	pthread_mutex_unlock(&group->lock);
	return rc;
}

int iommu_group_replace_domain(struct iommu_group *group, struct iommu_domain *domain)
{
	return set_owned_domain(group, domain, true);
}

/* ---- DMA ownership (VFIO, iommufd) ---- */

int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner)
{
	if (!iommu_group_translated(group) || !owner)
		return -EINVAL;
	pthread_mutex_lock(&group->lock);
	int rc = 0;
	if (group->owner_cnt) {
		if (group->owner == owner)
			group->owner_cnt++;
		else
			rc = -EBUSY;
	} else if (lock_members_check_aux(group) || group->domain != group->default_domain) {
		/* The kernel is using the group some other way. */
		rc = -EBUSY;
		unlock_members(group);
	} else {
		rc = iommu_group_set_domain_locked(group, group->blocking_domain);
		if (!rc) {
			group->owner = owner;
			group->owner_cnt = 1;
		}
		unlock_members(group);
	}
	pthread_mutex_unlock(&group->lock);
	return rc;
}

void iommu_group_release_dma_owner(struct iommu_group *group)
{
	if (!iommu_group_translated(group))
		return;
	pthread_mutex_lock(&group->lock);
	if (group->owner_cnt && --group->owner_cnt == 0) {
		group->owner = NULL;
		iommu_group_set_domain_locked(group, group->default_domain);
	}
	pthread_mutex_unlock(&group->lock);
}

bool iommu_group_dma_owner_claimed(struct iommu_group *group)
{
	return iommu_group_translated(group) && group->owner_cnt;
}

int iommu_attach_group_owned(struct iommu_domain *domain, struct iommu_group *group)
{
	return set_owned_domain(group, domain, false);
}
