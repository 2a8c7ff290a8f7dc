/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO internals (Linux drivers/vfio in shape): a container holds an IOMMU
 * backend (type1) and the groups set into it; a group stands for one IOMMU
 * group; a device is served by a vfio_device_ops - vfio-pci for a PCI
 * function, the parent driver for an mdev (SPEC M-4 .. M-7).
 *
 * Lifetimes follow the kernel's file references: a group set into a
 * container keeps the container alive after its fd is closed, and an
 * open device fd keeps its group alive.
 */
#ifndef UIOMMU_VFIO_VFIO_H
#define UIOMMU_VFIO_VFIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

#include <uiommu/vfio.h>

#include "../pci/pci.h"
#include "../util/list.h"

struct uiommu_host;
struct device;
struct iommu_group;
struct vfio_iommu;
struct vfio_device;
struct vfio_group;
struct vfio_container;

struct vfio_device_ops {
	const char *name;
	/* First open of the device / last close. */
	int (*open)(struct vfio_device *vdev);
	void (*close)(struct vfio_device *vdev);
	/* flags, num_regions, num_irqs of VFIO_DEVICE_GET_INFO */
	void (*info)(struct vfio_device *vdev, uint32_t *flags, uint32_t *num_regions,
		     uint32_t *num_irqs);
	/* Size and VFIO_REGION_INFO_FLAG_* of region `index`; -EINVAL if the
	 * index is beyond num_regions. A hole is size 0, flags 0. */
	int (*region)(struct vfio_device *vdev, uint32_t index, uint64_t *size, uint32_t *flags);
	/* Access within a region; return bytes done or -errno. */
	ssize_t (*read)(struct vfio_device *vdev, uint32_t index, void *buf, size_t count,
			uint64_t off);
	ssize_t (*write)(struct vfio_device *vdev, uint32_t index, const void *buf, size_t count,
			 uint64_t off);
	int (*reset)(struct vfio_device *vdev);
	/* The user unmapped [iova, iova+length): drop pins there (M-7).
	 * Called without the container's locks held. */
	void (*dma_unmap)(struct vfio_device *vdev, uint64_t iova, uint64_t length);
};

struct vfio_device {
	struct device *dev;
	const struct vfio_device_ops *ops;
	struct vfio_group *group;
	unsigned open_count;         /* device fds */
	struct list_node group_node;
};

struct vfio_group {
	struct uiommu_host *h;
	struct iommu_group *iommu_group;
	struct vfio_container *container;
	bool mdev_group;             /* else a PCI group: DMA ownership claimed while set */
	unsigned refs;               /* its file + open device files (v->lock) */
	unsigned opened_devices;
	struct list_node devices;    /* vfio_device.group_node */
	struct list_node container_node;
	struct list_node node;       /* vfio_core.groups */
};

struct vfio_container {
	struct uiommu_host *h;
	pthread_mutex_t lock;
	unsigned refs;               /* its file + groups set into it (v->lock) */
	struct list_node groups;     /* vfio_group.container_node */
	struct vfio_iommu *iommu;    /* after VFIO_SET_IOMMU */
};

/* VFIO's state on a host: the open groups. */
struct vfio_core {
	pthread_mutex_t lock;        /* groups, object lifetimes (refs) */
	struct list_node groups;
};

/* files.c: VFIO's files on the file layer. */
struct file;
int vfio_core_init(struct uiommu_host *h);
/* The file layer has closed what users left open by now (as process
 * exit closes files first). */
void vfio_core_fini(struct uiommu_host *h);
struct vfio_container *vfio_container_from_file(struct file *f);
int vfio_device_file(struct vfio_device *vd);
struct vfio_device *vfio_device_from_file(struct file *f);

/* container.c */
struct vfio_container *vfio_container_new(struct uiommu_host *h);
void vfio_container_put(struct vfio_container *c);   /* v->lock held */
long vfio_container_ioctl(struct vfio_container *c, unsigned long cmd, unsigned long arg);

/* group.c */
int vfio_group_open(struct uiommu_host *h, unsigned group_id, struct vfio_group **out);
void vfio_group_put(struct vfio_group *g);           /* v->lock held */
bool vfio_group_viable(struct vfio_group *g);
long vfio_group_ioctl(struct vfio_group *g, unsigned long cmd, unsigned long arg);

/* device.c */
long vfio_device_ioctl(struct vfio_device *d, unsigned long cmd, unsigned long arg);
ssize_t vfio_device_rw(struct vfio_device *d, void *buf, size_t count, uint64_t off, bool write);

/* vfio_iommu_type1.c and type1_*.c (type1.h) */
struct vfio_iommu *vfio_iommu_type1_open(struct uiommu_host *h, unsigned long type, int *err);
void vfio_iommu_type1_release(struct vfio_iommu *iommu);
int vfio_iommu_type1_attach_group(struct vfio_iommu *iommu, struct vfio_group *g);
void vfio_iommu_type1_detach_group(struct vfio_iommu *iommu, struct vfio_group *g);
long vfio_iommu_type1_ioctl(struct vfio_iommu *iommu, unsigned long cmd, unsigned long arg);
bool vfio_iommu_type1_cache_coherent(struct vfio_iommu *iommu);

/* For parent drivers of emulated devices (SPEC M-7): translate `npage`
 * pages from `iova` (page aligned) to host addresses and pin them until
 * vfio_unpin_pages(). prot: IOMMU_READ/IOMMU_WRITE, checked against the
 * mapping. Returns npage or -errno (-EINVAL unmapped, -EPERM prot,
 * -E2BIG above VFIO_PIN_PAGES_MAX_ENTRIES). All or nothing. */
#define VFIO_PIN_PAGES_MAX_ENTRIES 512
int vfio_pin_pages(struct vfio_device *vdev, uint64_t iova, int npage, int prot, uint64_t *hva);
void vfio_unpin_pages(struct vfio_device *vdev, uint64_t iova, int npage);

/* Checks shared by every ioctl: argsz at least minsz. */
#define vfio_offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* vfio_pci.c: the ops for a PCI function handed to userspace, and the
 * vfio-pci layout shared by devices that present themselves as PCI
 * functions (mdevs): regions BAR0-5, ROM, config, VGA; IRQ indexes. */
extern const struct vfio_device_ops vfio_pci_ops;
extern const struct pci_device_id vfio_pci_ids[];
void vfio_pci_info(struct vfio_device *vd, uint32_t *flags, uint32_t *nr_regions,
		   uint32_t *nr_irqs);
/* Region `index` of a device with these BAR and config sizes (0: a hole). */
int vfio_pci_region(const uint64_t bar_size[6], uint64_t cfg_size, uint32_t index,
		    uint64_t *size, uint32_t *flags);
/* The largest naturally aligned access (8/4/2/1) at `off` for `left` bytes. */
unsigned vfio_pci_access_size(uint64_t off, size_t left);

#endif
