/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOMMU core's state on a host (struct iommu_core) and how it hears
 * of devices: a bus notifier for every bus, so a device added after the
 * host is up - a hot-added function, a test bus's device - is offered to
 * the registered IOMMUs like those found at bring-up.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommu.h"
#include "group.h"
#include "../util/slab.h"

static int iommu_bus_notify(struct bus_notifier *nb, enum bus_notify_action action,
			    struct device *dev)
{
	(void)nb;
	if (action == BUS_NOTIFY_DEL_DEVICE) {
		iommu_release_device(dev);
		return 0;
	}
	int rc = iommu_probe_device(dev);
	return rc == -ENODEV ? 0 : rc; /* no IOMMU for it: fine */
}

int iommu_core_init(struct uiommu_host *h, bool default_identity)
{
	struct iommu_core *core = kcalloc(1, sizeof(*core));
	if (!core)
		return -ENOMEM;
	core->host = h;
	core->default_identity = default_identity;
	pthread_mutex_init(&core->probe_lock, NULL);
	pthread_mutex_init(&core->groups_lock, NULL);
	pthread_mutex_init(&core->lock, NULL);
	pthread_mutex_init(&core->fault_lock, NULL);
	pthread_mutex_init(&core->aux_lock, NULL);
	list_init(&core->iommus);
	list_init(&core->groups);
	list_init(&core->domains);
	int rc = iommu_pasid_space_init(core);
	if (rc) {
		free(core);
		return rc;
	}
	core->nb.notify = iommu_bus_notify;
	h->iommu = core;
	bus_register_notifier(h, &core->nb);
	return 0;
}

void iommu_core_fini(struct uiommu_host *h)
{
	struct iommu_core *core = iommu_core_of(h);
	if (!core)
		return;
	bus_unregister_notifier(h, &core->nb);
	/* Drivers unregister their instances on their way down; one that did
	 * not leaves nothing behind either. */
	while (!list_empty(&core->iommus))
		iommu_device_unregister(list_entry(core->iommus.next, struct iommu_device, node));
	iommu_pasid_space_fini(core);
	pthread_mutex_destroy(&core->probe_lock);
	pthread_mutex_destroy(&core->groups_lock);
	pthread_mutex_destroy(&core->lock);
	pthread_mutex_destroy(&core->fault_lock);
	pthread_mutex_destroy(&core->aux_lock);
	free(core);
	h->iommu = NULL;
}
