/* SPDX-License-Identifier: BSD-3-Clause */
/* A DSA work queue driven through BAR0 and its portal (dsa_wq.h). */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "dsa_wq.h"
#include "hw/dev/dsa/dsa.h"
#include "hw/pci/pci.h"

static int cmd(struct hw_pci_function *fn, unsigned c, uint32_t operand)
{
	uint64_t st = 0;
	if (hw_pci_bar_write(fn, 0, DSA_REG_CMD, 4, DSA_CMD(c, operand)) ||
	    hw_pci_bar_read(fn, 0, DSA_REG_CMDSTS, 4, &st))
		return -EIO;
	return DSA_CMDSTS_ERR(st) == DSA_CMDSTS_SUCCESS ? 0 : -EIO;
}

int dsa_wq_configure(struct hw_pci_function *fn, unsigned wq, unsigned size, uint32_t pasid,
		     bool bof)
{
	if (!dsa_is_dsa(fn))
		return -EINVAL;
	hw_pci_cfg_write(fn, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	uint32_t d2 = DSA_WQCFG_MODE_DEDICATED | (bof ? DSA_WQCFG_BOF : 0);
	if (pasid != DSA_WQ_NO_PASID)
		d2 |= DSA_WQCFG_PASID_EN | DSA_WQCFG_PASID(pasid);
	uint64_t wqs = 0;
	if (hw_pci_bar_read(fn, 0, DSA_GRPCFG_WQS(0), 8, &wqs) ||
	    hw_pci_bar_write(fn, 0, DSA_GRPCFG_WQS(0), 8, wqs | (1ull << wq)) ||
	    hw_pci_bar_write(fn, 0, DSA_GRPCFG_ENGINES(0), 8, 1) ||
	    hw_pci_bar_write(fn, 0, DSA_WQCFG(wq, 0), 4, size) ||
	    hw_pci_bar_write(fn, 0, DSA_WQCFG(wq, 2), 4, d2))
		return -EIO;
	return 0;
}

int dsa_wq_enable(struct hw_pci_function *fn, unsigned wq)
{
	uint64_t gensts = 0;
	if (hw_pci_bar_read(fn, 0, DSA_REG_GENSTS, 4, &gensts))
		return -EIO;
	int rc = (gensts & 3) == DSA_STATE_ENABLED ? 0 : cmd(fn, DSA_CMD_ENABLE_DEVICE, 0);
	return rc ? rc : cmd(fn, DSA_CMD_ENABLE_WQ, wq);
}

int dsa_wq_setup(struct hw_pci_function *fn, unsigned wq, unsigned size, uint32_t pasid, bool bof)
{
	int rc = dsa_wq_configure(fn, wq, size, pasid, bof);
	return rc ? rc : dsa_wq_enable(fn, wq);
}

void dsa_wq_teardown(struct hw_pci_function *fn)
{
	hw_pci_function_reset(fn);
}

struct dsa_hw_desc dsa_desc(uint8_t opcode, uint32_t flags, uint64_t src, uint64_t dst,
			    uint32_t len, uint64_t cr)
{
	struct dsa_hw_desc d;
	memset(&d, 0, sizeof(d));
	d.flags_opcode = DSA_DESC_MAKE_OP(opcode, flags | DSA_FLAG_CRAV | DSA_FLAG_RCR);
	d.completion_addr = cr;
	d.src_addr = src;
	d.dst_addr = dst;
	d.xfer_size = len;
	return d;
}

int dsa_wq_submit(struct hw_pci_function *fn, unsigned wq, const struct dsa_hw_desc *d)
{
	enum dsa_submit_result res;
	int rc = dsa_portal_submit(fn, DSA_WQ_PORTAL(wq, 0), d, DSA_MOVDIR64B, 0, &res);
	if (rc)
		return rc;
	return res == DSA_SUBMIT_ACCEPTED ? 0 : -EAGAIN;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint8_t dsa_wait(const struct dsa_completion_record *cr, double timeout_s)
{
	double end = now_s() + timeout_s;
	for (unsigned i = 0;; i++) {
		uint8_t s = __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE);
		if (s)
			return s;
		if ((i & 1023) == 0 && now_s() > end)
			return 0;
		if (i > 4096)
			sched_yield();
	}
}
