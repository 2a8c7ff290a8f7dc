/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOMMU core's objects and the interface an IOMMU driver implements
 * (Linux include/linux/iommu.h in shape). The core owns groups, default
 * domains, ownership, PASID bookkeeping and the auxiliary-domain API; a
 * driver owns everything that touches hardware. Drivers register their
 * IOMMU instances (iommu_device_register) and the core asks each of them,
 * by its ops, whether it serves a device: the core knows no driver by
 * name.
 */
#ifndef UIOMMU_IOMMU_IOMMU_H
#define UIOMMU_IOMMU_IOMMU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uiommu/iommu.h>

#include "pgtable/io_pgtable.h"
#include "../base/device.h"
#include "../host/host.h"
#include "../util/err.h"
#include "../util/list.h"
#include "../util/xarray.h"

struct uiommu_host;
struct device;
struct iommu_group;
struct iommu_domain;
struct iommu_fault_record;

enum iommu_cap {
	IOMMU_CAP_CACHE_COHERENCY,
	IOMMU_CAP_ENFORCE_CACHE_COHERENCY,
	IOMMU_CAP_DIRTY_TRACKING,
	IOMMU_CAP_PASID,
	IOMMU_CAP_PCI_ATS_SUPPORTED,
};

/*
 * Driver-specific data a user passes with an iommufd call (a nested
 * table's description, a vIOMMU's parameters): `type` names its layout,
 * the data itself is still in the caller's memory. Drivers read it with
 * iommu_copy_struct_from_user*(), which apply Linux 7.2's size rules
 * (shorter than the mandatory fields, or longer than the driver's struct:
 * -EINVAL; unreadable: -EFAULT), and answer with
 * iommu_copy_struct_to_user().
 */
struct iommu_user_data {
	unsigned int type;
	uint64_t uptr;
	size_t len;
};

struct iommu_user_data_array {
	unsigned int type;
	uint64_t uptr;
	size_t entry_len;
	uint32_t entry_num;     /* in: entries given; out (drivers): entries handled */
};

int iommu_copy_struct_from_user(void *dst, size_t dst_size, const struct iommu_user_data *data,
				unsigned int type, size_t min_len);
int iommu_copy_struct_from_user_array(void *dst, size_t dst_size,
				      const struct iommu_user_data_array *array,
				      unsigned int type, uint32_t index, size_t min_len);
/* All entry_num entries into dst (entry_size bytes apart); an empty
 * array is -EINVAL. */
int iommu_copy_struct_from_full_user_array(void *dst, size_t entry_size,
					   const struct iommu_user_data_array *array,
					   unsigned int type);
/* data->len bytes of src back into the user's struct. */
int iommu_copy_struct_to_user(const struct iommu_user_data *data, const void *src,
			      size_t src_size, unsigned int type, size_t min_len);
struct iommufd_viommu;

struct iommu_domain_geometry {
	uint64_t aperture_start;
	uint64_t aperture_end;    /* inclusive */
	bool force_aperture;
};

struct iommu_domain_ops {
	/* Make `domain` the translation of dev's RID (replacing the old). */
	int (*attach_dev)(struct iommu_domain *domain, struct device *dev);
	/* Install `domain` for (dev, pasid), replacing `old` if non-NULL. */
	int (*set_dev_pasid)(struct iommu_domain *domain, struct device *dev, ioasid_t pasid,
			     struct iommu_domain *old);
	int (*map_pages)(struct iommu_domain *domain, uint64_t iova, uint64_t paddr, uint64_t size,
			 int prot, uint64_t *mapped);
	uint64_t (*unmap_pages)(struct iommu_domain *domain, uint64_t iova, uint64_t size,
				struct iommu_iotlb_gather *gather);
	void (*iotlb_sync)(struct iommu_domain *domain, struct iommu_iotlb_gather *gather);
	void (*flush_iotlb_all)(struct iommu_domain *domain);
	int (*iova_to_phys)(struct iommu_domain *domain, uint64_t iova, uint64_t *pa);
	int (*set_dirty_tracking)(struct iommu_domain *domain, bool enable);
	/* Report (fn) and clear, unless no_clear, the dirty state of
	 * [iova, +size): fn(iova, len) per dirty leaf. fn NULL only clears
	 * (before tracking is enabled); a report needs tracking enabled. */
	int (*read_and_clear_dirty)(struct iommu_domain *domain, uint64_t iova, uint64_t size,
				    bool no_clear, void (*fn)(uint64_t, uint64_t, void *), void *arg);
	/* Nested domains: invalidate user-owned first-stage caches from the
	 * user's array; array->entry_num returns how many were handled. */
	int (*cache_invalidate_user)(struct iommu_domain *domain,
				     struct iommu_user_data_array *array);
	void (*free)(struct iommu_domain *domain);
};

