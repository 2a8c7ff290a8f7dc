/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Intel VT-d driver (Linux drivers/iommu/intel in shape). It learns
 * its units and their device scopes from the ACPI DMAR table, programs
 * them only as real software can - table memory, the MMIO registers, the
 * invalidation queue - learns of faults and page requests through the
 * units' interrupts, and registers each unit with the IOMMU core.
 */
#ifndef UIOMMU_IOMMU_INTEL_H
#define UIOMMU_IOMMU_INTEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uiommu/hw/acpi_dmar.h>
#include <uiommu/hw/vtd.h>
#include <uiommu/hw/vtd_regs.h>

#include "../iommu.h"
#include "../pgtable/io_pgtable.h"
#include "../../util/list.h"
#include "../../util/mutex.h"
#include "../../util/spinlock.h"

struct uiommu_host;
struct vtd_unit;
struct hw_mem;
struct pci_dev;

#define INTEL_QI_PAGES   1               /* 128 256-bit descriptors */
#define INTEL_QI_DESCS   ((INTEL_QI_PAGES * 4096) / 32)
#define INTEL_PRQ_PQS    2               /* 4 pages, 512 requests */
#define INTEL_MAX_BATCH  32              /* descriptors per batch; one wait each */

/* A DMAR device scope entry (8.3.1): a start bus and a path. */
#define DMAR_SCOPE_MAX_PATH 8
struct dmar_dev_scope {
	uint8_t type;                     /* enum acpi_dmar_scope_type */
	uint8_t bus;
	unsigned nr_path;
	struct acpi_dmar_path path[DMAR_SCOPE_MAX_PATH];
};

/* A DRHD entry of the DMAR table (8.3). */
#define DMAR_MAX_SCOPES 64
struct dmar_drhd {
	uint64_t reg_base;
	bool include_all;
	unsigned nr_scopes;
	struct dmar_dev_scope scopes[DMAR_MAX_SCOPES];
};

/* One remapping unit, as the driver knows it. */
struct intel_iommu {
	struct iommu_device iommu;        /* registered with the IOMMU core */
	struct intel_driver *drv;
	struct vtd_unit *hw;              /* the register page (ioremap) and its interrupts */
	struct dmar_drhd drhd;            /* what firmware says it covers */
	bool registered;
	unsigned seq;
	char name[16];
	uint64_t cap, ecap;
	unsigned sagaw, mgaw, pasid_bits;

	pthread_mutex_t lock;             /* root/context tables, domain IDs */
	uint64_t *root;
	uint64_t did_map[65536 / 64];

	/* The invalidation queue: everything under `lock`, a mutex that
	 * submitters drop while they wait for their status (qi.c). */
	struct {
		mutex_t lock;
		uint64_t *ring;               /* 256-bit descriptors */
		unsigned tail;                /* next slot, in descriptors */
		unsigned free_tail;           /* oldest slot not given back */
		unsigned free_cnt;
		_Atomic uint32_t *status;     /* a page: the status word of each slot */
		uint8_t state[INTEL_QI_DESCS]; /* QI_SLOT_FREE / QI_SLOT_IN_USE */
		bool failed[INTEL_QI_DESCS];  /* the unit stopped on this slot (IQE) */
		unsigned long submits, descs, errors;
	} qi;

	uint64_t *prq;                    /* page request queue */
	unsigned prq_size;                /* bytes */
	pthread_mutex_t prq_lock;

	struct list_node node;            /* intel_driver.iommus */
};

/* The driver instance of a host. */
struct intel_driver {
	struct uiommu_host *host;
	struct hw_mem *mem;               /* table memory */
	struct list_node iommus;
	unsigned nr_iommus;
	struct pt_pool *pool;
	struct dmar_domain *identity;     /* shared pass-through domain */
	struct dmar_domain *blocked;      /* shared blocking domain */
	bool strict_checks;
};

/* Per-device driver data (dev_iommu.priv). */
struct device_domain_info {
	struct device *dev;
	struct pci_dev *pdev;
	struct intel_iommu *iommu;
	uint16_t rid;
	uint16_t sids[8];                 /* requester IDs to program: RID and aliases */
	unsigned nr_sids;
	bool pasid_supported, pasid_enabled, paside;
	bool ats_supported, ats_enabled, pri_supported, pri_enabled;
	unsigned ats_qdep;
	unsigned max_pasids;
	uint64_t *pasid_dir;
	unsigned pasid_dir_entries;
	unsigned pdts;
	struct dmar_domain *domain;       /* on the RID */
	unsigned nr_pasid_attach;         /* PASIDs other than the RID's */
	atomic_ulong faults;              /* reported, for statistics */
};

