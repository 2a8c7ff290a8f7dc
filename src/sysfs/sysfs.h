/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host as Linux shows it under /sys (SPEC F-2): a kernfs tree
 * (kernfs.h) built from the host's devices, IOMMU groups, remapping units
 * and mdev parents, and kept in step as mdevs come and go.
 *
 *   /sys/devices/pci0000:00/<DDDD:BB:DD.F>[/<DDDD:BB:DD.F>...]/
 *       vendor device subsystem_vendor subsystem_device class revision
 *       iommu_group -> kernel/iommu_groups/<n>     iommu -> virtual/iommu/dmarN
 *       driver -> bus/pci/drivers/<drv>            subsystem -> bus/pci
 *       mdev_supported_types/<drv>-<type>/{name,description,device_api,
 *           available_instances,create,devices/}   (mdev parents)
 *       <uuid>/{remove,mdev_type,iommu_group,driver,subsystem}  (mdevs)
 *       (vfio-dev/vfioN comes with the VFIO device cdevs)
 *   /sys/devices/platform/<name>/                  (software mdev parents)
 *   /sys/devices/virtual/iommu/dmarN/{intel-iommu/{version,cap,ecap,address},devices/}
 *   /sys/bus/pci/devices/<bdf> -> the device      /sys/bus/pci/drivers/<drv>/<bdf>
 *   /sys/bus/mdev/devices/<uuid> -> the mdev       /sys/class/mdev_bus/<parent>
 *   /sys/class/iommu/dmarN                         /sys/kernel/iommu_groups/<n>/
 *       {devices/<dev> -> the device, type, reserved_regions}
 *   /sys/kernel/debug/iommu/intel/<bdf>/domain_translation_struct
 *
 * Directories that also hold real entries ("/", /sys, /sys/kernel, ...)
 * are passthrough (KERNFS_DIR_PASSTHROUGH): a path the host does not
 * have there is the real filesystem's.
 *
 * The view is the floor above the kernel side: it reads the layers below
 * through their queries and follows mdevs through a bus notifier, so no
 * layer calls it (check-layers.sh).
 *
 * Concurrency: the tree has its own lock (kernfs.h); the view adds and
 * removes entries under sysfs_host.lock, in the notifier (the host's
 * notifier lock and, for mdevs, the mdev core's lock held). Attribute
 * callbacks take no lock of the notifier's path except `create` and
 * `remove`, which break their active protection first (kernfs.h).
 */
#ifndef UIOMMU_SYSFS_SYSFS_H
#define UIOMMU_SYSFS_SYSFS_H

#include <stdbool.h>

#include "kernfs.h"

struct uiommu_host;
struct device;

/* ---- host assembly: after the drivers are bound / before anything goes ---- */
int sysfs_host_init(struct uiommu_host *h);
void sysfs_host_fini(struct uiommu_host *h);
struct kernfs_root *sysfs_root(struct uiommu_host *h);

/* The device's directory (borrowed; valid until the device goes), or NULL. */
struct kernfs_node *sysfs_device_dir(struct uiommu_host *h, struct device *dev);

/* The device's name under /sys/bus/.../devices ("0000:00:02.0", an
 * mdev's UUID, a platform device's name). */
void sysfs_dev_name(const struct device *dev, char *buf, size_t size);

/* Create an mdev through the tree, as mdevctl does: write `uuid` to
 * /sys/class/mdev_bus/<parent>/mdev_supported_types/<type>/create.
 * `parent`: a sysfs name (BDF) or the host's device name; `type`: the
 * sysfs name ("idxd-dsa-1dwq-v1") or the parent driver's ("dsa-1dwq-v1"). */
int sysfs_mdev_create(struct uiommu_host *h, const char *parent, const char *type,
		      const char *uuid);

/* ---- helpers for attribute ops ---- */
/* sysfs_emit(): printf into an attribute's page; the length. */
int sysfs_emit(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
