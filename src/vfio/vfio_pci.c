/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-pci: a whole PCI function handed to the user (SPEC M-4). Regions
 * are the six BARs, a ROM hole, the configuration space and a VGA hole,
 * at vfio-pci's fixed indexes. BAR accesses go to the device model in
 * naturally aligned pieces of 8/4/2/1 bytes, as vfio-pci's ioread/iowrite
 * loop does.
 *
 * The configuration space is virtualized where the kernel must stay in
 * charge: the PASID, ATS and PRI capabilities belong to the IOMMU driver,
 * so user writes there are dropped (vfio-pci's read-only perm bits for
 * those capabilities). A reset saves and restores config state around
 * the function-level reset, as pci_reset_function() does.
 */
#include <errno.h>
#include <string.h>

#include "vfio.h"
#include "../base/device.h"
#include "../hw/pci/pci.h"

static struct hw_pci_function *pdev(struct vfio_device *vd)
{
	return vd->dev->pdev;
}

void vfio_pci_info(struct vfio_device *vd, uint32_t *flags, uint32_t *nr_regions,
		   uint32_t *nr_irqs)
{
	(void)vd;
	*flags = VFIO_DEVICE_FLAGS_PCI;
	*nr_regions = VFIO_PCI_NUM_REGIONS;
	*nr_irqs = VFIO_PCI_NUM_IRQS;
}

int vfio_pci_region(const uint64_t bar_size[6], uint64_t cfg_size, uint32_t index,
		    uint64_t *size, uint32_t *flags)
{
	*size = 0;
	*flags = 0;
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		*size = bar_size[index];
	else if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		*size = cfg_size;
	/* ROM and VGA: holes. */
	if (*size)
		*flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	return 0;
}

static int region(struct vfio_device *vd, uint32_t index, uint64_t *size, uint32_t *flags)
{
	struct hw_pci_function *d = pdev(vd);
	return vfio_pci_region(d->bar_size,
			       hw_pci_is_pcie(d) ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE,
			       index, size, flags);
}

unsigned vfio_pci_access_size(uint64_t off, size_t left)
{
	for (unsigned s = 8; s > 1; s /= 2)
		if (!(off & (s - 1)) && left >= s)
			return s;
	return 1;
}

/* Is config offset `off` inside a capability the kernel owns? */
static bool kernel_owned_cfg(struct hw_pci_function *d, unsigned off)
{
	static const unsigned len[] = { PCI_PASID_SIZEOF, PCI_ATS_SIZEOF, PCI_PRI_SIZEOF };
	uint16_t at[] = { d->ecap_pasid, d->ecap_ats, d->ecap_pri };
	for (unsigned i = 0; i < 3; i++)
		if (at[i] && off >= at[i] && off < at[i] + len[i])
			return true;
	return false;
}

static ssize_t cfg_rw(struct hw_pci_function *d, uint8_t *buf, size_t count, uint64_t off,
		      bool write)
{
	size_t done = 0;
	while (done < count) {
		unsigned o = (unsigned)(off + done);
		unsigned s = vfio_pci_access_size(o, count - done);
		if (s == 8)
			s = 4; /* config cycles are at most a dword */
		if (write) {
			uint32_t v = 0;
			memcpy(&v, buf + done, s);
			if (!kernel_owned_cfg(d, o))
				hw_pci_cfg_write(d, o, s, v);
		} else {
			uint32_t v = hw_pci_cfg_read(d, o, s);
			memcpy(buf + done, &v, s);
		}
		done += s;
	}
	return (ssize_t)done;
}

static ssize_t bar_rw(struct hw_pci_function *d, unsigned bar, uint8_t *buf, size_t count,
		      uint64_t off, bool write)
{
	size_t done = 0;
	while (done < count) {
		unsigned s = vfio_pci_access_size(off + done, count - done);
		uint64_t v = 0;
		int rc;
		if (write) {
			memcpy(&v, buf + done, s);
			rc = hw_pci_bar_write(d, bar, off + done, s, v);
		} else {
			rc = hw_pci_bar_read(d, bar, off + done, s, &v);
			if (!rc)
				memcpy(buf + done, &v, s);
		}
		if (rc)
			return done ? (ssize_t)done : rc;
		done += s;
	}
	return (ssize_t)done;
}

static ssize_t rd(struct vfio_device *vd, uint32_t index, void *buf, size_t count, uint64_t off)
{
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return cfg_rw(pdev(vd), buf, count, off, false);
	return bar_rw(pdev(vd), index, buf, count, off, false);
}

static ssize_t wr(struct vfio_device *vd, uint32_t index, const void *buf, size_t count,
		  uint64_t off)
{
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return cfg_rw(pdev(vd), (uint8_t *)buf, count, off, true);
	return bar_rw(pdev(vd), index, (uint8_t *)buf, count, off, true);
}

static int reset(struct vfio_device *vd)
{
	struct hw_pci_function *d = pdev(vd);
	uint8_t saved[PCI_CFG_SPACE_EXP_SIZE];
	memcpy(saved, d->cfg, sizeof(saved));
	hw_pci_function_reset(d);
	/* pci_restore_state(): writable config state comes back (bus
	 * mastering, and the kernel's PASID/ATS/PRI enables). */
	for (unsigned off = 0; off < PCI_CFG_SPACE_EXP_SIZE; off++)
		d->cfg[off] = (uint8_t)((d->cfg[off] & ~d->wmask[off]) | (saved[off] & d->wmask[off]));
	return 0;
}

/* Opening the fd does not touch the device: the group's DMA already goes
 * through the container's domain. The last close stops its DMA and resets
 * it for the next user (vfio_pci_core_disable). */
static void close_dev(struct vfio_device *vd)
{
	struct hw_pci_function *d = pdev(vd);
	reset(vd);
	uint16_t cmd = (uint16_t)hw_pci_cfg_read(d, PCI_COMMAND, 2);
	hw_pci_cfg_write(d, PCI_COMMAND, 2, cmd & (uint16_t)~PCI_COMMAND_MASTER);
}

const struct vfio_device_ops vfio_pci_ops = {
	.name = "vfio-pci",
	.close = close_dev,
	.info = vfio_pci_info,
	.region = region,
	.read = rd,
	.write = wr,
	.reset = reset,
};
