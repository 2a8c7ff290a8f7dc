/* SPDX-License-Identifier: BSD-3-Clause */
/* uiommu demo: watch DMA get translated, isolated and blocked. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "demo.h"

void demo_begin(struct demo_out *o, const char *scenario)
{
	o->first_event = o->first_stat = true;
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
		printf("%s{\"who\":", o->first_event ? "" : ",");
		json_str(stdout, who);
		printf(",\"what\":");
		json_str(stdout, msg);
		printf("}");
		o->first_event = false;
	} else {
		printf("[%-6s] %s\n", who, msg);
	}
	fflush(stdout);
}

void demo_stat(struct demo_out *o, const char *name, double value)
{
	if (o->json) {
		printf("%s\"%s\":%.6g", o->first_stat ? "],\"stats\":{" : ",", name, value);
	} else {
		if (o->first_stat)
			printf("\n");
		printf("  %-16s %.6g\n", name, value);
	}
	o->first_stat = false;
}

void demo_done(struct demo_out *o, bool ok)
{
	if (o->json)
		printf("%s,\"ok\":%s}\n", o->first_stat ? "],\"stats\":{}" : "}", ok ? "true" : "false");
}

int cmd_demo(struct cli *c, int argc, char **argv)
{
	const char *scenario = "pci";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			c->json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: uiommu [--topology FILE] demo [pci] [--json]\n"
			       "\n"
			       "pci   a plain PCI DMA engine (dmatest0) isolated by the domain on its\n"
			       "      requester ID: copies through the IOMMU, then a copy aimed at an\n"
			       "      unmapped address is blocked and its fault record shown.\n");
			return 0;
		} else if (!strcmp(argv[i], "pci")) {
			scenario = argv[i];
		} else {
			fprintf(stderr, "uiommu demo: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	struct uiommu_host *h;
	if (cli_host(c, &h))
		return 1;
	struct demo_out o = { .json = c->json };
	demo_begin(&o, scenario);
	int rc = demo_pci(h, &o);
	uiommu_host_free(h);
	return rc;
}
