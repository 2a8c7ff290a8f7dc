/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated PCI hierarchy (SPEC H-9): buses, bridges, functions, their
 * configuration space and capabilities, and the remapping unit whose device
 * scope covers each function.
 */
#ifndef UIOMMU_HW_PCI_H
#define UIOMMU_HW_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uiommu/hw/pci_regs.h>

#include "../iface/pci.h"

#include "../../util/bdf.h"
#include "../../util/list.h"

struct hw_machine;
struct vtd_unit;
struct pci_atc;
struct hw_pci_function;

/* What a function is, as the PCIe capability's device/port type says. */
enum hw_pci_kind {
	PCI_KIND_HOST_BRIDGE,
	PCI_KIND_RC_ENDPOINT,    /* root-complex integrated endpoint */
	PCI_KIND_ENDPOINT,       /* PCIe endpoint below a port */
	PCI_KIND_ROOT_PORT,
	PCI_KIND_SWITCH_UP,
	PCI_KIND_SWITCH_DOWN,
	PCI_KIND_PCIE_PCI_BRIDGE, /* PCIe-to-PCI bridge */
	PCI_KIND_PCI_ENDPOINT,   /* conventional PCI function */
	PCI_KIND_COUNT
};

const char *hw_pci_kind_name(enum hw_pci_kind k);
int hw_pci_kind_parse(const char *s, enum hw_pci_kind *k);
bool hw_pci_kind_is_bridge(enum hw_pci_kind k);

struct hw_pci_bus {
	uint8_t number;
	struct hw_pci_function *self;       /* bridge leading here; NULL on the root bus */
	struct hw_pci_bus *parent;
	struct list_node devices;   /* pci_dev.bus_node, by devfn */
	struct list_node node;      /* hw_machine.buses */
};

/* Hooks of a device model (hw/dev/...); all optional. */
struct hw_pci_function_ops {
	/* MMIO access to BAR `bar` at `off`, size 1/2/4/8. */
	int (*bar_read)(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
			uint64_t *val);
	int (*bar_write)(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
			 uint64_t val);
	/* A 64-byte store to BAR `bar` at `off` (MOVDIR64B, ENQCMD,
	 * ENQCMDS: <hw/iface/pci.h>); *accepted for the non-posted ones. */
	int (*bar_write64b)(struct hw_pci_function *d, unsigned bar, uint64_t off,
			    const void *data, enum hw_store64b op, uint32_t pasid, bool *accepted);
	/* Function-level reset. */
	void (*reset)(struct hw_pci_function *d);
	/* A PRG response for this function arrived from the IOMMU (PCIe 10.4.2). */
	void (*prg_response)(struct hw_pci_function *d, uint32_t pasid, bool pasid_valid,
			     unsigned prgi, unsigned code);
	void (*destroy)(struct hw_pci_function *d);
};

#define PCI_MAX_BARS 6
#define PCI_MAX_ALIASES 4

struct hw_pci_function {
	struct hw_machine *m;
	struct hw_pci_bus *bus;
	uint8_t devfn;
	uint16_t rid;
	enum hw_pci_kind kind;
	char name[32];
	char model_name[16];

	/* Configuration space with a write mask: software may only change
	 * the bits the capability defines as RW. */
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];
	uint8_t wmask[PCI_CFG_SPACE_EXP_SIZE];
	uint16_t cap_exp, cap_af, ecap_acs, ecap_ats, ecap_pri, ecap_pasid, ecap_dvsec;
	uint16_t ecap_next;            /* where the next extended cap goes */
	uint8_t cap_next;

	uint64_t bar_size[PCI_MAX_BARS];
	/* BARs that are plain memory (on-device RAM): a memory file the model
	 * and whoever maps the BAR share; -1 / NULL for register BARs. */
	int bar_memfd[PCI_MAX_BARS];
	uint8_t *bar_mem[PCI_MAX_BARS];
	struct hw_pci_bus *subordinate;   /* bridges */
	bool multifunction;

	/* DMA aliases of a quirky function (Linux pci_add_dma_alias): devfns
	 * on the same bus; the function issues requests with the first one. */
	uint8_t aliases[PCI_MAX_ALIASES];
	unsigned nr_aliases;
	uint16_t dma_sid;              /* requester ID its DMA carries upstream */

	struct vtd_unit *unit;         /* remapping unit covering this function */
	struct pci_atc *atc;           /* device TLB, when ATS capable */

	/* Outstanding page requests (PRI), counted against the allocation. */
	pthread_mutex_t pri_lock;
	unsigned pri_outstanding;

	struct hw_pci_msi *msi;        /* MSI/MSI-X state (msi.c), NULL without */

	const struct hw_pci_function_ops *ops;
	void *model;                   /* device model state */

	struct list_node bus_node;
	struct list_node node;         /* hw_machine.devices, in BDF order */
};

/* Configuration space bytes are registers that device engines read while
 * software writes them: each byte is accessed atomically (relaxed). */
static inline uint8_t hw_pci_cfg_ld(const struct hw_pci_function *d, unsigned off)
{
	return __atomic_load_n(&d->cfg[off], __ATOMIC_RELAXED);
}

static inline void hw_pci_cfg_st(struct hw_pci_function *d, unsigned off, uint8_t v)
{
	__atomic_store_n(&d->cfg[off], v, __ATOMIC_RELAXED);
}

