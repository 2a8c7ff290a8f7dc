/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Topology files (SPEC F-5) into machines: the walk over the file, each
 * object read by the schema (topology_schema.c) and then built - units
 * with their device scopes, buses, functions with their capabilities and
 * device models.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "topology.h"
#include "topology_schema.h"
#include "machine.h"
#include "dev/models.h"
#include "../util/bdf.h"

/* ---- units ---- */

static int load_unit(struct topo_loader *l, json_object *o)
{
	struct topo_unit t;
	int rc = topo_parse_unit(l, o, &t);
	if (rc)
		return rc;
	for (unsigned i = 0; i < l->nr_units; i++)
		if (!strcmp(l->unit_names[i], t.name))
			return topo_fail(l, "duplicate unit name \"%s\"", t.name);
	if (l->nr_units == VTD_MAX_UNITS)
		return topo_fail(l, "at most %d units", VTD_MAX_UNITS);
	struct vtd_unit *u = NULL;
	if (!l->dry && (rc = hw_unit_add(l->m, &t.cfg, t.name, &u)))
		return topo_fail(l, "cannot create the unit: %s", strerror(-rc));
	unsigned idx = l->nr_units++;
	l->unit_names[idx] = t.name;
	if (!t.scope) {
		if (u)
			hw_unit_scope_all(u);
		else if (l->include_all++)
			return topo_fail(l, "units %s and %s both include all devices",
					 l->unit_names[l->all_unit], t.name);
		else
			l->all_unit = idx;
		return 0;
	}
	/* Scopes name devices that may appear later in the file. */
	for (size_t i = 0; i < json_object_array_length(t.scope); i++) {
		size_t p = topo_push(l, ".scope[%zu]", i);
		l->scopes[l->nr_scopes].u = u;
		l->scopes[l->nr_scopes].unit = idx;
		snprintf(l->scopes[l->nr_scopes].ref, sizeof(l->scopes[0].ref), "%s",
			 json_object_get_string(json_object_array_get_idx(t.scope, i)));
		snprintf(l->scopes[l->nr_scopes].path, sizeof(l->scopes[0].path), "%s", l->path);
		l->nr_scopes++;
		topo_pop(l, p);
	}
	return 0;
}

/* A dry run's function by name or BDF; -1 if none. */
static int shadow_find(struct topo_loader *l, const char *ref)
{
	uint16_t rid;
	bool is_bdf = !pci_bdf_parse(ref, &rid);
	for (unsigned i = 0; i < l->nr_devs; i++)
		if ((l->devs[i].name && !strcmp(l->devs[i].name, ref)) ||
		    (is_bdf && l->devs[i].rid == rid))
			return (int)i;
	return -1;
}

static int resolve_scope_dry(struct topo_loader *l, unsigned i)
{
	int d = shadow_find(l, l->scopes[i].ref);
	unsigned unit = l->scopes[i].unit;
	if (d < 0)
		return topo_fail(l, "no device \"%s\"", l->scopes[i].ref);
	if (l->unit_scopes[unit]++ == 64)
		return topo_fail(l, "too many scope entries");
	if (l->devs[d].unit >= 0 && l->devs[d].unit != (int)unit)
		return topo_fail(l, "%s is in the scope of both %s and %s", l->scopes[i].ref,
				 l->unit_names[l->devs[d].unit], l->unit_names[unit]);
	l->devs[d].unit = (int)unit;
	return 0;
}

static int resolve_scopes(struct topo_loader *l)
{
	for (unsigned i = 0; i < l->nr_scopes; i++) {
		snprintf(l->path, sizeof(l->path), "%s", l->scopes[i].path);
		if (l->dry) {
			int rc = resolve_scope_dry(l, i);
			if (rc)
				return rc;
			continue;
		}
		struct hw_pci_function *d = hw_pci_function_by_name(l->m, l->scopes[i].ref);
		uint16_t rid;
		if (!d && !pci_bdf_parse(l->scopes[i].ref, &rid))
			d = hw_pci_function_by_rid(l->m, rid);
		if (!d)
			return topo_fail(l, "no device \"%s\"", l->scopes[i].ref);
		if (hw_unit_scope_dev(l->scopes[i].u, d))
			return topo_fail(l, "too many scope entries");
	}
	l->path[0] = 0;
	return 0;
}

