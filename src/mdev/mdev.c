/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdev.h"
#include "../host/host.h"
#include "../iommu/group.h"
#include "../util/slab.h"

const struct bus_type mdev_bus_type = { .name = "mdev" };

int dev_is_mdev(const struct device *dev)
{
	return dev && dev->bus == &mdev_bus_type;
}

int mdev_core_init(struct uiommu_host *h)
{
	struct mdev_core *core = kcalloc(1, sizeof(*core));
	if (!core)
		return -ENOMEM;
	pthread_mutex_init(&core->lock, NULL);
	list_init(&core->parents);
	h->mdev = core;
	return 0;
}

void mdev_core_fini(struct uiommu_host *h)
{
	struct mdev_core *core = h->mdev;
	if (!core)
		return;
	pthread_mutex_destroy(&core->lock);
	free(core);
	h->mdev = NULL;
}

void mdev_core_lock(struct uiommu_host *h)
{
	pthread_mutex_lock(&h->mdev->lock);
}

void mdev_core_unlock(struct uiommu_host *h)
{
	pthread_mutex_unlock(&h->mdev->lock);
}

/* ---- the 2018 placeholders (patch 6/8, SPEC M-2, M-3) ---- */

int mdev_set_iommu_device(struct device *dev, struct device *iommu_device)
{
	struct mdev_device *m = to_mdev_device(dev);
	if (!m)
		return -EINVAL;
	m->iommu_device = iommu_device;
	return 0;
}

struct device *mdev_get_iommu_device(struct device *dev)
{
	struct mdev_device *m = to_mdev_device(dev);
	return m ? m->iommu_device : NULL;
}

int mdev_set_iommu_domain(struct device *dev, void *domain)
{
	struct mdev_device *m = to_mdev_device(dev);
	if (!m)
		return -EINVAL;
	/* One domain per mdev: a second attach would leave the parent
	 * programming one PASID while another domain holds its mappings. */
	if (domain && m->iommu_domain)
		return -EINVAL;
	m->iommu_domain = domain;
	return 0;
}

void *mdev_get_iommu_domain(struct device *dev)
{
	struct mdev_device *m = to_mdev_device(dev);
	return m ? m->iommu_domain : NULL;
}

int mdev_set_iommu_pasid(struct device *dev, unsigned pasid)
{
	struct mdev_device *m = to_mdev_device(dev);
	if (!m)
		return -EINVAL;
	__atomic_store_n(&m->iommu_pasid, pasid, __ATOMIC_RELEASE);
	return 0;
}

unsigned mdev_get_iommu_pasid(struct device *dev)
{
	struct mdev_device *m = to_mdev_device(dev);
	return m ? __atomic_load_n(&m->iommu_pasid, __ATOMIC_ACQUIRE) : 0;
}

/* ---- UUIDs ---- */

int mdev_uuid_parse(const char *s, uint8_t out[16])
{
	static const int dash[] = { 8, 13, 18, 23 };
	if (!s || strlen(s) != 36)
		return -EINVAL;
	unsigned b = 0;
	for (int i = 0; i < 36; i++) {
		bool is_dash = i == dash[0] || i == dash[1] || i == dash[2] || i == dash[3];
		if (is_dash) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		int v;
		char c = s[i];
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -EINVAL;
		if (b % 2 == 0)
			out[b / 2] = (uint8_t)(v << 4);
		else
			out[b / 2] |= (uint8_t)v;
		b++;
	}
	return 0;
}

