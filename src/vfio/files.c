/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO's files (SPEC M-4, U-4, U-16): /dev/vfio/vfio opens a container,
 * /dev/vfio/<group> a group (a node exists for every IOMMU group while it
 * does), VFIO_GROUP_GET_DEVICE_FD hands out a device file, and
 * /dev/vfio/devices/vfio<N> is a device's cdev (device_cdev.c). All are real
 * descriptors of the file layer; their release runs with the last
 * reference (fd, dup, call in progress), as the kernel's file references
 * order it. The vfio_*() calls of <uiommu/vfio.h> are the system calls on
 * them, kept for callers of the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommufd.h>

#include "vfio.h"
#include "../host/host.h"
#include "../files/file.h"
#include "../iommu/group.h"
#include "../util/slab.h"

/* ---- container ---- */

static int container_open(struct file *f, void *node_data)
{
	(void)node_data;
	struct vfio_container *c = vfio_container_new(f->host);
	if (!c)
		return -ENOMEM;
	f->private_data = c;
	return 0;
}

static long container_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	return vfio_container_ioctl(f->private_data, cmd, arg);
}

static void container_release(struct file *f)
{
	struct vfio_core *v = f->host->vfio;
	pthread_mutex_lock(&v->lock);
	vfio_container_put(f->private_data);
	pthread_mutex_unlock(&v->lock);
}

const struct file_operations vfio_container_fops = {
	.open = container_open,
	.ioctl = container_ioctl,
	.release = container_release,
};

struct vfio_container *vfio_container_from_file(struct file *f)
{
	return f && f->f_op == &vfio_container_fops ? f->private_data : NULL;
}

/* ---- group ---- */

static int group_open(struct file *f, void *node_data)
{
	struct vfio_group *g;
	int rc = vfio_group_open(f->host, (unsigned)(uintptr_t)node_data, &g);
	if (!rc)
		f->private_data = g;
	return rc;
}

static long group_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	return vfio_group_ioctl(f->private_data, cmd, arg);
}

static void group_release(struct file *f)
{
	struct vfio_core *v = f->host->vfio;
	pthread_mutex_lock(&v->lock);
	struct iommufd_ctx *put = vfio_group_put(f->private_data);
	pthread_mutex_unlock(&v->lock);
	if (put)
		iommufd_ctx_put(put);
}

static const struct file_operations vfio_group_fops = {
	.open = group_open,
	.ioctl = group_ioctl,
	.release = group_release,
};

/* /dev/vfio/<id>: a node for each IOMMU group of the host, mdev groups
 * included, for as long as the group exists. */
static int group_lookup(void *dir_data, const char *name, const struct file_operations **fops,
			void **node_data)
{
	struct uiommu_host *h = dir_data;
	char *end;
	unsigned long id = strtoul(name, &end, 10);
	if (!*name || *end || (name[0] == '0' && name[1]) || id > UINT32_MAX)
		return -ENOENT;
	if (!iommu_group_get_by_id(h, (unsigned)id))
		return -ENOENT;
	*fops = &vfio_group_fops;
	*node_data = (void *)(uintptr_t)id;
	return 0;
}

struct group_names {
	int (*emit)(const char *name, void *arg);
	void *arg;
};

static int emit_group(struct iommu_group *g, void *data)
{
	struct group_names *n = data;
	char name[16];
	snprintf(name, sizeof(name), "%u", g->id);
	return n->emit(name, n->arg);
}

static int group_iterate(void *dir_data, int (*emit)(const char *name, void *arg), void *arg)
{
	struct group_names n = { .emit = emit, .arg = arg };
	return iommu_for_each_group(dir_data, &n, emit_group);
}

static const struct devnode_dir_ops vfio_group_dir = {
	.lookup = group_lookup,
	.iterate = group_iterate,
};

/* ---- device ---- */

static long device_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	return vfio_device_ioctl(f->private_data, cmd, arg);
}

static ssize_t device_read(struct file *f, void *buf, size_t count, int64_t *pos)
{
	ssize_t n = vfio_device_rw(f->private_data, buf, count, (uint64_t)*pos, false);
	if (n > 0)
		*pos += n;
	return n;
}

static ssize_t device_write(struct file *f, const void *buf, size_t count, int64_t *pos)
{
	ssize_t n = vfio_device_rw(f->private_data, (void *)buf, count, (uint64_t)*pos, true);
	if (n > 0)
		*pos += n;
	return n;
}

static int device_mmap(struct file *f, struct vm_area *vma)
{
	return vfio_device_mmap(f->private_data, vma);
}

