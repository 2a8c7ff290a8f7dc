/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Topology files (SPEC F-5): a JSON description of the emulated host -
 * remapping units with their capabilities and device scopes, and the PCI
 * hierarchy with each function's type, capabilities and device model.
 * docs/topology.md describes the format; topologies/default.json is the
 * built-in host.
 */
#ifndef UIOMMU_HW_TOPOLOGY_H
#define UIOMMU_HW_TOPOLOGY_H

#include <stddef.h>

struct hw_machine;

extern const char hw_default_topology[];

/* Build a machine. On failure *err holds "source:line:col: ..." or
 * "source: path.to.field: ..." and nothing is left allocated. */
int hw_machine_from_json(const char *text, const char *source, struct hw_machine **out, char *err,
			 size_t errlen);
/* Parse and validate without building anything (no machine, no device
 * model): the file's syntax, schema and structure - names, bus numbers,
 * BDFs, scopes, model options - with the messages a build would give.
 * What only a build can find (out of memory) is left to it. For tools and
 * the topology fuzzer (SPEC R-1). */
int hw_topology_check(const char *text, const char *source, char *err, size_t errlen);
int hw_machine_from_file(const char *path, struct hw_machine **out, char *err, size_t errlen);

#endif