/* ---- devices ---- */

/* Where a function goes: its bus (NULL in a dry run) and number, and the
 * bridge above it as the dry run knows it (-1 on the root bus). */
struct topo_bus {
	struct hw_pci_bus *bus;
	uint8_t number;
	int bridge;
};

static int load_device(struct topo_loader *l, json_object *o, const struct topo_bus *b);

/* The secondary bus number: "bus", else the first child's BDF, else the
 * lowest one free. */
static int secondary_bus(struct topo_loader *l, json_object *o, json_object *ch, unsigned *busnr)
{
	*busnr = 0x100;
	int rc = topo_get_uint(l, o, "bus", 1, 255, busnr);
	if (rc)
		return rc;
	if (*busnr == 0x100 && ch && json_object_array_length(ch) > 0) {
		json_object *first = json_object_array_get_idx(ch, 0), *b;
		uint16_t rid;
		if (json_object_is_type(first, json_type_object) &&
		    json_object_object_get_ex(first, "bdf", &b) &&
		    json_object_is_type(b, json_type_string) &&
		    !pci_bdf_parse(json_object_get_string(b), &rid))
			*busnr = PCI_RID_BUS(rid);
	}
	if (*busnr == 0x100) {
		for (*busnr = 1; *busnr < 256 && l->bus_used[*busnr]; (*busnr)++)
			;
		if (*busnr == 256)
			return topo_fail(l, "no free bus number");
	}
	if (*busnr == 0 || l->bus_used[*busnr])
		return topo_fail(l, "bus %02x is already in use", *busnr);
	return 0;
}

static int load_children(struct topo_loader *l, json_object *o, struct hw_pci_function *bridge,
			 int shadow)
{
	json_object *ch = NULL;
	json_object_object_get_ex(o, "children", &ch);
	if (ch && !json_object_is_type(ch, json_type_array)) {
		size_t p = topo_push(l, ".children");
		int rc = topo_fail(l, "expected an array, got %s", topo_type_name(ch));
		topo_pop(l, p);
		return rc;
	}
	unsigned busnr;
	int rc = secondary_bus(l, o, ch, &busnr);
	if (rc)
		return rc;
	struct topo_bus sub = { .number = (uint8_t)busnr, .bridge = shadow };
	if (!l->dry && (rc = hw_pci_bus_add(l->m, (uint8_t)busnr, bridge, &sub.bus)))
		return topo_fail(l, "cannot add bus %02x: %s", busnr, strerror(-rc));
	l->bus_used[busnr] = true;
	for (size_t i = 0; ch && i < json_object_array_length(ch); i++) {
		size_t p = topo_push(l, ".children[%zu]", i);
		rc = load_device(l, json_object_array_get_idx(ch, i), &sub);
		topo_pop(l, p);
		if (rc)
			return rc;
	}
	return 0;
}

/* A dry run's record of a function, with the checks adding one to a
 * machine makes (hw_pci_function_add, hw_machine_finalize). */
static int shadow_add(struct topo_loader *l, const struct topo_device *t, const char *bdf,
		      int parent)
{
	for (unsigned i = 0; i < l->nr_devs; i++)
		if (l->devs[i].rid == t->rid || (t->name && *t->name && l->devs[i].name &&
						 !strcmp(l->devs[i].name, t->name)))
			return topo_fail(l, "%s or its name is already taken", bdf);
	if (t->kind == PCI_KIND_PCI_ENDPOINT && parent >= 0 &&
	    l->devs[parent].kind != PCI_KIND_PCIE_PCI_BRIDGE)
		return topo_fail(l, "%s: a conventional PCI function needs a PCIe-to-PCI bridge "
				 "above it", t->name && *t->name ? t->name : bdf);
	if (l->nr_devs == l->cap_devs) {
		unsigned ncap = l->cap_devs ? l->cap_devs * 2 : 32;
		struct topo_shadow_dev *n = realloc(l->devs, ncap * sizeof(*n));
		if (!n)
			return topo_fail(l, "out of memory");
		l->devs = n;
		l->cap_devs = ncap;
	}
	l->devs[l->nr_devs] = (struct topo_shadow_dev){ .rid = t->rid, .kind = t->kind,
						       .name = t->name && *t->name ? t->name : NULL,
						       .parent = parent, .unit = -1 };
	return (int)l->nr_devs++;
}