struct iommu_ops {
	const char *name;
	/* The IOMMU instance serving `dev`, or ERR_PTR(-ENODEV) if this
	 * driver does not serve it (any other error fails the probe). May
	 * set the driver's per-device data (dev_iommu_priv_set). */
	struct iommu_device *(*probe_device)(struct device *dev);
	void (*release_device)(struct device *dev);
	/* The device's group: pci_device_group(), generic_device_group() or
	 * the driver's own; ERR_PTR on failure. */
	struct iommu_group *(*device_group)(struct device *dev);
	struct iommu_domain *(*domain_alloc_paging)(struct device *dev, unsigned flags, int *err);
	/* A paging domain described by driver-specific data (iommufd's
	 * HWPT_ALLOC with a data type): what the driver cannot take is
	 * -EOPNOTSUPP. Optional. */
	struct iommu_domain *(*domain_alloc_paging_user)(struct device *dev, unsigned flags,
							 const struct iommu_user_data *user_data,
							 int *err);
	/* Nested domain over `parent` from driver-specific data (U-10);
	 * flags: IOMMU_HWPT_ALLOC_PASID. */
	struct iommu_domain *(*domain_alloc_nested)(struct device *dev, struct iommu_domain *parent,
						    uint32_t flags,
						    const struct iommu_user_data *user_data,
						    int *err);
	/* vIOMMUs (U-13): the size of the driver's iommufd_viommu for a
	 * type (0: unsupported), and its initialization (sets viommu->ops). */
	size_t (*get_viommu_size)(struct device *dev, uint32_t viommu_type);
	int (*viommu_init)(struct iommufd_viommu *viommu, struct iommu_domain *parent,
			   const struct iommu_user_data *user_data);
	/* iommufd may wrap this driver's nest parents in a vIOMMU of type
	 * DEFAULT of its own making: nested HWPTs through it come from
	 * domain_alloc_nested, its invalidations go to theirs, and faults
	 * in them become vEVENTs (a uiommu extension, docs/iommufd.md). */
	bool default_viommu;
	struct iommu_domain *(*identity_domain)(struct device *dev);
	struct iommu_domain *(*blocked_domain)(struct device *dev);
	/* A driver whose devices start on a fixed domain rather than a DMA
	 * paging one (the selftest mock: blocking). Optional. */
	struct iommu_domain *(*default_domain)(struct device *dev);
	bool (*capable)(struct device *dev, enum iommu_cap cap);
	bool (*dev_has_feat)(struct device *dev, enum iommu_dev_features f);
	int (*dev_enable_feat)(struct device *dev, enum iommu_dev_features f);
	int (*dev_disable_feat)(struct device *dev, enum iommu_dev_features f);
	unsigned (*max_pasids)(struct device *dev);
	void (*remove_dev_pasid)(struct device *dev, ioasid_t pasid, struct iommu_domain *domain);
	int (*page_response)(struct device *dev, const struct iommu_page_request *req,
			     enum iommu_page_response_code code);
	/* Hardware info for GET_HW_INFO (U-9). *type in: the type asked
	 * (IOMMU_HW_INFO_TYPE_DEFAULT: the driver's own), -EOPNOTSUPP for one
	 * it lacks; out: the type given. *len in: room at data; out: the
	 * full size of the info (copied as far as it fits). */
	int (*hw_info)(struct device *dev, uint32_t *type, void *data, uint32_t *len);
	int (*get_resv_regions)(struct device *dev, struct iommu_resv_region *out, int max);
	/* The guest owns the PASID table (a nested first stage holds it):
	 * page requests of a PASID nothing is attached to go to the nested
	 * domain on the RID (Linux iommu_ops.user_pasid_table). */
	bool user_pasid_table;
};

/* One hardware IOMMU instance, owned by its driver. */
struct iommu_device {
	const struct iommu_ops *ops;
	struct uiommu_host *host;
	char name[32];
	struct list_node node;        /* iommu_core.iommus, under probe_lock */
};

/* Register after the instance can serve devices: every device of the
 * host not yet served is offered to `ops` (and later ones as they come).
 * Unregistering releases the devices it serves first. */
