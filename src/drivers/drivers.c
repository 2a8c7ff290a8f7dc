/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include "drivers.h"
#include "idxd/idxd.h"
#include "swmdev/swmdev.h"
#include "../host/host.h"
#include "../pci/pci.h"
#include "../util/slab.h"

int device_drivers_init(struct uiommu_host *h)
{
	struct device_drivers *d = kcalloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	h->drivers = d;
	int rc = pci_register_driver(h, &idxd_pci_driver);
	if (rc) {
		pci_unregister_driver(h, &idxd_pci_driver);
		device_drivers_fini(h);
		return rc;
	}
	d->idxd_registered = true;
	rc = swmdev_init(h, &d->swmdev);
	if (rc)
		device_drivers_fini(h);
	return rc;
}

void device_drivers_fini(struct uiommu_host *h)
{
	struct device_drivers *d = h->drivers;
	if (!d)
		return;
	swmdev_fini(d->swmdev);
	if (d->idxd_registered)
		pci_unregister_driver(h, &idxd_pci_driver);
	free(d);
	h->drivers = NULL;
}
