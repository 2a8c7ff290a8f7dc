/* SPDX-License-Identifier: BSD-3-Clause */
/* The uiommu command line: shared helpers of the subcommands. */
#ifndef UIOMMU_TOOLS_CLI_H
#define UIOMMU_TOOLS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <uiommu/host.h>

struct cli {
	const char *topology;   /* --topology FILE */
	bool json;              /* --json */
	bool checker;           /* --checker */
};

/* Build the host the options ask for; prints the reason on failure.
 * no_drivers: leave every device to the caller (a VMM's view). */
int cli_host(const struct cli *c, struct uiommu_host **h);
int cli_host_opts(const struct cli *c, struct uiommu_host **h, bool no_drivers);

int cmd_topology(struct cli *c, int argc, char **argv);
int cmd_demo(struct cli *c, int argc, char **argv);
int cmd_dump(struct cli *c, int argc, char **argv);
int cmd_exec(struct cli *c, int argc, char **argv);
int cmd_soak(struct cli *c, int argc, char **argv);

/* JSON string escaping for --json output. */
void json_str(FILE *f, const char *s);

/* The emulated function behind a kernel PCI device (the CLI shows both
 * sides of the hardware line), or NULL. */
struct device;
struct hw_pci_function;
struct hw_pci_function *cli_hw_function(struct uiommu_host *h, struct device *dev);

#endif
