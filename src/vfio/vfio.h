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
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

#include <uiommu/iommu.h>
#include <uiommu/vfio.h>

#include "../base/device.h"
#include "../pci/pci.h"
#include "../util/list.h"
#include "../util/xarray.h"

struct uiommu_host;
struct device;
struct iommu_group;
struct vfio_iommu;
struct vfio_device;
struct vfio_group;
struct vfio_container;

/* What a device offers beyond its default address space when bound to
 * an iommufd (SPEC U-8; the proposal's section 1.4 types). */
enum vfio_pasid_policy {
	VFIO_PASID_NONE,      /* types 1-3: the default address space only */
	VFIO_PASID_DIRECT,    /* type 5, a pdev: the vPASID is the pPASID */
	VFIO_PASID_PER_RID,   /* type 6: a pPASID from the parent's per-RID space */
	VFIO_PASID_GLOBAL,    /* type 8, ENQCMD: the VM's pPASID from the global pool */
};

struct vm_area;

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
	/* Map vma->length bytes of region `index` from `off` (a region with
	 * VFIO_REGION_INFO_FLAG_MMAP; the caller checked the range). */
	int (*mmap)(struct vfio_device *vdev, uint32_t index, uint64_t off, struct vm_area *vma);
	/* VFIO_DEVICE_GET_IRQ_INFO of an index below num_irqs. */
	void (*irq_info)(struct vfio_device *vdev, uint32_t index, uint32_t *flags,
			 uint32_t *count);
	/* VFIO_DEVICE_SET_IRQS, checked against irq_info: `data` is the
	 * kernel's copy (bools or eventfds) for count vectors from start. */
	int (*set_irqs)(struct vfio_device *vdev, uint32_t flags, uint32_t index, uint32_t start,
			uint32_t count, const void *data);
	int (*reset)(struct vfio_device *vdev);
	/* The user unmapped [iova, iova+length): drop pins there (M-7).
	 * Called without the container's locks held. */
	void (*dma_unmap)(struct vfio_device *vdev, uint64_t iova, uint64_t length);
	/* An mdev's PASID policy (pdevs: VFIO_PASID_DIRECT when the function
	 * has PASID on). */
	enum vfio_pasid_policy (*pasid_policy)(struct vfio_device *vdev);
	/* The device must stop tagging DMA with `pasid` before returning:
	 * VFIO is about to give that physical PASID to someone else (a
	 * vPASID detached, the device unbound). */
	void (*pasid_revoke)(struct vfio_device *vdev, ioasid_t pasid);
};

/* How a device reaches memory once bound to an iommufd: VFIO's decision
 * by device type (SPEC U-6, the proposal's section 1.2). */
enum vfio_route {
	VFIO_ROUTE_RID,       /* a whole function: its RID */
	VFIO_ROUTE_PASID,     /* an IOMMU-backed mdev: parent RID + a default PASID */
	VFIO_ROUTE_ACCESS,    /* a software mdev: nothing in the IOMMU, an ACCESS */
};

struct iommufd_ctx;
struct iommufd_device;
struct iommufd_access;

/* The device's side of an iommufd binding (iommufd.c), under
 * vfio_device.lock; `pasids` and `ictx` change under pasids_lock too, a
 * leaf lock, so the device's driver can translate vPASIDs from its own
 * paths (register writes) while VFIO calls into it under the device lock. */
struct vfio_iommufd {
	enum vfio_route route;
	struct iommufd_ctx *ictx;
	struct iommufd_device *idev;     /* RID and PASID routes */
	struct iommufd_access *access;   /* ACCESS route */
	bool attached;                   /* the default address space */
	ioasid_t default_pasid;          /* PASID route: the kernel's, never shown */
	pthread_mutex_t pasids_lock;
	struct xarray pasids;            /* vPASID -> struct vfio_pasid */
};

struct vfio_device {
	struct device *dev;
	const struct vfio_device_ops *ops;
	unsigned index;              /* /dev/vfio/devices/vfio<index> */
	struct list_node node;       /* vfio_core.devices */
	void *driver_data;           /* the VFIO driver's while open (vfio-pci) */
	/* Under vfio_core.lock: */
	struct vfio_group *group;    /* the legacy group, while it is open */
	struct list_node group_node;
	unsigned open_count;         /* files with access: group device fds, a bound cdev */
	unsigned users;              /* the open group and cdev files: an mdev stays */
	bool cdev_bound;             /* through its cdev: the legacy group is refused */
	/* Linux's dev_set lock: binding, attachments (vfio_iommufd). */
	pthread_mutex_t lock;
	struct vfio_iommufd iommufd;
};

/* An open device file: a device fd of a legacy group, or a cdev. */
struct vfio_device_file {
	struct vfio_device *device;
	struct vfio_group *group;    /* NULL for a cdev */
	atomic_bool access_granted;  /* group: from the start; cdev: once bound */
	uint32_t devid;              /* cdev: the DEVICE/ACCESS ID in the iommufd */
};