/* A domain's use of one unit: its domain ID there. */
struct domain_iommu {
	struct list_node node;
	struct intel_iommu *iommu;
	uint16_t did;
	unsigned refcnt;
};

/* What to flush for a domain: each (unit, DID, device) it is installed
 * at, with the device's PASIDs that use it (cache.c). */
struct cache_tag {
	struct list_node node;
	struct intel_iommu *iommu;
	uint16_t did;
	struct device_domain_info *info; /* for device-TLB flushes */
	bool nested;                     /* entries are PGTT nested */
	/* On a nesting parent: a nested domain over it is installed there
	 * with its own DID, so a change of the parent's mappings flushes
	 * that DID too (cache_tag_assign_parent). */
	bool nesting;
	unsigned long users;             /* assignments, all PASIDs */
	struct xarray pasids;            /* PASID (IOMMU_NO_PASID: the RID) -> count */
};

struct dmar_domain {
	struct iommu_domain domain;
	struct intel_driver *drv;
	spinlock_t lock;                  /* the page table (pgt): short, never across a wait */
	mutex_t mutex;                    /* tags, unit IDs, dirty state; held across flushes */
	bool fs;                          /* first-stage (x86) format */
	bool pt;                          /* identity */
	bool blocked;
	bool nest_parent, dirty_tracking, dirty_enabled;
	unsigned levels;
	struct io_pgtable pgt;
	struct list_node iommus;          /* struct domain_iommu */
	struct list_node tags;            /* struct cache_tag */

	/* Nested (nested.c): the user's first stage at guest-physical
	 * s1_pgtbl over the second stage of `s2`, a nesting parent; fixed
	 * at allocation. s1_flags are PASID-entry qword 2 bits. */
	struct dmar_domain *s2;
	uint64_t s1_pgtbl, s1_flags;
	unsigned s1_addr_width;
};

static inline struct dmar_domain *to_dmar_domain(struct iommu_domain *d)
{
	return (struct dmar_domain *)d;
}

static inline struct intel_iommu *to_intel_iommu(struct iommu_device *iommu)
{
	return container_of(iommu, struct intel_iommu, iommu);
}

/* dmar_table.c: the ACPI DMAR table into DRHDs (-EINVAL for a table
 * that does not parse), and the unit whose scope covers a function. */
int dmar_parse_table(const void *table, size_t len, struct dmar_drhd **out, unsigned *nr);
struct intel_iommu *dmar_find_matched_unit(struct intel_driver *drv, struct pci_dev *pdev);

/* dmar.c: the driver's bring-up from the DMAR table, each unit's, and
 * register access. */
int intel_iommu_init(struct uiommu_host *h);
void intel_iommu_exit(struct uiommu_host *h);
uint64_t dmar_readq(struct intel_iommu *iommu, unsigned off);
uint32_t dmar_readl(struct intel_iommu *iommu, unsigned off);
void dmar_writeq(struct intel_iommu *iommu, unsigned off, uint64_t v);
void dmar_writel(struct intel_iommu *iommu, unsigned off, uint32_t v);
extern const struct iommu_ops intel_iommu_ops;

/* qi.c: a batch of at most INTEL_MAX_BATCH descriptors and its wait, run
 * to completion; -EIO if the unit stopped on one of them. */
struct qi_batch {
	uint64_t desc[INTEL_MAX_BATCH][4];
	unsigned n;
};
int qi_submit_sync(struct intel_iommu *iommu, const uint64_t (*desc)[4], unsigned n);
void qi_batch_add(struct qi_batch *b, uint64_t q0, uint64_t q1);
int qi_batch_flush(struct intel_iommu *iommu, struct qi_batch *b);
void qi_add_cc_global(struct qi_batch *b);
void qi_add_cc_device(struct qi_batch *b, uint16_t sid);
void qi_add_pc(struct qi_batch *b, unsigned g, uint16_t did, ioasid_t pasid);
void qi_add_iotlb(struct qi_batch *b, unsigned g, uint16_t did, uint64_t addr, unsigned am, bool ih);
void qi_add_piotlb(struct qi_batch *b, unsigned g, uint16_t did, ioasid_t pasid, uint64_t addr,
		   unsigned am, bool ih);
