/* SPDX-License-Identifier: BSD-3-Clause */
/* Device models by name, as topology files refer to them. */
#ifndef UIOMMU_HW_DEV_MODELS_H
#define UIOMMU_HW_DEV_MODELS_H

#include <stddef.h>

struct hw_pci_function;
struct json_object;

/* The options of a model, checked without creating it (hw_topology_check). */
int hw_model_check(const char *name, struct json_object *opts, char *err, size_t errlen);
/* Attach model `name` to `d` with its options object (may be NULL). */
int hw_model_create(const char *name, struct hw_pci_function *d, struct json_object *opts,
		    char *err, size_t errlen);
/* Names of the models, NULL-terminated. */
extern const char *const hw_model_names[];

#endif
