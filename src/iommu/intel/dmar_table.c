/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACPI DMAR table (VT-d chapter 8), as the driver reads it: the
 * remapping units (DRHD) with their register base and device scopes, and
 * which unit translates for a given PCI function - the one whose scope
 * names the function or a bridge above it, else the INCLUDE_PCI_ALL unit
 * (Linux dmar_find_matched_drhd_unit). Firmware is input: a table that
 * does not add up is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "intel.h"
#include "../../pci/pci.h"
#include "../../util/slab.h"

static int parse_scopes(const uint8_t *p, const uint8_t *end, struct dmar_drhd *d)
{
	while (p < end) {
		struct acpi_dmar_scope sc;
		if ((size_t)(end - p) < sizeof(sc))
			return -EINVAL;
		memcpy(&sc, p, sizeof(sc));
		if (sc.length < sizeof(sc) || sc.length > end - p || (sc.length - sizeof(sc)) % 2)
			return -EINVAL;
		unsigned n = (sc.length - (unsigned)sizeof(sc)) / 2;
		/* Only PCI scopes name functions; I/O APICs and HPETs do not
		 * concern DMA remapping of devices. */
		if (sc.type == ACPI_DMAR_SCOPE_ENDPOINT || sc.type == ACPI_DMAR_SCOPE_BRIDGE) {
			if (!n || n > DMAR_SCOPE_MAX_PATH || d->nr_scopes == DMAR_MAX_SCOPES)
				return -EINVAL;
			struct dmar_dev_scope *s = &d->scopes[d->nr_scopes++];
			s->type = sc.type;
			s->bus = sc.bus;
			s->nr_path = n;
			memcpy(s->path, p + sizeof(sc), n * sizeof(s->path[0]));
		}
		p += sc.length;
	}
	return 0;
}

static int check_header(const uint8_t *t, size_t len)
{
	struct acpi_dmar_table hdr;
	if (!t || len < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, t, sizeof(hdr));
	if (memcmp(hdr.header.signature, "DMAR", 4) || hdr.header.length != len)
		return -EINVAL;
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	return sum ? -EINVAL : 0;
}

int dmar_parse_table(const void *table, size_t len, struct dmar_drhd **out, unsigned *nr)
{
	const uint8_t *t = table;
	int rc = check_header(t, len);
	if (rc)
		return rc;
	struct dmar_drhd *d = NULL;
	unsigned n = 0;
	for (size_t off = sizeof(struct acpi_dmar_table); off < len;) {
		struct acpi_dmar_entry e;
		if (len - off < sizeof(e))
			goto bad;
		memcpy(&e, t + off, sizeof(e));
		if (e.length < sizeof(e) || e.length > len - off)
			goto bad;
		if (e.type == ACPI_DMAR_DRHD) {
			struct acpi_dmar_drhd drhd;
			if (e.length < sizeof(drhd))
				goto bad;
			memcpy(&drhd, t + off, sizeof(drhd));
			struct dmar_drhd *nd = krealloc(d, (n + 1) * sizeof(*d));
			if (!nd) {
				free(d);
				return -ENOMEM;
			}
			d = nd;
			memset(&d[n], 0, sizeof(d[n]));
			d[n].reg_base = drhd.address;
			d[n].include_all = drhd.flags & ACPI_DMAR_INCLUDE_PCI_ALL;
			if (drhd.segment != 0 ||
			    parse_scopes(t + off + sizeof(drhd), t + off + e.length, &d[n]))
				goto bad;
			n++;
		}
		off += e.length;
	}
	*out = d;
	*nr = n;
	return 0;
bad:
	free(d);
	return -EINVAL;
}

/* The function a scope entry's path leads to, from its start bus. */
static struct pci_dev *scope_dev(struct pci_host_bridge *br, const struct dmar_dev_scope *s)
{
	uint8_t bus = s->bus;
	struct pci_dev *pdev = NULL;
	for (unsigned i = 0; i < s->nr_path; i++) {
		pdev = pci_get_slot(br, bus, PCI_DEVFN(s->path[i].device, s->path[i].function));
		if (!pdev)
			return NULL;
		if (i + 1 < s->nr_path) {
			if (!pdev->subordinate)
				return NULL;
			bus = pdev->subordinate->number;
		}
	}
	return pdev;
}

static bool scope_covers(struct pci_host_bridge *br, const struct dmar_dev_scope *s,
			 struct pci_dev *pdev)
{
	struct pci_dev *target = scope_dev(br, s);
	if (!target)
		return false;
	if (s->type == ACPI_DMAR_SCOPE_ENDPOINT)
		return target == pdev;
	for (struct pci_dev *p = pdev; p; p = p->bus->self)
		if (p == target)
			return true;
	return false;
}

struct intel_iommu *dmar_find_matched_unit(struct intel_driver *drv, struct pci_dev *pdev)
{
	struct pci_host_bridge *br = pdev->bus->bridge;
	struct intel_iommu *iommu, *all = NULL;
	list_for_each_entry(iommu, &drv->iommus, node) {
		if (iommu->drhd.include_all) {
			all = iommu;
			continue;
		}
		for (unsigned i = 0; i < iommu->drhd.nr_scopes; i++)
			if (scope_covers(br, &iommu->drhd.scopes[i], pdev))
				return iommu;
	}
	return all;
}
