/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The machine's SMBIOS structure table (DSP0134): one Onboard Devices
 * Extended Information structure (type 41) per function the topology
 * gave a name, so that software finds the name the way Linux finds a
 * device's firmware label; then the end-of-table structure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/hw/smbios.h>

#include "machine.h"

static bool named(const struct hw_pci_function *d)
{
	char bdf[8];
	return strcmp(d->name, pci_bdf_str(d->rid, bdf)) != 0;
}

int hw_smbios_build(struct hw_machine *m)
{
	size_t len = sizeof(struct smbios_header) + 2;
	struct hw_pci_function *d;
	list_for_each_entry(d, &m->devices, node)
		if (named(d))
			len += sizeof(struct smbios_onboard_dev_ext) + strlen(d->name) + 2;
	uint8_t *t = calloc(1, len), *p = t;
	if (!t)
		return -ENOMEM;
	uint16_t handle = 0x4100;
	unsigned instance = 1;
	list_for_each_entry(d, &m->devices, node) {
		if (!named(d))
			continue;
		struct smbios_onboard_dev_ext e = {
			.header = { .type = SMBIOS_TYPE_ONBOARD_DEV_EXT, .length = sizeof(e),
				    .handle = handle++ },
			.designation = 1,
			.device_type = SMBIOS_DEVICE_TYPE_OTHER | SMBIOS_DEVICE_ENABLED,
			.type_instance = (uint8_t)instance++,
			.segment = 0,
			.bus = d->bus->number,
			.devfn = d->devfn,
		};
		memcpy(p, &e, sizeof(e));
		p += sizeof(e);
		size_t n = strlen(d->name) + 1;
		memcpy(p, d->name, n);
		p += n + 1; /* the string set's closing NUL */
	}
	struct smbios_header end = { .type = SMBIOS_TYPE_END_OF_TABLE,
				     .length = sizeof(end), .handle = 0xfeff };
	memcpy(p, &end, sizeof(end));
	free(m->smbios);
	m->smbios = t;
	m->smbios_len = len;
	return 0;
}

int hw_smbios_get_table(struct hw_machine *m, const void **table, size_t *len)
{
	if (!m || !table || !len)
		return -EINVAL;
	if (!m->smbios)
		return -ENOENT;
	*table = m->smbios;
	*len = m->smbios_len;
	return 0;
}
