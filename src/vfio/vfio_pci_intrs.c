/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-pci's interrupts (Linux vfio_pci_intrs.c in shape): the function's
 * MSI or MSI-X vectors, each signalling an eventfd of the user's when the
 * device raises it (a dmatest completion, a DSA completion interrupt), and
 * the error and request indexes as eventfds alone. DATA_NONE and DATA_BOOL
 * triggers signal the eventfds from software (loopback), as Linux does.
 * INTx is not modelled: zero vectors.
 *
 * Concurrency: `igate` serializes SET_IRQS; the handler reads a vector's
 * eventfd under `trig_lock` (read), which SET_IRQS takes (write) only to
 * swap descriptors - never around pci_free_irq, which waits for handlers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uiommu/files.h>

#include "vfio.h"
#include "vfio_pci.h"
#include "../util/slab.h"

static struct pci_dev *pdev_of(struct vfio_device *vd)
{
	return to_pci_dev(vd->dev);
}

static void signal_fd(int fd)
{
	uint64_t one = 1;
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* A full counter (2^64 - 2 signals unread): the user's loss,
		 * as eventfd_signal saturates. */
	}
}

/* Our own reference to the user's eventfd (Linux's eventfd_ctx_fdget):
 * -EBADF for no descriptor, -EINVAL for one that is not an eventfd. */
static int eventfd_get(int fd)
{
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	/* uiommu's own files are eventfds underneath: not the user's. */
	if (uiommu_is_file(fd))
		return -EINVAL;
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -EBADF;
	link[n] = 0;
	if (strcmp(link, "anon_inode:[eventfd]"))
		return -EINVAL;
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return dup < 0 ? -errno : dup;
}

/* Swap a trigger; the old one is closed outside the lock. */
static void trigger_set(struct vfio_pci_core *c, int *slot, int fd)
{
	pthread_rwlock_wrlock(&c->trig_lock);
	int old = *slot;
	*slot = fd;
	pthread_rwlock_unlock(&c->trig_lock);
	if (old >= 0)
		close(old);
}

static void trigger_fire(struct vfio_pci_core *c, const int *slot)
{
	pthread_rwlock_rdlock(&c->trig_lock);
	signal_fd(*slot);
	pthread_rwlock_unlock(&c->trig_lock);
}

/* The device raised a vector: its eventfd, if the user set one. */
static void msi_handler(int irq, void *data)
{
	struct vfio_pci_irq_ctx *ctx = data;
	(void)irq;
	trigger_fire(ctx->core, &ctx->trigger);
}

/* ---- MSI / MSI-X ---- */

static void msi_disable(struct vfio_device *vd)
{
	struct vfio_pci_core *c = vd->driver_data;
	struct pci_dev *pdev = pdev_of(vd);
	for (unsigned i = 0; i < c->num_ctx; i++)
		pci_free_irq(pdev, i); /* no handler runs after this */
	pci_free_irq_vectors(pdev);
	for (unsigned i = 0; i < c->num_ctx; i++)
		trigger_set(c, &c->ctx[i].trigger, -1);
	free(c->ctx);
	c->ctx = NULL;
	c->num_ctx = 0;
	c->irq_type = VFIO_PCI_NUM_IRQS;
}

static int msi_enable(struct vfio_device *vd, unsigned nvec, bool msix)
{
	struct vfio_pci_core *c = vd->driver_data;
	struct pci_dev *pdev = pdev_of(vd);
	c->ctx = kcalloc(nvec, sizeof(*c->ctx));
	if (!c->ctx)
		return -ENOMEM;
	for (unsigned i = 0; i < nvec; i++) {
		c->ctx[i].trigger = -1;
		c->ctx[i].core = c;
	}
	int rc = pci_alloc_irq_vectors(pdev, nvec, nvec, msix ? PCI_IRQ_MSIX : PCI_IRQ_MSI);
	if (rc < 0) {
		free(c->ctx);
		c->ctx = NULL;
		return rc;
	}
	c->num_ctx = nvec;
	c->irq_type = msix ? VFIO_PCI_MSIX_IRQ_INDEX : VFIO_PCI_MSI_IRQ_INDEX;
	for (unsigned i = 0; i < nvec; i++)
		if ((rc = pci_request_irq(pdev, i, msi_handler, &c->ctx[i]))) {
			msi_disable(vd);
			return rc;
		}
	return 0;
}