/* Configuration space access as software performs it (honours wmask). */
uint32_t hw_pci_cfg_read(const struct hw_pci_function *d, unsigned off, unsigned size);
int hw_pci_cfg_write(struct hw_pci_function *d, unsigned off, unsigned size, uint32_t val);

/* Raw access used when building the device (ignores wmask). */
void hw_pci_cfg_set8(struct hw_pci_function *d, unsigned off, uint8_t v);
void hw_pci_cfg_set16(struct hw_pci_function *d, unsigned off, uint16_t v);
void hw_pci_cfg_set32(struct hw_pci_function *d, unsigned off, uint32_t v);
static inline uint16_t hw_pci_cfg_get16(const struct hw_pci_function *d, unsigned off)
{
	return (uint16_t)(hw_pci_cfg_ld(d, off) | (hw_pci_cfg_ld(d, off + 1) << 8));
}

/* Capability construction (device models and topology loader). */
int hw_pci_add_exp_cap(struct hw_pci_function *d, enum pci_exp_type type);
int hw_pci_add_acs_cap(struct hw_pci_function *d, uint16_t caps);
int hw_pci_add_ats_cap(struct hw_pci_function *d, unsigned qdep);
int hw_pci_add_pri_cap(struct hw_pci_function *d, uint32_t max_requests);
int hw_pci_add_pasid_cap(struct hw_pci_function *d, unsigned width, bool exec, bool priv);
int hw_pci_add_dvsec(struct hw_pci_function *d, uint16_t vendor, uint16_t id, uint16_t len);
/* Conventional PCI's FLR (the Advanced Features capability). */
int hw_pci_add_af_cap(struct hw_pci_function *d);
/* BAR `bar` as a 64-bit memory BAR of `size` bytes: its register pair
 * sizes as PCI 6.2.5.1 says (the next power of two, at least 16). */
int hw_pci_set_bar(struct hw_pci_function *d, unsigned bar, uint64_t size);
/* BAR `bar` as plain memory of `size` bytes (a power of two, at least a
 * page): reads and writes reach memory, and the memory can be mapped
 * (hw_bar_memory_fd). */
int hw_pci_set_bar_memory(struct hw_pci_function *d, unsigned bar, uint64_t size);
void hw_pci_bar_memory_free(struct hw_pci_function *d);
/* Whether a port passes End-End TLP prefixes, i.e. PASIDs (DEVCAP2). */
void hw_pci_set_tlp_prefix(struct hw_pci_function *d, bool passes);
/* The requester IDs (devfns on its bus) the function also issues DMA
 * with, the first one used; listed in the alias VSEC for software. */
int hw_pci_set_dma_aliases(struct hw_pci_function *d, const uint8_t *devfns, unsigned n);
uint16_t hw_pci_find_ext_cap(const struct hw_pci_function *d, uint16_t id);

/* Capability state as the device sees it. */
static inline bool hw_pci_bus_master(const struct hw_pci_function *d)
{
	return hw_pci_cfg_ld(d, PCI_COMMAND) & PCI_COMMAND_MASTER;
}
unsigned hw_pci_pasid_width(const struct hw_pci_function *d);   /* 0 = no PASID capability */
bool hw_pci_pasid_enabled(const struct hw_pci_function *d);
bool hw_pci_pasid_priv_enabled(const struct hw_pci_function *d);
bool hw_pci_ats_enabled(const struct hw_pci_function *d);
bool hw_pci_pri_enabled(const struct hw_pci_function *d);
uint16_t hw_pci_acs_ctrl(const struct hw_pci_function *d);
bool hw_pci_is_pcie(const struct hw_pci_function *d);
enum pci_exp_type hw_pci_pcie_type(const struct hw_pci_function *d);

/* MMIO to a BAR of the function's model (size 1/2/4/8). */
int hw_pci_bar_read(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
		    uint64_t *val);
int hw_pci_bar_write(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
		     uint64_t val);

/* Function-level reset: config state back to power-on, model reset hook. */
void hw_pci_function_reset(struct hw_pci_function *d);

/* msi.c: message signalled interrupts. An MSI capability with 1 <<
 * vectors_log2 vectors; an MSI-X capability whose table and PBA are at
 * those offsets of BAR `bar` (set the BAR first). */
struct hw_pci_msi;
int hw_pci_add_msi_cap(struct hw_pci_function *d, unsigned vectors_log2);
int hw_pci_add_msix_cap(struct hw_pci_function *d, unsigned vectors, unsigned bar,
			uint64_t table_off, uint64_t pba_off);
/* The device raises `vector`: a message if software enabled and unmasked
 * it, pending if masked, nothing otherwise. Any thread, no model lock
 * needed; the controller's handler runs in the caller's thread. */
void hw_pci_msi_notify(struct hw_pci_function *d, unsigned vector);
/* Hooks of pci.c: a config write there, an access to BAR MMIO (true if it
 * was the MSI-X table or PBA), reset, the function's end. */
void hw_pci_msi_cfg_written(struct hw_pci_function *d, unsigned off, unsigned size);
bool hw_pci_msix_bar_access(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
			    uint64_t *val, bool write);
void hw_pci_msi_reset(struct hw_pci_function *d);
void hw_pci_msi_free(struct hw_pci_function *d);

#endif
