/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's PCI view (Linux drivers/pci in shape): buses and
 * functions found by enumerating configuration space through the ECAM
 * window (hw/iface/pci.h), capabilities found by walking their lists,
 * DMA aliases from bridges and quirks, ACS isolation; the PASID/ATS/PRI
 * enables, resets, and the PCI driver core that binds drivers by
 * vendor/device ID. Nothing here looks inside the hardware model.
 *
 * A struct pci_dev is the kernel's object for a function, separate from
 * the emulated function (hw/pci, struct hw_pci_function); it embeds the
 * struct device the layers above use.
 */
#ifndef UIOMMU_PCI_PCI_H
#define UIOMMU_PCI_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uiommu/hw/pci_regs.h>

#include "../base/device.h"
#include "../util/list.h"

struct uiommu_host;
struct hw_machine;

extern const struct bus_type pci_bus_type;

struct pci_bus {
	struct pci_host_bridge *bridge;
	uint8_t number;
	struct pci_dev *self;          /* the bridge leading here; NULL: the root bus */
	struct pci_bus *parent;
	struct list_node devices;      /* pci_dev.bus_list, by devfn */
	struct list_node node;         /* pci_host_bridge.buses */
};

#define PCI_NUM_BARS 6

struct pci_dev {
	struct device dev;
	struct pci_bus *bus;
	struct pci_bus *subordinate;   /* bridges: the bus below */
	uint8_t devfn;
	uint16_t vendor, device;
	uint32_t class;                /* base, sub, interface */
	uint8_t hdr_type;              /* PCI_HEADER_TYPE_NORMAL / _BRIDGE */
	bool multifunction;
	uint16_t pcie_cap;             /* 0: conventional PCI */
	uint8_t pcie_type;             /* enum pci_exp_type */
	uint16_t cfg_size;
	uint8_t af_cap, msi_cap, msix_cap;
	uint16_t acs_cap, ats_cap, pri_cap, pasid_cap;
	struct pci_msi_desc *msi;      /* its MSI/MSI-X vectors (msi.c), NULL: none */
	/* Every port from the root down passes PASID prefixes (PCIe
	 * DEVCAP2.EE_PREFIX): a PASID can reach the IOMMU. */
	bool eetlp_prefix_path;
	uint64_t bar_size[PCI_NUM_BARS];
	/* Requester IDs on its bus the function also uses (quirks.c), as
	 * Linux's dma_alias_mask. */
	uint8_t dma_alias_mask[256 / 8];
	char label[32];                /* from firmware (SMBIOS type 41), or "" */
	uint32_t *saved_config;        /* pci_save_state() */
	struct list_node bus_list;     /* pci_bus.devices */
	struct list_node node;         /* pci_host_bridge.devices, in BDF order */
};

/* The kernel's PCI state of a host: segment 0 behind one host bridge.
 * Buses and functions are found once, at bring-up, and stay until the
 * host goes: lookups take no lock. */
struct pci_host_bridge {
	struct uiommu_host *host;
	struct hw_machine *m;          /* the ECAM window and BARs (hw/iface/pci.h) */
	struct pci_bus *bus;           /* the root bus */
	struct pci_bus *bus_by_num[256];
	struct list_node buses;        /* pci_bus.node */
	struct list_node devices;      /* pci_dev.node, BDF order */
	pthread_mutex_t lock;          /* the registered drivers */
	struct list_node drivers;      /* pci_driver.node */
	/* Interrupt vectors (msi.c): read-held while a handler runs. */
	pthread_rwlock_t irq_lock;
	struct pci_irq_desc *irqs[256];
	unsigned long spurious_irqs;   /* messages no handler wanted */
};

static inline struct pci_dev *to_pci_dev(struct device *dev)
{
	return (struct pci_dev *)dev;
}

static inline bool dev_is_pci(const struct device *dev)
{
	return dev && dev->bus == &pci_bus_type;
}

static inline uint16_t pci_dev_id(const struct pci_dev *pdev)
{
	return PCI_RID(pdev->bus->number, pdev->devfn);
}

static inline bool pci_is_pcie(const struct pci_dev *pdev)
{
	return pdev->pcie_cap != 0;
}

