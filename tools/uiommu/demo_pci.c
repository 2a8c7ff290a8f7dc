/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The passthrough story (issue #2): a plain PCI DMA engine isolated by the
 * domain attached to its requester ID. The kernel side maps two buffers,
 * the engine copies between them through the IOMMU, then is aimed at an
 * address nobody mapped: the unit blocks it and records the fault.
 */
#include <stdlib.h>
#include <string.h>

#include <uiommu/hw/dmatest.h>
#include <uiommu/hw/vtd.h>
#include <uiommu/iommu.h>

#include "cli.h"
#include "demo.h"
#include "hw/machine.h"
#include "iommu/iommu.h"

#define SRC_IOVA 0x100000ull
#define DST_IOVA 0x200000ull
#define BAD_IOVA 0x300000ull
#define BUF      (64u << 10)

static uint64_t reg(struct hw_pci_function *p, unsigned off)
{
	uint64_t v = 0;
	hw_pci_bar_read(p, 0, off, 8, &v);
	return v;
}

static void go(struct hw_pci_function *p, uint64_t src, uint64_t dst, uint32_t len)
{
	hw_pci_bar_write(p, 0, DMATEST_REG_SRC, 8, src);
	hw_pci_bar_write(p, 0, DMATEST_REG_DST, 8, dst);
	hw_pci_bar_write(p, 0, DMATEST_REG_LEN, 4, len);
	hw_pci_bar_write(p, 0, DMATEST_REG_CTRL, 4, DMATEST_CTRL_GO);
}

static int on_fault(struct iommu_domain *d, struct device *dev, uint64_t iova, int flags, void *token)
{
	(void)d;
	(void)dev;
	struct demo_out *o = token;
	demo_say(o, "iommu", "fault handler of the domain: %s at IOVA 0x%llx",
		 flags & IOMMU_FAULT_WRITE ? "write" : "read", (unsigned long long)iova);
	return 0;
}

int demo_pci(struct uiommu_host *h, struct demo_out *o)
{
	struct device *dev = uiommu_device_find(h, "dmatest0");
	struct hw_pci_function *p = cli_hw_function(h, dev);
	if (!p || !p->model) {
		fprintf(stderr, "uiommu demo: this topology has no dmatest0 engine\n");
		return 1;
	}
	char bdf[8];
	demo_say(o, "host", "%s: dmatest engine at %s, IOMMU group %u, unit %s", dev->name,
		 pci_bdf_str(p->rid, bdf), iommu_group_id(iommu_group_get(dev)),
		 vtd_unit_name(p->unit));

	struct iommu_domain *d = iommu_paging_domain_alloc(dev);
	if (!d || iommu_attach_device(d, dev)) {
		fprintf(stderr, "uiommu demo: cannot attach a domain to %s\n", dev->name);
		return 1;
	}
	iommu_set_fault_handler(d, on_fault, o);
	demo_say(o, "kernel", "attached a second-stage paging domain to %s's requester ID",
		 dev->name);

	uint8_t *src = aligned_alloc(4096, BUF), *dst = aligned_alloc(4096, BUF);
	for (unsigned i = 0; i < BUF; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, BUF);
	iommu_map(d, SRC_IOVA, (uint64_t)(uintptr_t)src, BUF, IOMMU_READ);
	iommu_map(d, DST_IOVA, (uint64_t)(uintptr_t)dst, BUF, IOMMU_READ | IOMMU_WRITE);
	demo_say(o, "kernel", "mapped IOVA 0x%llx -> source (read-only), 0x%llx -> destination, %u KiB each",
		 SRC_IOVA, DST_IOVA, BUF >> 10);

	hw_pci_cfg_write(p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	unsigned copies = BUF / 4096;
	for (unsigned i = 0; i < copies; i++)
		go(p, SRC_IOVA + 4096ull * i, DST_IOVA + 4096ull * i, 4096);
	bool ok = memcmp(src, dst, BUF) == 0;
	demo_say(o, "device", "%u copies of 4 KiB through the IOMMU: %s", copies,
		 ok ? "destination matches source" : "MISMATCH");

	go(p, SRC_IOVA, BAD_IOVA, 256);
	uint64_t st = reg(p, DMATEST_REG_STATUS);
	demo_say(o, "device", "copy to IOVA 0x%llx (never mapped): status %s, error %s, faulting address 0x%llx",
		 BAD_IOVA, (uint32_t)st == DMATEST_STATUS_ERROR ? "ERROR" : "DONE",
		 (st >> 32) == DMATEST_ERR_WRITE ? "write blocked by the IOMMU" : "other",
		 (unsigned long long)reg(p, DMATEST_REG_FAULT));

	struct iommu_fault_record f;
	if (iommu_fault_last(h, &f)) {
		demo_say(o, "iommu", "fault record: source %s, %s of 0x%llx, reason 0x%02x (%s)",
			 pci_bdf_str(p->dma_sid, bdf), f.write ? "write" : "read",
			 (unsigned long long)f.addr, f.reason, vtd_fault_reason_str(f.reason));
	}
	struct vtd_stats s;
	vtd_stats_get(p->unit, &s);
	demo_stat(o, "translations", (double)s.translations);
	demo_stat(o, "iotlb_hit_rate",
		  s.translations ? (double)(s.utlb_hits + s.iotlb_hits) / (double)s.translations :
				   0);
	demo_stat(o, "faults", (double)s.faults);
	demo_stat(o, "bytes_copied", (double)reg(p, DMATEST_REG_BYTES));
	demo_done(o, ok && (uint32_t)st == DMATEST_STATUS_ERROR);

	iommu_unmap(d, SRC_IOVA, BUF);
	iommu_unmap(d, DST_IOVA, BUF);
	iommu_detach_device(d, dev);
	iommu_domain_free(d);
	free(src);
	free(dst);
	return ok ? 0 : 1;
}
