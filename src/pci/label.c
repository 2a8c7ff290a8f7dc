/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device labels from firmware (Linux drivers/pci/pci-label.c): the SMBIOS
 * Onboard Devices Extended Information structure (type 41) that names
 * the function at a segment, bus and device/function.
 */
#include <stdio.h>
#include <string.h>

#include <uiommu/hw/smbios.h>

#include "pci.h"
#include "../hw/iface/firmware.h"

/* The n-th (1-based) string after the formatted area, or NULL. */
static const char *smbios_string(const uint8_t *s, const uint8_t *end, unsigned n)
{
	for (unsigned i = 1; s < end && *s; i++) {
		const uint8_t *nul = memchr(s, 0, (size_t)(end - s));
		if (!nul)
			return NULL;
		if (i == n)
			return (const char *)s;
		s = nul + 1;
	}
	return NULL;
}

/* Past the strings of a structure: the double NUL, or NULL if absent. */
static const uint8_t *smbios_next(const uint8_t *s, const uint8_t *end)
{
	for (; s + 1 < end; s++)
		if (!s[0] && !s[1])
			return s + 2;
	return NULL;
}

void pci_label_get(struct pci_dev *pdev, char *buf, size_t len)
{
	const uint8_t *t, *end;
	size_t tlen;
	buf[0] = 0;
	if (hw_smbios_get_table(pdev->bus->bridge->m, (const void **)&t, &tlen))
		return;
	end = t + tlen;
	while (t && t + sizeof(struct smbios_header) <= end) {
		struct smbios_header hd;
		memcpy(&hd, t, sizeof(hd));
		if (hd.type == SMBIOS_TYPE_END_OF_TABLE || hd.length < sizeof(hd) ||
		    t + hd.length > end)
			return;
		if (hd.type == SMBIOS_TYPE_ONBOARD_DEV_EXT &&
		    hd.length >= sizeof(struct smbios_onboard_dev_ext)) {
			struct smbios_onboard_dev_ext e;
			memcpy(&e, t, sizeof(e));
			if (e.segment == 0 && e.bus == pdev->bus->number &&
			    e.devfn == pdev->devfn) {
				const char *s = smbios_string(t + hd.length, end, e.designation);
				if (s)
					snprintf(buf, len, "%s", s);
				return;
			}
		}
		t = smbios_next(t + hd.length, end);
	}
}
