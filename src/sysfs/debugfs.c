/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * debugfs: the fault-injection attributes (SPEC R-2) and the Intel
 * IOMMU's view.
 *
 * /sys/kernel/debug/failslab/ and fail_page_alloc/ hold the attributes of
 * util/fault_inject.h that Linux's iommufd_fail_nth test sets, in
 * debugfs's formats: `ignore-gfp-wait` (and fail_page_alloc's
 * `ignore-gfp-highmem`) booleans ("Y\n"/"N\n"; y, Y, 1, n, N, 0, on, off
 * written), `verbose` an unsigned number (base prefixes as kstrtoull).
 * They are process-wide, as the allocator is.
 *
 * The Intel IOMMU's debugfs view: /sys/kernel/debug/iommu/intel/<bdf>/
 * domain_translation_struct for every device the VT-d driver serves, in
 * the kernel's format and decoded from the tables the hardware reads,
 * so clients can check the shape of their mappings (large pages) as
 * they do on Linux (vfio_dma_mapping_test).
 */
#include <errno.h>
#include <stdlib.h>

#include <uiommu/iommu.h>

#include "sysfs_int.h"
#include "../host/host.h"
#include "../iommu/iommu.h"
#include "../iommu/intel/debugfs.h"
#include "../pci/pci.h"
#include "../util/fault_inject.h"

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

/* ---- fault injection ---- */

/* kstrtobool: the first character decides, "on"/"off" by the second. */
static int parse_bool(const char *s, bool *out)
{
	switch (s[0]) {
	case 'y': case 'Y': case '1':
		*out = true;
		return 0;
	case 'n': case 'N': case '0':
		*out = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*out = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static ssize_t bool_show(atomic_bool *b, char *buf)
{
	return sysfs_emit(buf, "%c\n", atomic_load(b) ? 'Y' : 'N');
}

static ssize_t bool_store(atomic_bool *b, const char *buf, size_t count)
{
	bool v;
	int rc = parse_bool(buf, &v);
	if (rc)
		return rc;
	atomic_store(b, v);
	return (ssize_t)count;
}

static ssize_t gfp_wait_show(struct kernfs_node *kn, char *buf)
{
	return bool_show(&((struct fault_attr *)kn->priv)->ignore_gfp_wait, buf);
}

static ssize_t gfp_wait_store(struct kernfs_node *kn, const char *buf, size_t count)
{
	return bool_store(&((struct fault_attr *)kn->priv)->ignore_gfp_wait, buf, count);
}

static ssize_t gfp_highmem_show(struct kernfs_node *kn, char *buf)
{
	return bool_show(&((struct fault_attr *)kn->priv)->ignore_gfp_highmem, buf);
}

static ssize_t gfp_highmem_store(struct kernfs_node *kn, const char *buf, size_t count)
{
	return bool_store(&((struct fault_attr *)kn->priv)->ignore_gfp_highmem, buf, count);
}

static ssize_t verbose_show(struct kernfs_node *kn, char *buf)
{
	return sysfs_emit(buf, "%lu\n", atomic_load(&((struct fault_attr *)kn->priv)->verbose));
}

/* simple_attr_write: kstrtoull, base prefixes, one trailing newline. */
static ssize_t verbose_store(struct kernfs_node *kn, const char *buf, size_t count)
{
	char *end;
	if (buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 0);
	if (*end == '\n')
		end++;
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	atomic_store(&((struct fault_attr *)kn->priv)->verbose, (unsigned long)v);
	return (ssize_t)count;
}

static const struct kernfs_ops gfp_wait_ops = { .show = gfp_wait_show, .store = gfp_wait_store };
static const struct kernfs_ops gfp_highmem_ops = { .show = gfp_highmem_show,
						   .store = gfp_highmem_store };
static const struct kernfs_ops verbose_ops = { .show = verbose_show, .store = verbose_store };

static int fault_attr_dir(struct sysfs_host *sh, struct fault_attr *attr, bool highmem)
{
	struct kernfs_node *dir;
	int rc = kernfs_create_dir(sh->debug, attr->name, 0755, 0, NULL, &dir);
	if (!rc)
		rc = kernfs_create_file(dir, "ignore-gfp-wait", 0600, &gfp_wait_ops, attr, NULL);
	if (!rc && highmem)
		rc = kernfs_create_file(dir, "ignore-gfp-highmem", 0600, &gfp_highmem_ops, attr,
					NULL);
	if (!rc)
		rc = kernfs_create_file(dir, "verbose", 0600, &verbose_ops, attr, NULL);
	return rc;
}

int sysfs_debugfs_init(struct sysfs_host *sh)
{
	int rc = fault_attr_dir(sh, &failslab, false);
	if (!rc)
		rc = fault_attr_dir(sh, &fail_page_alloc, true);
	if (rc || !sh->host->intel)
		return rc;
	struct kernfs_node *iommu;
	rc = kernfs_create_dir(sh->debug, "iommu", 0755, 0, NULL, &iommu);
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
