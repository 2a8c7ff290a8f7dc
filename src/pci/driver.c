/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI driver core (Linux drivers/pci/pci-driver.c in shape): drivers
 * register with the host's PCI view and are offered every unbound
 * function their ID table matches. Registration and binding run under
 * the host bridge's lock; a driver's probe and remove run with it held
 * and must not register drivers.
 */
#include <errno.h>

#include "pci.h"
#include "../host/host.h"

const struct pci_device_id *pci_match_id(const struct pci_device_id *ids,
					 const struct pci_dev *pdev)
{
	for (; ids && ids->vendor; ids++)
		if ((ids->vendor == PCI_ANY_ID || ids->vendor == pdev->vendor) &&
		    (ids->device == PCI_ANY_ID || ids->device == pdev->device))
			return ids;
	return NULL;
}

int pci_register_driver(struct uiommu_host *h, struct pci_driver *drv)
{
	struct pci_host_bridge *br = h ? h->pci : NULL;
	if (!br || !drv || !drv->probe)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&br->lock);
	list_add_tail(&drv->node, &br->drivers);
	struct pci_dev *pdev;
	list_for_each_entry(pdev, &br->devices, node) {
		const struct pci_device_id *id = pci_match_id(drv->id_table, pdev);
		if (!id || pdev->dev.driver)
			continue;
		/* A function the driver cannot use (no PASID on its path,
		 * say) stays unbound, as a failed probe leaves it. */
		int err = drv->probe(pdev, id);
		if (!err)
			pdev->dev.driver = &drv->driver;
		else if (err == -ENOMEM) {
			rc = err;
			break;
		}
	}
	pthread_mutex_unlock(&br->lock);
	return rc;
}

void pci_unregister_driver(struct uiommu_host *h, struct pci_driver *drv)
{
	struct pci_host_bridge *br = h ? h->pci : NULL;
	if (!br || !drv)
		return;
	pthread_mutex_lock(&br->lock);
	struct pci_dev *pdev;
	list_for_each_entry(pdev, &br->devices, node) {
		if (pdev->dev.driver != &drv->driver)
			continue;
		if (drv->remove)
			drv->remove(pdev);
		pdev->dev.driver = NULL;
		pdev->dev.driver_data = NULL;
	}
	list_del(&drv->node);
	pthread_mutex_unlock(&br->lock);
}
