/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The topology file's schema (docs/topology.md): reading one JSON object
 * of the file into a plain description, with every check on its keys,
 * types and ranges, and messages that name the offending field. Building
 * the machine from the descriptions is topology.c's.
 */
#ifndef UIOMMU_HW_TOPOLOGY_SCHEMA_H
#define UIOMMU_HW_TOPOLOGY_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "pci/pci.h"
#include "vtd/vtd.h"
#include "../util/compiler.h"

struct hw_machine;

/* A function as a check without a machine sees it (topology.c). */
struct topo_shadow_dev {
	uint16_t rid;
	enum hw_pci_kind kind;
	const char *name;           /* in the document */
	int parent;                 /* index of the bridge above, -1 on the root bus */
	int unit;                   /* the unit whose scope names it, -1 */
};

/* The state of one load: where in the file we are, for messages, and
 * the unit scopes waiting for the devices they name. */
struct topo_loader {
	const char *source;
	char *err;
	size_t errlen;
	struct hw_machine *m;       /* NULL when checking only (`dry`) */
	bool dry;
	char path[256];
	struct {
		struct vtd_unit *u;
		unsigned unit;          /* its index */
		char ref[32];
		char path[256];
	} scopes[64];
	unsigned nr_scopes;
	/* What the checks need, kept in both modes: bus numbers taken, and
	 * in a dry run the units and functions the machine would hold. */
	bool bus_used[256];
	unsigned nr_units, include_all, all_unit;
	const char *unit_names[VTD_MAX_UNITS];
	unsigned unit_scopes[VTD_MAX_UNITS];
	struct topo_shadow_dev *devs;
	unsigned nr_devs, cap_devs;
};

/* A "units" entry. */
struct topo_unit {
	const char *name;
	struct vtd_config cfg;
	json_object *scope;       /* an array of device references, or NULL: "all" */
};

/* A "devices" (or "children") entry, without its children. */
struct topo_device {
	uint16_t rid;
	enum hw_pci_kind kind;
	const char *name, *model;
	json_object *options;
	bool acs, pasid_exec, pasid_priv, ats, pri, siov, tlp_prefix;
	unsigned pasid_bits, pri_requests;
	uint8_t aliases[PCI_MAX_ALIASES];
	unsigned nr_aliases;
};

/* Messages: "source: path: message", -EINVAL. */
PRINTF_LIKE(2, 3)
int topo_fail(struct topo_loader *l, const char *fmt, ...);
/* Push a path component; returns the length to restore with topo_pop. */
PRINTF_LIKE(2, 3)
size_t topo_push(struct topo_loader *l, const char *fmt, ...);
void topo_pop(struct topo_loader *l, size_t old);

int topo_check_keys(struct topo_loader *l, json_object *o, const char *const *allowed);
int topo_get_uint(struct topo_loader *l, json_object *o, const char *key, unsigned min,
		  unsigned max, unsigned *out);
const char *topo_type_name(json_object *o);

/* One object into its description; the device on bus `busnr`, which is
 * the root bus when `on_root`. */
int topo_parse_unit(struct topo_loader *l, json_object *o, struct topo_unit *u);
int topo_parse_device(struct topo_loader *l, json_object *o, uint8_t busnr, bool on_root,
		      struct topo_device *d);

#endif
