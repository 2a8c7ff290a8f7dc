/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host object itself: its locks and lists, and the machine-level
 * public calls. The layers' states are theirs (assembly.c).
 */
#include <errno.h>

#include "host.h"
#include "../hw/machine.h"

int host_object_init(struct uiommu_host *h)
{
	pthread_mutex_init(&h->devices_lock, NULL);
	pthread_mutex_init(&h->notifier_lock, NULL);
	list_init(&h->devices);
	list_init(&h->notifiers);
	return 0;
}

void host_object_fini(struct uiommu_host *h)
{
	pthread_mutex_destroy(&h->devices_lock);
	pthread_mutex_destroy(&h->notifier_lock);
}

unsigned uiommu_host_nr_units(const struct uiommu_host *h)
{
	return h && h->m ? h->m->nr_units : 0;
}

struct vtd_unit *uiommu_host_unit(const struct uiommu_host *h, unsigned idx)
{
	return h && h->m && idx < h->m->nr_units ? h->m->units[idx] : NULL;
}
