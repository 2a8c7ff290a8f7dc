/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "models.h"
#include "dmatest/dmatest.h"
#include "dsa/dsa.h"

const char *const hw_model_names[] = { "dmatest", "dsa", NULL };

int hw_model_check(const char *name, struct json_object *opts, char *err, size_t errlen)
{
	if (!strcmp(name, "dmatest")) {
		if (opts && (!json_object_is_type(opts, json_type_object) ||
			     json_object_object_length(opts) > 0)) {
			snprintf(err, errlen, "dmatest takes no options");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(name, "dsa")) {
		struct dsa_options o;
		return dsa_parse_options(opts, &o, err, errlen);
	}
	snprintf(err, errlen, "unknown device model \"%s\" (models: dmatest, dsa, none)", name);
	return -EINVAL;
}

int hw_model_create(const char *name, struct hw_pci_function *d, struct json_object *opts,
		    char *err, size_t errlen)
{
	if (!strcmp(name, "dmatest")) {
		if (opts && (!json_object_is_type(opts, json_type_object) ||
			     json_object_object_length(opts) > 0)) {
			snprintf(err, errlen, "dmatest takes no options");
			return -EINVAL;
		}
		int rc = dmatest_init(d);
		if (rc)
			snprintf(err, errlen, "dmatest: %s", strerror(-rc));
		return rc;
	}
	if (!strcmp(name, "dsa")) {
		struct dsa_options o;
		int rc = dsa_parse_options(opts, &o, err, errlen);
		if (rc)
			return rc;
		rc = dsa_init(d, &o);
		if (rc)
			snprintf(err, errlen, "dsa: %s", strerror(-rc));
		return rc;
	}
	snprintf(err, errlen, "unknown device model \"%s\" (models: dmatest, dsa, none)", name);
	return -EINVAL;
}
