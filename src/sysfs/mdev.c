/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mediated devices as Linux manages them through sysfs (SPEC M-1, F-2;
 * Linux drivers/vfio/mdev/mdev_sysfs.c): each parent's
 * mdev_supported_types/<driver>-<type>/ with its attributes and a
 * writable `create`, reached from /sys/class/mdev_bus/<parent>; each mdev
 * a directory under its parent with a writable `remove`, its type, its
 * own IOMMU group and its driver, linked from /sys/bus/mdev/devices.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "sysfs_int.h"
#include "../host/host.h"
#include "../mdev/mdev.h"

#define UUID_STRING_LEN 36

static const char *parent_driver(const struct mdev_parent *p)
{
	const char *drv = dev_driver_name(p->dev);
	return drv ? drv : "mdev";
}

/* ---- type attributes (priv: the struct mdev_type) ---- */

static ssize_t type_show(struct kernfs_node *kn, char *buf)
{
	const struct mdev_type *t = kn->priv;
	struct mdev_parent *p = t->parent;
	if (!strcmp(kn->name, "name"))
		return sysfs_emit(buf, "%s\n", t->name);
	if (!strcmp(kn->name, "description"))
		return sysfs_emit(buf, "%s\n", t->description);
	if (!strcmp(kn->name, "device_api"))
		return sysfs_emit(buf, "vfio-pci\n");
	return sysfs_emit(buf, "%u\n", p->ops->available ? p->ops->available(p, t) : 0);
}

static ssize_t create_store(struct kernfs_node *kn, const char *buf, size_t count)
{
	const struct mdev_type *t = kn->priv;
	struct mdev_parent *p = t->parent;
	/* The UUID, optionally with one more character (echo's newline). */
	if (count < UUID_STRING_LEN || count > UUID_STRING_LEN + 1)
		return -EINVAL;
	char uuid[UUID_STRING_LEN + 1], type[sizeof(p->dev->name) + sizeof(t->name) + 1];
	memcpy(uuid, buf, UUID_STRING_LEN);
	uuid[UUID_STRING_LEN] = 0;
	snprintf(type, sizeof(type), "%s:%s", p->dev->name, t->name);
	int rc = uiommu_mdev_create(p->host, type, uuid, NULL);
	return rc ? rc : (ssize_t)count;
}

static const struct kernfs_ops type_ops = { .show = type_show };
static const struct kernfs_ops create_ops = { .store = create_store };

static int type_add(struct kernfs_node *types, const struct mdev_type *t)
{
	static const char *const attrs[] = { "name", "description", "device_api",
					     "available_instances" };
	char name[128];
	snprintf(name, sizeof(name), "%s-%s", parent_driver(t->parent), t->name);
	struct kernfs_node *dir;
	int rc = kernfs_create_dir(types, name, 0755, 0, (void *)t, &dir);
	if (rc || (rc = kernfs_create_dir(dir, "devices", 0755, 0, NULL, NULL)) ||
	    (rc = kernfs_create_file(dir, "create", 0200, &create_ops, (void *)t, NULL)))
		return rc;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if ((rc = kernfs_create_file(dir, attrs[i], 0444, &type_ops, (void *)t, NULL)))
			return rc;
	return 0;
}

/* A parent that is not a PCI function: a platform device. */
static int platform_dir(struct sysfs_host *sh, struct device *dev, struct kernfs_node **out)
{
	struct sysfs_dev *sd = sysfs_dev_find(sh, dev);
	if (sd) {
		*out = sd->dir;
		return 0;
	}
	struct kernfs_node *dir;
	int rc = kernfs_create_dir(sh->platform, dev->name, 0755, 0, dev, &dir);
	if (rc)
		return rc;
	const char *drv = dev_driver_name(dev);
	if (drv && (rc = sysfs_bind_driver(sh->platform_drivers, drv, dir, dev->name)))
		return rc;
	if (!(rc = kernfs_create_link(dir, "subsystem", sh->bus_platform, NULL)))
		rc = sysfs_dev_track(sh, dev, dir);
	if (!rc)
		*out = dir;
	return rc;
}

