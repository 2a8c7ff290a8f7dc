/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PASID attach in today's form (SPEC A-13): a domain installed on a
 * (device, PASID), replaced atomically, detached; and one global PASID
 * space, so a PASID names the same address space on every device that a
 * user (a VM, a tenant) shares it with. PASID 0 is IOMMU_NO_PASID, the
 * RID's own entry.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommu.h"
#include "group.h"
#include "../base/device.h"
#include "../util/slab.h"

#define PASID_SPACE (1u << 20)

int iommu_pasid_space_init(struct iommu_core *core)
{
	pthread_mutex_init(&core->pasid_lock, NULL);
	core->pasid_map = kcalloc(PASID_SPACE / 64, sizeof(uint64_t));
	if (!core->pasid_map) {
		pthread_mutex_destroy(&core->pasid_lock);
		return -ENOMEM;
	}
	core->pasid_map[0] = 1; /* IOMMU_NO_PASID */
	xa_init(&core->rid_pasid_users);
	return 0;
}

void iommu_pasid_space_fini(struct iommu_core *core)
{
	if (!core->pasid_map)
		return;
	free(core->pasid_map);
	core->pasid_map = NULL;
	xa_destroy(&core->rid_pasid_users);
	pthread_mutex_destroy(&core->pasid_lock);
}

/* The lowest PASID below `max` that neither the global space nor - with
 * `dev` - dev's per-RID space has given out; for a global one (dev NULL),
 * also none that any device holds per-RID. core->pasid_lock held. */
static ioasid_t lowest_free(struct iommu_core *core, struct dev_iommu *dev, unsigned max)
{
	for (unsigned w = 0; w * 64 < max; w++) {
		uint64_t taken = core->pasid_map[w];
		while (taken != ~0ull) {
			unsigned b = (unsigned)__builtin_ctzll(~taken);
			ioasid_t p = w * 64 + b;
			if (p >= max)
				return IOMMU_PASID_INVALID;
			taken |= 1ull << b;
			void *held = dev ? xa_load(&dev->rid_pasids, p) :
					   xa_load(&core->rid_pasid_users, p);
			if (!held)
				return p;
		}
	}
	return IOMMU_PASID_INVALID;
}

ioasid_t iommu_alloc_global_pasid(struct device *dev)
{
	unsigned max = iommu_dev_max_pasids(dev);
	struct iommu_core *core = max ? iommu_core_of(dev->host) : NULL;
	if (!core || !core->pasid_map)
		return IOMMU_PASID_INVALID;
	pthread_mutex_lock(&core->pasid_lock);
	ioasid_t got = lowest_free(core, NULL, max);
	if (got != IOMMU_PASID_INVALID)
		core->pasid_map[got / 64] |= 1ull << (got % 64);
	pthread_mutex_unlock(&core->pasid_lock);
	return got;
}

/*
 * Per-RID PASIDs (the proposal's section 1.4, types 3 and 6): a PASID
 * unique on `dev`'s RID, the same number free for other devices' own
 * spaces. The global space must never hand out a PASID some device holds
 * per-RID (a VM's ENQCMD PASID would then reach that device's tenant), so
 * the core counts the holders of each PASID and the global allocator
 * skips them; a per-RID PASID in turn is never a global one in use.
 */
int iommu_dev_pasid_alloc(struct device *dev, ioasid_t *out)
{
	unsigned max = iommu_dev_max_pasids(dev);
	struct iommu_core *core = max ? iommu_core_of(dev->host) : NULL;
	struct dev_iommu *di = dev_iommu(dev);
	if (!core || !core->pasid_map || !di)
		return -ENOSPC;
	pthread_mutex_lock(&core->pasid_lock);
	int rc = -ENOSPC;
	ioasid_t got = lowest_free(core, di, max);
	if (got != IOMMU_PASID_INVALID) {
		uintptr_t users = (uintptr_t)xa_load(&core->rid_pasid_users, got);
		rc = xa_store(&core->rid_pasid_users, got, (void *)(users + 1), NULL);
		if (!rc && (rc = xa_store(&di->rid_pasids, got, (void *)1, NULL))) {
			if (users)
				xa_store(&core->rid_pasid_users, got, (void *)users, NULL);
			else
				xa_erase(&core->rid_pasid_users, got);
		}
	}
	pthread_mutex_unlock(&core->pasid_lock);
	*out = rc ? IOMMU_PASID_INVALID : got;
	return rc;
}

ioasid_t iommu_alloc_dev_pasid(struct device *dev)
{
	ioasid_t got;
	iommu_dev_pasid_alloc(dev, &got);
	return got;
}

/* core->pasid_lock held. */
static void free_dev_pasid_locked(struct iommu_core *core, struct dev_iommu *di, ioasid_t pasid)
{
	if (!xa_erase(&di->rid_pasids, pasid))
		return;
	uintptr_t users = (uintptr_t)xa_load(&core->rid_pasid_users, pasid);
	if (users > 1)
		xa_store(&core->rid_pasid_users, pasid, (void *)(users - 1), NULL);
	else
		xa_erase(&core->rid_pasid_users, pasid);
}

void iommu_free_dev_pasid(struct device *dev, ioasid_t pasid)
{
	struct iommu_core *core = dev ? iommu_core_of(dev->host) : NULL;
	struct dev_iommu *di = dev_iommu(dev);
	if (!core || !core->pasid_map || !di)
		return;
	pthread_mutex_lock(&core->pasid_lock);
	free_dev_pasid_locked(core, di, pasid);
	pthread_mutex_unlock(&core->pasid_lock);
}

