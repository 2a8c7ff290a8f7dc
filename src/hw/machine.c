/* SPDX-License-Identifier: BSD-3-Clause */
/* Building the emulated machine: buses, functions, units and their scopes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "pci/ats.h"
#include "pci/dma.h"
#include "../util/compiler.h"

int hw_machine_new(struct hw_machine **out)
{
	struct hw_machine *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dev_by_rid = calloc(65536, sizeof(*m->dev_by_rid));
	if (!m->dev_by_rid) {
		free(m);
		return -ENOMEM;
	}
	hw_mem_init(&m->mem);
	int rc = dma_rcu_init(&m->dma_rcu);
	if (rc) {
		free(m->dev_by_rid);
		free(m);
		return rc;
	}
	list_init(&m->buses);
	list_init(&m->devices);
	list_init(&m->dma_ctxs);
	pthread_mutex_init(&m->ctx_lock, NULL);
	pthread_mutex_init(&m->default_ctx_lock, NULL);
	pthread_rwlock_init(&m->msi_lock, NULL);
	rc = pci_dma_ctx_new(m, &m->default_ctx);
	if (rc) {
		hw_machine_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void hw_machine_free(struct hw_machine *m)
{
	if (!m)
		return;
	/* Devices first: their models may still hold DMA contexts. */
	struct hw_pci_function *d, *dt;
	list_for_each_entry_safe(d, dt, &m->devices, node) {
		if (d->ops && d->ops->destroy)
			d->ops->destroy(d);
	}
	pci_dma_ctx_free(m->default_ctx);
	list_for_each_entry_safe(d, dt, &m->devices, node) {
		list_del(&d->node);
		pci_atc_free(d->atc);
		hw_pci_msi_free(d);
		hw_pci_bar_memory_free(d);
		pthread_mutex_destroy(&d->pri_lock);
		free(d);
	}
	struct hw_pci_bus *b, *bt;
	list_for_each_entry_safe(b, bt, &m->buses, node) {
		list_del(&b->node);
		free(b);
	}
	for (unsigned i = 0; i < m->nr_units; i++)
		vtd_unit_free(m->units[i]);
	dma_rcu_destroy(&m->dma_rcu);
	free(m->dmar);
	free(m->smbios);
	pthread_mutex_destroy(&m->ctx_lock);
	pthread_mutex_destroy(&m->default_ctx_lock);
	pthread_rwlock_destroy(&m->msi_lock);
	free(m->dev_by_rid);
	free(m);
}

int hw_pci_bus_add(struct hw_machine *m, uint8_t number, struct hw_pci_function *bridge,
		   struct hw_pci_bus **out)
{
	if (m->bus_by_num[number])
		return -EEXIST;
	if (!bridge && m->root_bus)
		return -EEXIST;
	if (bridge && (!hw_pci_kind_is_bridge(bridge->kind) || bridge->subordinate))
		return -EINVAL;
	struct hw_pci_bus *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->number = number;
	b->self = bridge;
	b->parent = bridge ? bridge->bus : NULL;
	list_init(&b->devices);
	list_add_tail(&b->node, &m->buses);
	m->bus_by_num[number] = b;
	if (bridge) {
		bridge->subordinate = b;
		hw_pci_cfg_set8(bridge, PCI_PRIMARY_BUS, bridge->bus->number);
		hw_pci_cfg_set8(bridge, PCI_SECONDARY_BUS, number);
		hw_pci_cfg_set8(bridge, PCI_SUBORDINATE_BUS, number);
	} else {
		m->root_bus = b;
	}
	*out = b;
	return 0;
}

static enum pci_exp_type exp_type_of(enum hw_pci_kind k)
{
	switch (k) {
	case PCI_KIND_RC_ENDPOINT: return PCI_EXP_TYPE_RC_END;
	case PCI_KIND_ROOT_PORT: return PCI_EXP_TYPE_ROOT_PORT;
	case PCI_KIND_SWITCH_UP: return PCI_EXP_TYPE_UPSTREAM;
	case PCI_KIND_SWITCH_DOWN: return PCI_EXP_TYPE_DOWNSTREAM;
	case PCI_KIND_PCIE_PCI_BRIDGE: return PCI_EXP_TYPE_PCI_BRIDGE;
	default: return PCI_EXP_TYPE_ENDPOINT;
	}
}