static int parent_add(struct sysfs_host *sh, struct mdev_parent *p)
{
	struct kernfs_node *dir, *types;
	struct sysfs_dev *sd = sysfs_dev_find(sh, p->dev);
	int rc = 0;
	if (sd)
		dir = sd->dir;
	else if ((rc = platform_dir(sh, p->dev, &dir)))
		return rc;
	char name[64];
	sysfs_dev_name(p->dev, name, sizeof(name));
	if ((rc = kernfs_create_dir(dir, "mdev_supported_types", 0755, 0, NULL, &types)) ||
	    (rc = kernfs_create_link(sh->class_mdev_bus, name, dir, NULL)))
		return rc;
	for (unsigned i = 0; i < p->nr_types; i++)
		if ((rc = type_add(types, &p->types[i])))
			return rc;
	return 0;
}

/* ---- mdevs ---- */

static ssize_t remove_store(struct kernfs_node *kn, const char *buf, size_t count)
{
	struct mdev_device *m = kn->priv;
	char *end;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 0);
	if (errno || end == buf || (*end && strcmp(end, "\n")))
		return -EINVAL;
	if (!v)
		return (ssize_t)count;
	struct uiommu_host *h = m->parent->host;
	char uuid[64];
	snprintf(uuid, sizeof(uuid), "%s", m->dev.name);
	/* Removing the mdev removes this very file: let that go ahead
	 * (device_remove_file_self). `m` is not touched after this. */
	kernfs_break_active_protection(kn);
	int rc = uiommu_mdev_remove(h, uuid);
	kernfs_unbreak_active_protection(kn);
	return rc == -ENOENT ? -ENODEV : rc ? rc : (ssize_t)count;
}

static const struct kernfs_ops remove_ops = { .store = remove_store };

static struct kernfs_node *type_dir(struct sysfs_host *sh, const struct mdev_device *m)
{
	struct sysfs_dev *sd = sysfs_dev_find(sh, m->parent->dev);
	if (!sd)
		return NULL;
	char path[160];
	snprintf(path, sizeof(path), "mdev_supported_types/%s-%s", parent_driver(m->parent),
		 m->type->name);
	struct kernfs_walk w;
	return kernfs_walk(sh->root, sd->dir, path, 0, &w) == 0 ? w.kn : NULL;
}

static int mdev_add(struct sysfs_host *sh, struct mdev_device *m)
{
	struct sysfs_dev *parent = sysfs_dev_find(sh, m->parent->dev);
	struct kernfs_node *type = type_dir(sh, m), *devs = NULL, *dir = NULL;
	const char *name = m->dev.name;
	int rc = -ENOENT;
	if (!parent || !type)
		goto out;
	devs = kernfs_find_and_get(type, "devices");
	if ((rc = kernfs_create_dir(parent->dir, name, 0755, 0, m, &dir)) ||
	    (rc = kernfs_create_file(dir, "remove", 0200, &remove_ops, m, NULL)) ||
	    (rc = kernfs_create_link(dir, "mdev_type", type, NULL)) ||
	    (rc = kernfs_create_link(dir, "subsystem", sh->bus_mdev, NULL)) ||
	    (rc = sysfs_bind_driver(sh->mdev_drivers, parent_driver(m->parent), dir, name)) ||
	    (rc = kernfs_create_link(sh->mdev_devices, name, dir, NULL)) ||
	    (devs && (rc = kernfs_create_link(devs, name, dir, NULL))) ||
	    (rc = sysfs_dev_track(sh, &m->dev, dir)))
		goto out;
	if (m->dev.group && (rc = sysfs_group_add_device(sh, &m->dev, dir))) {
		sysfs_dev_untrack(sh, sysfs_dev_find(sh, &m->dev));
		goto out;
	}
out:
	if (rc && dir) {
		sysfs_unbind_driver(sh->mdev_drivers, parent_driver(m->parent), name);
		kernfs_remove_by_name(sh->mdev_devices, name);
		if (devs)
			kernfs_remove_by_name(devs, name);
		kernfs_remove(dir);
	}
	kernfs_put(devs);
	kernfs_put(type);
	return rc;
}

