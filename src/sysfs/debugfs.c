/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Intel IOMMU's debugfs view: /sys/kernel/debug/iommu/intel/<bdf>/
 * domain_translation_struct for every device the VT-d driver serves, in
 * the kernel's format and decoded from the tables the hardware reads,
 * so clients can check the shape of their mappings (large pages) as
 * they do on Linux (vfio_dma_mapping_test).
 */
#include <errno.h>

#include <uiommu/iommu.h>

#include "sysfs_int.h"
#include "../host/host.h"
#include "../iommu/iommu.h"
#include "../iommu/intel/debugfs.h"
#include "../pci/pci.h"

static int dts_show(struct kernfs_node *kn, FILE *f)
{
	struct device *dev = kn->priv;
	return intel_domain_translation_struct(dev->host, dev, IOMMU_NO_PASID, f);
}

static const struct kernfs_ops dts_ops = { .seq_show = dts_show };

static struct kernfs_node *intel_dir(struct sysfs_host *sh)
{
	struct kernfs_walk w;
	return kernfs_walk(sh->root, sh->debug, "iommu/intel", 0, &w) == 0 ? w.kn : NULL;
}

int sysfs_debugfs_init(struct sysfs_host *sh)
{
	if (!sh->host->intel)
		return 0;
	struct kernfs_node *iommu;
	int rc = kernfs_create_dir(sh->debug, "iommu", 0755, 0, NULL, &iommu);
	if (!rc)
		rc = kernfs_create_dir(iommu, "intel", 0755, 0, NULL, NULL);
	if (rc)
		return rc;
	/* Devices were added before the directory existed. */
	struct sysfs_dev *sd;
	list_for_each_entry(sd, &sh->devs, node)
		sysfs_debugfs_add_device(sh, sd->dev);
	return 0;
}

void sysfs_debugfs_add_device(struct sysfs_host *sh, struct device *dev)
{
	struct kernfs_node *intel = intel_dir(sh);
	/* The driver makes one for each device it probes (Linux:
	 * intel_iommu_debugfs_create_dev()). */
	if (!intel || !dev_is_pci(dev) || !dev_has_iommu(dev)) {
		kernfs_put(intel);
		return;
	}
	char name[32];
	sysfs_dev_name(dev, name, sizeof(name));
	struct kernfs_node *dir;
	/* Best effort, as debugfs is: a view that cannot be made is left out. */
	if (!kernfs_create_dir(intel, name, 0755, 0, dev, &dir))
		kernfs_create_file(dir, "domain_translation_struct", 0444, &dts_ops, dev, NULL);
	kernfs_put(intel);
}
