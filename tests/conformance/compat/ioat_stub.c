/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stands in for the VFIO selftest library's ioat driver when its
 * sources are not in the fetched tree (they come from drivers/dma/ioat,
 * which linux-source.sh does not extract): a driver that claims no
 * device, as the real one claims none of uiommu's.
 */
#include <libvfio.h>

static int ioat_stub_probe(struct vfio_pci_device *device)
{
	(void)device;
	return -1;
}

struct vfio_pci_driver_ops ioat_ops = {
	.name = "ioat",
	.probe = ioat_stub_probe,
};