void mdev_uuid_str(const uint8_t u[16], char buf[37])
{
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

/* ---- parents ---- */

int mdev_register_parent(struct uiommu_host *h, struct device *dev,
			 const struct mdev_parent_ops *ops, const struct mdev_type *types,
			 unsigned nr_types, void *priv, struct mdev_parent **out)
{
	if (!h || !h->mdev || !dev || !ops || !ops->create || !types || !nr_types)
		return -EINVAL;
	struct mdev_parent *p = kcalloc(1, sizeof(*p));
	struct mdev_type *t = kcalloc(nr_types, sizeof(*t));
	if (!p || !t) {
		free(p);
		free(t);
		return -ENOMEM;
	}
	memcpy(t, types, nr_types * sizeof(*t));
	for (unsigned i = 0; i < nr_types; i++) {
		t[i].index = i;
		t[i].parent = p;
	}
	p->host = h;
	p->dev = dev;
	p->ops = ops;
	p->types = t;
	p->nr_types = nr_types;
	p->priv = priv;
	list_init(&p->mdevs);
	pthread_mutex_lock(&h->mdev->lock);
	list_add_tail(&p->node, &h->mdev->parents);
	pthread_mutex_unlock(&h->mdev->lock);
	if (out)
		*out = p;
	return 0;
}

/* An mdev's group is its own (M-1): it goes with the mdev. */
static void drop_group(struct mdev_device *m)
{
	struct iommu_group *g = m->dev.group;
	iommu_group_remove_device(&m->dev);
	iommu_group_free(g);
}

/* mdev lock held. */
static void destroy(struct mdev_device *m)
{
	if (m->parent->ops->remove)
		m->parent->ops->remove(m);
	list_del(&m->parent_node);
	device_del(&m->dev);
	drop_group(m);
	free(m);
}

void mdev_unregister_parent(struct mdev_parent *p)
{
	if (!p)
		return;
	struct mdev_core *core = p->host->mdev;
	pthread_mutex_lock(&core->lock);
	struct mdev_device *m, *t;
	list_for_each_entry_safe(m, t, &p->mdevs, parent_node)
		destroy(m);
	list_del(&p->node);
	pthread_mutex_unlock(&core->lock);
	free(p->types);
	free(p);
}

static const struct mdev_type *find_type(struct uiommu_host *h, const char *name, int *err)
{
	const char *colon = strchr(name, ':');
	const struct mdev_type *found = NULL;
	struct mdev_parent *p;
	list_for_each_entry(p, &h->mdev->parents, node) {
		if (colon && (strncmp(p->dev->name, name, (size_t)(colon - name)) ||
			      p->dev->name[colon - name]))
			continue;
		const char *tname = colon ? colon + 1 : name;
		for (unsigned i = 0; i < p->nr_types; i++) {
			if (strcmp(p->types[i].name, tname))
				continue;
			if (found) {
				*err = -EINVAL; /* ambiguous: name the parent */
				return NULL;
			}
			found = &p->types[i];
		}
	}
	*err = found ? 0 : -ENOENT;
	return found;
}

struct mdev_device *mdev_find(struct uiommu_host *h, const char *uuid)
{
	uint8_t u[16];
	if (mdev_uuid_parse(uuid, u))
		return NULL;
	struct mdev_parent *p;
	list_for_each_entry(p, &h->mdev->parents, node) {
		struct mdev_device *m;
		list_for_each_entry(m, &p->mdevs, parent_node)
			if (!memcmp(m->uuid, u, 16))
				return m;
	}
	return NULL;
}

/* A new instance of type `t` on its parent, listed on the host. */
static int create_locked(struct uiommu_host *h, const struct mdev_type *t, const uint8_t u[16],
			 struct device **out)
{
	struct mdev_parent *p = t->parent;
	if (p->ops->available && p->ops->available(p, t) == 0)
		return -ENOSPC;
	struct mdev_device *m = kcalloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	memcpy(m->uuid, u, 16);
	m->parent = p;
	m->type = t;
	char name[37];
	mdev_uuid_str(u, name);
	device_initialize(&m->dev, h, &mdev_bus_type, name);

	/* Each mdev is a group of its own (M-1). It has no IOMMU of its
	 * own: VFIO decides how it is isolated. */
	struct iommu_group *g = iommu_group_alloc(h);
	if (!g) {
		free(m);
		return -ENOMEM;
	}
	iommu_group_add_device(g, &m->dev);
	int rc = p->ops->create(m);
	if (!rc) {
		list_add_tail(&m->parent_node, &p->mdevs);
		rc = device_add(&m->dev);
		if (rc) {
			list_del(&m->parent_node);
			if (p->ops->remove)
				p->ops->remove(m);
		}
	}
	if (rc) {
		drop_group(m);
		free(m);
		return rc;
	}
	if (out)
		*out = &m->dev;
	return 0;
}

int uiommu_mdev_create(struct uiommu_host *h, const char *type, const char *uuid,
		       struct device **out)
{
	if (!h || !h->mdev || !type || !uuid)
		return -EINVAL;
	uint8_t u[16];
	if (mdev_uuid_parse(uuid, u))
		return -EINVAL;
	pthread_mutex_lock(&h->mdev->lock);
	int rc;
	const struct mdev_type *t = find_type(h, type, &rc);
	if (t)
		rc = mdev_find(h, uuid) ? -EEXIST : create_locked(h, t, u, out);
	pthread_mutex_unlock(&h->mdev->lock);
	return rc;
}

int uiommu_mdev_remove(struct uiommu_host *h, const char *uuid)
{
	if (!h || !h->mdev || !uuid)
		return -EINVAL;
	pthread_mutex_lock(&h->mdev->lock);
	struct mdev_device *m = mdev_find(h, uuid);
	int rc = -ENOENT;
	if (m) {
		/* Like sysfs remove while the device is open: refused. */
		rc = m->in_use ? -EBUSY : 0;
		if (!rc)
			destroy(m);
	}
	pthread_mutex_unlock(&h->mdev->lock);
	return rc;
}

int uiommu_mdev_types(struct uiommu_host *h, struct uiommu_mdev_type_info *out, int max)
{
	if (!h || !h->mdev)
		return -EINVAL;
	int n = 0;
	struct mdev_parent *p;
	pthread_mutex_lock(&h->mdev->lock);
	list_for_each_entry(p, &h->mdev->parents, node) {
		for (unsigned i = 0; i < p->nr_types; i++, n++) {
			if (n >= max || !out)
				continue;
			out[n].parent = p->dev->name;
			out[n].name = p->types[i].name;
			out[n].description = p->types[i].description;
			out[n].device_api = "vfio-pci";
			out[n].available = p->ops->available ? p->ops->available(p, &p->types[i]) : 0;
		}
	}
	pthread_mutex_unlock(&h->mdev->lock);
	return n;
}