/* The capabilities a description asks for. ACS controls come up
 * enabled, as the kernel enables them at boot. */
static void add_caps(struct hw_pci_function *d, const struct topo_device *t)
{
	hw_pci_set_tlp_prefix(d, t->tlp_prefix);
	if (t->acs) {
		uint16_t caps = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;
		hw_pci_add_acs_cap(d, caps);
		hw_pci_cfg_set16(d, d->ecap_acs + PCI_ACS_CTRL, caps);
	}
	if (t->ats)
		hw_pci_add_ats_cap(d, 0);
	if (t->pri)
		hw_pci_add_pri_cap(d, t->pri_requests);
	if (t->pasid_bits)
		hw_pci_add_pasid_cap(d, t->pasid_bits, t->pasid_exec, t->pasid_priv);
	if (t->siov)
		hw_pci_add_dvsec(d, PCI_VENDOR_ID_INTEL, PCI_DVSEC_ID_INTEL_SIOV, 0x14);
	hw_pci_set_dma_aliases(d, t->aliases, t->nr_aliases);
}

static int load_device(struct topo_loader *l, json_object *o, const struct topo_bus *b)
{
	struct topo_device t;
	int rc = topo_parse_device(l, o, b->number, b->bridge < 0 && !(b->bus && b->bus->self),
				   &t);
	if (rc)
		return rc;
	char bdf[8];
	pci_bdf_str(t.rid, bdf);
	if (l->dry) {
		int idx = shadow_add(l, &t, bdf, b->bridge);
		if (idx < 0)
			return idx;
		char merr[256] = "";
		if (t.model && strcmp(t.model, "none") &&
		    (rc = hw_model_check(t.model, t.options, merr, sizeof(merr)))) {
			size_t p = topo_push(l, ".model");
			rc = topo_fail(l, "%s", merr);
			topo_pop(l, p);
			return rc;
		}
		return hw_pci_kind_is_bridge(t.kind) ? load_children(l, o, NULL, idx) : 0;
	}
	struct hw_pci_function *d;
	rc = hw_pci_function_add(l->m, b->bus, PCI_RID_DEVFN(t.rid), t.kind, t.name, &d);
	if (rc == -EEXIST)
		return topo_fail(l, "%s or its name is already taken", bdf);
	if (rc)
		return topo_fail(l, "cannot add %s: %s", bdf, strerror(-rc));
	add_caps(d, &t);

	if (t.model && strcmp(t.model, "none")) {
		char merr[256] = "";
		size_t p = topo_push(l, ".model");
		rc = hw_model_create(t.model, d, t.options, merr, sizeof(merr));
		if (rc)
			rc = topo_fail(l, "%s", merr);
		topo_pop(l, p);
		if (rc)
			return rc;
	}
	return hw_pci_kind_is_bridge(t.kind) ? load_children(l, o, d, -1) : 0;
}