/* A group's device file: its open goes, then its hold on the group. */
static void group_df_release(struct vfio_core *v, struct vfio_device_file *df)
{
	pthread_mutex_lock(&v->lock);
	struct vfio_group *g = df->group;
	vfio_device_close(df->device);
	/* An iommufd group's device unbinds with its last close. */
	if (g->iommufd && !df->device->open_count)
		vfio_iommufd_unbind(df->device);
	g->opened_devices--;
	struct iommufd_ctx *put = vfio_group_put(g);
	pthread_mutex_unlock(&v->lock);
	if (put)
		iommufd_ctx_put(put);
}

/* The last reference: mappings of it are gone by now, so the user has no
 * access left; a cdev unbinds only then (U-4, the proposal's 1.3). */
static void device_release(struct file *f)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_core *v = f->host->vfio;
	if (df->group) {
		group_df_release(v, df);
	} else {
		vfio_df_unbind_iommufd(df);
		pthread_mutex_lock(&v->lock);
		vfio_device_put_user(df->device);
		pthread_mutex_unlock(&v->lock);
	}
	free(df);
}

const struct file_operations vfio_device_fops = {
	.ioctl = device_ioctl,
	.read = device_read,
	.write = device_write,
	.mmap = device_mmap,
	.release = device_release,
};

/* /dev/vfio/devices/vfio<N>: the same file, opened by path. */
const struct file_operations vfio_cdev_fops = {
	.open = vfio_cdev_open,
	.ioctl = device_ioctl,
	.read = device_read,
	.write = device_write,
	.mmap = device_mmap,
	.release = device_release,
};

struct vfio_device_file *vfio_device_file_from_file(struct file *f)
{
	return f && (f->f_op == &vfio_device_fops || f->f_op == &vfio_cdev_fops) ?
		       f->private_data :
		       NULL;
}

/* A descriptor for a group's device file (the device opened and the group
 * reference taken); undone here if no file can be made. Called without
 * v->lock: installing a descriptor may release a stale file. */
int vfio_device_file(struct vfio_device_file *df)
{
	struct uiommu_host *h = df->group->h;
	int fd = anon_file_getfd(h, "[vfio-device]", &vfio_device_fops, df, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		group_df_release(h->vfio, df);
		free(df);
	}
	return fd;
}

/* ---- the library's system calls ---- */

int vfio_open_container(struct uiommu_host *h)
{
	if (!h || !h->vfio)
		return -ENODEV;
	return uiommu_open(h, "/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
}

int vfio_open_group(struct uiommu_host *h, unsigned group_id)
{
	if (!h || !h->vfio)
		return -ENODEV;
	char path[32];
	snprintf(path, sizeof(path), "/dev/vfio/%u", group_id);
	return uiommu_open(h, path, O_RDWR | O_CLOEXEC);
}

long vfio_ioctl(struct uiommu_host *h, int fd, unsigned long cmd, unsigned long arg)
{
	(void)h;
	return uiommu_ioctl(fd, cmd, arg);
}

ssize_t vfio_pread(struct uiommu_host *h, int fd, void *buf, size_t count, uint64_t off)
{
	(void)h;
	return off > INT64_MAX ? -EINVAL : uiommu_pread(fd, buf, count, (int64_t)off);
}

ssize_t vfio_pwrite(struct uiommu_host *h, int fd, const void *buf, size_t count, uint64_t off)
{
	(void)h;
	return off > INT64_MAX ? -EINVAL : uiommu_pwrite(fd, buf, count, (int64_t)off);
}

int vfio_close(struct uiommu_host *h, int fd)
{
	(void)h;
	return uiommu_close(fd);
}

/* ---- per host ---- */

int vfio_core_init(struct uiommu_host *h)
{
	struct vfio_core *v = kcalloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	pthread_mutex_init(&v->lock, NULL);
	list_init(&v->groups);
	h->vfio = v;
	int rc = vfio_devices_init(h);
	if (!rc)
		rc = devnode_register(h, "/dev/vfio/vfio", &vfio_container_fops, NULL);
	if (!rc)
		rc = devnode_register_dir(h, "/dev/vfio/", &vfio_group_dir, h);
	if (!rc)
		rc = vfio_cdev_init(h);
	if (rc)
		vfio_core_fini(h);
	return rc;
}

/* The file layer has closed every descriptor by now (files_host_fini
 * runs first, as process exit closes files before anything else). */
void vfio_core_fini(struct uiommu_host *h)
{
	struct vfio_core *v = h->vfio;
	if (!v)
		return;
	vfio_cdev_fini(h);
	devnode_unregister(h, "/dev/vfio/");
	devnode_unregister(h, "/dev/vfio/vfio");
	vfio_devices_fini(h);
	pthread_mutex_destroy(&v->lock);
	free(v);
	h->vfio = NULL;
}
