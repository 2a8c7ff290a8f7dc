/* SPDX-License-Identifier: BSD-3-Clause */
/* uiommu demo: watch DMA get translated, isolated and blocked. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "demo.h"

void demo_begin(struct demo_out *o, const char *scenario)
{
	o->first_event = o->first_stat = true;
	o->at = DEMO_EVENTS;
	if (o->json)
		printf("{\"scenario\":\"%s\",\"events\":[", scenario);
}

void demo_say(struct demo_out *o, const char *who, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (o->json) {
		if (o->at != DEMO_EVENTS)
			return; /* the events array is closed */
		printf("%s{\"who\":", o->first_event ? "" : ",");
		json_str(stdout, who);
		printf(",\"what\":");
		json_str(stdout, msg);
		printf("}");
		o->first_event = false;
	} else {
		printf("[%-7s] %s\n", who, msg);
	}
	fflush(stdout);
}

void demo_stat(struct demo_out *o, const char *name, double value)
{
	if (o->json) {
		if (o->at == DEMO_FIELDS)
			return;
		printf("%s\"%s\":%.17g", o->at == DEMO_EVENTS ? "],\"stats\":{" : ",", name, value);
		o->at = DEMO_STATS;
	} else {
		if (o->first_stat)
			printf("\n");
		printf("  %-20s %.6g\n", name, value);
	}
	o->first_stat = false;
}

/* Closes whatever section is open, in JSON. */
static void close_sections(struct demo_out *o)
{
	if (o->at == DEMO_EVENTS)
		printf("],\"stats\":{}");
	else if (o->at == DEMO_STATS)
		printf("}");
	o->at = DEMO_FIELDS;
}

bool demo_field(struct demo_out *o, const char *key)
{
	if (!o->json)
		return true;
	close_sections(o);
	printf(",\"%s\":", key);
	return false;
}

void demo_done(struct demo_out *o, bool ok)
{
	if (o->json) {
		close_sections(o);
		printf(",\"ok\":%s}\n", ok ? "true" : "false");
	}
	fflush(stdout);
}

int cmd_demo(struct cli *c, int argc, char **argv)
{
	const char *scenario = "siov";
	double seconds = 2.0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			c->json = true;
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			char *end;
			seconds = strtod(argv[++i], &end);
			if (*end || !(seconds > 0 && seconds <= 3600)) {
				fprintf(stderr, "uiommu demo: --seconds wants a number in (0, 3600]\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: uiommu [--topology FILE] demo [siov|pci|nested] [--seconds S] "
			       "[--json]\n"
			       "\n"
			       "siov  (default) Scalable IOV: dsa0 sliced into mdevs, one per tenant, each\n"
			       "      in its own VFIO container and isolated by its aux domain's PASID.\n"
			       "      Three tenants run MEMMOVE and CRC-32C descriptors at once (S seconds,\n"
			       "      default 2) with a live progress line; then one aims descriptors at\n"
			       "      another's buffer and is blocked. Ends with per-tenant figures, IOTLB\n"
			       "      hit rate, faults and the DSA's PASID table.\n"
			       "pci   a plain PCI DMA engine (dmatest0) isolated by the domain on its\n"
			       "      requester ID: copies through the IOMMU, then a copy aimed at an\n"
			       "      unmapped address is blocked and its fault record shown.\n"
			       "nested a VMM gives dsa0 to a guest behind a vIOMMU (/dev/iommu): the\n"
			       "      guest's own first-stage tables over its GPA space (nested\n"
			       "      translation), a process's address space at vPASID 1 (SVA), a page\n"
			       "      fault served by the VMM's thread, dirty pages collected for\n"
			       "      migration; ends with dsa0's PASID entries, both stages decoded.\n"
			       "\n"
			       "--json prints one JSON document: events, stats, and (siov, nested) the\n"
			       "PASID table; exit status 0 when every check held.\n");
			return 0;
		} else if (!strcmp(argv[i], "pci") || !strcmp(argv[i], "siov") ||
			   !strcmp(argv[i], "nested")) {
			scenario = argv[i];
		} else {
			fprintf(stderr, "uiommu demo: unknown argument '%s' (try --help)\n", argv[i]);
			return 2;
		}
	}
	struct uiommu_host *h;
	bool nested = !strcmp(scenario, "nested");
	/* The VMM drives dsa0 itself: no idxd on it. */
	if (cli_host_opts(c, &h, nested))
		return 1;
	struct demo_out o = { .json = c->json };
	demo_begin(&o, scenario);
	int rc = nested ? demo_nested(h, &o) :
		 !strcmp(scenario, "pci") ? demo_pci(h, &o) : demo_siov(h, &o, seconds);
	uiommu_host_free(h);
	return rc;
}