struct vfio_group {
	struct uiommu_host *h;
	struct iommu_group *iommu_group;
	struct vfio_container *container;
	struct iommufd_ctx *iommufd; /* set into /dev/iommu instead (iommufd compat) */
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

/* VFIO's state on a host: its devices (every function free for vfio-pci
 * and every mdev, registered as they come), and the open groups. Lock
 * order: the mdev core's lock -> a device's lock -> lock. */
struct vfio_core {
	pthread_mutex_t lock;        /* devices, device_ids, groups, lifetimes (refs, users) */
	struct list_node devices;    /* vfio_device.node, in registration order */
	struct xarray device_ids;    /* index -> vfio_device */
	struct list_node groups;
	struct bus_notifier nb;      /* devices coming and going */
};

/* files.c: VFIO's files on the file layer. */
struct file;
int vfio_core_init(struct uiommu_host *h);
/* The file layer has closed what users left open by now (as process
 * exit closes files first). */
void vfio_core_fini(struct uiommu_host *h);
struct vfio_container *vfio_container_from_file(struct file *f);
/* A descriptor for a device file whose device the caller opened; the
 * open is undone if no file can be made. */
int vfio_device_file(struct vfio_device_file *df);
struct vfio_device_file *vfio_device_file_from_file(struct file *f);
struct file_operations;
extern const struct file_operations vfio_device_fops;
extern const struct file_operations vfio_cdev_fops;

/* vfio_main.c: the registry of VFIO devices, and opening them. */
int vfio_devices_init(struct uiommu_host *h);
void vfio_devices_fini(struct uiommu_host *h);
/* The vfio-pci ops for a PCI function VFIO may take, an mdev's parent's
 * for an mdev, else NULL. */
const struct vfio_device_ops *vfio_ops_for(struct device *dev);
/* Registered and free for VFIO now (no kernel driver): v->lock held. */
struct vfio_device *vfio_device_by_index(struct vfio_core *v, unsigned index);
struct vfio_device *vfio_device_of(struct vfio_core *v, struct device *dev);
bool vfio_device_free(struct vfio_device *vd);
/* users++ / users--: an mdev is in use while it has any (v->lock held). */
void vfio_device_get_user(struct vfio_device *vd);
void vfio_device_put_user(struct vfio_device *vd);
/* The first open runs ops->open, the last close ops->close (v->lock held). */
int vfio_device_open(struct vfio_device *vd);
void vfio_device_close(struct vfio_device *vd);

/* container.c */
struct vfio_container *vfio_container_new(struct uiommu_host *h);
void vfio_container_put(struct vfio_container *c);   /* v->lock held */
long vfio_container_ioctl(struct vfio_container *c, unsigned long cmd, unsigned long arg);

/* group.c */
int vfio_group_open(struct uiommu_host *h, unsigned group_id, struct vfio_group **out);
/* v->lock held; returns an iommufd reference to put after v->lock, or NULL. */
struct iommufd_ctx *vfio_group_put(struct vfio_group *g);
bool vfio_group_viable(struct iommu_group *ig);
long vfio_group_ioctl(struct vfio_group *g, unsigned long cmd, unsigned long arg);

/* device.c */
long vfio_device_ioctl(struct vfio_device_file *df, unsigned long cmd, unsigned long arg);
ssize_t vfio_device_rw(struct vfio_device_file *df, void *buf, size_t count, uint64_t off,
		       bool write);
int vfio_device_mmap(struct vfio_device_file *df, struct vm_area *vma);

/* device_cdev.c: /dev/vfio/devices/vfio<N> and the cdev-only ioctls. */
int vfio_cdev_init(struct uiommu_host *h);
void vfio_cdev_fini(struct uiommu_host *h);
int vfio_cdev_open(struct file *f, void *node_data);
long vfio_df_ioctl_bind_iommufd(struct vfio_device_file *df, unsigned long arg);
long vfio_df_ioctl_attach_pt(struct vfio_device_file *df, unsigned long arg);
long vfio_df_ioctl_detach_pt(struct vfio_device_file *df, unsigned long arg);
void vfio_df_unbind_iommufd(struct vfio_device_file *df);

/* iommufd.c: routing by device type (U-6 .. U-8), device lock held. */
enum vfio_route vfio_route_of(struct vfio_device *vd);
int vfio_iommufd_bind(struct vfio_device *vd, struct iommufd_ctx *ictx, uint32_t *out_devid);
void vfio_iommufd_unbind(struct vfio_device *vd);
int vfio_iommufd_attach(struct vfio_device *vd, uint32_t *pt_id);
void vfio_iommufd_detach(struct vfio_device *vd);
int vfio_iommufd_pasid_attach(struct vfio_device *vd, uint32_t vpasid, uint32_t *pt_id);
void vfio_iommufd_pasid_detach(struct vfio_device *vd, uint32_t vpasid);
/* The PASID capability of GET_INFO: policy and vPASID width. */
enum vfio_pasid_policy vfio_pasid_policy_of(struct vfio_device *vd, unsigned *max_pasid_log2);

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
/* The legacy container's backend (type1_pin.c); vfio_pin_pages() picks
 * it or the iommufd ACCESS the device is bound with. */
int vfio_type1_pin_pages(struct vfio_device *vdev, uint64_t iova, int npage, int prot,
			 uint64_t *hva);
void vfio_type1_unpin_pages(struct vfio_device *vdev, uint64_t iova, int npage);

/* For mdev parents of devices with vPASIDs (SPEC U-8): the physical PASID
 * behind the vPASID the user attached on this device, for programming a
 * work queue (types 6 and 8); -ENOENT if that vPASID is not attached. */
int vfio_device_pasid_translate(struct vfio_device *vdev, ioasid_t vpasid, ioasid_t *ppasid);
/* What the CPU's PASID translation makes of a vPASID in an ENQCMD to a
 * shared work queue (type 8): -EPERM until the bound iommufd turns
 * translation on, -ENOENT if the vPASID is not attached on this device. */
int vfio_device_cpu_pasid_translate(struct vfio_device *vdev, ioasid_t vpasid,
				    ioasid_t *ppasid);

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