void qi_add_devtlb(struct qi_batch *b, const struct device_domain_info *info, ioasid_t pasid,
		   uint64_t addr, unsigned am);
void qi_add_pgrp_resp(struct qi_batch *b, uint16_t rid, bool pasid_valid, ioasid_t pasid,
		      unsigned prgi, unsigned code);
/* The smallest aligned power-of-two range covering [start, end]. */
void qi_range(uint64_t start, uint64_t end, uint64_t *addr, unsigned *am);

/* context.c */
int domain_context_setup(struct device_domain_info *info);
void domain_context_clear(struct device_domain_info *info);
int intel_context_set_paside(struct device_domain_info *info, bool on);
int intel_context_update(struct device_domain_info *info);
uint64_t *intel_context_entry(struct intel_iommu *iommu, uint16_t sid, bool alloc);

/* pasid.c */
int intel_pasid_alloc_table(struct device_domain_info *info);
void intel_pasid_free_table(struct device_domain_info *info);
uint64_t *intel_pasid_entry(struct device_domain_info *info, ioasid_t pasid, bool alloc);
int intel_pasid_setup(struct device_domain_info *info, ioasid_t pasid, struct dmar_domain *dom,
		      uint16_t did, struct dmar_domain *old, uint16_t old_did);
void intel_pasid_tear_down(struct device_domain_info *info, ioasid_t pasid,
			   struct dmar_domain *old, uint16_t old_did, bool fault_ignore);

/* domain.c */
extern const struct iommu_domain_ops intel_paging_ops;
extern const struct iommu_domain_ops intel_fixed_ops;   /* identity, blocked */
int intel_attach_dev(struct iommu_domain *d, struct device *dev);
int intel_set_dev_pasid(struct iommu_domain *d, struct device *dev, ioasid_t pasid,
			struct iommu_domain *old);
void intel_domain_free(struct iommu_domain *d);
void intel_domain_free_common(struct dmar_domain *dom);
/* `iommu`: the unit serving the device the domain is made for (NULL for
 * the shared identity and blocking domains). */
struct dmar_domain *intel_domain_new(struct intel_driver *drv, const struct intel_iommu *iommu,
				     bool fs, unsigned flags, int *err);
int domain_attach_iommu(struct dmar_domain *dom, struct intel_iommu *iommu, uint16_t *did);
void domain_detach_iommu(struct dmar_domain *dom, struct intel_iommu *iommu);
uint16_t domain_id_on(struct dmar_domain *dom, struct intel_iommu *iommu);
int intel_dev_set_domain(struct device_domain_info *info, ioasid_t pasid,
			 struct dmar_domain *dom, struct dmar_domain *old);

/* nested.c: first stage owned by the user over a nesting parent (U-10) */
extern const struct iommu_domain_ops intel_nested_ops;
struct iommu_domain *intel_domain_alloc_nested(struct device *dev, struct iommu_domain *parent,
					       uint32_t flags,
					       const struct iommu_user_data *user_data, int *err);
int intel_nested_check(struct dmar_domain *dom, struct intel_iommu *iommu);

/* cache.c */
int cache_tag_assign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid,
		     uint16_t did);
void cache_tag_unassign(struct dmar_domain *dom, struct device_domain_info *info, ioasid_t pasid);
/* The parent's record of a nested domain installed at (info, pasid, did). */
int cache_tag_assign_parent(struct dmar_domain *s2, struct device_domain_info *info,
			    ioasid_t pasid, uint16_t did);
void cache_tag_unassign_parent(struct dmar_domain *s2, struct device_domain_info *info,
			       ioasid_t pasid, uint16_t did);
void cache_tag_free_all(struct dmar_domain *dom);
void cache_tag_flush_range(struct dmar_domain *dom, uint64_t start, uint64_t end, bool ih);
void cache_tag_flush_all(struct dmar_domain *dom);

/* fault.c */
void intel_irq(struct vtd_unit *u, enum vtd_irq irq, void *opaque);
int intel_page_response(struct device *dev, const struct iommu_page_request *req,
			enum iommu_page_response_code code);
int intel_prq_setup(struct intel_iommu *iommu);

#endif