/* The device goes: whatever it still held per-RID goes with it. */
void iommu_dev_pasids_release(struct iommu_core *core, struct dev_iommu *di)
{
	if (core && core->pasid_map) {
		pthread_mutex_lock(&core->pasid_lock);
		uint64_t index;
		void *entry;
		xa_for_each(&di->rid_pasids, index, entry)
			free_dev_pasid_locked(core, di, (ioasid_t)index);
		pthread_mutex_unlock(&core->pasid_lock);
	}
	xa_destroy(&di->rid_pasids);
}

static void free_pasid(struct iommu_core *core, ioasid_t pasid)
{
	if (!core || !core->pasid_map || pasid == IOMMU_NO_PASID || pasid >= PASID_SPACE)
		return;
	pthread_mutex_lock(&core->pasid_lock);
	core->pasid_map[pasid / 64] &= ~(1ull << (pasid % 64));
	pthread_mutex_unlock(&core->pasid_lock);
}

void iommu_free_global_pasid(struct device *dev, ioasid_t pasid)
{
	if (dev)
		free_pasid(iommu_core_of(dev->host), pasid);
}

unsigned iommu_dev_max_pasids(struct device *dev)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!di)
		return 0;
	return di->ops->max_pasids ? di->ops->max_pasids(dev) : di->max_pasids;
}

static int check(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)
{
	if (!domain || !dev)
		return -EINVAL;
	struct dev_iommu *di = dev_iommu(dev);
	if (!di || !iommu_group_translated(dev->group))
		return -ENODEV;
	if (!domain->ops->set_dev_pasid || !di->ops->remove_dev_pasid)
		return -ENODEV;
	if (domain->owner != di->ops || domain->host != dev->host)
		return -EINVAL;
	if (pasid == IOMMU_NO_PASID || pasid >= iommu_dev_max_pasids(dev))
		return -EINVAL;
	/* Every {RID, PASID} must name exactly one device: PASIDs on a
	 * group shared with other functions would not (U-7). */
	if (dev->group->nr_devices != 1)
		return -EINVAL;
	return 0;
}

/* The device's PASID table is an xarray indexed by PASID (Linux keeps
 * the group's pasid_array): attach, detach, fault and page request each
 * find their entry in a few steps however many PASIDs are in use. */
int iommu_attach_device_pasid_locked(struct iommu_domain *domain, struct device *dev,
				     ioasid_t pasid)
{
	struct dev_iommu *di = dev->iommu;
	/* Reserve the index first: the driver's work is undone only if
	 * there was no room to record it. */
	int rc = xa_insert(&di->pasids, pasid, XA_ZERO_ENTRY);
	if (rc)
		return rc; /* -EBUSY: taken */
	rc = domain->ops->set_dev_pasid(domain, dev, pasid, NULL);
	if (rc) {
		xa_erase(&di->pasids, pasid);
		return rc;
	}
	xa_store(&di->pasids, pasid, domain, NULL); /* the slot exists: cannot fail */
	atomic_fetch_add(&domain->attach_users, 1);
	return 0;
}

int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)
{
	int rc = check(domain, dev, pasid);
	if (rc)
		return rc;
	struct dev_iommu *di = dev->iommu;
	pthread_mutex_lock(&di->lock);
	rc = iommu_attach_device_pasid_locked(domain, dev, pasid);
	pthread_mutex_unlock(&di->lock);
	return rc;
}

int iommu_replace_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)
{
	int rc = check(domain, dev, pasid);
	if (rc)
		return rc;
	struct dev_iommu *di = dev->iommu;
	pthread_mutex_lock(&di->lock);
	struct iommu_domain *old = xa_load(&di->pasids, pasid);
	if (!old) {
		rc = -EINVAL;
	} else if (old != domain) {
		rc = domain->ops->set_dev_pasid(domain, dev, pasid, old);
		if (!rc) {
			xa_store(&di->pasids, pasid, domain, NULL);
			atomic_fetch_sub(&old->attach_users, 1);
			atomic_fetch_add(&domain->attach_users, 1);
		}
	}
	pthread_mutex_unlock(&di->lock);
	return rc;
}

void iommu_detach_device_pasid_locked(struct iommu_domain *domain, struct device *dev,
				      ioasid_t pasid)
{
	struct dev_iommu *di = dev->iommu;
	if (xa_load(&di->pasids, pasid) != domain)
		return;
	di->ops->remove_dev_pasid(dev, pasid, domain);
	xa_erase(&di->pasids, pasid);
	atomic_fetch_sub(&domain->attach_users, 1);
}

void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)
{
	if (check(domain, dev, pasid))
		return;
	struct dev_iommu *di = dev->iommu;
	pthread_mutex_lock(&di->lock);
	iommu_detach_device_pasid_locked(domain, dev, pasid);
	pthread_mutex_unlock(&di->lock);
}

struct iommu_domain *iommu_get_domain_for_dev_pasid(struct device *dev, ioasid_t pasid)
{
	if (!dev || !iommu_group_translated(dev->group) || !dev->iommu)
		return NULL;
	struct dev_iommu *di = dev->iommu;
	pthread_mutex_lock(&di->lock);
	struct iommu_domain *d = xa_load(&di->pasids, pasid);
	pthread_mutex_unlock(&di->lock);
	return d;
}