int hw_pci_function_add(struct hw_machine *m, struct hw_pci_bus *bus, uint8_t devfn,
			enum hw_pci_kind kind, const char *name, struct hw_pci_function **out)
{
	uint16_t rid = PCI_RID(bus->number, devfn);
	if (m->dev_by_rid[rid])
		return -EEXIST;
	if (name && *name && hw_pci_function_by_name(m, name))
		return -EEXIST;
	struct hw_pci_function *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->m = m;
	d->bus = bus;
	d->devfn = devfn;
	d->rid = rid;
	d->dma_sid = rid;
	d->kind = kind;
	pthread_mutex_init(&d->pri_lock, NULL);
	for (unsigned b = 0; b < PCI_MAX_BARS; b++)
		d->bar_memfd[b] = -1;
	if (name && *name)
		snprintf(d->name, sizeof(d->name), "%s", name);
	else
		pci_bdf_str(rid, d->name);

	/* A plausible identity; device models overwrite it. */
	hw_pci_cfg_set16(d, PCI_VENDOR_ID, PCI_VENDOR_ID_INTEL);
	hw_pci_cfg_set16(d, PCI_DEVICE_ID, 0xffff);
	d->wmask[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (hw_pci_kind_is_bridge(kind)) {
		hw_pci_cfg_set8(d, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE);
		hw_pci_cfg_set16(d, PCI_CLASS_DEVICE, 0x0604);
	} else if (kind == PCI_KIND_HOST_BRIDGE) {
		hw_pci_cfg_set16(d, PCI_CLASS_DEVICE, 0x0600);
	}
	if (kind != PCI_KIND_PCI_ENDPOINT && kind != PCI_KIND_HOST_BRIDGE)
		hw_pci_add_exp_cap(d, exp_type_of(kind));
	else
		hw_pci_add_af_cap(d); /* FLR without a PCIe capability */

	/* Keep both lists in BDF order for stable output. */
	struct hw_pci_function *it;
	struct list_node *pos = &bus->devices;
	list_for_each_entry(it, &bus->devices, bus_node) {
		if (it->devfn > devfn) {
			pos = &it->bus_node;
			break;
		}
	}
	list_add_tail(&d->bus_node, pos);
	pos = &m->devices;
	list_for_each_entry(it, &m->devices, node) {
		if (it->rid > rid) {
			pos = &it->node;
			break;
		}
	}
	list_add_tail(&d->node, pos);
	m->dev_by_rid[rid] = d;
	m->nr_devices++;
	*out = d;
	return 0;
}

struct hw_pci_function *hw_pci_function_by_name(struct hw_machine *m, const char *name)
{
	struct hw_pci_function *d;
	list_for_each_entry(d, &m->devices, node)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

int hw_unit_add(struct hw_machine *m, const struct vtd_config *cfg, const char *name,
		struct vtd_unit **out)
{
	if (m->nr_units >= VTD_MAX_UNITS)
		return -ENOSPC;
	struct vtd_unit *u;
	int rc = vtd_unit_new(m, cfg, name, &u);
	if (rc)
		return rc;
	u->index = m->nr_units;
	u->reg_base = HW_VTD_REG_BASE + (uint64_t)u->index * VTD_MMIO_SIZE;
	m->units[m->nr_units++] = u;
	*out = u;
	return 0;
}

int hw_unit_scope_dev(struct vtd_unit *u, struct hw_pci_function *d)
{
	if (u->nr_scope >= ARRAY_SIZE(u->scope))
		return -ENOSPC;
	u->scope[u->nr_scope++] = d;
	return 0;
}

void hw_unit_scope_all(struct vtd_unit *u)
{
	u->include_all = true;
}

static void cover(struct hw_pci_function *d, struct vtd_unit *u)
{
	d->unit = u;
	if (d->subordinate) {
		struct hw_pci_function *c;
		list_for_each_entry(c, &d->subordinate->devices, bus_node)
			cover(c, u);
	}
}

/*
 * The requester ID a function's DMA carries when it reaches the root
 * complex: its own, unless a PCIe-to-PCI bridge on the way takes
 * ownership of the transaction (PCIe-to-PCI bridge spec 2.3), or the
 * function is a quirk that uses an alias.
 */
static uint16_t dma_source_id(const struct hw_pci_function *d)
{
	uint16_t sid = d->nr_aliases ? PCI_RID(d->bus->number, d->aliases[0]) : d->rid;
	for (struct hw_pci_bus *b = d->bus; b && b->self; b = b->parent) {
		if (b->self->kind == PCI_KIND_PCIE_PCI_BRIDGE)
			sid = PCI_RID(b->number, 0);
	}
	return sid;
}

int hw_machine_finalize(struct hw_machine *m, char *err, size_t errlen)
{
	if (!m->root_bus) {
		snprintf(err, errlen, "no root bus");
		return -EINVAL;
	}
	struct hw_pci_function *d;
	list_for_each_entry(d, &m->devices, node) {
		/* Multifunction: more than one function in the slot. */
		struct hw_pci_function *o;
		list_for_each_entry(o, &d->bus->devices, bus_node) {
			if (o != d && PCI_SLOT(o->devfn) == PCI_SLOT(d->devfn)) {
				d->multifunction = true;
				d->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MFD;
			}
		}
		d->dma_sid = dma_source_id(d);
		if (d->kind == PCI_KIND_PCI_ENDPOINT && d->bus->self &&
		    d->bus->self->kind != PCI_KIND_PCIE_PCI_BRIDGE) {
			snprintf(err, errlen, "%s: a conventional PCI function needs a PCIe-to-PCI bridge above it",
				 d->name);
			return -EINVAL;
		}
		if (d->ecap_ats && !d->atc) {
			d->atc = pci_atc_new();
			if (!d->atc)
				return -ENOMEM;
		}
	}

	/* Device scopes: explicit ones first, then the catch-all unit. */
	struct vtd_unit *all = NULL;
	for (unsigned i = 0; i < m->nr_units; i++) {
		struct vtd_unit *u = m->units[i];
		if (u->include_all) {
			if (all) {
				snprintf(err, errlen, "units %s and %s both include all devices",
					 all->name, u->name);
				return -EINVAL;
			}
			all = u;
		}
		for (unsigned s = 0; s < u->nr_scope; s++) {
			if (u->scope[s]->unit && u->scope[s]->unit != u) {
				snprintf(err, errlen, "%s is in the scope of both %s and %s",
					 u->scope[s]->name, u->scope[s]->unit->name, u->name);
				return -EINVAL;
			}
			cover(u->scope[s], u);
		}
	}
	if (all) {
		list_for_each_entry(d, &m->devices, node)
			if (!d->unit)
				d->unit = all;
	}
	int rc = hw_acpi_build_dmar(m);
	if (!rc)
		rc = hw_smbios_build(m);
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}

struct hw_mem *hw_machine_mem(struct hw_machine *m)
{
	return &m->mem;
}

struct vtd_unit *hw_vtd_ioremap(struct hw_machine *m, uint64_t reg_base)
{
	for (unsigned i = 0; m && i < m->nr_units; i++)
		if (m->units[i]->reg_base == reg_base)
			return m->units[i];
	return NULL;
}

void hw_machine_collect_hits(struct hw_machine *m, unsigned idx, uint64_t *utlb, uint64_t *iotlb,
			     uint64_t *walks)
{
	pthread_mutex_lock(&m->ctx_lock);
	struct pci_dma_ctx *c;
	list_for_each_entry(c, &m->dma_ctxs, node) {
		*utlb += atomic_load_explicit(&c->utlb.utlb_hits[idx], memory_order_relaxed);
		*iotlb += atomic_load_explicit(&c->utlb.iotlb_hits[idx], memory_order_relaxed);
		*walks += atomic_load_explicit(&c->utlb.walks[idx], memory_order_relaxed);
	}
	pthread_mutex_unlock(&m->ctx_lock);
}
