/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include "cli.h"

int cmd_demo(struct cli *c, int argc, char **argv)
{
	(void)c; (void)argc; (void)argv;
	fprintf(stderr, "uiommu demo: not yet\n");
	return 1;
}
