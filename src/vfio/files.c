/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VFIO "file descriptors": a per-host table of handles to containers,
 * groups and devices, with the kernel's fget/fput discipline - a call in
 * progress holds its file, and a close only releases the object once the
 * last call on it has returned. The dispatch of ioctl/pread/pwrite/close
 * by file type lives here too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio.h"
#include "../host/host.h"

int vfio_file_install(struct vfio_core *v, enum vfio_file_type t, void *obj)
{
	struct vfio_file *s = v->files;
	unsigned i;
	for (i = 0; i < v->nr_files; i++)
		if (s[i].type == VFIO_FILE_NONE)
			break;
	if (i == v->nr_files) {
		unsigned n = v->nr_files ? v->nr_files * 2 : 16;
		if (n > 1u << 20)
			return -EMFILE;
		s = realloc(s, n * sizeof(*s));
		if (!s)
			return -ENOMEM;
		memset(s + v->nr_files, 0, (n - v->nr_files) * sizeof(*s));
		v->files = s;
		v->nr_files = n;
	}
	s[i] = (struct vfio_file){ .type = t, .obj = obj };
	return (int)i + VFIO_FD_BASE;
}

static struct vfio_file *slot(struct vfio_core *v, int fd)
{
	if (fd < VFIO_FD_BASE || (unsigned)(fd - VFIO_FD_BASE) >= v->nr_files)
		return NULL;
	struct vfio_file *s = &v->files[fd - VFIO_FD_BASE];
	return s->type == VFIO_FILE_NONE || s->closing ? NULL : s;
}

void *vfio_file_lookup(struct vfio_core *v, int fd, enum vfio_file_type t)
{
	struct vfio_file *s = slot(v, fd);
	return s && s->type == t ? s->obj : NULL;
}

/* ---- release of each file type (v->lock held) ---- */

static void device_file_release(struct vfio_device *vd)
{
	struct vfio_group *g = vd->group;
	if (--vd->open_count == 0 && vd->ops->close)
		vd->ops->close(vd);
	g->opened_devices--;
	vfio_group_put(g);
}

static void release(struct vfio_file f)
{
	switch (f.type) {
	case VFIO_FILE_CONTAINER:
		vfio_container_put(f.obj);
		break;
	case VFIO_FILE_GROUP:
		vfio_group_put(f.obj);
		break;
	case VFIO_FILE_DEVICE:
		device_file_release(f.obj);
		break;
	default:
		break;
	}
}

/* fget: the file stays until vfio_fput even if closed meanwhile. The
 * caller gets a copy: the table may grow (and move) while it works. */
static bool vfio_fget(struct uiommu_host *h, int fd, struct vfio_file *out)
{
	struct vfio_core *v = h ? h->vfio : NULL;
	if (!v)
		return false;
	pthread_mutex_lock(&v->lock);
	struct vfio_file *s = slot(v, fd);
	if (s) {
		s->users++;
		*out = *s;
	}
	pthread_mutex_unlock(&v->lock);
	return s != NULL;
}

static void vfio_fput(struct uiommu_host *h, int fd)
{
	struct vfio_core *v = h->vfio;
	pthread_mutex_lock(&v->lock);
	struct vfio_file *s = &v->files[fd - VFIO_FD_BASE];
	if (--s->users == 0 && s->closing) {
		struct vfio_file f = *s;
		memset(s, 0, sizeof(*s));
		release(f);
	}
	pthread_mutex_unlock(&v->lock);
}

int vfio_close(struct uiommu_host *h, int fd)
{
	struct vfio_core *v = h ? h->vfio : NULL;
	if (!v)
		return -EBADF;
	pthread_mutex_lock(&v->lock);
	struct vfio_file *s = slot(v, fd);
	int rc = -EBADF;
	if (s) {
		rc = 0;
		if (s->users) {
			s->closing = true;     /* the last caller releases it */
		} else {
			struct vfio_file f = *s;
			memset(s, 0, sizeof(*s));
			release(f);
		}
	}
	pthread_mutex_unlock(&v->lock);
	return rc;
}

/* ---- dispatch ---- */

long vfio_ioctl(struct uiommu_host *h, int fd, unsigned long cmd, unsigned long arg)
{
	struct vfio_file f;
	if (!vfio_fget(h, fd, &f))
		return -EBADF;
	long rc;
	switch (f.type) {
	case VFIO_FILE_CONTAINER:
		rc = vfio_container_ioctl(f.obj, cmd, arg);
		break;
	case VFIO_FILE_GROUP:
		rc = vfio_group_ioctl(f.obj, cmd, arg);
		break;
	case VFIO_FILE_DEVICE:
		rc = vfio_device_ioctl(f.obj, cmd, arg);
		break;
	default:
		rc = -EBADF;
	}
	vfio_fput(h, fd);
	return rc;
}

static ssize_t rw(struct uiommu_host *h, int fd, void *buf, size_t count, uint64_t off,
		  bool write)
{
	struct vfio_file f;
	if (!vfio_fget(h, fd, &f))
		return -EBADF;
	/* Containers and groups have no read/write. */
	ssize_t rc = f.type == VFIO_FILE_DEVICE ? vfio_device_rw(f.obj, buf, count, off, write)
						: -EINVAL;
	vfio_fput(h, fd);
	return rc;
}

ssize_t vfio_pread(struct uiommu_host *h, int fd, void *buf, size_t count, uint64_t off)
{
	return rw(h, fd, buf, count, off, false);
}

ssize_t vfio_pwrite(struct uiommu_host *h, int fd, const void *buf, size_t count, uint64_t off)
{
	return rw(h, fd, (void *)buf, count, off, true);
}

/* ---- per host ---- */

int vfio_core_init(struct uiommu_host *h)
{
	struct vfio_core *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	pthread_mutex_init(&v->lock, NULL);
	list_init(&v->groups);
	h->vfio = v;
	return 0;
}

/* Closes whatever the user left open, devices first so that groups and
 * containers can go (the order a process exit gives). */
void vfio_close_all(struct uiommu_host *h)
{
	struct vfio_core *v = h->vfio;
	if (!v)
		return;
	static const enum vfio_file_type order[] = { VFIO_FILE_DEVICE, VFIO_FILE_GROUP,
						     VFIO_FILE_CONTAINER };
	pthread_mutex_lock(&v->lock);
	for (unsigned o = 0; o < 3; o++) {
		for (unsigned i = 0; i < v->nr_files; i++) {
			struct vfio_file *s = &v->files[i];
			if (s->type != order[o])
				continue;
			struct vfio_file f = *s;
			memset(s, 0, sizeof(*s));
			release(f);
		}
	}
	pthread_mutex_unlock(&v->lock);
}

void vfio_core_fini(struct uiommu_host *h)
{
	struct vfio_core *v = h->vfio;
	if (!v)
		return;
	vfio_close_all(h);
	free(v->files);
	pthread_mutex_destroy(&v->lock);
	free(v);
	h->vfio = NULL;
}
