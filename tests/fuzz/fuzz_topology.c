/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Topology files (SPEC F-5, R-1): the input is the file's text, given to
 * hw_topology_check, which parses and validates it without building a
 * machine. Anything goes but a crash; a refusal must say why.
 */
#include "fuzz.h"
#include "hw/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	char err[512] = "";
	int rc = hw_topology_check(text, "fuzz", err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || err[0], "refused (%d) without a message", rc);
	free(text);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}
