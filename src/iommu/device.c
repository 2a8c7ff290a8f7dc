/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU instances and the devices they serve (Linux __iommu_probe_device
 * and iommu_device_register in shape). A driver registers each instance
 * with its ops; the core offers every unserved device to the ops of the
 * registered instances, puts a device one of them serves into the group
 * its driver picks, and gives it the group's domain. Release runs the
 * other way. Everything here runs under the core's probe_lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "iommu.h"
#include "group.h"
#include "../util/slab.h"

/* Offer `dev` to one driver's ops. */
static int probe_with(struct device *dev, const struct iommu_ops *ops)
{
	struct dev_iommu *di = kcalloc(1, sizeof(*di));
	if (!di)
		return -ENOMEM;
	di->ops = ops;
	pthread_mutex_init(&di->lock, NULL);
	xa_init(&di->pasids);
	xa_init(&di->aux);
	xa_init(&di->rid_pasids);
	dev->iommu = di;
	struct iommu_device *served = ops->probe_device(dev);
	int rc = IS_ERR_OR_NULL(served) ? (served ? (int)PTR_ERR(served) : -ENODEV) : 0;
	if (rc)
		goto free_di;
	di->iommu_dev = served;
	struct iommu_group *g = ops->device_group ? ops->device_group(dev) :
						    generic_device_group(dev);
	if (IS_ERR_OR_NULL(g)) {
		rc = g ? (int)PTR_ERR(g) : -ENOMEM;
		goto release;
	}
	if (!dev->group && (rc = iommu_group_add_device(g, dev)))
		goto release;
	if (!(rc = iommu_group_attach_new_device(g, dev)))
		return 0;
	iommu_group_remove_device(dev);
	iommu_group_free(g);
release:
	if (ops->release_device)
		ops->release_device(dev);
free_di:
	dev->iommu = NULL;
	pthread_mutex_destroy(&di->lock);
	free(di);
	return rc;
}

static int probe_locked(struct iommu_core *core, struct device *dev)
{
	if (dev->iommu)
		return 0;
	struct iommu_device *iommu, *prev;
	list_for_each_entry(iommu, &core->iommus, node) {
		/* Each driver once, however many instances it has. */
		bool seen = false;
		list_for_each_entry(prev, &core->iommus, node) {
			if (prev == iommu)
				break;
			seen |= prev->ops == iommu->ops;
		}
		if (seen)
			continue;
		int rc = probe_with(dev, iommu->ops);
		if (rc != -ENODEV)
			return rc;
	}
	return -ENODEV;
}

int iommu_probe_device(struct device *dev)
{
	struct iommu_core *core = dev ? iommu_core_of(dev->host) : NULL;
	if (!core)
		return -ENODEV;
	pthread_mutex_lock(&core->probe_lock);
	int rc = probe_locked(core, dev);
	pthread_mutex_unlock(&core->probe_lock);
	return rc;
}

static void release_locked(struct device *dev)
{
	struct dev_iommu *di = dev->iommu;
	struct iommu_group *g = dev->group;
	if (!di)
		return;
	if (g) {
		pthread_mutex_lock(&g->lock);
		pthread_mutex_lock(&di->lock);
		uint64_t pasid;
		struct iommu_domain *d;
		xa_for_each(&di->pasids, pasid, d) {
			if (di->ops->remove_dev_pasid)
				di->ops->remove_dev_pasid(dev, (ioasid_t)pasid, d);
			atomic_fetch_sub(&d->attach_users, 1);
			xa_erase(&di->pasids, pasid);
		}
		struct aux_attach *a;
		xa_for_each(&di->aux, pasid, a) {
			xa_erase(&di->aux, pasid);
			free(a);
		}
		di->nr_aux = 0;
		pthread_mutex_unlock(&di->lock);
		bool last = true;
		struct device *o;
		list_for_each_entry(o, &g->devices, group_node)
			last &= o == dev || !o->iommu;
		if (last)
			iommu_group_teardown_locked(g);
		pthread_mutex_unlock(&g->lock);
	}
	if (di->ops->release_device)
		di->ops->release_device(dev);
	iommu_dev_pasids_release(iommu_core_of(dev->host), di);
	dev->iommu = NULL;
	xa_destroy(&di->pasids);
	xa_destroy(&di->aux);
	pthread_mutex_destroy(&di->lock);
	free(di);
	if (g) {
		iommu_group_remove_device(dev);
		iommu_group_free(g);
	}
}

void iommu_release_device(struct device *dev)
{
	struct iommu_core *core = dev ? iommu_core_of(dev->host) : NULL;
	if (!core)
		return;
	pthread_mutex_lock(&core->probe_lock);
	release_locked(dev);
	pthread_mutex_unlock(&core->probe_lock);
}

static int probe_one(struct device *dev, void *data)
{
	int rc = probe_locked(data, dev);
	return rc == -ENODEV ? 0 : rc;
}

static int release_served(struct device *dev, void *data)
{
	if (dev->iommu && dev->iommu->iommu_dev == data)
		release_locked(dev);
	return 0;
}

static void unregister_locked(struct iommu_core *core, struct iommu_device *iommu)
{
	bus_for_each_dev(core->host, NULL, iommu, release_served);
	list_del(&iommu->node);
	struct iommu_device *other;
	list_for_each_entry(other, &core->iommus, node)
		if (other->ops == iommu->ops)
			return;
	/* The driver's last instance: what users left allocated goes. */
	iommu_domains_free_owned(core, iommu->ops);
}

int iommu_device_register(struct iommu_device *iommu, const struct iommu_ops *ops,
			  struct uiommu_host *h)
{
	struct iommu_core *core = iommu_core_of(h);
	if (!iommu || !ops || !ops->probe_device || !core)
		return -EINVAL;
	iommu->ops = ops;
	iommu->host = h;
	if (!iommu->name[0])
		snprintf(iommu->name, sizeof(iommu->name), "%s", ops->name ? ops->name : "iommu");
	pthread_mutex_lock(&core->probe_lock);
	list_add_tail(&iommu->node, &core->iommus);
	int rc = bus_for_each_dev(h, NULL, core, probe_one);
	if (rc)
		unregister_locked(core, iommu);
	pthread_mutex_unlock(&core->probe_lock);
	return rc;
}

void iommu_device_unregister(struct iommu_device *iommu)
{
	struct iommu_core *core = iommu ? iommu_core_of(iommu->host) : NULL;
	if (!core)
		return;
	pthread_mutex_lock(&core->probe_lock);
	unregister_locked(core, iommu);
	pthread_mutex_unlock(&core->probe_lock);
}

/* ---- per-device queries ---- */

struct dev_iommu *dev_iommu(struct device *dev)
{
	return dev ? dev->iommu : NULL;
}

const char *dev_name(const struct device *dev)
{
	return dev ? dev->name : "(null)";
}

int iommu_get_resv_regions(struct device *dev, struct iommu_resv_region *out, int max)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (!di)
		return -ENODEV;
	if (max < 0 || (max && !out))
		return -EINVAL;
	return di->ops->get_resv_regions ? di->ops->get_resv_regions(dev, out, max) : 0;
}
