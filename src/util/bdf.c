/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>

#include <uiommu/hw/pci_regs.h>

#include "bdf.h"

/* Hex digits only (no "0x", no sign), at most `max` of them. */
static const char *hex_field(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0, n = 0;
	for (; n < max; n++, s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		v = v * 16 + (unsigned)d;
	}
	if (!n)
		return NULL;
	*out = v;
	return s;
}

/* "[SSSS:]BB:DD.F", segment 0 only. */
int pci_bdf_parse(const char *s, uint16_t *rid)
{
	unsigned a, b, dev, fn;
	const char *p = hex_field(s, 4, &a);
	if (!p || *p != ':')
		return -EINVAL;
	p = hex_field(p + 1, 2, &b);
	if (!p)
		return -EINVAL;
	unsigned bus;
	if (*p == ':') {
		if (a != 0)
			return -EINVAL;
		bus = b;
		p = hex_field(p + 1, 2, &dev);
	} else {
		if (p - s > 5 || a > 0xff)
			return -EINVAL;
		bus = a;
		dev = b;
	}
	if (!p || *p != '.')
		return -EINVAL;
	p = hex_field(p + 1, 1, &fn);
	if (!p || *p || dev > 0x1f || fn > 7 || bus > 0xff)
		return -EINVAL;
	*rid = PCI_RID(bus, PCI_DEVFN(dev, fn));
	return 0;
}

const char *pci_bdf_str(uint16_t rid, char buf[8])
{
	snprintf(buf, 8, "%02x:%02x.%x", PCI_RID_BUS(rid), PCI_SLOT(rid & 0xff),
		 PCI_FUNC(rid & 0xff));
	return buf;
}

