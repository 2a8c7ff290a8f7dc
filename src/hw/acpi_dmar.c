/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMAR table of a machine (VT-d chapter 8), built from its units once
 * the topology is complete: one DRHD per unit at its register base, with
 * a device scope entry per function or bridge the topology named, and
 * the INCLUDE_PCI_ALL unit last, as 8.3 requires.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/hw/acpi_dmar.h>

#include "machine.h"

/* A function's path from the root bus: (device, function) per level. */
static unsigned scope_path(const struct hw_pci_function *d, struct acpi_dmar_path *path)
{
	unsigned n = 0;
	for (const struct hw_pci_function *x = d; x; x = x->bus->self)
		n++;
	unsigned i = n;
	for (const struct hw_pci_function *x = d; x; x = x->bus->self) {
		i--;
		path[i].device = (uint8_t)PCI_SLOT(x->devfn);
		path[i].function = (uint8_t)PCI_FUNC(x->devfn);
	}
	return n;
}

static size_t drhd_length(const struct vtd_unit *u)
{
	size_t len = sizeof(struct acpi_dmar_drhd);
	struct acpi_dmar_path path[256];
	for (unsigned s = 0; s < u->nr_scope; s++)
		len += sizeof(struct acpi_dmar_scope) +
		       scope_path(u->scope[s], path) * sizeof(struct acpi_dmar_path);
	return len;
}

static uint8_t *put_drhd(uint8_t *p, const struct vtd_unit *u)
{
	struct acpi_dmar_drhd drhd = {
		.entry = { .type = ACPI_DMAR_DRHD, .length = (uint16_t)drhd_length(u) },
		.flags = u->include_all ? ACPI_DMAR_INCLUDE_PCI_ALL : 0,
		.size = 0, /* one register page */
		.segment = 0,
		.address = u->reg_base,
	};
	memcpy(p, &drhd, sizeof(drhd));
	p += sizeof(drhd);
	for (unsigned s = 0; s < u->nr_scope; s++) {
		struct acpi_dmar_path path[256];
		const struct hw_pci_function *d = u->scope[s];
		unsigned n = scope_path(d, path);
		struct acpi_dmar_scope sc = {
			.type = hw_pci_kind_is_bridge(d->kind) ? ACPI_DMAR_SCOPE_BRIDGE :
								 ACPI_DMAR_SCOPE_ENDPOINT,
			.length = (uint8_t)(sizeof(sc) + n * sizeof(path[0])),
			.bus = d->m->root_bus->number,
		};
		memcpy(p, &sc, sizeof(sc));
		p += sizeof(sc);
		memcpy(p, path, n * sizeof(path[0]));
		p += n * sizeof(path[0]);
	}
	return p;
}

int hw_acpi_build_dmar(struct hw_machine *m)
{
	if (!m->nr_units)
		return 0; /* no remapping hardware, no DMAR */
	size_t len = sizeof(struct acpi_dmar_table);
	for (unsigned i = 0; i < m->nr_units; i++)
		len += drhd_length(m->units[i]);
	uint8_t *t = calloc(1, len);
	if (!t)
		return -ENOMEM;
	struct acpi_dmar_table hdr = {
		.header = {
			.signature = { 'D', 'M', 'A', 'R' },
			.length = (uint32_t)len,
			.revision = 1,
			.oem_id = { 'U', 'I', 'O', 'M', 'M', 'U' },
			.oem_table_id = { 'U', 'I', 'O', 'M', 'M', 'U', ' ', ' ' },
			.oem_revision = 1,
			.creator_id = { 'U', 'I', 'M', 'U' },
			.creator_revision = 1,
		},
		.host_address_width = (uint8_t)(m->units[0]->haw - 1),
	};
	memcpy(t, &hdr, sizeof(hdr));
	uint8_t *p = t + sizeof(hdr);
	for (unsigned i = 0; i < m->nr_units; i++)
		if (!m->units[i]->include_all)
			p = put_drhd(p, m->units[i]);
	for (unsigned i = 0; i < m->nr_units; i++)
		if (m->units[i]->include_all)
			p = put_drhd(p, m->units[i]);
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	((struct acpi_table_header *)t)->checksum = (uint8_t)-sum;
	free(m->dmar);
	m->dmar = t;
	m->dmar_len = len;
	return 0;
}

int hw_acpi_get_table(struct hw_machine *m, const char *signature, const void **table,
		      size_t *len)
{
	if (!m || !signature || !table || !len)
		return -EINVAL;
	if (strncmp(signature, "DMAR", 4) || !m->dmar)
		return -ENOENT;
	*table = m->dmar;
	*len = m->dmar_len;
	return 0;
}