int iommu_device_register(struct iommu_device *iommu, const struct iommu_ops *ops,
			  struct uiommu_host *h);
void iommu_device_unregister(struct iommu_device *iommu);

struct iommu_domain {
	enum iommu_domain_type type;
	const struct iommu_domain_ops *ops;
	const struct iommu_ops *owner;
	struct uiommu_host *host;
	uint64_t pgsize_bitmap;
	struct iommu_domain_geometry geometry;
	struct iommu_domain *parent;  /* nested */
	bool dirty_ops;

	/* Read by fault delivery without the setter's lock: atomic. */
	iommu_fault_handler_t _Atomic handler;
	void *_Atomic handler_token;
	iommu_iopf_handler_t _Atomic iopf_handler;
	void *_Atomic iopf_token;
	/* The whole fault record, for a user that reports faults on (a
	 * vIOMMU's event queue); see iommu_set_fault_event_handler. */
	void (*_Atomic fault_event)(struct iommu_domain *domain,
				    const struct iommu_fault_record *f, void *token);
	void *_Atomic fault_event_token;

	/* References: the allocator's (dropped by iommu_domain_free or the
	 * group that owns a default domain) and every fault or page request
	 * being delivered to it. The last put frees it (ops->free). */
	atomic_uint refs;
	/* Attachments, counted by the core: RIDs and PASIDs. Each group
	 * counts under its own lock, each device's PASIDs under the
	 * device's, and one domain (a driver's blocking domain, a shared
	 * paging domain) serves many: atomic. */
	atomic_uint attach_users;

	/* 2018 auxiliary domains: the default PASID, allocated on the first
	 * aux attach and freed when the last aux user goes.
	 * Under the core's aux_lock. */
	ioasid_t aux_pasid;
	unsigned aux_users;

	struct list_node host_node;   /* iommu_core.domains, under its lock */
	bool listed;
};

/*
 * Per-device IOMMU state, owned by the core. `lock` covers the device's
 * PASID and aux attachment state (Linux: dev_iommu's lock and, for a
 * device alone in its group, the group mutex): the PASID table, aux mode
 * and the aux domains. Lock order: the group's lock, then a member's
 * dev_iommu lock, then the core's aux_lock.
 */
struct dev_iommu {
	const struct iommu_ops *ops;
	struct iommu_device *iommu_dev;  /* the instance that serves the device */
	void *priv;                   /* the driver's per-device data */
	unsigned max_pasids;
	pthread_mutex_t lock;
	bool aux_enabled;
	bool iopf_enabled;
	struct xarray pasids;         /* PASID -> struct iommu_domain * */
	struct xarray aux;            /* default PASID -> struct aux_attach */
	unsigned nr_aux;
	struct xarray rid_pasids;     /* the per-RID PASIDs it holds (core->pasid_lock) */
};

/* An auxiliary attachment of a domain to a device: users counts the
 * subdevices (mdevs) of the device sharing it (the 2021 fix). */
struct aux_attach {
	struct iommu_domain *domain;
	unsigned users;
};

/* Unmaps whose flush is gathered (Linux iommu_unmap_fast): the range and
 * the unlinked table pages go to `gather`, and one iommu_iotlb_sync()
 * flushes them all and frees the tables. The gather must be synced before
 * the caller frees what was mapped. */
uint64_t iommu_unmap_fast(struct iommu_domain *domain, uint64_t iova, uint64_t size,
			  struct iommu_iotlb_gather *gather);
void iommu_iotlb_sync(struct iommu_domain *domain, struct iommu_iotlb_gather *gather);

/* A paging domain from driver-specific data (iommufd's HWPT_ALLOC);
 * NULL user_data is iommu_paging_domain_alloc_flags(). */
struct iommu_domain *iommu_paging_domain_alloc_user(struct device *dev, unsigned flags,
						    const struct iommu_user_data *user_data,
						    int *err);

/* Core helpers for drivers. */
/* Drivers embed the domain and initialize it with one reference. */
void iommu_domain_init(struct iommu_domain *d, enum iommu_domain_type type,
		       const struct iommu_domain_ops *ops, const struct iommu_ops *owner,
		       struct uiommu_host *h);
struct dev_iommu *dev_iommu(struct device *dev);
static inline void iommu_domain_get(struct iommu_domain *d)
{
	atomic_fetch_add_explicit(&d->refs, 1, memory_order_relaxed);
}
/* The last reference frees the domain through its driver. */
void iommu_domain_put(struct iommu_domain *d);
/* From the fault interrupt: a DMA remapping fault by (dev, pasid). */
void iommu_report_fault(struct device *dev, ioasid_t pasid, bool pasid_valid, uint64_t addr,
			bool write, uint8_t reason);
