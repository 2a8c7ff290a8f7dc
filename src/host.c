/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "base/device.h"
#include "hw/machine.h"
#include "hw/topology.h"
#include "iommu/group.h"
#include "iommu/iommu.h"
#include "vfio/vfio.h"
#include "drivers/drivers.h"
#include "files/file.h"
#include "sysfs/sysfs.h"

const char *uiommu_default_topology(void)
{
	return hw_default_topology;
}

const char *uiommu_version(void)
{
	return UIOMMU_VERSION;
}

static int add_pci_devices(struct uiommu_host *h)
{
	struct pci_dev *p;
	list_for_each_entry(p, &h->m->devices, node) {
		struct device *d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		d->host = h;
		d->bus = DEVICE_BUS_PCI;
		d->pdev = p;
		snprintf(d->name, sizeof(d->name), "%s", p->name);
		p->driver_data = d;
		list_add_tail(&d->node, &h->devices);
	}
	return 0;
}

int uiommu_host_new(const struct uiommu_host_opts *opts, struct uiommu_host **out, char *err,
		    size_t errlen)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = 0;
	if (!out) {
		snprintf(err, errlen, "no place for the host");
		return -EINVAL;
	}
	struct uiommu_host_opts none = { 0 };
	if (!opts)
		opts = &none;
	if (opts->topology_path && opts->topology_json) {
		snprintf(err, errlen, "give a topology file or JSON text, not both");
		return -EINVAL;
	}

	struct uiommu_host *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->fault_lock, NULL);
	list_init(&h->devices);
	list_init(&h->domains);
	list_init(&h->mdev_parents);
	pthread_mutex_init(&h->mdev_lock, NULL);
	list_init(&h->groups);

	int rc;
	if (opts->topology_path)
		rc = hw_machine_from_file(opts->topology_path, &h->m, err, errlen);
	else
		rc = hw_machine_from_json(opts->topology_json ? opts->topology_json :
								hw_default_topology,
					  opts->topology_json ? "<topology>" : "<default>", &h->m,
					  err, errlen);
	if (rc)
		goto fail;
	if (opts->checker)
		for (unsigned i = 0; i < h->m->nr_units; i++)
			h->m->units[i]->cfg.checker = h->m->units[i]->checker = true;
	if ((rc = files_host_init(h)) || (rc = add_pci_devices(h)) || (rc = iommu_groups_build(h))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	h->default_identity = opts->default_identity;
	h->iommu_ready = !opts->bare;
	if (h->iommu_ready && (rc = iommu_host_init(h))) {
		snprintf(err, errlen, "IOMMU driver: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = vfio_host_init(h))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (h->iommu_ready && !opts->no_drivers) {
		h->drivers_bound = true;
		if ((rc = host_bind_drivers(h))) {
			snprintf(err, errlen, "drivers: %s", strerror(-rc));
			goto fail;
		}
	}
	/* Last, as the kernel's sysfs shows what probing made. */
	if ((rc = sysfs_host_init(h))) {
		snprintf(err, errlen, "sysfs: %s", strerror(-rc));
		goto fail;
	}
	*out = h;
	return 0;
fail:
	uiommu_host_free(h);
	return rc;
}

void uiommu_host_free(struct uiommu_host *h)
{
	if (!h)
		return;
	/* What a client left open goes first, as on process exit; then
	 * the view, before the objects it shows. */
	files_host_fini(h);
	sysfs_host_fini(h);
	vfio_host_fini(h);
	if (h->drivers_bound)
		host_unbind_drivers(h);
	if (h->iommu_ready)
		iommu_host_fini(h);
	iommu_groups_free(h);
	struct device *d, *t;
	list_for_each_entry_safe(d, t, &h->devices, node) {
		list_del(&d->node);
		if (d->pdev)
			d->pdev->driver_data = NULL;
		free(d);
	}
	hw_machine_free(h->m);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->fault_lock);
	pthread_mutex_destroy(&h->mdev_lock);
	free(h);
}

struct device *host_find_device(struct uiommu_host *h, const char *name_or_bdf)
{
	struct device *d;
	uint16_t rid;
	bool is_bdf = pci_bdf_parse(name_or_bdf, &rid) == 0;
	list_for_each_entry(d, &h->devices, node) {
		if (!strcmp(d->name, name_or_bdf))
			return d;
		if (is_bdf && d->pdev && d->pdev->rid == rid)
			return d;
	}
	return NULL;
}

unsigned uiommu_host_nr_units(const struct uiommu_host *h)
{
	return h ? h->m->nr_units : 0;
}

struct vtd_unit *uiommu_host_unit(const struct uiommu_host *h, unsigned idx)
{
	return h && idx < h->m->nr_units ? h->m->units[idx] : NULL;
}
