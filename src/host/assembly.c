/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host assembly, the roof: a host is brought up bottom-up from its
 * topology - the machine, the file layer (the VFS the others register
 * device nodes with), the kernel's PCI view, the IOMMU core, the IOMMU
 * drivers, the mdev core, VFIO, the device drivers - and taken down
 * top-down, after what clients left open is closed. Each step is one
 * layer's init; no layer brings up another.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "../drivers/drivers.h"
#include "../files/file.h"
#include "../hw/machine.h"
#include "../hw/topology.h"
#include "../iommu/intel/intel.h"
#include "../iommufd/iommufd_host.h"
#include "../iommu/iommu.h"
#include "../iommu/mock/mock.h"
#include "../mdev/mdev.h"
#include "../pci/pci.h"
#include "../sysfs/sysfs.h"
#include "../vfio/vfio.h"
#include "../util/slab.h"

const char *uiommu_default_topology(void)
{
	return hw_default_topology;
}

const char *uiommu_version(void)
{
	return UIOMMU_VERSION;
}

static int machine_up(struct uiommu_host *h, const struct uiommu_host_opts *opts, char *err,
		      size_t errlen)
{
	int rc;
	if (opts->topology_path)
		rc = hw_machine_from_file(opts->topology_path, &h->m, err, errlen);
	else
		rc = hw_machine_from_json(opts->topology_json ? opts->topology_json :
								hw_default_topology,
					  opts->topology_json ? "<topology>" : "<default>", &h->m,
					  err, errlen);
	if (!rc && opts->checker)
		for (unsigned i = 0; i < h->m->nr_units; i++)
			h->m->units[i]->cfg.checker = h->m->units[i]->checker = true;
	return rc;
}

/* The kernel side, bottom-up; `err` names the step that failed. */
static int kernel_up(struct uiommu_host *h, const struct uiommu_host_opts *opts, char *err,
		     size_t errlen)
{
	int rc;
	/* The file layer first: the layers above register their device
	 * nodes with it as they come up. (mm: pins and accounting, come up
	 * next.) */
	if ((rc = files_host_init(h)) || (rc = pci_scan_host_bridge(h, h->m)) ||
	    (rc = iommu_core_init(h, opts->default_identity))) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	/* The IOMMU drivers: each registers its instances with the core.
	 * A bare host runs without one (its units are the program's). */
	if (!opts->bare && (rc = intel_iommu_init(h))) {
		snprintf(err, errlen, "IOMMU driver: %s", strerror(-rc));
		return rc;
	}
	if ((rc = mdev_core_init(h))) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	/* /dev/iommu, with or without an IOMMU (binds fail without one);
	 * VFIO binds its devices to it, so it comes first. */
	if ((rc = iommufd_host_init(h))) {
		snprintf(err, errlen, "/dev/iommu: %s", strerror(-rc));
		return rc;
	}
	/* The selftest IOMMU sits on iommufd's driver interface (SPEC U-15). */
	if (opts->selftest && (rc = iommu_mock_init(h))) {
		snprintf(err, errlen, "selftest IOMMU: %s", strerror(-rc));
		return rc;
	}
	if ((rc = vfio_core_init(h))) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	/* Device drivers use VFIO's device interface (the mdev parents are
	 * VFIO device drivers), so they come up after it. */
	if (!opts->bare && !opts->no_drivers && (rc = device_drivers_init(h))) {
		snprintf(err, errlen, "drivers: %s", strerror(-rc));
		return rc;
	}
	/* The /sys view last, as the kernel's sysfs shows what probing made;
	 * it follows later changes through the layers' notifiers. */
	if ((rc = sysfs_host_init(h))) {
		snprintf(err, errlen, "sysfs: %s", strerror(-rc));
		return rc;
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
	struct uiommu_host *h = kcalloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	host_object_init(h);
	int rc = machine_up(h, opts, err, errlen);
	if (!rc)
		rc = kernel_up(h, opts, err, errlen);
	if (rc) {
		uiommu_host_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void uiommu_host_free(struct uiommu_host *h)
{
	if (!h)
		return;
	/* What clients left open goes first, as on process exit: their
	 * descriptors and mappings (the file layer). */
	files_host_fini(h);
	/* Then the layers, top-down. (mm goes down after the PCI view.) */
	sysfs_host_fini(h);
	device_drivers_fini(h);
	vfio_core_fini(h);
	iommu_mock_exit(h);
	iommufd_host_fini(h);
	mdev_core_fini(h);
	intel_iommu_exit(h);
	iommu_core_fini(h);
	pci_remove_host_bridge(h);
	hw_machine_free(h->m);
	host_object_fini(h);
	free(h);
}
