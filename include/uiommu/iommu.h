/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOMMU core, driver-facing API (SPEC A-1 .. A-14): what a device
 * driver or a VFIO-like layer uses to give devices isolated I/O address
 * spaces. Names follow Linux; the 2018 auxiliary-domain API keeps the
 * names of the "IOMMU aware mediated device" series, with today's PASID
 * attach API beside it. Every call returns 0 or a negative errno.
 */
#ifndef UIOMMU_IOMMU_PUBLIC_H
#define UIOMMU_IOMMU_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uiommu_host;
struct device;
struct iommu_domain;
struct iommu_group;

typedef uint32_t ioasid_t;
#define IOMMU_NO_PASID     0u          /* requests without PASID (RID_PASID) */
#define IOMMU_PASID_INVALID 0xffffffffu

/* Mapping permissions. */
#define IOMMU_READ   (1 << 0)
#define IOMMU_WRITE  (1 << 1)
#define IOMMU_NOEXEC (1 << 3)
#define IOMMU_PRIV   (1 << 5)

enum iommu_domain_type {
	IOMMU_DOMAIN_BLOCKED,
	IOMMU_DOMAIN_IDENTITY,
	IOMMU_DOMAIN_UNMANAGED,  /* a paging domain owned by a user of this API */
	IOMMU_DOMAIN_DMA,        /* a paging domain used as a default domain */
	IOMMU_DOMAIN_NESTED,
};

/* iommu_paging_domain_alloc_flags() */
#define IOMMU_DOMAIN_FLAG_FIRST_STAGE    (1u << 0) /* x86 first-stage format */
#define IOMMU_DOMAIN_FLAG_NEST_PARENT    (1u << 1) /* usable as a nesting parent */
#define IOMMU_DOMAIN_FLAG_DIRTY_TRACKING (1u << 2) /* second-stage A/D */
#define IOMMU_DOMAIN_FLAG_PASID          (1u << 3) /* attachable to PASIDs too */

/*
 * The devices of a host, by name ("dsa0", an mdev's UUID) or BDF ("01:00.0").
 * The pointer is borrowed, not a reference: a PCI function lives as long as
 * its host; an mdev until it is removed, so a caller that removes mdevs on
 * another thread orders that removal after its last use of the pointer.
 */
struct device *uiommu_device_find(struct uiommu_host *h, const char *name);
const char *dev_name(const struct device *dev);
struct iommu_group *iommu_group_get(struct device *dev);
unsigned iommu_group_id(const struct iommu_group *g);

/* ---- domains ---- */
struct iommu_domain *iommu_paging_domain_alloc(struct device *dev);
struct iommu_domain *iommu_paging_domain_alloc_flags(struct device *dev, unsigned flags, int *err);
/* The 2018 form: a paging domain of the host's IOMMU driver. */
struct iommu_domain *iommu_domain_alloc(struct uiommu_host *h);
/* -EBUSY while anything is attached. */
int iommu_domain_free(struct iommu_domain *domain);
enum iommu_domain_type iommu_domain_type(const struct iommu_domain *domain);

int iommu_map(struct iommu_domain *domain, uint64_t iova, uint64_t paddr, uint64_t size, int prot);
/* Returns the number of bytes unmapped (large pages go whole). */
uint64_t iommu_unmap(struct iommu_domain *domain, uint64_t iova, uint64_t size);
/* 0 when nothing is mapped there. */
uint64_t iommu_iova_to_phys(struct iommu_domain *domain, uint64_t iova);

/* ---- attaching the RID (A-2) ---- */
int iommu_attach_device(struct iommu_domain *domain, struct device *dev);
void iommu_detach_device(struct iommu_domain *domain, struct device *dev);
int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group);
void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group);
struct iommu_domain *iommu_get_domain_for_dev(struct device *dev);
/* Exclusive use of a group for a user (VFIO, iommufd): blocks DMA until
 * the owner attaches its own domain; -EBUSY if someone else owns it. */
int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner);
void iommu_group_release_dma_owner(struct iommu_group *group);
bool iommu_group_dma_owner_claimed(struct iommu_group *group);
int iommu_attach_group_owned(struct iommu_domain *domain, struct iommu_group *group);
int iommu_group_replace_domain(struct iommu_group *group, struct iommu_domain *domain);

/* ---- PASID attach, today's form (A-13) ---- */
int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid);
int iommu_replace_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid);
void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid);
struct iommu_domain *iommu_get_domain_for_dev_pasid(struct device *dev, ioasid_t pasid);
/* One PASID space per host (Linux has one per kernel, hence the device
 * argument here where Linux has none). */
ioasid_t iommu_alloc_global_pasid(struct device *dev);
void iommu_free_global_pasid(struct device *dev, ioasid_t pasid);
/* A PASID of dev's own RID (a per-RID space): unique on the device, never
 * one the global space has given out or will while dev holds it.
 * IOMMU_PASID_INVALID when none is left. */
ioasid_t iommu_alloc_dev_pasid(struct device *dev);
/* The same, saying why not: -ENOSPC none left, -ENOMEM (*out INVALID). */
int iommu_dev_pasid_alloc(struct device *dev, ioasid_t *out);
void iommu_free_dev_pasid(struct device *dev, ioasid_t pasid);
unsigned iommu_dev_max_pasids(struct device *dev);

