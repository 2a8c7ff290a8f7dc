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

#include "pci_regs.h"
#include "../../util/list.h"

struct hw_machine;
struct vtd_unit;
struct pci_atc;
struct pci_dev;

#define PCI_DEVFN(slot, fn) ((uint8_t)((((slot) & 0x1f) << 3) | ((fn) & 7)))
#define PCI_SLOT(devfn)     (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)     ((devfn) & 7)
#define PCI_RID(bus, devfn) ((uint16_t)(((bus) << 8) | (devfn)))
#define PCI_RID_BUS(rid)    ((uint8_t)((rid) >> 8))
#define PCI_RID_DEVFN(rid)  ((uint8_t)((rid) & 0xff))

/* What a function is, as the PCIe capability's device/port type says. */
enum pci_dev_kind {
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

const char *pci_kind_name(enum pci_dev_kind k);
int pci_kind_parse(const char *s, enum pci_dev_kind *k);
bool pci_kind_is_bridge(enum pci_dev_kind k);

struct pci_bus {
	uint8_t number;
	struct pci_dev *self;       /* bridge leading here; NULL on the root bus */
	struct pci_bus *parent;
	struct list_node devices;   /* pci_dev.bus_node, by devfn */
	struct list_node node;      /* hw_machine.buses */
};

/* Hooks of a device model (hw/dev/...); all optional. */
struct pci_dev_ops {
	/* MMIO access to BAR `bar` at `off`, size 1/2/4/8. */
	int (*bar_read)(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
	int (*bar_write)(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size, uint64_t val);
	/* Function-level reset. */
	void (*reset)(struct pci_dev *d);
	/* A PRG response for this function arrived from the IOMMU (PCIe 10.4.2). */
	void (*prg_response)(struct pci_dev *d, uint32_t pasid, bool pasid_valid, unsigned prgi,
			     unsigned code);
	void (*destroy)(struct pci_dev *d);
};

#define PCI_MAX_BARS 6
#define PCI_MAX_ALIASES 4

struct pci_dev {
	struct hw_machine *m;
	struct pci_bus *bus;
	uint8_t devfn;
	uint16_t rid;
	enum pci_dev_kind kind;
	char name[32];
	char model_name[16];

	/* Configuration space with a write mask: software may only change
	 * the bits the capability defines as RW. */
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];
	uint8_t wmask[PCI_CFG_SPACE_EXP_SIZE];
	uint16_t cap_exp, ecap_acs, ecap_ats, ecap_pri, ecap_pasid, ecap_dvsec;
	uint16_t ecap_next;            /* where the next extended cap goes */
	uint8_t cap_next;

	uint64_t bar_size[PCI_MAX_BARS];
	struct pci_bus *subordinate;   /* bridges */
	bool multifunction;
	bool no_tlp_prefix;            /* a port that drops PASID TLP prefixes */

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

	const struct pci_dev_ops *ops;
	void *model;                   /* device model state */
	void *driver_data;             /* kernel-side owner; hw never reads it */

	struct list_node bus_node;
	struct list_node node;         /* hw_machine.devices, in BDF order */
};

/* Configuration space access as software performs it (honours wmask). */
uint32_t pci_cfg_read(const struct pci_dev *d, unsigned off, unsigned size);
int pci_cfg_write(struct pci_dev *d, unsigned off, unsigned size, uint32_t val);

/* Raw access used when building the device (ignores wmask). */
void pci_cfg_set8(struct pci_dev *d, unsigned off, uint8_t v);
void pci_cfg_set16(struct pci_dev *d, unsigned off, uint16_t v);
void pci_cfg_set32(struct pci_dev *d, unsigned off, uint32_t v);
static inline uint16_t pci_cfg_get16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | (d->cfg[off + 1] << 8));
}

/* Capability construction (device models and topology loader). */
int pci_add_exp_cap(struct pci_dev *d, enum pci_exp_type type);
int pci_add_acs_cap(struct pci_dev *d, uint16_t caps);
int pci_add_ats_cap(struct pci_dev *d, unsigned qdep);
int pci_add_pri_cap(struct pci_dev *d, uint32_t max_requests);
int pci_add_pasid_cap(struct pci_dev *d, unsigned width, bool exec, bool priv);
int pci_add_dvsec(struct pci_dev *d, uint16_t vendor, uint16_t id, uint16_t len);
uint16_t pci_find_ext_cap(const struct pci_dev *d, uint16_t id);

/* Capability state as the device sees it. */
static inline bool pci_bus_master(const struct pci_dev *d)
{
	return d->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER;
}
unsigned pci_pasid_width(const struct pci_dev *d);   /* 0 = no PASID capability */
bool pci_pasid_enabled(const struct pci_dev *d);
bool pci_pasid_priv_enabled(const struct pci_dev *d);
bool pci_ats_enabled(const struct pci_dev *d);
bool pci_pri_enabled(const struct pci_dev *d);
uint16_t pci_acs_ctrl(const struct pci_dev *d);
bool pci_is_pcie(const struct pci_dev *d);
enum pci_exp_type pci_pcie_type(const struct pci_dev *d);

/* MMIO to a BAR of the function's model (size 1/2/4/8). */
int pci_bar_read(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
int pci_bar_write(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size, uint64_t val);

/* Function-level reset: config state back to power-on, model reset hook. */
void pci_dev_reset(struct pci_dev *d);

int pci_bdf_parse(const char *s, uint16_t *rid);
/* "BB:DD.F" into buf[8]. */
const char *pci_bdf_str(uint16_t rid, char buf[8]);

#endif
