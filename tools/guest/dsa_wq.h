/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DSA work queue driven the way a user-space driver or a guest's idxd
 * does it through the device's BARs (HW.md 4.2-4.6): one group with one
 * dedicated WQ and one engine, the WQ on a PASID (block-on-fault if
 * asked), descriptors written to its portal with MOVDIR64B, completions
 * polled in memory. For tests, the nested demo and benchmarks; the device
 * must have no kernel driver (uiommu_host_opts.no_drivers).
 */
#ifndef UIOMMU_TOOLS_DSA_WQ_H
#define UIOMMU_TOOLS_DSA_WQ_H

#include <stdbool.h>
#include <stdint.h>

#include <uiommu/hw/dsa.h>

struct hw_pci_function;

/* Put WQ `wq` of `size` entries in group 0 with engine 0, dedicated, on
 * PASID `pasid` (DSA_WQ_NO_PASID: its requests carry none), BOF if asked;
 * the device must still be disabled. Then enable the device (if it is
 * not yet) and the WQ. setup = both. 0, or -EIO (a command failed),
 * -EINVAL (not a DSA). */
#define DSA_WQ_NO_PASID 0xffffffffu
int dsa_wq_configure(struct hw_pci_function *fn, unsigned wq, unsigned size, uint32_t pasid,
		     bool bof);
int dsa_wq_enable(struct hw_pci_function *fn, unsigned wq);
int dsa_wq_setup(struct hw_pci_function *fn, unsigned wq, unsigned size, uint32_t pasid, bool bof);
/* Back to power-on state (FLR), so no engine touches memory any more. */
void dsa_wq_teardown(struct hw_pci_function *fn);

/* A descriptor with a completion record (CRAV|RCR), plus `flags`. */
struct dsa_hw_desc dsa_desc(uint8_t opcode, uint32_t flags, uint64_t src, uint64_t dst,
			    uint32_t len, uint64_t cr);
/* MOVDIR64B to the WQ's portal: 0, or -EAGAIN if it was not accepted. */
int dsa_wq_submit(struct hw_pci_function *fn, unsigned wq, const struct dsa_hw_desc *d);
/* The completion status once written, 0 after `timeout_s` seconds. */
uint8_t dsa_wait(const struct dsa_completion_record *cr, double timeout_s);

#endif