static void where(const char *text, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* The JSON text into a document; syntax errors with line and column. */
static int parse_text(const char *text, const char *source, json_object **root, char *err,
		      size_t errlen)
{
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	size_t len = strlen(text);
	int rc = 0;
	unsigned line, col;
	*root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	if (!*root || je != json_tokener_success) {
		where(text, json_tokener_get_parse_end(tok), &line, &col);
		snprintf(err, errlen, "%s:%u:%u: syntax error: %s", source, line, col,
			 je == json_tokener_continue ? "unexpected end of file" :
						       json_tokener_error_desc(je));
		rc = -EINVAL;
	} else if (json_tokener_get_parse_end(tok) < len) {
		const char *rest = text + json_tokener_get_parse_end(tok);
		rest += strspn(rest, " \t\r\n");
		if (*rest) {
			where(text, (size_t)(rest - text), &line, &col);
			snprintf(err, errlen, "%s:%u:%u: syntax error: text after the top-level object",
				 source, line, col);
			rc = -EINVAL;
		}
	}
	if (rc && *root) {
		json_object_put(*root);
		*root = NULL;
	}
	json_tokener_free(tok);
	return rc;
}

static int load_units(struct topo_loader *l, json_object *root)
{
	json_object *units = NULL;
	json_object_object_get_ex(root, "units", &units);
	if (units && !json_object_is_type(units, json_type_array))
		return topo_fail(l, "\"units\" must be an array");
	if (!units) {
		/* No "units" at all: one unit, default capabilities, covering
		 * everything. "units": [] is a machine without an IOMMU. */
		struct vtd_config c;
		struct vtd_unit *u;
		vtd_config_default(&c);
		l->unit_names[l->nr_units++] = "dmar0";
		l->include_all = 1;
		int rc = l->dry ? 0 : hw_unit_add(l->m, &c, "dmar0", &u);
		if (rc)
			return rc;
		if (!l->dry)
			hw_unit_scope_all(u);
	}
	for (size_t i = 0; units && i < json_object_array_length(units); i++) {
		size_t p = topo_push(l, "units[%zu]", i);
		int rc = load_unit(l, json_object_array_get_idx(units, i));
		topo_pop(l, p);
		if (rc)
			return rc;
	}
	return 0;
}

static int load_devices(struct topo_loader *l, json_object *root)
{
	json_object *devices;
	if (!json_object_object_get_ex(root, "devices", &devices) ||
	    !json_object_is_type(devices, json_type_array))
		return topo_fail(l, "\"devices\" must be an array of the root bus's functions");
	struct topo_bus top = { .number = 0, .bridge = -1 };
	int rc = l->dry ? 0 : hw_pci_bus_add(l->m, 0, NULL, &top.bus);
	l->bus_used[0] = true;
	for (size_t i = 0; !rc && i < json_object_array_length(devices); i++) {
		size_t p = topo_push(l, "devices[%zu]", i);
		rc = load_device(l, json_object_array_get_idx(devices, i), &top);
		topo_pop(l, p);
	}
	return rc;
}

static int load(struct topo_loader *l, json_object *root)
{
	static const char *const keys[] = { "units", "devices", "comment", NULL };
	if (!json_object_is_type(root, json_type_object))
		return topo_fail(l, "expected an object with \"units\" and \"devices\"");
	int rc = topo_check_keys(l, root, keys);
	if (rc)
		return rc;
	if (!l->dry && (rc = hw_machine_new(&l->m))) {
		snprintf(l->err, l->errlen, "%s: cannot create the machine: %s", l->source,
			 strerror(-rc));
		return rc;
	}
	if ((rc = load_units(l, root)) || (rc = load_devices(l, root)) ||
	    (rc = resolve_scopes(l)) || l->dry)
		return rc;
	char ferr[256];
	if ((rc = hw_machine_finalize(l->m, ferr, sizeof(ferr))))
		topo_fail(l, "%s", ferr);
	return rc;
}

static int from_json(const char *text, const char *source, struct hw_machine **out, char *err,
		     size_t errlen)
{
	struct topo_loader *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "%s: out of memory", source);
		return -ENOMEM;
	}
	l->source = source;
	l->err = err;
	l->errlen = errlen;
	l->dry = !out;
	json_object *root = NULL;
	int rc = parse_text(text, source, &root, err, errlen);
	if (!rc)
		rc = load(l, root);
	if (!rc && out) {
		*out = l->m;
		l->m = NULL;
	}
	hw_machine_free(l->m);
	if (root)
		json_object_put(root);
	free(l->devs);
	free(l);
	return rc;
}

int hw_machine_from_json(const char *text, const char *source, struct hw_machine **out, char *err,
			 size_t errlen)
{
	return from_json(text, source, out, err, errlen);
}

int hw_topology_check(const char *text, const char *source, char *err, size_t errlen)
{
	return from_json(text, source, NULL, err, errlen);
}

int hw_machine_from_file(const char *path, struct hw_machine **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int rc = 0;
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
		if (len + 1 == cap) {
			if (cap >= (16u << 20)) {
				snprintf(err, errlen, "%s: larger than 16 MiB", path);
				rc = -EFBIG;
				break;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	bool ioerr = ferror(f);
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (!rc && ioerr) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -EIO;
	}
	if (!rc && memchr(buf, 0, len)) {
		snprintf(err, errlen, "%s: not a text file", path);
		rc = -EINVAL;
	}
	if (!rc) {
		buf[len] = 0;
		rc = hw_machine_from_json(buf, path, out, err, errlen);
	}
	free(buf);
	return rc;
}