/* Reserved regions of a device's I/O address space (Linux
 * iommu_get_resv_regions): IOVAs no mapping may use, such as the x86
 * interrupt window, which the remapping hardware never translates. */
enum iommu_resv_type {
	IOMMU_RESV_DIRECT,     /* must stay identity mapped (RMRR) */
	IOMMU_RESV_RESERVED,   /* not usable at all */
	IOMMU_RESV_MSI,        /* hardware interrupt window */
};
struct iommu_resv_region {
	uint64_t start;
	uint64_t length;
	int prot;
	enum iommu_resv_type type;
};
/* Fills up to `max` regions; returns how many the device has (or -errno). */
int iommu_get_resv_regions(struct device *dev, struct iommu_resv_region *out, int max);

/* ---- auxiliary domains, the 2018 API (A-3 .. A-12) ---- */
enum iommu_dev_attr {
	IOMMU_DEV_ATTR_AUXD_CAPABILITY, /* get: bool */
	IOMMU_DEV_ATTR_AUXD_ENABLED,    /* get: bool */
	IOMMU_DEV_ATTR_AUXD_ENABLE,     /* set */
	IOMMU_DEV_ATTR_AUXD_DISABLE,    /* set */
};
enum iommu_attr {
	DOMAIN_ATTR_AUXD_ID,            /* get: int, the domain's default PASID */
};
int iommu_get_dev_attr(struct device *dev, enum iommu_dev_attr attr, void *data);
int iommu_set_dev_attr(struct device *dev, enum iommu_dev_attr attr, void *data);
int iommu_attach_device_aux(struct iommu_domain *domain, struct device *dev);
void iommu_detach_device_aux(struct iommu_domain *domain, struct device *dev);
int iommu_domain_get_attr(struct iommu_domain *domain, enum iommu_attr attr, void *data);

/* The names the series took when merged (Linux 5.2). */
enum iommu_dev_features {
	IOMMU_DEV_FEAT_AUX,
	IOMMU_DEV_FEAT_SVA,
	IOMMU_DEV_FEAT_IOPF,  /* recoverable faults: PCI PRI and page requests */
};
bool iommu_dev_has_feature(struct device *dev, enum iommu_dev_features f);
int iommu_dev_enable_feature(struct device *dev, enum iommu_dev_features f);
int iommu_dev_disable_feature(struct device *dev, enum iommu_dev_features f);
bool iommu_dev_feature_enabled(struct device *dev, enum iommu_dev_features f);
int iommu_aux_attach_device(struct iommu_domain *domain, struct device *dev);
void iommu_aux_detach_device(struct iommu_domain *domain, struct device *dev);
int iommu_aux_get_pasid(struct iommu_domain *domain, struct device *dev);

/* ---- faults ---- */
#define IOMMU_FAULT_READ  0x0
#define IOMMU_FAULT_WRITE 0x1
/* A DMA remapping fault in `domain` by `dev`; return 0 if handled. */
typedef int (*iommu_fault_handler_t)(struct iommu_domain *domain, struct device *dev,
				     uint64_t iova, int flags, void *token);
void iommu_set_fault_handler(struct iommu_domain *domain, iommu_fault_handler_t handler,
			     void *token);

/* Recoverable faults (page requests, SPEC H-8/U-11). */
struct iommu_page_request {
	struct device *dev;
	bool pasid_valid;
	ioasid_t pasid;
	unsigned grpid;
	unsigned perm;       /* IOMMU_FAULT_PERM_* */
	bool last_page;
	uint64_t addr;
	uint64_t cookie;     /* driver's handle for the response */
};
#define IOMMU_FAULT_PERM_READ  (1 << 0)
#define IOMMU_FAULT_PERM_WRITE (1 << 1)
#define IOMMU_FAULT_PERM_EXEC  (1 << 2)
#define IOMMU_FAULT_PERM_PRIV  (1 << 3)
enum iommu_page_response_code {
	IOMMU_PAGE_RESP_SUCCESS = 0,
	IOMMU_PAGE_RESP_INVALID,
	IOMMU_PAGE_RESP_FAILURE,
};
/* Called for each page request aimed at the domain; answer with
 * iommu_page_response() now or later. Without one, requests are failed. */
typedef void (*iommu_iopf_handler_t)(struct iommu_domain *domain,
				     const struct iommu_page_request *req, void *token);
void iommu_set_iopf_handler(struct iommu_domain *domain, iommu_iopf_handler_t handler,
			    void *token);
/* Waits until no fault or page request that found the domain through an
 * attachment is still being handed to its handlers. After a detach or
 * replace, then, nothing reaches the handlers' tokens through the
 * attachment that went (Linux's iopf_queue_flush_dev); they may be
 * freed. Must not be called from one of the domain's handlers. */
void iommu_domain_flush_faults(struct iommu_domain *domain);
int iommu_page_response(struct device *dev, const struct iommu_page_request *req,
			enum iommu_page_response_code code);

#ifdef __cplusplus
}
#endif

#endif
