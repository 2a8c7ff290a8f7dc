/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOMMU's part of the view: remapping units under
 * /sys/devices/virtual/iommu (linked from /sys/class/iommu) with the
 * registers Linux's intel-iommu attributes show, and IOMMU groups under
 * /sys/kernel/iommu_groups/<id> with their devices, default domain type
 * and reserved regions (Linux drivers/iommu/iommu.c, intel/iommu.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/hw/vtd_regs.h>
#include <uiommu/iommu.h>

#include "sysfs_int.h"
#include "../host/host.h"
#include "../base/device.h"
#include "../iommu/group.h"
#include "../iommu/iommu.h"
#include "../iommu/intel/intel.h"
#include "../util/slab.h"

/* ---- remapping units ---- */

/* Linux's intel-iommu attributes (intel/iommu.c), from the driver's
 * instance: the registers it read at probe, the version live. */
static ssize_t unit_show(struct kernfs_node *kn, char *buf)
{
	struct intel_iommu *iommu = kn->priv;
	if (!strcmp(kn->name, "version")) {
		uint32_t v = dmar_readl(iommu, VTD_REG_VER);
		return sysfs_emit(buf, "%d:%d\n", (int)((v >> 4) & 0xf), (int)(v & 0xf));
	}
	if (!strcmp(kn->name, "cap"))
		return sysfs_emit(buf, "%" PRIx64 "\n", iommu->cap);
	if (!strcmp(kn->name, "ecap"))
		return sysfs_emit(buf, "%" PRIx64 "\n", iommu->ecap);
	return sysfs_emit(buf, "%u\n", 1u << (4 + 2 * VTD_CAP_ND(iommu->cap)));
}

static const struct kernfs_ops unit_ops = { .show = unit_show };

static int unit_add(struct sysfs_host *sh, struct intel_iommu *iommu)
{
	static const char *const attrs[] = { "version", "cap", "ecap", "domains_supported" };
	struct kernfs_node *dir, *intel;
	int rc = kernfs_create_dir(sh->virtual_iommu, iommu->iommu.name, 0755, 0, iommu, &dir);
	if (rc || (rc = kernfs_create_dir(dir, "devices", 0755, 0, NULL, NULL)) ||
	    (rc = kernfs_create_dir(dir, "intel-iommu", 0755, 0, NULL, &intel)) ||
	    (rc = kernfs_create_link(sh->class_iommu, iommu->iommu.name, dir, NULL)))
		return rc;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if ((rc = kernfs_create_file(intel, attrs[i], 0444, &unit_ops, iommu, NULL)))
			return rc;
	return 0;
}

int sysfs_iommu_init(struct sysfs_host *sh)
{
	/* A host without the IOMMU driver (bare) shows no IOMMU, as Linux
	 * with intel_iommu=off. The driver's units stay as long as it. */
	struct intel_driver *drv = sh->host->intel;
	if (!drv)
		return 0;
	struct intel_iommu *iommu;
	list_for_each_entry(iommu, &drv->iommus, node) {
		int rc = iommu->registered ? unit_add(sh, iommu) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

/* The device's `iommu` link and the unit's link back, for a device an
 * IOMMU translates for. */
int sysfs_iommu_link_device(struct sysfs_host *sh, struct device *dev, struct kernfs_node *dir)
{
	struct dev_iommu *di = dev_iommu(dev);
	struct kernfs_node *ud = di && di->iommu_dev ?
					 kernfs_find_and_get(sh->virtual_iommu, di->iommu_dev->name) :
					 NULL;
	if (!ud)
		return 0;
	char name[64];
	sysfs_dev_name(dev, name, sizeof(name));
	struct kernfs_node *devs = kernfs_find_and_get(ud, "devices");
	int rc = kernfs_create_link(dir, "iommu", ud, NULL);
	if (!rc && devs)
		rc = kernfs_create_link(devs, name, dir, NULL);
	kernfs_put(devs);
	kernfs_put(ud);
	return rc;
}

/* ---- groups ---- */

static ssize_t type_show(struct kernfs_node *kn, char *buf)
{
	struct iommu_group *g = kn->priv;
	const char *type = "unknown";
	pthread_mutex_lock(&g->lock);
	if (g->default_domain) {
		switch (iommu_domain_type(g->default_domain)) {
		case IOMMU_DOMAIN_BLOCKED: type = "blocked"; break;
		case IOMMU_DOMAIN_IDENTITY: type = "identity"; break;
		case IOMMU_DOMAIN_UNMANAGED: type = "unmanaged"; break;
		case IOMMU_DOMAIN_DMA: type = "DMA"; break;
		default: break;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return sysfs_emit(buf, "%s\n", type);
}

static const char *resv_name(enum iommu_resv_type t)
{
	switch (t) {
	case IOMMU_RESV_DIRECT: return "direct";
	case IOMMU_RESV_MSI: return "msi";
	default: return "reserved";
	}
}

static int resv_cmp(const void *a, const void *b)
{
	const struct iommu_resv_region *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->type - (int)y->type;
}

#define GROUP_MAX_RESV 64

struct resv_list {
	struct iommu_resv_region r[GROUP_MAX_RESV];
	int n;
};

static int add_resv(struct device *dev, void *data)
{
	struct resv_list *l = data;
	int got = iommu_get_resv_regions(dev, l->r + l->n, GROUP_MAX_RESV - l->n);
	if (got > 0)
		l->n += got < GROUP_MAX_RESV - l->n ? got : GROUP_MAX_RESV - l->n;
	return 0;
}

/* Every device's regions, sorted, overlapping ones of a type merged (as
 * iommu_get_group_resv_regions()). */
static ssize_t resv_show(struct kernfs_node *kn, char *buf)
{
	struct resv_list l = { .n = 0 };
	iommu_group_for_each_dev(kn->priv, &l, add_resv);
	struct iommu_resv_region *r = l.r;
	int n = l.n;
	qsort(r, (size_t)n, sizeof(r[0]), resv_cmp);
	int len = 0;
	for (int i = 0; i < n; i++) {
		uint64_t start = r[i].start, end = r[i].start + r[i].length - 1;
		while (i + 1 < n && r[i + 1].type == r[i].type && r[i + 1].start <= end + 1) {
			i++;
			if (r[i].start + r[i].length - 1 > end)
				end = r[i].start + r[i].length - 1;
		}
		len += snprintf(buf + len, KERNFS_ATTR_SIZE - (size_t)len,
				"0x%016" PRIx64 " 0x%016" PRIx64 " %s\n", start, end,
				resv_name(r[i].type));
		if (len >= (int)KERNFS_ATTR_SIZE)
			return KERNFS_ATTR_SIZE - 1;
	}
	return len;
}

static const struct kernfs_ops type_ops = { .show = type_show };
static const struct kernfs_ops resv_ops = { .show = resv_show };

static struct sysfs_group *group_find(struct sysfs_host *sh, const struct iommu_group *g)
{
	struct sysfs_group *sg;
	list_for_each_entry(sg, &sh->groups, node)
		if (sg->group == g)
			return sg;
	return NULL;
}

static int group_add(struct sysfs_host *sh, struct iommu_group *g, struct sysfs_group **out)
{
	struct sysfs_group *sg = kcalloc(1, sizeof(*sg));
	if (!sg)
		return -ENOMEM;
	char name[16];
	snprintf(name, sizeof(name), "%u", g->id);
	sg->group = g;
	int rc = kernfs_create_dir(sh->iommu_groups, name, 0755, 0, g, &sg->dir);
	if (!rc && !(rc = kernfs_create_dir(sg->dir, "devices", 0755, 0, NULL, &sg->devices)) &&
	    !(rc = kernfs_create_file(sg->dir, "reserved_regions", 0444, &resv_ops, g, NULL)))
		rc = kernfs_create_file(sg->dir, "type", 0444, &type_ops, g, NULL);
	if (rc) {
		kernfs_remove(sg->dir);
		free(sg);
		return rc;
	}
	list_add_tail(&sg->node, &sh->groups);
	*out = sg;
	return 0;
}

int sysfs_group_add_device(struct sysfs_host *sh, struct device *dev, struct kernfs_node *dir)
{
	struct sysfs_group *sg = group_find(sh, dev->group);
	int rc = sg ? 0 : group_add(sh, dev->group, &sg);
	if (rc)
		return rc;
	char name[64];
	sysfs_dev_name(dev, name, sizeof(name));
	rc = kernfs_create_link(dir, "iommu_group", sg->dir, NULL);
	if (!rc && (rc = kernfs_create_link(sg->devices, name, dir, NULL)))
		kernfs_remove_by_name(dir, "iommu_group");
	return rc;
}

void sysfs_group_remove_device(struct sysfs_host *sh, struct device *dev)
{
	struct sysfs_group *sg = dev->group ? group_find(sh, dev->group) : NULL;
	if (!sg)
		return;
	char name[64];
	sysfs_dev_name(dev, name, sizeof(name));
	kernfs_remove_by_name(sg->devices, name);
	struct kernfs_dirent *d;
	int left = kernfs_list(sg->devices, &d);
	if (left >= 0)
		kernfs_dirents_free(d, left);
	/* The group goes with its last device, as its kobject does. */
	if (left == 0) {
		kernfs_remove(sg->dir);
		list_del(&sg->node);
		free(sg);
	}
}
