/* SPDX-License-Identifier: BSD-3-Clause */
/* uiommu dump: the translation structures, decoded from memory. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "iommu/intel/debugfs.h"

int cmd_dump(struct cli *c, int argc, char **argv)
{
	const char *device = NULL;
	unsigned max = 64;
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "max-mappings", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "d:m:jh", opts, NULL)) != -1) {
		switch (o) {
		case 'd': device = optarg; break;
		case 'm': max = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'j': c->json = true; break;
		case 'h':
			printf("usage: uiommu [--topology FILE] dump [--device NAME|BDF] [--max-mappings N] [--json]\n"
			       "\n"
			       "Decode what the remapping hardware reads: each unit's root table, the\n"
			       "scalable-mode context entry of every function, the PASID directory and\n"
			       "table entries (translation type, domain ID, table root) and the page\n"
			       "tables they point at (up to N mappings each, default 64). On a fresh host\n"
			       "every function's PASID 0 (RID_PASID) holds its empty default domain.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uiommu dump: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	struct uiommu_host *h;
	if (cli_host(c, &h))
		return 1;
	int rc = intel_dump(h, stdout, device, c->json, max);
	if (rc)
		fprintf(stderr, "uiommu dump: no device '%s'\n", device);
	uiommu_host_free(h);
	return rc ? 1 : 0;
}
