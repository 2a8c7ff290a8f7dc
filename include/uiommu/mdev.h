/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mediated devices (SPEC M-1 .. M-3): software slices of a parent device,
 * each a device of its own with its own IOMMU group, created by UUID from
 * a type the parent driver offers. The 2018 series gave an mdev an
 * iommu_device (the PCI function whose IOMMU context isolates it, or NULL
 * for vendor-defined isolation) and an iommu_domain holder.
 */
#ifndef UIOMMU_MDEV_PUBLIC_H
#define UIOMMU_MDEV_PUBLIC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uiommu_host;
struct device;

/* Called by the parent in create(): the device that represents this mdev
 * in the IOMMU's scope. Default NULL: vendor-defined isolation. Returns 0. */
int mdev_set_iommu_device(struct device *dev, struct device *iommu_device);
struct device *mdev_get_iommu_device(struct device *dev);
/* Set by VFIO after a successful attach, cleared (NULL) on detach. One
 * domain per mdev: setting a second one is -EINVAL. */
int mdev_set_iommu_domain(struct device *dev, void *domain);
void *mdev_get_iommu_domain(struct device *dev);
/* The iommufd flow's form of the same placeholder (SPEC U-6): the PASID
 * of the parent's RID that VFIO chose for the mdev's default address
 * space when the mdev was bound, 0 (IOMMU_NO_PASID) while it is not. The
 * parent programs it into the ADI as it programs the aux domain's
 * DOMAIN_ATTR_AUXD_ID in the type1 flow. */
int mdev_set_iommu_pasid(struct device *dev, unsigned pasid);
unsigned mdev_get_iommu_pasid(struct device *dev);
int dev_is_mdev(const struct device *dev);

/* The sysfs interface, as calls: mdev_supported_types/<type>/create and
 * <uuid>/remove. `type` is "<parent>:<type>" or a type name offered by a
 * single parent. UUIDs in the 36-character form. */
int uiommu_mdev_create(struct uiommu_host *h, const char *type, const char *uuid,
		       struct device **out);
int uiommu_mdev_remove(struct uiommu_host *h, const char *uuid);

struct uiommu_mdev_type_info {
	const char *parent;        /* the parent device's name */
	const char *name;          /* e.g. "dsa-1dwq" */
	const char *description;
	const char *device_api;    /* "vfio-pci" */
	unsigned available;        /* instances that can still be created */
};
/* Fills up to `max` entries; returns how many types there are. */
int uiommu_mdev_types(struct uiommu_host *h, struct uiommu_mdev_type_info *out, int max);

#ifdef __cplusplus
}
#endif

#endif