static void mdev_del(struct sysfs_host *sh, struct mdev_device *m)
{
	struct sysfs_dev *sd = sysfs_dev_find(sh, &m->dev);
	if (!sd)
		return;
	const char *name = m->dev.name;
	struct kernfs_node *type = type_dir(sh, m);
	struct kernfs_node *devs = type ? kernfs_find_and_get(type, "devices") : NULL;
	if (devs)
		kernfs_remove_by_name(devs, name);
	kernfs_remove_by_name(sh->mdev_devices, name);
	sysfs_unbind_driver(sh->mdev_drivers, parent_driver(m->parent), name);
	sysfs_group_remove_device(sh, &m->dev);
	/* Waits for a show or store on the mdev's files to end. */
	kernfs_remove(sd->dir);
	sysfs_dev_untrack(sh, sd);
	kernfs_put(devs);
	kernfs_put(type);
}

/* device_add()/device_del() of an mdev: the mdev core's lock is held,
 * the instance is complete (group, type, parent) until DEL returns. */
static int mdev_notify(struct bus_notifier *nb, enum bus_notify_action action, struct device *dev)
{
	struct sysfs_host *sh = container_of(nb, struct sysfs_host, mdev_nb);
	struct mdev_device *m = to_mdev_device(dev);
	int rc = 0;
	pthread_mutex_lock(&sh->lock);
	if (action == BUS_NOTIFY_ADD_DEVICE)
		rc = mdev_add(sh, m); /* failing, the mdev is not created (device_add) */
	else
		mdev_del(sh, m);
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

int sysfs_mdev_init(struct sysfs_host *sh)
{
	struct uiommu_host *h = sh->host;
	if (!h->mdev)
		return 0;
	int rc = 0;
	/* Under the mdev core's lock no instance comes or goes until the
	 * notifier is in place. */
	mdev_core_lock(h);
	pthread_mutex_lock(&sh->lock);
	struct mdev_parent *p;
	list_for_each_entry(p, &h->mdev->parents, node) {
		if ((rc = parent_add(sh, p)))
			break;
		struct mdev_device *m;
		list_for_each_entry(m, &p->mdevs, parent_node)
			if ((rc = mdev_add(sh, m)))
				goto out;
	}
out:
	pthread_mutex_unlock(&sh->lock);
	if (!rc) {
		sh->mdev_nb.bus = &mdev_bus_type;
		sh->mdev_nb.notify = mdev_notify;
		bus_register_notifier(h, &sh->mdev_nb);
	}
	mdev_core_unlock(h);
	return rc;
}

void sysfs_mdev_fini(struct sysfs_host *sh)
{
	if (sh->mdev_nb.notify)
		bus_unregister_notifier(sh->host, &sh->mdev_nb);
	sh->mdev_nb.notify = NULL;
}

/* ---- creating through the tree ---- */

int sysfs_mdev_create(struct uiommu_host *h, const char *parent, const char *type,
		      const char *uuid)
{
	struct sysfs_host *sh = sysfs_of(h);
	if (!sh || !parent || !type || !uuid)
		return -EINVAL;
	char pname[64];
	struct device *dev = uiommu_device_find(h, parent);
	snprintf(pname, sizeof(pname), "%s", parent);
	if (dev)
		sysfs_dev_name(dev, pname, sizeof(pname));
	const char *drv = dev ? dev_driver_name(dev) : NULL;
	char path[512];
	struct kernfs_walk w;
	int rc = -ENOENT;
	/* The sysfs name first, then the driver's own type name. */
	for (int pass = 0; pass < 2 && rc == -ENOENT; pass++) {
		if (pass && !drv)
			break;
		snprintf(path, sizeof(path), "/sys/class/mdev_bus/%s/mdev_supported_types/%s%s%s/create",
			 pname, pass ? drv : "", pass ? "-" : "", type);
		rc = kernfs_walk(sh->root, NULL, path, 0, &w);
	}
	if (rc)
		return rc == KERNFS_WALK_PASS ? -ENOENT : rc;
	ssize_t n = kernfs_store(w.kn, uuid, strlen(uuid));
	kernfs_put(w.kn);
	return n < 0 ? (int)n : 0;
}