/* Eventfds for vectors start.. (-1: none); all or nothing. */
static int msi_set_block(struct vfio_pci_core *c, unsigned start, unsigned count,
			 const int32_t *fds)
{
	if (start + count > c->num_ctx)
		return -EINVAL;
	int *got = kcalloc(count ? count : 1, sizeof(*got));
	if (!got)
		return -ENOMEM;
	for (unsigned i = 0; i < count; i++) {
		got[i] = fds[i] < 0 ? -1 : eventfd_get(fds[i]);
		if (fds[i] >= 0 && got[i] < 0) {
			int rc = got[i];
			while (i--)
				if (got[i] >= 0)
					close(got[i]);
			free(got);
			return rc;
		}
	}
	for (unsigned i = 0; i < count; i++)
		trigger_set(c, &c->ctx[start + i].trigger, got[i]);
	free(got);
	return 0;
}

static int set_msi_trigger(struct vfio_device *vd, unsigned index, unsigned start, unsigned count,
			   uint32_t flags, const void *data)
{
	struct vfio_pci_core *c = vd->driver_data;
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	if (c->irq_type == index && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		msi_disable(vd);
		return 0;
	}
	if (c->irq_type != index && c->irq_type != VFIO_PCI_NUM_IRQS)
		return -EINVAL; /* the other kind is on */
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		if (c->irq_type == index)
			return msi_set_block(c, start, count, data);
		int rc = msi_enable(vd, start + count, msix);
		if (!rc && (rc = msi_set_block(c, start, count, data)))
			msi_disable(vd);
		return rc;
	}
	if (c->irq_type != index)
		return -EINVAL;
	for (unsigned i = start; i < start + count && i < c->num_ctx; i++)
		if ((flags & VFIO_IRQ_SET_DATA_NONE) ||
		    ((flags & VFIO_IRQ_SET_DATA_BOOL) && ((const uint8_t *)data)[i - start]))
			trigger_fire(c, &c->ctx[i].trigger);
	return 0;
}

/* The error and request indexes: one eventfd each, fired by software. */
static int set_single(struct vfio_pci_core *c, int *slot, unsigned count, uint32_t flags,
		      const void *data)
{
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (count)
			trigger_fire(c, slot);
		return 0;
	}
	if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (count && *(const uint8_t *)data)
			trigger_fire(c, slot);
		return 0;
	}
	if (!count)
		return -EINVAL;
	int32_t fd = *(const int32_t *)data;
	int got = fd < 0 ? -1 : eventfd_get(fd);
	if (fd >= 0 && got < 0)
		return got;
	trigger_set(c, slot, got);
	return 0;
}

/* ---- vfio_device_ops ---- */

void vfio_pci_irq_info(struct vfio_device *vd, uint32_t index, uint32_t *flags,
		       uint32_t *count)
{
	struct pci_dev *pdev = pdev_of(vd);
	int n = 0;
	*flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
	switch (index) {
	case VFIO_PCI_MSI_IRQ_INDEX:
		n = pci_msi_vec_count(pdev);
		break;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		n = pci_msix_vec_count(pdev);
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		n = pci_is_pcie(pdev);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		n = 1;
		break;
	default: /* INTx: no pin in the model */
		*flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
		break;
	}
	*count = n > 0 ? (uint32_t)n : 0;
}

int vfio_pci_set_irqs(struct vfio_device *vd, uint32_t flags, uint32_t index, uint32_t start,
		      uint32_t count, const void *data)
{
	struct vfio_pci_core *c = vd->driver_data;
	uint32_t action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	/* Masking of MSI vectors is not offered (Linux: not either). */
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	pthread_mutex_lock(&c->igate);
	int rc;
	switch (index) {
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		rc = set_msi_trigger(vd, index, start, count, flags, data);
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		rc = set_single(c, &c->err_trigger, count, flags, data);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		rc = set_single(c, &c->req_trigger, count, flags, data);
		break;
	default:
		rc = -EINVAL;
	}
	pthread_mutex_unlock(&c->igate);
	return rc;
}

int vfio_pci_intrs_open(struct vfio_device *vd)
{
	struct vfio_pci_core *c = kcalloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->igate, NULL);
	pthread_rwlock_init(&c->trig_lock, NULL);
	c->irq_type = VFIO_PCI_NUM_IRQS;
	c->err_trigger = c->req_trigger = -1;
	vd->driver_data = c;
	return 0;
}

/* The user is gone: no vector stays enabled, no eventfd held. */
void vfio_pci_intrs_close(struct vfio_device *vd)
{
	struct vfio_pci_core *c = vd->driver_data;
	if (!c)
		return;
	if (c->irq_type != VFIO_PCI_NUM_IRQS)
		msi_disable(vd);
	trigger_set(c, &c->err_trigger, -1);
	trigger_set(c, &c->req_trigger, -1);
	pthread_mutex_destroy(&c->igate);
	pthread_rwlock_destroy(&c->trig_lock);
	free(c);
	vd->driver_data = NULL;
}
