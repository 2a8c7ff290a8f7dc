/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>

#include "drivers.h"
#include "idxd/idxd.h"
#include "swmdev/swmdev.h"
#include "../host.h"
#include "../base/device.h"
#include "../hw/dev/dsa/dsa.h"

int host_bind_drivers(struct uiommu_host *h)
{
	struct device *dev;
	list_for_each_entry(dev, &h->devices, node) {
		if (dev->bus != DEVICE_BUS_PCI || !dsa_is_dsa(dev->pdev))
			continue;
		/* A DSA the driver cannot slice (no PASID on its path, say)
		 * is simply left unbound, as a failed probe leaves it. */
		int rc = idxd_probe(dev);
		if (rc == -ENOMEM)
			return rc;
	}
	return swmdev_init(h);
}

void host_unbind_drivers(struct uiommu_host *h)
{
	swmdev_fini(h);
	struct device *dev;
	list_for_each_entry(dev, &h->devices, node)
		if (dev->driver && dev->bus == DEVICE_BUS_PCI)
			idxd_remove(dev);
}
