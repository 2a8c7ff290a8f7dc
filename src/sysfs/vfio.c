/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A device's VFIO cdev as Linux lists it (drivers/vfio/device_cdev.c's
 * class "vfio-dev"): <device>/vfio-dev/vfio<N>/dev with the node's
 * major:minor. Programs find /dev/vfio/devices/vfio<N> by reading this
 * directory (the VFIO selftests' vfio_pci_get_cdev_path does).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <uiommu/vfio.h>

#include "devtmpfs.h"
#include "sysfs_int.h"

static ssize_t dev_show(struct kernfs_node *kn, char *buf)
{
	return sysfs_emit(buf, "%u:%u\n", VFIO_CDEV_MAJOR, (unsigned)(uintptr_t)kn->priv);
}

static const struct kernfs_ops dev_ops = { .show = dev_show };

int sysfs_vfio_add_device(struct sysfs_host *sh, struct device *dev, struct kernfs_node *dir)
{
	char name[16];
	unsigned n;
	if (vfio_device_cdev_name(sh->host, dev, name, sizeof(name)) ||
	    sscanf(name, "vfio%u", &n) != 1)
		return 0; /* no cdev: a kernel driver has it, or no IOMMU serves it */
	struct kernfs_node *vdir, *cdir;
	int rc = kernfs_ensure_dir(dir, "vfio-dev", 0755, 0, &vdir);
	if (!rc)
		rc = kernfs_create_dir(vdir, name, 0755, 0, NULL, &cdir);
	if (!rc)
		rc = kernfs_create_file(cdir, "dev", 0444, &dev_ops, (void *)(uintptr_t)n, NULL);
	return rc;
}
