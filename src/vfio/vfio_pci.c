/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-pci: a whole PCI function handed to the user (SPEC M-4). Regions
 * are the six BARs, a ROM hole, the configuration space and a VGA hole,
 * at vfio-pci's fixed indexes. BAR accesses go to the function in
 * naturally aligned pieces of 8/4/2/1 bytes, as vfio-pci's
 * ioread/iowrite loop does.
 *
 * The configuration space is virtualized where the kernel must stay in
 * charge: the PASID, ATS and PRI capabilities belong to the IOMMU driver,
 * and the BARs, the reset commands (PCIe DEVCTL, AF control) to the
 * kernel's PCI code, so user writes there are dropped (vfio-pci's
 * read-only perm bits). A reset saves and restores config state around
 * the function-level reset, as pci_reset_function() does.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vfio.h"
#include "vfio_pci.h"
#include "../files/file.h"
#include "../pci/pci.h"

static struct pci_dev *pdev(struct vfio_device *vd)
{
	return to_pci_dev(vd->dev);
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
	struct pci_dev *d = pdev(vd);
	int rc = vfio_pci_region(d->bar_size, d->cfg_size, index, size, flags);
	/* A BAR of plain memory can be mapped; registers cannot (no MMIO
	 * trapping here): those are reached with pread/pwrite. */
	if (!rc && index <= VFIO_PCI_BAR5_REGION_INDEX && *size && pci_bar_memory_fd(d, index) >= 0)
		*flags |= VFIO_REGION_INFO_FLAG_MMAP;
	return rc;
}

/* Device memory: the BAR's own memory file mapped shared, marked as
 * device memory so iommufd will not pin it (Linux: VM_PFNMAP). */
static int bar_mmap(struct vfio_device *vd, uint32_t index, uint64_t off, struct vm_area *vma)
{
	int fd = pci_bar_memory_fd(pdev(vd), index);
	if (fd < 0)
		return -EINVAL;
	void *p = mmap(vma->addr, vma->length, vma->prot, MAP_SHARED | (vma->flags & MAP_FIXED),
		       fd, (off_t)off);
	if (p == MAP_FAILED)
		return -errno;
	vma->addr = p;
	vma->vm_flags |= VM_PFNMAP;
	return 0;
}

unsigned vfio_pci_access_size(uint64_t off, size_t left)
{
	for (unsigned s = 8; s > 1; s /= 2)
		if (!(off & (s - 1)) && left >= s)
			return s;
	return 1;
}