static inline bool pci_is_bridge(const struct pci_dev *pdev)
{
	return pdev->hdr_type == PCI_HEADER_TYPE_BRIDGE;
}

static inline enum pci_exp_type pci_pcie_type(const struct pci_dev *pdev)
{
	return (enum pci_exp_type)pdev->pcie_type;
}

/* The bridge above, NULL on the root bus. */
static inline struct pci_dev *pci_upstream_bridge(const struct pci_dev *pdev)
{
	return pdev->bus->self;
}

/* probe.c: enumeration at host bring-up, and its end. */
int pci_scan_host_bridge(struct uiommu_host *h, struct hw_machine *m);
void pci_remove_host_bridge(struct uiommu_host *h);

/* access.c: configuration space (-EINVAL for a bad offset or size;
 * reads of an absent function give all ones) and BAR MMIO. */
int pci_read_config_byte(const struct pci_dev *pdev, unsigned off, uint8_t *val);
int pci_read_config_word(const struct pci_dev *pdev, unsigned off, uint16_t *val);
int pci_read_config_dword(const struct pci_dev *pdev, unsigned off, uint32_t *val);
int pci_write_config_byte(struct pci_dev *pdev, unsigned off, uint8_t val);
int pci_write_config_word(struct pci_dev *pdev, unsigned off, uint16_t val);
int pci_write_config_dword(struct pci_dev *pdev, unsigned off, uint32_t val);
int pci_bar_read(struct pci_dev *pdev, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
int pci_bar_write(struct pci_dev *pdev, unsigned bar, uint64_t off, unsigned size, uint64_t val);
/* A BAR that is plain memory: the memory file behind it (the
 * machine's), for mapping it; -ENODEV for a register BAR. */
int pci_bar_memory_fd(struct pci_dev *pdev, unsigned bar);
/* A MOVDIR64B of 64 bytes to the BAR (a posted store: no answer). */
int pci_bar_movdir64b(struct pci_dev *pdev, unsigned bar, uint64_t off, const void *data);
/* An ENQCMD of 64 bytes with the submitter's PASID (a non-posted store:
 * *accepted is the device's answer, false for retry). */
int pci_bar_enqcmd(struct pci_dev *pdev, unsigned bar, uint64_t off, const void *data,
		   uint32_t pasid, bool *accepted);
/* msi.c: message signalled interrupts for drivers (Linux's API). */
#define PCI_IRQ_MSI  (1u << 1)
#define PCI_IRQ_MSIX (1u << 2)
struct pci_msi_desc;
typedef void (*pci_irq_handler_t)(int irq, void *data);
/* Vectors the capability offers; -EINVAL without it. */
int pci_msi_vec_count(struct pci_dev *pdev);
int pci_msix_vec_count(struct pci_dev *pdev);
/* Between min and max vectors, MSI-X preferred: their count, -ENOSPC if
 * fewer than min can be had, -EBUSY if the function has some already. */
int pci_alloc_irq_vectors(struct pci_dev *pdev, unsigned min, unsigned max, unsigned flags);
void pci_free_irq_vectors(struct pci_dev *pdev);
/* After a reset: the vectors programmed again (pci_restore_state). */
void pci_restore_msi_state(struct pci_dev *pdev);
/* The host vector of the function's vector nr, or -EINVAL. */
int pci_irq_vector(struct pci_dev *pdev, unsigned nr);
/* handler runs in the thread of the device that raised the vector. */
int pci_request_irq(struct pci_dev *pdev, unsigned nr, pci_irq_handler_t handler, void *data);
/* Returns when no call of the handler is running. */
void pci_free_irq(struct pci_dev *pdev, unsigned nr);
void pci_msi_init(struct pci_host_bridge *br);
void pci_msi_fini(struct pci_host_bridge *br);

void pci_set_master(struct pci_dev *pdev);
void pci_clear_master(struct pci_dev *pdev);
/* Memory decoding and bus mastering on (pci_enable_device + set_master). */
void pci_enable_device_mem_master(struct pci_dev *pdev);

/* capability.c: offsets found by walking the lists, 0 if absent. */
uint8_t pci_find_capability(const struct pci_dev *pdev, uint8_t id);
uint16_t pci_find_ext_capability(const struct pci_dev *pdev, uint16_t id);
uint16_t pci_find_vsec_capability(const struct pci_dev *pdev, uint16_t vsec_id);

/* search.c */
struct pci_dev *pci_get_slot(struct pci_host_bridge *br, uint8_t bus, uint8_t devfn);
struct pci_dev *pci_get_by_rid(struct uiommu_host *h, uint16_t rid);
const char *pci_name(const struct pci_dev *pdev, char buf[8]);
/*
 * Linux pci_for_each_dma_alias: fn(pdev, alias) for the function's own
 * requester ID, its quirk aliases, and every ID a bridge above rewrites
 * its requests to (PCIe-to-PCI bridges take them over); stops at the
 * first non-zero return, which is returned.
 */
int pci_for_each_dma_alias(struct pci_dev *pdev,
			   int (*fn)(struct pci_dev *pdev, uint16_t alias, void *data), void *data);
bool pci_devs_are_dma_aliases(const struct pci_dev *a, const struct pci_dev *b);

/* label.c: the function's firmware label (SMBIOS type 41), or "". */
void pci_label_get(struct pci_dev *pdev, char *buf, size_t len);

/* quirks.c */
void pci_add_dma_alias(struct pci_dev *pdev, uint8_t devfn);
void pci_fixup_device(struct pci_dev *pdev);

/* acs.c: the isolation test Linux applies (REQ_ACS_FLAGS). */
bool pci_acs_enabled(const struct pci_dev *pdev);
/* Every function from `start` up to the root bus isolates with ACS. */
bool pci_acs_path_enabled(const struct pci_dev *start);

/* ats.c: PASID must be enabled before ATS (PCIe 6.20: changing it while
 * ATS is on is undefined): -EBUSY then; -EINVAL without the capability;
 * -EIO if a port above cannot carry the PASID TLP prefix. */
int pci_enable_pasid(struct pci_dev *pdev, bool priv);
void pci_disable_pasid(struct pci_dev *pdev);
unsigned pci_max_pasids(const struct pci_dev *pdev);
/* The PASID control register (PCI_PASID_CTRL_*), -EINVAL without the
 * capability. */
int pci_pasid_status(const struct pci_dev *pdev);
int pci_enable_ats(struct pci_dev *pdev);
void pci_disable_ats(struct pci_dev *pdev);
bool pci_ats_enabled(const struct pci_dev *pdev);
unsigned pci_ats_queue_depth(const struct pci_dev *pdev);
int pci_enable_pri(struct pci_dev *pdev, unsigned requests);
void pci_disable_pri(struct pci_dev *pdev);
bool pci_pasid_enabled(const struct pci_dev *pdev);
bool pci_pri_enabled(const struct pci_dev *pdev);

/* reset.c */
int pci_save_state(struct pci_dev *pdev);
void pci_restore_state(struct pci_dev *pdev);
/* Function-level reset (PCIe FLR or conventional AF FLR); -ENOTTY if the
 * function has neither. pci_reset_function() saves and restores the
 * configuration state around it. */
int pci_reset_function_locked(struct pci_dev *pdev);
int pci_reset_function(struct pci_dev *pdev);

/* driver.c: binding by ID table (Linux pci-driver.c). */
#define PCI_ANY_ID 0xffffffffu
struct pci_device_id {
	uint32_t vendor, device;       /* PCI_ANY_ID matches any */
};
struct pci_driver {
	struct device_driver driver;
	const struct pci_device_id *id_table;   /* ends with vendor 0 */
	int (*probe)(struct pci_dev *pdev, const struct pci_device_id *id);
	void (*remove)(struct pci_dev *pdev);
	struct list_node node;         /* pci_host_bridge.drivers */
};
/* Probe every unbound function the table matches; a failed probe leaves
 * the function unbound (-ENOMEM stops it and is returned). */
int pci_register_driver(struct uiommu_host *h, struct pci_driver *drv);
void pci_unregister_driver(struct uiommu_host *h, struct pci_driver *drv);
const struct pci_device_id *pci_match_id(const struct pci_device_id *ids,
					 const struct pci_dev *pdev);

#endif
