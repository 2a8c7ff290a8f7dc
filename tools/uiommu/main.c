/* SPDX-License-Identifier: BSD-3-Clause */
/* uiommu: the command-line front end (SPEC F-4). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "host/host.h"
#include "hw/machine.h"
#include "pci/pci.h"

static const struct {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "topology", cmd_topology, "show the emulated PCI hierarchy, IOMMU groups and units" },
	{ "dump", cmd_dump, "decode root, context and PASID tables and page tables from memory" },
	{ "demo", cmd_demo, "program the IOMMU like a driver and watch DMA get translated and blocked" },
	{ "exec", cmd_exec, "run an unmodified program against an emulated host (/dev/iommu, VFIO, /sys)" },
	{ "soak", cmd_soak, "tenants run DMA while their mappings change; an oracle checks every DMA" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uiommu [--topology FILE] [--json] [--checker] COMMAND [ARGS]\n"
		"\n"
		"uiommu is the Linux IOMMU stack for Scalable-IOV devices, in userspace, over a\n"
		"software model of Intel VT-d scalable mode and its devices.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
		"\n"
		"options:\n"
		"  --topology FILE  describe the emulated host with a topology file\n"
		"                   (default: the built-in host; see docs/topology.md)\n"
		"  --json           machine-readable output\n"
		"  --checker        report DMA that uses a stale cached translation (SPEC H-12)\n"
		"  -h, --help       this help; 'uiommu COMMAND --help' for a command\n"
		"  -V, --version    print the version\n");
}

int cli_host(const struct cli *c, struct uiommu_host **h)
{
	return cli_host_opts(c, h, false);
}

int cli_host_opts(const struct cli *c, struct uiommu_host **h, bool no_drivers)
{
	char err[512];
	struct uiommu_host_opts o = { .topology_path = c->topology, .checker = c->checker,
				      .no_drivers = no_drivers };
	int rc = uiommu_host_new(&o, h, err, sizeof(err));
	if (rc)
		fprintf(stderr, "uiommu: %s\n", err);
	return rc;
}

struct hw_pci_function *cli_hw_function(struct uiommu_host *h, struct device *dev)
{
	if (!h || !dev_is_pci(dev))
		return NULL;
	return hw_pci_function_by_rid(h->m, pci_dev_id(to_pci_dev(dev)));
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "checker", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	/* '+': stop at the command, whose options are its own. */
	while ((o = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (o) {
		case 't': c.topology = optarg; break;
		case 'j': c.json = true; break;
		case 'c': c.checker = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("uiommu %s\n", uiommu_version()); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(cmd, commands[i].name)) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;
			optind = 1;
			return commands[i].fn(&c, sub_argc, sub_argv);
		}
	}
	fprintf(stderr, "uiommu: unknown command '%s' (try 'uiommu --help')\n", cmd);
	return 2;
}