/* Is config offset `off` one the kernel owns? */
static bool kernel_owned_cfg(struct pci_dev *d, unsigned off)
{
	const struct {
		unsigned at, len;
	} owned[] = {
		{ d->pasid_cap, PCI_PASID_SIZEOF },
		{ d->ats_cap, PCI_ATS_SIZEOF },
		{ d->pri_cap, PCI_PRI_SIZEOF },
		{ d->pcie_cap ? d->pcie_cap + (unsigned)PCI_EXP_DEVCTL : 0u, 2 },
		{ d->af_cap ? d->af_cap + (unsigned)PCI_AF_CTRL : 0u, 1 },
		{ PCI_BASE_ADDRESS_0, 4 * PCI_NUM_BARS },
		/* MSI and MSI-X are programmed by the kernel for SET_IRQS. */
		{ d->msi_cap, PCI_MSI_SIZEOF_64 },
		{ d->msix_cap, PCI_MSIX_SIZEOF },
	};
	for (unsigned i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (owned[i].at && off >= owned[i].at && off < owned[i].at + owned[i].len)
			return true;
	return false;
}

static void cfg_write(struct pci_dev *d, unsigned off, unsigned size, uint32_t v)
{
	if (kernel_owned_cfg(d, off))
		return;
	if (size == 1)
		pci_write_config_byte(d, off, (uint8_t)v);
	else if (size == 2)
		pci_write_config_word(d, off, (uint16_t)v);
	else
		pci_write_config_dword(d, off, v);
}

static uint32_t cfg_read(struct pci_dev *d, unsigned off, unsigned size)
{
	uint8_t b;
	uint16_t w;
	uint32_t l;
	if (size == 1)
		return pci_read_config_byte(d, off, &b) ? ~0u : b;
	if (size == 2)
		return pci_read_config_word(d, off, &w) ? ~0u : w;
	return pci_read_config_dword(d, off, &l) ? ~0u : l;
}

static ssize_t cfg_rw(struct pci_dev *d, uint8_t *buf, size_t count, uint64_t off, bool write)
{
	size_t done = 0;
	while (done < count) {
		unsigned o = (unsigned)(off + done);
		unsigned s = vfio_pci_access_size(o, count - done);
		if (s == 8)
			s = 4; /* config cycles are at most a dword */
		uint32_t v = 0;
		if (write) {
			memcpy(&v, buf + done, s);
			cfg_write(d, o, s, v);
		} else {
			v = cfg_read(d, o, s);
			memcpy(buf + done, &v, s);
		}
		done += s;
	}
	return (ssize_t)done;
}

/* Is [off, +size) of BAR `bar` the MSI-X table or PBA? The kernel's. */
static bool msix_area(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size)
{
	if (!d->msix_cap)
		return false;
	int n = pci_msix_vec_count(d);
	uint32_t t = 0, p = 0;
	pci_read_config_dword(d, d->msix_cap + PCI_MSIX_TABLE, &t);
	pci_read_config_dword(d, d->msix_cap + PCI_MSIX_PBA, &p);
	uint64_t to = t & PCI_MSIX_TABLE_OFFSET, po = p & PCI_MSIX_TABLE_OFFSET;
	uint64_t tl = (uint64_t)n * PCI_MSIX_ENTRY_SIZE, pl = ((uint64_t)n + 63) / 64 * 8;
	return ((t & PCI_MSIX_TABLE_BIR) == bar && off < to + tl && off + size > to) ||
	       ((p & PCI_MSIX_TABLE_BIR) == bar && off < po + pl && off + size > po);
}

static ssize_t bar_rw(struct pci_dev *d, unsigned bar, uint8_t *buf, size_t count,
		      uint64_t off, bool write)
{
	size_t done = 0;
	while (done < count) {
		unsigned s = vfio_pci_access_size(off + done, count - done);
		uint64_t v = 0;
		int rc;
		if (write && msix_area(d, bar, off + done, s)) {
			rc = 0; /* the user's writes there go nowhere */
		} else if (write) {
			memcpy(&v, buf + done, s);
			rc = pci_bar_write(d, bar, off + done, s, v);
		} else {
			rc = pci_bar_read(d, bar, off + done, s, &v);
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
	int rc = pci_reset_function(pdev(vd));
	return rc == -ENOTTY ? 0 : rc;
}

/* Opening the fd does not touch the device: the group's DMA already goes
 * through the container's domain; only the interrupt state is set up. The
 * last close turns interrupts off, stops its DMA and resets it for the
 * next user (vfio_pci_core_disable). */
static int open_dev(struct vfio_device *vd)
{
	return vfio_pci_intrs_open(vd);
}

static void close_dev(struct vfio_device *vd)
{
	vfio_pci_intrs_close(vd);
	reset(vd);
	pci_clear_master(pdev(vd));
}

/* Any vendor, any device: which functions go to VFIO is the user's
 * choice (driver_override in Linux), not vfio-pci's. */
const struct pci_device_id vfio_pci_ids[] = {
	{ PCI_ANY_ID, PCI_ANY_ID },
	{ 0 },
};

const struct vfio_device_ops vfio_pci_ops = {
	.name = "vfio-pci",
	.open = open_dev,
	.close = close_dev,
	.info = vfio_pci_info,
	.region = region,
	.read = rd,
	.write = wr,
	.mmap = bar_mmap,
	.irq_info = vfio_pci_irq_info,
	.set_irqs = vfio_pci_set_irqs,
	.reset = reset,
};
