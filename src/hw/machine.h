/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated machine: memory, the PCI hierarchy and the remapping units.
 * Everything below the "hardware line" of DESIGN.md hangs off one of these;
 * there is no global hardware state, so a process may build many.
 */
#ifndef UIOMMU_HW_MACHINE_H
#define UIOMMU_HW_MACHINE_H

#include <pthread.h>

#include "iface/firmware.h"
#include "iface/mem.h"
#include "iface/pci.h"
#include "iface/vtd.h"
#include "mem/mem.h"
#include "mem/dma_rcu.h"
#include "pci/pci.h"
#include "vtd/vtd.h"

struct hw_machine {
	struct hw_mem mem;
	struct dma_rcu dma_rcu;       /* DMA engines as RCU readers */

	struct hw_pci_bus *root_bus;
	struct hw_pci_bus *bus_by_num[256];
	struct hw_pci_function **dev_by_rid;      /* 65536 entries */
	struct list_node buses;
	struct list_node devices;         /* in BDF order */
	unsigned nr_devices;

	struct vtd_unit *units[VTD_MAX_UNITS];
	unsigned nr_units;
	void *dmar;                       /* the ACPI DMAR table (acpi_dmar.c) */
	size_t dmar_len;
	void *smbios;                     /* the SMBIOS structure table (smbios.c) */
	size_t smbios_len;

	pthread_rwlock_t msi_lock;        /* the interrupt controller: held to deliver */
	hw_msi_fn msi_handler;
	void *msi_opaque;

	pthread_mutex_t ctx_lock;         /* DMA contexts, for statistics */
	struct list_node dma_ctxs;
	struct pci_dma_ctx *default_ctx;  /* for callers without their own */
	pthread_mutex_t default_ctx_lock;
};

int hw_machine_new(struct hw_machine **out);

static inline void hw_dma_error(struct hw_machine *m)
{
	hw_mem_dma_error(&m->mem);
}
void hw_machine_free(struct hw_machine *m);

/* Topology construction. */
int hw_pci_bus_add(struct hw_machine *m, uint8_t number, struct hw_pci_function *bridge,
		   struct hw_pci_bus **out);
int hw_pci_function_add(struct hw_machine *m, struct hw_pci_bus *bus, uint8_t devfn,
			enum hw_pci_kind kind, const char *name, struct hw_pci_function **out);
int hw_unit_add(struct hw_machine *m, const struct vtd_config *cfg, const char *name,
		struct vtd_unit **out);
/* Device scope: a function, or a bridge and everything below it. */
int hw_unit_scope_dev(struct vtd_unit *u, struct hw_pci_function *d);
void hw_unit_scope_all(struct vtd_unit *u);
/* After construction: multifunction bits, aliases, requester IDs, unit
 * coverage, and the DMAR table that describes the units to software. */
int hw_machine_finalize(struct hw_machine *m, char *err, size_t errlen);

static inline struct hw_pci_function *hw_pci_function_by_rid(struct hw_machine *m, uint16_t rid)
{
	return m->dev_by_rid[rid];
}
struct hw_pci_function *hw_pci_function_by_name(struct hw_machine *m, const char *name);

/* Sum the micro-TLB hit counters of live DMA contexts for unit `idx`. */
void hw_machine_collect_hits(struct hw_machine *m, unsigned idx, uint64_t *utlb, uint64_t *iotlb,
			     uint64_t *walks);

/* acpi_dmar.c, smbios.c: the firmware tables, built by finalize. */
int hw_acpi_build_dmar(struct hw_machine *m);
int hw_smbios_build(struct hw_machine *m);

/* Register base addresses of the units: one page each, where Intel
 * platforms put them. */
#define HW_VTD_REG_BASE 0xfed90000ull

#endif