/* From the page request interrupt. */
void iommu_report_page_request(struct iommu_page_request *req);
/* Hand every unrecoverable fault of `domain` to fn, with its reason and
 * PASID (the fault handler gets neither). */
void iommu_set_fault_event_handler(struct iommu_domain *domain,
				   void (*fn)(struct iommu_domain *domain,
					      const struct iommu_fault_record *f, void *token),
				   void *token);

static inline void *dev_iommu_priv_get(struct device *dev)
{
	struct dev_iommu *di = dev_iommu(dev);
	return di ? di->priv : NULL;
}

static inline void dev_iommu_priv_set(struct device *dev, void *priv)
{
	struct dev_iommu *di = dev_iommu(dev);
	if (di)
		di->priv = priv;
}

/* Does an IOMMU translate for the device (Linux dev_has_iommu)? */
static inline bool dev_has_iommu(struct device *dev)
{
	return dev_iommu(dev) != NULL;
}

/* Groups for drivers' device_group (group.c): Linux's rules for a PCI
 * function, computed from the kernel's PCI view, or a group of its own. */
struct iommu_group *pci_device_group(struct device *dev);
struct iommu_group *generic_device_group(struct device *dev);

/* The core's state on a host (core.c). Lock order: the host's notifier
 * lock, probe_lock, the host's device lock, a group's lock, lock; the
 * groups_lock innermost. A group's membership changes under probe_lock
 * (IOMMU-probed devices) or the mdev core's lock (an mdev's own group). */
#define IOMMU_FAULT_LOG 64
struct iommu_fault_record {
	struct device *dev;
	uint32_t pasid;
	bool pasid_valid;
	bool write;
	uint8_t reason;
	uint64_t addr;
};

struct iommu_core {
	struct uiommu_host *host;
	bool default_identity;            /* default domains pass through */
	pthread_mutex_t probe_lock;       /* iommus, probing and release */
	struct list_node iommus;          /* struct iommu_device */
	pthread_mutex_t groups_lock;      /* groups, next_group_id: a leaf lock */
	struct list_node groups;          /* struct iommu_group.node */
	unsigned next_group_id;
	struct bus_notifier nb;           /* devices coming and going */
	pthread_mutex_t lock;             /* domains */
	struct list_node domains;         /* what users allocated (iommu_domain.host_node) */
	pthread_mutex_t pasid_lock;       /* the global PASID space, per-RID spaces */
	uint64_t *pasid_map;              /* global PASIDs given out */
	struct xarray rid_pasid_users;    /* PASID -> devices holding it per-RID */
	pthread_mutex_t aux_lock;         /* domains' aux_pasid and aux_users */
	pthread_mutex_t fault_lock;       /* the fault log */
	struct iommu_fault_record fault_log[IOMMU_FAULT_LOG];
	unsigned long fault_head, nr_faults;
};

static inline struct iommu_core *iommu_core_of(struct uiommu_host *h)
{
	return h ? h->iommu : NULL;
}

int iommu_core_init(struct uiommu_host *h, bool default_identity);
void iommu_core_fini(struct uiommu_host *h);

/* device.c: probing a device against the registered IOMMUs, and its
 * release (both from the bus notifier and at registration). */
int iommu_probe_device(struct device *dev);
void iommu_release_device(struct device *dev);

/* pasid.c: PASID attach with the device's lock held (aux.c). */
int iommu_attach_device_pasid_locked(struct iommu_domain *domain, struct device *dev,
				     ioasid_t pasid);
void iommu_detach_device_pasid_locked(struct iommu_domain *domain, struct device *dev,
				      ioasid_t pasid);

/* pasid.c: the global PASID space, [1, 2^20), and the per-RID ones. */
int iommu_pasid_space_init(struct iommu_core *core);
void iommu_pasid_space_fini(struct iommu_core *core);
void iommu_dev_pasids_release(struct iommu_core *core, struct dev_iommu *di);

/* domain.c: what users left allocated goes with the last instance of
 * the driver that made it. */
void iommu_domains_free_owned(struct iommu_core *core, const struct iommu_ops *ops);

/* The fault log: how many faults were reported, and the latest. */
unsigned long iommu_fault_count(struct uiommu_host *h);
bool iommu_fault_last(struct uiommu_host *h, struct iommu_fault_record *out);

#endif
