/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "topology.h"
#include "machine.h"
#include "dev/models.h"
#include "../util/compiler.h"

struct loader {
	const char *source;
	char *err;
	size_t errlen;
	struct hw_machine *m;
	char path[256];
	/* Unit scopes name devices that may appear later in the file. */
	struct {
		struct vtd_unit *u;
		char ref[32];
		char path[256];
	} scopes[64];
	unsigned nr_scopes;
};

PRINTF_LIKE(2, 3)
static int fail(struct loader *l, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s: %s: %s", l->source, l->path[0] ? l->path : "(top level)",
		 msg);
	return -EINVAL;
}

/* Push a path component; returns the length to restore. */
static size_t push(struct loader *l, const char *fmt, ...)
{
	size_t old = strlen(l->path);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->path + old, sizeof(l->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

static void pop(struct loader *l, size_t old)
{
	l->path[old] = 0;
}

static const char *type_name(json_object *o)
{
	return json_type_to_name(json_object_get_type(o));
}

static int check_keys(struct loader *l, json_object *o, const char *const *allowed)
{
	json_object_object_foreach(o, key, val) {
		(void)val;
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(*a, key))
				ok = true;
		if (!ok)
			return fail(l, "unknown field \"%s\"", key);
	}
	return 0;
}

static int get_bool(struct loader *l, json_object *o, const char *key, bool *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		size_t p = push(l, ".%s", key);
		int rc = fail(l, "expected true or false, got %s", type_name(v));
		pop(l, p);
		return rc;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static int get_uint(struct loader *l, json_object *o, const char *key, unsigned min, unsigned max,
		    unsigned *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	size_t p = push(l, ".%s", key);
	int rc = 0;
	if (!json_object_is_type(v, json_type_int))
		rc = fail(l, "expected an integer, got %s", type_name(v));
	else if (json_object_get_int64(v) < min || json_object_get_int64(v) > max)
		rc = fail(l, "%lld is out of range %u..%u", (long long)json_object_get_int64(v), min,
			  max);
	else
		*out = (unsigned)json_object_get_int64(v);
	pop(l, p);
	return rc;
}

static int get_string(struct loader *l, json_object *o, const char *key, bool required,
		      const char **out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return fail(l, "missing required field \"%s\"", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		size_t p = push(l, ".%s", key);
		int rc = fail(l, "expected a string, got %s", type_name(v));
		pop(l, p);
		return rc;
	}
	*out = json_object_get_string(v);
	return 0;
}

/* ---- units ---- */

static int load_unit(struct loader *l, json_object *o)
{
	static const char *const keys[] = { "name", "scope", "nfr", "pasid_bits", "levels", "mgaw",
					    "iotlb_entries", "context_cache_entries",
					    "pasid_cache_entries", "caching_mode", "nested", "prs",
					    "ats", "pass_through", "large_pages", "dirty_tracking",
					    "checker", NULL };
	if (!json_object_is_type(o, json_type_object))
		return fail(l, "expected an object, got %s", type_name(o));
	int rc = check_keys(l, o, keys);
	if (rc)
		return rc;

	const char *name = NULL;
	if ((rc = get_string(l, o, "name", true, &name)))
		return rc;
	if (strlen(name) == 0 || strlen(name) >= 16)
		return fail(l, "name must be 1 to 15 characters");
	for (unsigned i = 0; i < l->m->nr_units; i++)
		if (!strcmp(l->m->units[i]->name, name))
			return fail(l, "duplicate unit name \"%s\"", name);

	struct vtd_config c;
	vtd_config_default(&c);
	bool large = true;
	if ((rc = get_uint(l, o, "nfr", 1, 256, &c.nfr)) ||
	    (rc = get_uint(l, o, "pasid_bits", 1, 20, &c.pasid_bits)) ||
	    (rc = get_uint(l, o, "mgaw", 39, 57, &c.mgaw)) ||
	    (rc = get_uint(l, o, "iotlb_entries", 64, 1u << 22, &c.iotlb_entries)) ||
	    (rc = get_uint(l, o, "context_cache_entries", 16, 65536, &c.ctx_cache_entries)) ||
	    (rc = get_uint(l, o, "pasid_cache_entries", 16, 1u << 20, &c.pasid_cache_entries)) ||
	    (rc = get_bool(l, o, "caching_mode", &c.caching_mode)) ||
	    (rc = get_bool(l, o, "nested", &c.nested)) || (rc = get_bool(l, o, "prs", &c.prs)) ||
	    (rc = get_bool(l, o, "ats", &c.dt)) || (rc = get_bool(l, o, "pass_through", &c.pt)) ||
	    (rc = get_bool(l, o, "large_pages", &large)) ||
	    (rc = get_bool(l, o, "dirty_tracking", &c.slads)) ||
	    (rc = get_bool(l, o, "checker", &c.checker)))
		return rc;
	c.ss_2m = c.ss_1g = c.fs_1g = large;

	json_object *lv;
	if (json_object_object_get_ex(o, "levels", &lv)) {
		size_t p = push(l, ".levels");
		if (!json_object_is_type(lv, json_type_array) || json_object_array_length(lv) == 0) {
			rc = fail(l, "expected a non-empty array of 3, 4 or 5");
			pop(l, p);
			return rc;
		}
		c.sagaw = 0;
		for (size_t i = 0; i < json_object_array_length(lv); i++) {
			json_object *e = json_object_array_get_idx(lv, i);
			int64_t v = json_object_get_int64(e);
			if (!json_object_is_type(e, json_type_int) || v < 3 || v > 5) {
				size_t q = push(l, "[%zu]", i);
				rc = fail(l, "page-table levels must be 3, 4 or 5");
				pop(l, q);
				pop(l, p);
				return rc;
			}
			c.sagaw |= 1u << (v - 2);
		}
		pop(l, p);
	}
	if (vtd_config_check(&c))
		return fail(l, "iotlb_entries, context_cache_entries and pasid_cache_entries must be powers of two");

	struct vtd_unit *u;
	rc = hw_unit_add(l->m, &c, name, &u);
	if (rc == -ENOSPC)
		return fail(l, "at most %d units", VTD_MAX_UNITS);
	if (rc)
		return fail(l, "cannot create the unit: %s", strerror(-rc));

	json_object *sc;
	if (!json_object_object_get_ex(o, "scope", &sc) ||
	    (json_object_is_type(sc, json_type_string) && !strcmp(json_object_get_string(sc), "all"))) {
		hw_unit_scope_all(u);
		return 0;
	}
	size_t p = push(l, ".scope");
	if (!json_object_is_type(sc, json_type_array)) {
		rc = fail(l, "expected \"all\" or an array of device BDFs or names");
		pop(l, p);
		return rc;
	}
	for (size_t i = 0; i < json_object_array_length(sc); i++) {
		json_object *e = json_object_array_get_idx(sc, i);
		size_t q = push(l, "[%zu]", i);
		if (!json_object_is_type(e, json_type_string) || l->nr_scopes >= ARRAY_SIZE(l->scopes)) {
			rc = fail(l, "expected a device BDF or name");
			pop(l, q);
			pop(l, p);
			return rc;
		}
		l->scopes[l->nr_scopes].u = u;
		snprintf(l->scopes[l->nr_scopes].ref, sizeof(l->scopes[0].ref), "%s",
			 json_object_get_string(e));
		snprintf(l->scopes[l->nr_scopes].path, sizeof(l->scopes[0].path), "%s", l->path);
		l->nr_scopes++;
		pop(l, q);
	}
	pop(l, p);
	return 0;
}

/* ---- devices ---- */

static int load_device(struct loader *l, json_object *o, struct hw_pci_bus *bus);

static int load_children(struct loader *l, json_object *o, struct hw_pci_function *bridge)
{
	json_object *ch = NULL;
	unsigned busnr = 0x100;
	json_object_object_get_ex(o, "children", &ch);
	if (ch && !json_object_is_type(ch, json_type_array)) {
		size_t p = push(l, ".children");
		int rc = fail(l, "expected an array, got %s", type_name(ch));
		pop(l, p);
		return rc;
	}
	int rc = get_uint(l, o, "bus", 1, 255, &busnr);
	if (rc)
		return rc;
	if (busnr == 0x100 && ch && json_object_array_length(ch) > 0) {
		/* No explicit number: the first child's BDF says it. */
		json_object *first = json_object_array_get_idx(ch, 0), *b;
		uint16_t rid;
		if (json_object_is_type(first, json_type_object) &&
		    json_object_object_get_ex(first, "bdf", &b) &&
		    json_object_is_type(b, json_type_string) &&
		    !pci_bdf_parse(json_object_get_string(b), &rid))
			busnr = PCI_RID_BUS(rid);
	}
	if (busnr == 0x100) {
		/* An empty bridge: take the next free bus number. */
		for (busnr = 1; busnr < 256 && l->m->bus_by_num[busnr]; busnr++)
			;
		if (busnr == 256)
			return fail(l, "no free bus number");
	}
	if (busnr == 0 || l->m->bus_by_num[busnr])
		return fail(l, "bus %02x is already in use", busnr);
	struct hw_pci_bus *sub;
	rc = hw_pci_bus_add(l->m, (uint8_t)busnr, bridge, &sub);
	if (rc)
		return fail(l, "cannot add bus %02x: %s", busnr, strerror(-rc));
	if (!ch)
		return 0;
	for (size_t i = 0; i < json_object_array_length(ch); i++) {
		size_t p = push(l, ".children[%zu]", i);
		rc = load_device(l, json_object_array_get_idx(ch, i), sub);
		pop(l, p);
		if (rc)
			return rc;
	}
	return 0;
}

static int load_device(struct loader *l, json_object *o, struct hw_pci_bus *bus)
{
	static const char *const keys[] = { "bdf", "type", "name", "model", "acs", "pasid_bits",
					    "pasid_exec", "pasid_priv", "ats", "pri",
					    "pri_requests", "siov", "dma_alias", "bus", "children",
					    "options", "tlp_prefix", NULL };
	if (!json_object_is_type(o, json_type_object))
		return fail(l, "expected an object, got %s", type_name(o));
	int rc = check_keys(l, o, keys);
	if (rc)
		return rc;

	const char *bdf = NULL, *type = NULL, *name = NULL, *model = NULL;
	if ((rc = get_string(l, o, "bdf", true, &bdf)) || (rc = get_string(l, o, "type", true, &type)) ||
	    (rc = get_string(l, o, "name", false, &name)) ||
	    (rc = get_string(l, o, "model", false, &model)))
		return rc;
	uint16_t rid;
	if (pci_bdf_parse(bdf, &rid)) {
		size_t p = push(l, ".bdf");
		rc = fail(l, "expected \"BB:DD.F\" (hex bus, device 0-1f, function 0-7), got \"%s\"",
			  bdf);
		pop(l, p);
		return rc;
	}
	if (PCI_RID_BUS(rid) != bus->number) {
		size_t p = push(l, ".bdf");
		rc = fail(l, "%s is not on bus %02x, where this device sits", bdf, bus->number);
		pop(l, p);
		return rc;
	}
	enum hw_pci_kind kind;
	if (hw_pci_kind_parse(type, &kind)) {
		size_t p = push(l, ".type");
		rc = fail(l, "unknown type \"%s\" (host_bridge, rc_endpoint, endpoint, root_port, "
			     "switch_upstream, switch_downstream, pcie_pci_bridge, pci_endpoint)",
			  type);
		pop(l, p);
		return rc;
	}
	bool on_root = bus->self == NULL;
	if (on_root && (kind == PCI_KIND_ENDPOINT || kind == PCI_KIND_SWITCH_UP ||
			kind == PCI_KIND_SWITCH_DOWN || kind == PCI_KIND_PCI_ENDPOINT))
		return fail(l, "type \"%s\" cannot sit on the root bus", type);
	if (!on_root && (kind == PCI_KIND_ROOT_PORT || kind == PCI_KIND_RC_ENDPOINT ||
			 kind == PCI_KIND_HOST_BRIDGE))
		return fail(l, "a %s must sit on the root bus", type);
	if (name && (strlen(name) == 0 || strlen(name) >= 32))
		return fail(l, "name must be 1 to 31 characters");

	struct hw_pci_function *d;
	rc = hw_pci_function_add(l->m, bus, PCI_RID_DEVFN(rid), kind, name, &d);
	if (rc == -EEXIST)
		return fail(l, "%s or its name is already taken", bdf);
	if (rc)
		return fail(l, "cannot add %s: %s", bdf, strerror(-rc));

	bool acs = false, exec = false, priv = false, ats = false, pri = false, siov = false;
	bool tlp_prefix = true;
	unsigned pasid_bits = 0, pri_requests = 32;
	if ((rc = get_bool(l, o, "acs", &acs)) || (rc = get_bool(l, o, "pasid_exec", &exec)) ||
	    (rc = get_bool(l, o, "pasid_priv", &priv)) || (rc = get_bool(l, o, "ats", &ats)) ||
	    (rc = get_bool(l, o, "pri", &pri)) || (rc = get_bool(l, o, "siov", &siov)) ||
	    (rc = get_bool(l, o, "tlp_prefix", &tlp_prefix)) ||
	    (rc = get_uint(l, o, "pasid_bits", 0, 20, &pasid_bits)) ||
	    (rc = get_uint(l, o, "pri_requests", 1, 1024, &pri_requests)))
		return rc;
	bool pcie = kind != PCI_KIND_PCI_ENDPOINT && kind != PCI_KIND_HOST_BRIDGE;
	if (!pcie && (acs || pasid_bits || ats || pri || siov))
		return fail(l, "a %s has no PCIe extended capabilities", type);
	if ((exec || priv) && !pasid_bits)
		return fail(l, "pasid_exec/pasid_priv need pasid_bits");
	if (pri && !ats)
		return fail(l, "pri needs ats (page requests follow failed translation requests)");
	if (!tlp_prefix && !hw_pci_kind_is_bridge(kind))
		return fail(l, "tlp_prefix applies to ports and bridges");
	d->no_tlp_prefix = !tlp_prefix;
	/* ACS controls come up enabled, as the kernel enables them at boot. */
	if (acs) {
		uint16_t caps = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;
		hw_pci_add_acs_cap(d, caps);
		hw_pci_cfg_set16(d, d->ecap_acs + PCI_ACS_CTRL, caps);
	}
	if (ats)
		hw_pci_add_ats_cap(d, 0);
	if (pri)
		hw_pci_add_pri_cap(d, pri_requests);
	if (pasid_bits)
		hw_pci_add_pasid_cap(d, pasid_bits, exec, priv);
	if (siov)
		hw_pci_add_dvsec(d, PCI_VENDOR_ID_INTEL, PCI_DVSEC_ID_INTEL_SIOV, 0x14);

	json_object *al;
	if (json_object_object_get_ex(o, "dma_alias", &al)) {
		size_t p = push(l, ".dma_alias");
		if (!json_object_is_type(al, json_type_array) ||
		    json_object_array_length(al) > PCI_MAX_ALIASES) {
			rc = fail(l, "expected an array of at most %d BDFs on the same bus",
				  PCI_MAX_ALIASES);
			pop(l, p);
			return rc;
		}
		for (size_t i = 0; i < json_object_array_length(al); i++) {
			json_object *e = json_object_array_get_idx(al, i);
			uint16_t arid;
			if (!json_object_is_type(e, json_type_string) ||
			    pci_bdf_parse(json_object_get_string(e), &arid) ||
			    PCI_RID_BUS(arid) != bus->number || arid == rid) {
				size_t q = push(l, "[%zu]", i);
				rc = fail(l, "expected another BDF on bus %02x", bus->number);
				pop(l, q);
				pop(l, p);
				return rc;
			}
			d->aliases[d->nr_aliases++] = PCI_RID_DEVFN(arid);
		}
		pop(l, p);
	}

	if (model && strcmp(model, "none")) {
		json_object *opts = NULL;
		json_object_object_get_ex(o, "options", &opts);
		char merr[256] = "";
		size_t p = push(l, ".model");
		rc = hw_model_create(model, d, opts, merr, sizeof(merr));
		if (rc)
			rc = fail(l, "%s", merr);
		pop(l, p);
		if (rc)
			return rc;
	}

	json_object *tmp;
	bool has_children = json_object_object_get_ex(o, "children", &tmp);
	bool has_bus = json_object_object_get_ex(o, "bus", &tmp);
	if (hw_pci_kind_is_bridge(kind))
		return load_children(l, o, d);
	if (has_children || has_bus)
		return fail(l, "only bridges and ports have a secondary bus");
	return 0;
}

static int resolve_scopes(struct loader *l)
{
	for (unsigned i = 0; i < l->nr_scopes; i++) {
		struct hw_pci_function *d = hw_pci_function_by_name(l->m, l->scopes[i].ref);
		uint16_t rid;
		if (!d && !pci_bdf_parse(l->scopes[i].ref, &rid))
			d = hw_pci_function_by_rid(l->m, rid);
		snprintf(l->path, sizeof(l->path), "%s", l->scopes[i].path);
		if (!d)
			return fail(l, "no device \"%s\"", l->scopes[i].ref);
		if (hw_unit_scope_dev(l->scopes[i].u, d))
			return fail(l, "too many scope entries");
	}
	l->path[0] = 0;
	return 0;
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

int hw_machine_from_json(const char *text, const char *source, struct hw_machine **out, char *err,
			 size_t errlen)
{
	struct loader *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "%s: out of memory", source);
		return -ENOMEM;
	}
	l->source = source;
	l->err = err;
	l->errlen = errlen;

	json_tokener *tok = json_tokener_new();
	json_object *root = NULL;
	int rc = -ENOMEM;
	if (!tok)
		goto out;
	size_t len = strlen(text);
	root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	if (!root || je != json_tokener_success) {
		unsigned line, col;
		size_t off = json_tokener_get_parse_end(tok);
		where(text, off, &line, &col);
		snprintf(err, errlen, "%s:%u:%u: syntax error: %s", source, line, col,
			 je == json_tokener_continue ? "unexpected end of file" :
						       json_tokener_error_desc(je));
		rc = -EINVAL;
		goto out;
	}
	if (json_tokener_get_parse_end(tok) < len) {
		unsigned line, col;
		const char *rest = text + json_tokener_get_parse_end(tok);
		rest += strspn(rest, " \t\r\n");
		if (*rest) {
			where(text, (size_t)(rest - text), &line, &col);
			snprintf(err, errlen, "%s:%u:%u: syntax error: text after the top-level object",
				 source, line, col);
			rc = -EINVAL;
			goto out;
		}
	}

	static const char *const keys[] = { "units", "devices", "comment", NULL };
	if (!json_object_is_type(root, json_type_object)) {
		rc = fail(l, "expected an object with \"units\" and \"devices\"");
		goto out;
	}
	if ((rc = check_keys(l, root, keys)))
		goto out;
	if ((rc = hw_machine_new(&l->m))) {
		snprintf(err, errlen, "%s: cannot create the machine: %s", source, strerror(-rc));
		goto out;
	}
	struct hw_pci_bus *root_bus;
	if ((rc = hw_pci_bus_add(l->m, 0, NULL, &root_bus)))
		goto out;

	json_object *units = NULL, *devices = NULL;
	json_object_object_get_ex(root, "units", &units);
	if (units && !json_object_is_type(units, json_type_array)) {
		rc = fail(l, "\"units\" must be an array");
		goto out;
	}
	if (!units) {
		/* No "units" at all: one unit, default capabilities, covering
		 * everything. "units": [] is a machine without an IOMMU. */
		struct vtd_config c;
		struct vtd_unit *u;
		vtd_config_default(&c);
		if ((rc = hw_unit_add(l->m, &c, "dmar0", &u)))
			goto out;
		hw_unit_scope_all(u);
	}
	for (size_t i = 0; units && i < json_object_array_length(units); i++) {
		size_t p = push(l, "units[%zu]", i);
		rc = load_unit(l, json_object_array_get_idx(units, i));
		pop(l, p);
		if (rc)
			goto out;
	}
	if (!json_object_object_get_ex(root, "devices", &devices) ||
	    !json_object_is_type(devices, json_type_array)) {
		rc = fail(l, "\"devices\" must be an array of the root bus's functions");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(devices); i++) {
		size_t p = push(l, "devices[%zu]", i);
		rc = load_device(l, json_object_array_get_idx(devices, i), root_bus);
		pop(l, p);
		if (rc)
			goto out;
	}
	if ((rc = resolve_scopes(l)))
		goto out;
	char ferr[256];
	if ((rc = hw_machine_finalize(l->m, ferr, sizeof(ferr)))) {
		fail(l, "%s", ferr);
		goto out;
	}
	*out = l->m;
	l->m = NULL;
	rc = 0;
out:
	if (l->m)
		hw_machine_free(l->m);
	if (root)
		json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	free(l);
	return rc;
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
