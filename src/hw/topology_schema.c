/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The schema of topology files (SPEC F-5, docs/topology.md): each unit
 * and device object, checked key by key into a description. Nothing here
 * touches the machine; topology.c builds it from the descriptions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "topology_schema.h"
#include "../util/bdf.h"

int topo_fail(struct topo_loader *l, const char *fmt, ...)
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

size_t topo_push(struct topo_loader *l, const char *fmt, ...)
{
	size_t old = strlen(l->path);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->path + old, sizeof(l->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

void topo_pop(struct topo_loader *l, size_t old)
{
	l->path[old] = 0;
}

const char *topo_type_name(json_object *o)
{
	return json_type_to_name(json_object_get_type(o));
}

int topo_check_keys(struct topo_loader *l, json_object *o, const char *const *allowed)
{
	json_object_object_foreach(o, key, val) {
		(void)val;
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(*a, key))
				ok = true;
		if (!ok)
			return topo_fail(l, "unknown field \"%s\"", key);
	}
	return 0;
}

static int get_bool(struct topo_loader *l, json_object *o, const char *key, bool *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		size_t p = topo_push(l, ".%s", key);
		int rc = topo_fail(l, "expected true or false, got %s", topo_type_name(v));
		topo_pop(l, p);
		return rc;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

int topo_get_uint(struct topo_loader *l, json_object *o, const char *key, unsigned min,
		  unsigned max, unsigned *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	size_t p = topo_push(l, ".%s", key);
	int rc = 0;
	if (!json_object_is_type(v, json_type_int))
		rc = topo_fail(l, "expected an integer, got %s", topo_type_name(v));
	else if (json_object_get_int64(v) < min || json_object_get_int64(v) > max)
		rc = topo_fail(l, "%lld is out of range %u..%u",
			       (long long)json_object_get_int64(v), min, max);
	else
		*out = (unsigned)json_object_get_int64(v);
	topo_pop(l, p);
	return rc;
}

static int get_string(struct topo_loader *l, json_object *o, const char *key, bool required,
		      const char **out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return topo_fail(l, "missing required field \"%s\"", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		size_t p = topo_push(l, ".%s", key);
		int rc = topo_fail(l, "expected a string, got %s", topo_type_name(v));
		topo_pop(l, p);
		return rc;
	}
	*out = json_object_get_string(v);
	return 0;
}

/* ---- units ---- */

static int parse_levels(struct topo_loader *l, json_object *o, struct vtd_config *c)
{
	json_object *lv;
	if (!json_object_object_get_ex(o, "levels", &lv))
		return 0;
	size_t p = topo_push(l, ".levels");
	int rc = 0;
	if (!json_object_is_type(lv, json_type_array) || json_object_array_length(lv) == 0) {
		rc = topo_fail(l, "expected a non-empty array of 3, 4 or 5");
		goto out;
	}
	c->sagaw = 0;
	for (size_t i = 0; i < json_object_array_length(lv); i++) {
		json_object *e = json_object_array_get_idx(lv, i);
		int64_t v = json_object_get_int64(e);
		if (!json_object_is_type(e, json_type_int) || v < 3 || v > 5) {
			size_t q = topo_push(l, "[%zu]", i);
			rc = topo_fail(l, "page-table levels must be 3, 4 or 5");
			topo_pop(l, q);
			goto out;
		}
		c->sagaw |= 1u << (v - 2);
	}
	/* A unit that walks 5-level second stages walks 5-level first
	 * stages too (CAP.FL5LP); one that stops at 4 levels does not. */
	c->fs_5lvl = c->sagaw & (1u << 3);
out:
	topo_pop(l, p);
	return rc;
}

/* "scope": absent or "all" (INCLUDE_PCI_ALL), or device references. */
static int parse_scope(struct topo_loader *l, json_object *o, json_object **scope)
{
	json_object *sc;
	*scope = NULL;
	if (!json_object_object_get_ex(o, "scope", &sc) ||
	    (json_object_is_type(sc, json_type_string) &&
	     !strcmp(json_object_get_string(sc), "all")))
		return 0;
	size_t p = topo_push(l, ".scope");
	int rc = 0;
	if (!json_object_is_type(sc, json_type_array)) {
		rc = topo_fail(l, "expected \"all\" or an array of device BDFs or names");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(sc); i++) {
		json_object *e = json_object_array_get_idx(sc, i);
		if (!json_object_is_type(e, json_type_string) ||
		    l->nr_scopes + i >= ARRAY_SIZE(l->scopes)) {
			size_t q = topo_push(l, "[%zu]", i);
			rc = topo_fail(l, "expected a device BDF or name");
			topo_pop(l, q);
			goto out;
		}
	}
	*scope = sc;
out:
	topo_pop(l, p);
	return rc;
}

int topo_parse_unit(struct topo_loader *l, json_object *o, struct topo_unit *u)
{
	static const char *const keys[] = { "name", "scope", "nfr", "pasid_bits", "levels", "mgaw",
					    "iotlb_entries", "context_cache_entries",
					    "pasid_cache_entries", "caching_mode", "nested", "prs",
					    "ats", "pass_through", "large_pages", "dirty_tracking",
					    "checker", "qi_thread", NULL };
	if (!json_object_is_type(o, json_type_object))
		return topo_fail(l, "expected an object, got %s", topo_type_name(o));
	int rc = topo_check_keys(l, o, keys);
	if (rc)
		return rc;
	if ((rc = get_string(l, o, "name", true, &u->name)))
		return rc;
	if (strlen(u->name) == 0 || strlen(u->name) >= 16)
		return topo_fail(l, "name must be 1 to 15 characters");

	struct vtd_config *c = &u->cfg;
	vtd_config_default(c);
	bool large = true;
	if ((rc = topo_get_uint(l, o, "nfr", 1, 256, &c->nfr)) ||
	    (rc = topo_get_uint(l, o, "pasid_bits", 1, 20, &c->pasid_bits)) ||
	    (rc = topo_get_uint(l, o, "mgaw", 39, 57, &c->mgaw)) ||
	    (rc = topo_get_uint(l, o, "iotlb_entries", 64, 1u << 22, &c->iotlb_entries)) ||
	    (rc = topo_get_uint(l, o, "context_cache_entries", 16, 65536,
				&c->ctx_cache_entries)) ||
	    (rc = topo_get_uint(l, o, "pasid_cache_entries", 16, 1u << 20,
				&c->pasid_cache_entries)) ||
	    (rc = get_bool(l, o, "caching_mode", &c->caching_mode)) ||
	    (rc = get_bool(l, o, "nested", &c->nested)) || (rc = get_bool(l, o, "prs", &c->prs)) ||
	    (rc = get_bool(l, o, "ats", &c->dt)) || (rc = get_bool(l, o, "pass_through", &c->pt)) ||
	    (rc = get_bool(l, o, "large_pages", &large)) ||
	    (rc = get_bool(l, o, "dirty_tracking", &c->slads)) ||
	    (rc = get_bool(l, o, "checker", &c->checker)) ||
	    (rc = get_bool(l, o, "qi_thread", &c->qi_thread)))
		return rc;
	c->ss_2m = c->ss_1g = c->fs_1g = large;
	if ((rc = parse_levels(l, o, c)))
		return rc;
	if (vtd_config_check(c))
		return topo_fail(l, "iotlb_entries, context_cache_entries and pasid_cache_entries "
				    "must be powers of two");
	return parse_scope(l, o, &u->scope);
}

/* ---- devices ---- */

static int parse_identity(struct topo_loader *l, json_object *o, uint8_t busnr, bool on_root,
			  struct topo_device *d)
{
	const char *bdf = NULL, *type = NULL;
	int rc;
	if ((rc = get_string(l, o, "bdf", true, &bdf)) ||
	    (rc = get_string(l, o, "type", true, &type)) ||
	    (rc = get_string(l, o, "name", false, &d->name)) ||
	    (rc = get_string(l, o, "model", false, &d->model)))
		return rc;
	if (pci_bdf_parse(bdf, &d->rid)) {
		size_t p = topo_push(l, ".bdf");
		rc = topo_fail(l, "expected \"BB:DD.F\" (hex bus, device 0-1f, function 0-7), got "
				  "\"%s\"", bdf);
		topo_pop(l, p);
		return rc;
	}
	if (PCI_RID_BUS(d->rid) != busnr) {
		size_t p = topo_push(l, ".bdf");
		rc = topo_fail(l, "%s is not on bus %02x, where this device sits", bdf, busnr);
		topo_pop(l, p);
		return rc;
	}
	if (hw_pci_kind_parse(type, &d->kind)) {
		size_t p = topo_push(l, ".type");
		rc = topo_fail(l, "unknown type \"%s\" (host_bridge, rc_endpoint, endpoint, "
				  "root_port, switch_upstream, switch_downstream, pcie_pci_bridge, "
				  "pci_endpoint)", type);
		topo_pop(l, p);
		return rc;
	}
	enum hw_pci_kind k = d->kind;
	if (on_root && (k == PCI_KIND_ENDPOINT || k == PCI_KIND_SWITCH_UP ||
			k == PCI_KIND_SWITCH_DOWN || k == PCI_KIND_PCI_ENDPOINT))
		return topo_fail(l, "type \"%s\" cannot sit on the root bus", type);
	if (!on_root && (k == PCI_KIND_ROOT_PORT || k == PCI_KIND_RC_ENDPOINT ||
			 k == PCI_KIND_HOST_BRIDGE))
		return topo_fail(l, "a %s must sit on the root bus", type);
	if (d->name && (strlen(d->name) == 0 || strlen(d->name) >= 32))
		return topo_fail(l, "name must be 1 to 31 characters");
	return 0;
}

static int parse_caps(struct topo_loader *l, json_object *o, struct topo_device *d)
{
	int rc;
	d->tlp_prefix = true;
	d->pri_requests = 32;
	if ((rc = get_bool(l, o, "acs", &d->acs)) ||
	    (rc = get_bool(l, o, "pasid_exec", &d->pasid_exec)) ||
	    (rc = get_bool(l, o, "pasid_priv", &d->pasid_priv)) ||
	    (rc = get_bool(l, o, "ats", &d->ats)) || (rc = get_bool(l, o, "pri", &d->pri)) ||
	    (rc = get_bool(l, o, "siov", &d->siov)) ||
	    (rc = get_bool(l, o, "tlp_prefix", &d->tlp_prefix)) ||
	    (rc = topo_get_uint(l, o, "pasid_bits", 0, 20, &d->pasid_bits)) ||
	    (rc = topo_get_uint(l, o, "pri_requests", 1, 1024, &d->pri_requests)))
		return rc;
	const char *type = hw_pci_kind_name(d->kind);
	bool pcie = d->kind != PCI_KIND_PCI_ENDPOINT && d->kind != PCI_KIND_HOST_BRIDGE;
	if (!pcie && (d->acs || d->pasid_bits || d->ats || d->pri || d->siov))
		return topo_fail(l, "a %s has no PCIe extended capabilities", type);
	if ((d->pasid_exec || d->pasid_priv) && !d->pasid_bits)
		return topo_fail(l, "pasid_exec/pasid_priv need pasid_bits");
	if (d->pri && !d->ats)
		return topo_fail(l, "pri needs ats (page requests follow failed translation "
				    "requests)");
	if (!d->tlp_prefix && !hw_pci_kind_is_bridge(d->kind))
		return topo_fail(l, "tlp_prefix applies to ports and bridges");
	return 0;
}

static int parse_aliases(struct topo_loader *l, json_object *o, uint8_t busnr,
			 struct topo_device *d)
{
	json_object *al;
	if (!json_object_object_get_ex(o, "dma_alias", &al))
		return 0;
	size_t p = topo_push(l, ".dma_alias");
	int rc = 0;
	if (!json_object_is_type(al, json_type_array) ||
	    json_object_array_length(al) > PCI_MAX_ALIASES) {
		rc = topo_fail(l, "expected an array of at most %d BDFs on the same bus",
			       PCI_MAX_ALIASES);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(al); i++) {
		json_object *e = json_object_array_get_idx(al, i);
		uint16_t arid;
		if (!json_object_is_type(e, json_type_string) ||
		    pci_bdf_parse(json_object_get_string(e), &arid) || PCI_RID_BUS(arid) != busnr ||
		    arid == d->rid) {
			size_t q = topo_push(l, "[%zu]", i);
			rc = topo_fail(l, "expected another BDF on bus %02x", busnr);
			topo_pop(l, q);
			goto out;
		}
		d->aliases[d->nr_aliases++] = PCI_RID_DEVFN(arid);
	}
out:
	topo_pop(l, p);
	return rc;
}

int topo_parse_device(struct topo_loader *l, json_object *o, uint8_t busnr, bool on_root,
		      struct topo_device *d)
{
	static const char *const keys[] = { "bdf", "type", "name", "model", "acs", "pasid_bits",
					    "pasid_exec", "pasid_priv", "ats", "pri",
					    "pri_requests", "siov", "dma_alias", "bus", "children",
					    "options", "tlp_prefix", NULL };
	memset(d, 0, sizeof(*d));
	if (!json_object_is_type(o, json_type_object))
		return topo_fail(l, "expected an object, got %s", topo_type_name(o));
	int rc = topo_check_keys(l, o, keys);
	if (rc || (rc = parse_identity(l, o, busnr, on_root, d)) || (rc = parse_caps(l, o, d)) ||
	    (rc = parse_aliases(l, o, busnr, d)))
		return rc;
	json_object_object_get_ex(o, "options", &d->options);
	json_object *tmp;
	bool has_children = json_object_object_get_ex(o, "children", &tmp);
	bool has_bus = json_object_object_get_ex(o, "bus", &tmp);
	if (!hw_pci_kind_is_bridge(d->kind) && (has_children || has_bus))
		return topo_fail(l, "only bridges and ports have a secondary bus");
	return 0;
}
