/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DSA-like device model (SPEC D-1 .. D-4) on a full host: dsa0 is
 * programmed through BAR0 the way the idxd driver does (GRPCFG, WQCFG,
 * commands), given I/O address spaces with the IOMMU API (PASID attach),
 * fed descriptors through its portals, and observed through completion
 * records, SWERR, interrupts and statistics.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pci/pci.h"
#include "base/device.h"
#include "hw/dev/dsa/dsa.h"
#include "hw/pci/pri.h"
#include <uiommu/iommu.h>

#define IOVA      0x10000000ull
#define MEM_SIZE  (1u << 20)
#define HOLE      (IOVA + MEM_SIZE)     /* never mapped */
#define CR_OFF    0xf0000u              /* completion records live here */
#define FL        (DSA_FLAG_CRAV | DSA_FLAG_RCR)

struct rig {
	struct uiommu_host *h;
	struct device *dev;
	struct hw_pci_function *p;
	struct iommu_domain *dom;
	ioasid_t pasid;
	uint8_t *mem;
};

static uint64_t iova(const struct rig *r, const void *ptr)
{
	return IOVA + (uint64_t)((const uint8_t *)ptr - r->mem);
}

static struct dsa_completion_record *crec(struct rig *r, unsigned i)
{
	return (struct dsa_completion_record *)(r->mem + CR_OFF + 32 * i);
}

static void rig_init_json(struct rig *r, const char *json)
{
	memset(r, 0, sizeof(*r));
	char err[256];
	/* No kernel driver on the DSA: the test is its driver. */
	struct uiommu_host_opts o = { .topology_json = json, .no_drivers = true };
	int rc = uiommu_host_new(&o, &r->h, err, sizeof(err));
	if (rc)
		fail_msg("host: %s", err);
	r->dev = uiommu_device_find(r->h, "dsa0");
	assert_non_null(r->dev);
	r->p = th_fn(r->dev);
	assert_true(dsa_is_dsa(r->p));
	hw_pci_cfg_write(r->p, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	r->dom = iommu_paging_domain_alloc(r->dev);
	assert_non_null(r->dom);
	r->pasid = iommu_alloc_global_pasid(r->dev);
	assert_int_equal(iommu_attach_device_pasid(r->dom, r->dev, r->pasid), 0);
	r->mem = aligned_alloc(4096, MEM_SIZE);
	assert_non_null(r->mem);
	memset(r->mem, 0, MEM_SIZE);
	assert_int_equal(iommu_map(r->dom, IOVA, (uint64_t)(uintptr_t)r->mem, MEM_SIZE,
				   IOMMU_READ | IOMMU_WRITE),
			 0);
}

static void rig_init(struct rig *r)
{
	rig_init_json(r, NULL);
}

static void rig_fini(struct rig *r)
{
	/* The device first, so no engine touches memory we free. */
	hw_pci_function_reset(r->p);
	iommu_detach_device_pasid(r->dom, r->dev, r->pasid);
	iommu_free_global_pasid(r->dev, r->pasid);
	iommu_domain_free(r->dom);
	uiommu_host_free(r->h);
	free(r->mem);
}

/* ---- register and command helpers ---- */

static uint64_t rd(struct rig *r, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	assert_int_equal(hw_pci_bar_read(r->p, 0, off, size, &v), 0);
	return v;
}

static void wr(struct rig *r, uint64_t off, unsigned size, uint64_t v)
{
	assert_int_equal(hw_pci_bar_write(r->p, 0, off, size, v), 0);
}

static unsigned cmd(struct rig *r, unsigned c, uint32_t operand)
{
	wr(r, DSA_REG_CMD, 4, DSA_CMD(c, operand));
	uint32_t st = (uint32_t)rd(r, DSA_REG_CMDSTS, 4);
	assert_false(st & DSA_CMDSTS_ACTIVE); /* synchronous */
	return DSA_CMDSTS_ERR(st);
}

static void grp(struct rig *r, unsigned g, uint64_t wqs, uint64_t engines)
{
	wr(r, DSA_GRPCFG_WQS(g), 8, wqs);
	wr(r, DSA_GRPCFG_ENGINES(g), 8, engines);
}

static void wqcfg(struct rig *r, unsigned w, uint32_t size, uint32_t d2)
{
	wr(r, DSA_WQCFG(w, 0), 4, size);
	wr(r, DSA_WQCFG(w, 2), 4, d2);
}

#define DED(pasid) (DSA_WQCFG_MODE_DEDICATED | DSA_WQCFG_PASID_EN | DSA_WQCFG_PASID(pasid))
#define SHR        DSA_WQCFG_PASID_EN

/* Group 0: WQ0 (dedicated on the rig's PASID, plus `extra`) and engine 0. */
static void std_setup(struct rig *r, uint32_t extra)
{
	grp(r, 0, 1, 1);
	wqcfg(r, 0, 16, DED(r->pasid) | extra);
	assert_int_equal(cmd(r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(cmd(r, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_SUCCESS);
}

/* ---- descriptor helpers ---- */

static struct dsa_hw_desc mk(uint8_t op, uint32_t flags)
{
	struct dsa_hw_desc d;
	memset(&d, 0, sizeof(d));
	d.flags_opcode = DSA_DESC_MAKE_OP(op, flags);
	return d;
}

static void submit_on(struct rig *r, unsigned wq, const struct dsa_hw_desc *d)
{
	enum dsa_submit_result res;
	assert_int_equal(dsa_portal_submit(r->p, DSA_WQ_PORTAL(wq, 0), d, DSA_MOVDIR64B, 0, &res),
			 0);
	assert_int_equal(res, DSA_SUBMIT_ACCEPTED);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define wait_cr(cr) wait_cr_at(cr, __LINE__)
static uint8_t wait_cr_at(const struct dsa_completion_record *cr, int line)
{
	double end = now_s() + 10;
	for (unsigned i = 0;; i++) {
		uint8_t s = __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE);
		if (s)
			return s;
		if (now_s() > end)
			fail_msg("completion record never written (line %d)", line);
		if (i > 100)
			usleep(20);
	}
}

/* Wait until `cond` holds (engines are threads). */
#define WAIT_FOR(cond)                                                          \
	do {                                                                    \
		double end_ = now_s() + 10;                                     \
		while (!(cond)) {                                               \
			if (now_s() > end_)                                     \
				fail_msg("timed out waiting for " #cond);       \
			usleep(50);                                             \
		}                                                               \
	} while (0)

/* Run one descriptor on WQ0 with record i; its status. */
static uint8_t run_i(struct rig *r, struct dsa_hw_desc *d, unsigned i)
{
	struct dsa_completion_record *cr = crec(r, i);
	memset(cr, 0, sizeof(*cr));
	d->completion_addr = iova(r, cr);
	submit_on(r, 0, d);
	return wait_cr(cr);
}

static uint8_t run(struct rig *r, struct dsa_hw_desc *d)
{
	return run_i(r, d, 0);
}

/* Everything earlier on WQ0 is done once a NOOP behind it completed. */
static void fence(struct rig *r)
{
	struct dsa_hw_desc n = mk(DSA_OPCODE_NOOP, FL);
	assert_int_equal(run_i(r, &n, 100), DSA_COMP_SUCCESS);
}

static uint64_t swerr(struct rig *r, unsigned q)
{
	return rd(r, DSA_REG_SWERR + 8 * q, 8);
}

/* ---- interrupts ---- */

struct irqs {
	atomic_int n;
	atomic_uint last;
	atomic_int vec0;
};

static void on_irq(struct hw_pci_function *d, unsigned vector, void *opaque)
{
	struct irqs *q = opaque;
	(void)d;
	atomic_store(&q->last, vector);
	if (vector == 0)
		atomic_fetch_add(&q->vec0, 1);
	atomic_fetch_add(&q->n, 1);
}

/* An interrupt handler that tries to disable the device from the
 * engine's thread: refused (it would wait for itself). */
struct cmd_from_irq {
	atomic_int calls;
	atomic_uint cmdsts;
};

static void irq_issues_command(struct hw_pci_function *d, unsigned vector, void *opaque)
{
	struct cmd_from_irq *c = opaque;
	uint64_t v = 0;
	hw_pci_bar_write(d, 0, DSA_REG_CMD, 4, DSA_CMD(DSA_CMD_DISABLE_DEVICE, 0));
	hw_pci_bar_read(d, 0, DSA_REG_CMDSTS, 4, &v);
	atomic_store(&c->cmdsts, (unsigned)v);
	atomic_fetch_add(&c->calls, 1);
	(void)vector;
}

/* ---- tests: registers ---- */

static void test_capabilities(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	assert_int_equal(hw_pci_cfg_read(r.p, PCI_VENDOR_ID, 2), DSA_VENDOR_ID);
	assert_int_equal(hw_pci_cfg_read(r.p, PCI_DEVICE_ID, 2), DSA_DEVICE_ID);
	assert_int_equal(rd(&r, DSA_REG_VERSION, 4), 0x10);
	uint64_t g = rd(&r, DSA_REG_GENCAP, 8);
	assert_true(g & DSA_GENCAP_BOF);
	assert_true(g & DSA_GENCAP_OVERLAP_COPY);
	assert_true(g & DSA_GENCAP_CMD_CAP);
	assert_true(g & DSA_GENCAP_CONFIG_EN);
	assert_int_equal(DSA_GENCAP_MAX_XFER_SHIFT(g), 31);
	assert_int_equal(DSA_GENCAP_MAX_BATCH_SHIFT(g), 10);
	uint64_t w = rd(&r, DSA_REG_WQCAP, 8);
	assert_int_equal(DSA_WQCAP_TOTAL_SIZE(w), 128);
	assert_int_equal(DSA_WQCAP_NUM_WQS(w), 8);
	assert_int_equal(DSA_WQCAP_WQCFG_SIZE(w), 0);
	assert_true((w & DSA_WQCAP_SHARED_MODE) && (w & DSA_WQCAP_DEDICATED_MODE));
	assert_true(w & DSA_WQCAP_WQ_PRS);
	assert_int_equal(DSA_GRPCAP_NUM_GROUPS(rd(&r, DSA_REG_GRPCAP, 8)), 4);
	assert_int_equal(DSA_ENGCAP_NUM_ENGINES(rd(&r, DSA_REG_ENGCAP, 8)), 4);
	uint64_t op0 = rd(&r, DSA_REG_OPCAP, 8);
	for (unsigned op = 0; op <= 6; op++)
		assert_true(op0 & (1ull << op));
	assert_false(op0 & (1ull << 7));
	assert_true(op0 & (1ull << DSA_OPCODE_CRCGEN));
	assert_true(op0 & (1ull << DSA_OPCODE_COPY_CRC));
	assert_int_equal(rd(&r, DSA_REG_OPCAP + 8, 8), 0);
	/* 32-bit halves agree with the 64-bit read. */
	assert_int_equal(rd(&r, DSA_REG_GENCAP + 4, 4), g >> 32);
	uint64_t t = rd(&r, DSA_REG_TABLE_OFFSET, 8);
	assert_int_equal((t & 0xffff) * DSA_TABLE_MULT, DSA_GRPCFG_OFFSET);
	assert_int_equal(((t >> 16) & 0xffff) * DSA_TABLE_MULT, DSA_WQCFG_OFFSET);
	uint32_t cc = (uint32_t)rd(&r, DSA_REG_CMDCAP, 4);
	for (unsigned c = DSA_CMD_ENABLE_DEVICE; c <= DSA_CMD_ABORT_PASID; c++)
		assert_true(cc & (1u << c));
	assert_int_equal(rd(&r, DSA_REG_GENSTS, 4), DSA_STATE_DISABLED);
	assert_int_equal(r.p->bar_size[0], DSA_BAR0_SIZE);
	assert_int_equal(r.p->bar_size[2], 8 * 4 * DSA_PORTAL_SIZE);
	/* Read-only registers ignore writes. */
	wr(&r, DSA_REG_GENCAP, 8, 0);
	assert_int_equal(rd(&r, DSA_REG_GENCAP, 8), g);
	rig_fini(&r);
}

static void test_bad_accesses(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	uint64_t v;
	assert_int_equal(hw_pci_bar_read(r.p, 0, DSA_REG_GENCAP, 2, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_read(r.p, 0, DSA_REG_GENCAP, 1, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_read(r.p, 0, DSA_REG_GENCAP + 4, 8, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_read(r.p, 0, DSA_REG_GENCAP + 2, 4, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_write(r.p, 0, DSA_REG_GENCTRL, 2, 1), -EINVAL);
	assert_int_equal(hw_pci_bar_write(r.p, 0, DSA_REG_CMD + 1, 4, 1), -EINVAL);
	assert_int_equal(hw_pci_bar_read(r.p, 0, DSA_BAR0_SIZE, 4, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_read(r.p, 0, DSA_BAR0_SIZE - 4, 8, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_read(r.p, 1, 0, 4, &v), -EINVAL);
	/* Portals are written with dsa_portal_submit, not MMIO. */
	assert_int_equal(hw_pci_bar_read(r.p, 2, 0, 8, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_write(r.p, 2, 0, 8, 0), -EINVAL);
	/* Reserved space reads 0. */
	assert_int_equal(rd(&r, 0x300, 8), 0);
	/* GENCTRL is read-write, INTCAUSE write-1-to-clear. */
	wr(&r, DSA_REG_GENCTRL, 4, 0xffffffff);
	assert_int_equal(rd(&r, DSA_REG_GENCTRL, 4), 3);
	wr(&r, DSA_REG_GENCTRL, 4, 0);
	/* A bad portal write. */
	struct dsa_hw_desc d = mk(DSA_OPCODE_NOOP, 0);
	enum dsa_submit_result res;
	assert_int_equal(dsa_portal_submit(r.p, 8, &d, DSA_MOVDIR64B, 0, &res), -EINVAL);
	assert_int_equal(dsa_portal_submit(r.p, r.p->bar_size[2], &d, DSA_MOVDIR64B, 0, &res),
			 -EINVAL);
	assert_int_equal(dsa_portal_submit(r.p, 0, &d, (enum dsa_portal_op)7, 0, &res), -EINVAL);
	assert_int_equal(dsa_portal_submit(r.p, 0, &d, DSA_ENQCMD, 1u << 20, &res), -EINVAL);
	assert_int_equal(dsa_portal_submit(r.p, 0, NULL, DSA_MOVDIR64B, 0, &res), -EINVAL);
	struct device *dt = uiommu_device_find(r.h, "dmatest0");
	assert_int_equal(dsa_portal_submit(th_fn(dt), 0, &d, DSA_MOVDIR64B, 0, &res), -ENODEV);
	/* No SWERR for any of them. */
	assert_int_equal(swerr(&r, 0), 0);
	rig_fini(&r);
}

static void test_config_locked_while_enabled(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	grp(&r, 0, 0x3, 0x1);
	wqcfg(&r, 0, 16, DED(r.pasid));
	wqcfg(&r, 1, 8, DED(r.pasid));
	/* WQCFG round trip, 64-bit, dword 6 read-only. */
	wr(&r, DSA_WQCFG(1, 0), 8, 0x0000000500000008ull); /* size 8, thresh 5 */
	assert_int_equal(rd(&r, DSA_WQCFG(1, 0), 8), 0x0000000500000008ull);
	wr(&r, DSA_WQCFG(1, 6), 4, 0xffffffff);
	assert_int_equal(rd(&r, DSA_WQCFG(1, 6), 4), 0);
	assert_int_equal(rd(&r, DSA_WQCFG(0, 3), 4),
			 DSA_WQCFG_MAX_XFER_SHIFT(31) | DSA_WQCFG_MAX_BATCH_SHIFT(10));
	/* GRPCFG masks WQs and engines that do not exist. */
	wr(&r, DSA_GRPCFG_ENGINES(3), 8, ~0ull);
	assert_int_equal(rd(&r, DSA_GRPCFG_ENGINES(3), 8), 0xf);
	wr(&r, DSA_GRPCFG_WQS(3), 8, ~0ull);
	assert_int_equal(rd(&r, DSA_GRPCFG_WQS(3), 8), 0xff);
	assert_int_equal(rd(&r, DSA_GRPCFG_WQS(3) + 8, 8), 0);
	grp(&r, 3, 0, 0);

	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(rd(&r, DSA_REG_GENSTS, 4), DSA_STATE_ENABLED);
	/* Device enabled: GRPCFG and GENCFG refuse writes. */
	wr(&r, DSA_GRPCFG_ENGINES(0), 8, 0x3);
	assert_int_equal(rd(&r, DSA_GRPCFG_ENGINES(0), 8), 0x1);
	wr(&r, DSA_REG_GENCFG, 4, 0x12);
	assert_int_equal(rd(&r, DSA_REG_GENCFG, 4), 0);
	/* WQ disabled: its WQCFG is still writable. */
	wr(&r, DSA_WQCFG(0, 0), 4, 32);
	assert_int_equal(rd(&r, DSA_WQCFG(0, 0), 4), 32);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(DSA_WQCFG_STATE((uint32_t)rd(&r, DSA_WQCFG(0, 6), 4)),
			 DSA_WQ_STATE_ENABLED);
	/* WQ enabled: every WQCFG write is refused. */
	for (unsigned dw = 0; dw < 8; dw++) {
		uint32_t before = (uint32_t)rd(&r, DSA_WQCFG(0, dw), 4);
		wr(&r, DSA_WQCFG(0, dw), 4, 0x5a5a5a5a);
		assert_int_equal(rd(&r, DSA_WQCFG(0, dw), 4), before);
	}
	wr(&r, DSA_WQCFG(0, 0), 8, 0x1111111122222222ull);
	assert_int_equal(rd(&r, DSA_WQCFG(0, 0), 4), 32);
	/* ... and the WQ still works with what it was enabled with. */
	struct dsa_hw_desc n = mk(DSA_OPCODE_NOOP, FL);
	assert_int_equal(run(&r, &n), DSA_COMP_SUCCESS);
	assert_int_equal(cmd(&r, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(0)), DSA_CMDSTS_SUCCESS);
	assert_int_equal(DSA_WQCFG_STATE((uint32_t)rd(&r, DSA_WQCFG(0, 6), 4)),
			 DSA_WQ_STATE_DISABLED);
	wr(&r, DSA_WQCFG(0, 0), 4, 20);
	assert_int_equal(rd(&r, DSA_WQCFG(0, 0), 4), 20);
	assert_int_equal(cmd(&r, DSA_CMD_DISABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
	wr(&r, DSA_GRPCFG_ENGINES(0), 8, 0x3);
	assert_int_equal(rd(&r, DSA_GRPCFG_ENGINES(0), 8), 0x3);
	rig_fini(&r);
}

static void test_command_errors(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	assert_int_equal(cmd(&r, 0x1f, 0), DSA_CMDSTS_INVAL_CMD);
	assert_int_equal(cmd(&r, 0, 0), DSA_CMDSTS_INVAL_CMD);
	assert_int_equal(cmd(&r, DSA_CMD_DISABLE_DEVICE, 0), DSA_CMDSTS_ERR_DEV_NOT_EN);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_ERR_DEV_NOTEN);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 8), DSA_CMDSTS_INVAL_WQIDX);
	assert_int_equal(cmd(&r, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(9)), DSA_CMDSTS_INVAL_WQIDX);
	assert_int_equal(cmd(&r, DSA_CMD_DRAIN_WQ, 0), DSA_CMDSTS_INVAL_WQIDX);
	/* ENABLE_DEVICE: bus mastering first. */
	hw_pci_cfg_write(r.p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_BUSMASTER_EN);
	hw_pci_cfg_write(r.p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	/* Nothing configured. */
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_CONFIG);
	/* WQ sizes above the total. */
	grp(&r, 0, 0x3, 0x1);
	wqcfg(&r, 0, 100, DED(r.pasid));
	wqcfg(&r, 1, 29, DED(r.pasid));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_WQ_SIZE_ERANGE);
	wqcfg(&r, 1, 28, DED(r.pasid));
	/* A WQ in two groups, an engine in two groups. */
	grp(&r, 1, 0x2, 0x2);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_GRP_CONFIG);
	grp(&r, 1, 0x4, 0x1);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_GRP_CONFIG2);
	/* A group with WQs and no engine. */
	grp(&r, 1, 0x4, 0x0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_GRP_CONFIG3);
	/* Read buffers beyond GRPCAP.total_rdbufs. */
	grp(&r, 1, 0, 0);
	uint32_t total = (uint32_t)((rd(&r, DSA_REG_GRPCAP, 8) >> 8) & 0xff);
	wr(&r, DSA_GRPCFG_FLAGS(0), 8, (uint64_t)(total + 1) << 20);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_GRP_CONFIG4);
	wr(&r, DSA_GRPCFG_FLAGS(0), 8, (uint64_t)total << 20);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_DEV_ENABLED);

	/* ENABLE_WQ errors. */
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_ERR_WQ_ENABLED);
	wqcfg(&r, 1, 29, DED(r.pasid)); /* 100 + 29 > 128 */
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 1), DSA_CMDSTS_ERR_WQ_SIZE);
	wqcfg(&r, 1, 0, DED(r.pasid));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 1), DSA_CMDSTS_ERR_WQ_SIZE);
	wqcfg(&r, 1, 8, 0); /* shared without PASID */
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 1), DSA_CMDSTS_ERR_WQ_MODE);
	wqcfg(&r, 1, 8, DED(r.pasid));
	wr(&r, DSA_WQCFG(1, 3), 4, DSA_WQCFG_MAX_XFER_SHIFT(31) | DSA_WQCFG_MAX_BATCH_SHIFT(11));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 1), DSA_CMDSTS_ERR_MAX_BATCH_SIZE);
	wr(&r, DSA_WQCFG(1, 3), 4, DSA_WQCFG_MAX_XFER_SHIFT(20) | DSA_WQCFG_MAX_BATCH_SHIFT(3));
	/* PASID enable needs the function's PASID capability enabled. */
	uint16_t pc = (uint16_t)hw_pci_cfg_read(r.p, r.p->ecap_pasid + PCI_PASID_CTRL, 2);
	assert_true(pc & PCI_PASID_CTRL_ENABLE);
	hw_pci_cfg_write(r.p, r.p->ecap_pasid + PCI_PASID_CTRL, 2, 0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 1), DSA_CMDSTS_ERR_PASID_EN);
	hw_pci_cfg_write(r.p, r.p->ecap_pasid + PCI_PASID_CTRL, 2, pc);
	/* A WQ in no group. */
	wqcfg(&r, 2, 4, DED(r.pasid));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 2), DSA_CMDSTS_ERR_GRP_CONFIG);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 1), DSA_CMDSTS_SUCCESS);
	/* The others of the family succeed on enabled WQs. */
	assert_int_equal(cmd(&r, DSA_CMD_DRAIN_WQ, DSA_WQ_OPERAND(0) | DSA_WQ_OPERAND(1)),
			 DSA_CMDSTS_SUCCESS);
	assert_int_equal(cmd(&r, DSA_CMD_ABORT_WQ, DSA_WQ_OPERAND(1)), DSA_CMDSTS_SUCCESS);
	assert_int_equal(cmd(&r, DSA_CMD_DRAIN_PASID, r.pasid), DSA_CMDSTS_SUCCESS);
	assert_int_equal(cmd(&r, DSA_CMD_ABORT_PASID, r.pasid), DSA_CMDSTS_SUCCESS);
	assert_int_equal(cmd(&r, DSA_CMD_DRAIN_ALL, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(cmd(&r, DSA_CMD_ABORT_ALL, 0), DSA_CMDSTS_SUCCESS);
	/* Abort leaves WQs enabled and working. */
	assert_int_equal(DSA_WQCFG_STATE((uint32_t)rd(&r, DSA_WQCFG(1, 6), 4)),
			 DSA_WQ_STATE_ENABLED);
	struct dsa_hw_desc n = mk(DSA_OPCODE_NOOP, FL);
	assert_int_equal(run(&r, &n), DSA_COMP_SUCCESS);
	/* RESET_WQ disables and returns WQCFG to power-on. */
	assert_int_equal(cmd(&r, DSA_CMD_RESET_WQ, DSA_WQ_OPERAND(1)), DSA_CMDSTS_SUCCESS);
	assert_int_equal(rd(&r, DSA_WQCFG(1, 0), 4), 0);
	assert_int_equal(rd(&r, DSA_WQCFG(1, 2), 4), 0);
	assert_int_equal(DSA_WQCFG_STATE((uint32_t)rd(&r, DSA_WQCFG(1, 6), 4)),
			 DSA_WQ_STATE_DISABLED);
	/* The command interrupt. */
	struct irqs q = { 0 };
	dsa_set_irq_handler(r.p, on_irq, &q);
	wr(&r, DSA_REG_CMD, 4, DSA_CMD(DSA_CMD_DRAIN_ALL, 0) | DSA_CMD_INT_REQ);
	assert_int_equal(atomic_load(&q.vec0), 1);
	assert_true(rd(&r, DSA_REG_INTCAUSE, 4) & DSA_INTCAUSE_CMD);
	wr(&r, DSA_REG_INTCAUSE, 4, DSA_INTCAUSE_CMD);
	assert_int_equal(rd(&r, DSA_REG_INTCAUSE, 4), 0);
	dsa_set_irq_handler(r.p, NULL, NULL);
	assert_int_equal(cmd(&r, DSA_CMD_DISABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(rd(&r, DSA_REG_GENSTS, 4), DSA_STATE_DISABLED);
	rig_fini(&r);
}

/* ---- tests: operations ---- */

static void test_memmove_memfill(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	std_setup(&r, 0);
	uint8_t *src = r.mem + 0x1003, *dst = r.mem + 0x8007, *ref = malloc(20000);
	for (unsigned i = 0; i < 10000; i++)
		src[i] = (uint8_t)(i * 7 + 1);
	struct dsa_hw_desc d = mk(DSA_OPCODE_MEMMOVE, FL);
	d.src_addr = iova(&r, src);
	d.dst_addr = iova(&r, dst);
	d.xfer_size = 10000; /* crosses pages on both sides */
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	assert_memory_equal(dst, src, 10000);
	assert_int_equal(dst[10000], 0);
	assert_int_equal(dst[-1], 0);

	/* Overlapping, destination above: memmove semantics. */
	memcpy(ref, src, 10000);
	memmove(ref + 3000, ref, 6000);
	d.dst_addr = d.src_addr + 3000;
	d.xfer_size = 6000;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	assert_memory_equal(src, ref, 10000);
	/* ... and below. */
	memmove(ref, ref + 5000, 4000);
	d.dst_addr = iova(&r, src);
	d.src_addr = d.dst_addr + 5000;
	d.xfer_size = 4000;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	assert_memory_equal(src, ref, 10000);

	/* MEMFILL: the 8-byte pattern laid from the destination start. */
	const uint64_t pat = 0x8877665544332211ull;
	struct dsa_hw_desc f = mk(DSA_OPCODE_MEMFILL, FL);
	f.pattern = pat;
	f.dst_addr = iova(&r, r.mem + 0x20ffd);
	f.xfer_size = 4099;
	assert_int_equal(run(&r, &f), DSA_COMP_SUCCESS);
	for (unsigned i = 0; i < 4099; i++)
		assert_int_equal(r.mem[0x20ffd + i], (uint8_t)(pat >> (8 * (i % 8))));
	assert_int_equal(r.mem[0x20ffd + 4099], 0);
	assert_int_equal(r.mem[0x20ffc], 0);

	/* NOOP, and the record layout on success. */
	struct dsa_hw_desc n = mk(DSA_OPCODE_NOOP, FL);
	assert_int_equal(run(&r, &n), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->bytes_completed, 0);
	assert_int_equal(crec(&r, 0)->fault_addr, 0);

	struct dsa_stats st;
	dsa_get_stats(r.p, &st);
	assert_int_equal(st.nr_wqs, 8);
	assert_int_equal(st.wq[0].descs_completed, 5);
	assert_int_equal(st.wq[0].bytes_moved, 10000 + 6000 + 4000 + 4099);
	assert_int_equal(st.wq[0].page_faults, 0);
	assert_int_equal(st.wq[1].descs_completed, 0);
	free(ref);
	rig_fini(&r);
}

static void test_compare_compval(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	std_setup(&r, 0);
	uint8_t *a = r.mem + 0x3000, *b = r.mem + 0x7010;
	for (unsigned i = 0; i < 6000; i++)
		a[i] = b[i] = (uint8_t)(i ^ 0x5a);
	struct dsa_hw_desc d = mk(DSA_OPCODE_COMPARE, FL);
	d.src_addr = iova(&r, a);
	d.src2_addr = iova(&r, b);
	d.xfer_size = 6000;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->result, 0);
	b[4777] ^= 1;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->result, 1);
	assert_int_equal(crec(&r, 0)->bytes_completed, 4777);
	/* Check result: a mismatch against the expectation is SUCCESS_PRED. */
	d = mk(DSA_OPCODE_COMPARE, FL | DSA_FLAG_CR);
	d.src_addr = iova(&r, a);
	d.src2_addr = iova(&r, b);
	d.xfer_size = 6000;
	d.expected_res = 0;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS_PRED);
	assert_int_equal(crec(&r, 0)->result, 1);
	d.expected_res = 1;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);

	const uint64_t pat = 0x0123456789abcdefull;
	uint8_t *v = r.mem + 0x10005;
	for (unsigned i = 0; i < 5000; i++)
		v[i] = (uint8_t)(pat >> (8 * (i % 8)));
	struct dsa_hw_desc c = mk(DSA_OPCODE_COMPVAL, FL);
	c.src_addr = iova(&r, v);
	c.comp_pattern = pat;
	c.xfer_size = 5000;
	assert_int_equal(run(&r, &c), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->result, 0);
	v[4093] ^= 0x80; /* right before the page boundary of v + 4093 */
	assert_int_equal(run(&r, &c), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->result, 1);
	assert_int_equal(crec(&r, 0)->bytes_completed, 4093);
	v[4093] ^= 0x80;
	v[13] ^= 1;
	c = mk(DSA_OPCODE_COMPVAL, FL | DSA_FLAG_CR);
	c.src_addr = iova(&r, v);
	c.comp_pattern = pat;
	c.xfer_size = 5000;
	assert_int_equal(run(&r, &c), DSA_COMP_SUCCESS_PRED);
	assert_int_equal(crec(&r, 0)->bytes_completed, 13);
	rig_fini(&r);
}

static void test_crc(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	std_setup(&r, 0);
	uint8_t *txt = r.mem + 0x5ffb; /* across a page boundary */
	memcpy(txt, "123456789", 9);
	struct dsa_hw_desc d = mk(DSA_OPCODE_CRCGEN, FL);
	d.src_addr = iova(&r, txt);
	d.xfer_size = 9;
	d.crc_seed = 0;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->crc_val, 0xE3069283u);
	/* The result is the seed to continue with. */
	d.xfer_size = 4;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	uint32_t part = crec(&r, 0)->crc_val;
	d.src_addr += 4;
	d.xfer_size = 5;
	d.crc_seed = part;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->crc_val, 0xE3069283u);

	/* COPY_CRC: a copy and the CRC of what was copied. */
	uint8_t *src = r.mem + 0x30000, *dst = r.mem + 0x40001;
	for (unsigned i = 0; i < 9000; i++)
		src[i] = (uint8_t)(i * 13);
	struct dsa_hw_desc c = mk(DSA_OPCODE_CRCGEN, FL);
	c.src_addr = iova(&r, src);
	c.xfer_size = 9000;
	assert_int_equal(run(&r, &c), DSA_COMP_SUCCESS);
	uint32_t want = crec(&r, 0)->crc_val;
	c = mk(DSA_OPCODE_COPY_CRC, FL);
	c.src_addr = iova(&r, src);
	c.dst_addr = iova(&r, dst);
	c.xfer_size = 9000;
	assert_int_equal(run(&r, &c), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->crc_val, want);
	assert_memory_equal(dst, src, 9000);
	/* COPY_CRC never overlaps. */
	c.dst_addr = c.src_addr + 100;
	assert_int_equal(run(&r, &c), DSA_COMP_OVERLAP_BUFFERS);
	rig_fini(&r);
}

static void test_invalid_descriptors(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	grp(&r, 0, 1, 1);
	wqcfg(&r, 0, 16, DED(r.pasid));
	wr(&r, DSA_WQCFG(0, 3), 4, DSA_WQCFG_MAX_XFER_SHIFT(12) | DSA_WQCFG_MAX_BATCH_SHIFT(3));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), 0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), 0);

	struct dsa_hw_desc d = mk(0x07, FL); /* CR_DELTA: not implemented */
	assert_int_equal(run(&r, &d), DSA_COMP_BAD_OPCODE);
	d = mk(0x42, FL);
	assert_int_equal(run(&r, &d), DSA_COMP_BAD_OPCODE);
	d = mk(DSA_OPCODE_MEMMOVE, FL | 0x100);
	d.xfer_size = 8;
	assert_int_equal(run(&r, &d), DSA_COMP_INVALID_FLAGS);
	assert_int_equal(crec(&r, 0)->invalid_flags, 0x100);
	d = mk(DSA_OPCODE_MEMMOVE, FL | DSA_FLAG_CR); /* CR is for compares */
	d.xfer_size = 8;
	assert_int_equal(run(&r, &d), DSA_COMP_INVALID_FLAGS);
	assert_int_equal(crec(&r, 0)->invalid_flags, DSA_FLAG_CR);
	d = mk(DSA_OPCODE_MEMMOVE, FL);
	d.src_addr = IOVA;
	d.dst_addr = IOVA + 0x8000;
	d.xfer_size = 0;
	assert_int_equal(run(&r, &d), DSA_COMP_XFER_ERANGE);
	d.xfer_size = 4097; /* WQ max_xfer_shift 12 */
	assert_int_equal(run(&r, &d), DSA_COMP_XFER_ERANGE);
	d.xfer_size = 4096;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	d.src_addr = ~0ull - 100;
	d.xfer_size = 1000;
	assert_int_equal(run(&r, &d), DSA_COMP_XFER_ERANGE);
	/* Batch count and list alignment. */
	struct dsa_hw_desc b = mk(DSA_OPCODE_BATCH, FL);
	b.desc_list_addr = IOVA + 0x1000;
	b.desc_count = 1;
	assert_int_equal(run(&r, &b), DSA_COMP_DESC_CNT_ERANGE);
	b.desc_count = 9; /* max_batch_shift 3 */
	assert_int_equal(run(&r, &b), DSA_COMP_DESC_CNT_ERANGE);
	b.desc_count = 2;
	b.desc_list_addr = IOVA + 0x1020;
	assert_int_equal(run(&r, &b), DSA_COMP_DESCLIST_ALIGN);

	/* Without RCR a success writes nothing; a failure still does. */
	struct dsa_hw_desc q = mk(DSA_OPCODE_NOOP, DSA_FLAG_CRAV);
	memset(crec(&r, 1), 0, 32);
	q.completion_addr = iova(&r, crec(&r, 1));
	submit_on(&r, 0, &q);
	struct dsa_hw_desc bad = mk(0x09, DSA_FLAG_CRAV);
	memset(crec(&r, 2), 0, 32);
	bad.completion_addr = iova(&r, crec(&r, 2));
	submit_on(&r, 0, &bad);
	fence(&r);
	assert_int_equal(crec(&r, 1)->status, 0);
	assert_int_equal(crec(&r, 2)->status, DSA_COMP_BAD_OPCODE);
	/* No SWERR so far. */
	assert_int_equal(swerr(&r, 0), 0);
	rig_fini(&r);
}

static void test_batch(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	std_setup(&r, 0);
	struct dsa_hw_desc *list = (struct dsa_hw_desc *)(r.mem + 0x2000);
	uint8_t *src = r.mem + 0x10000, *dst = r.mem + 0x18000;
	memset(src, 0xab, 4096);
	memcpy(r.mem + 0x1f000, "123456789", 9);
	list[0] = mk(DSA_OPCODE_MEMMOVE, FL);
	list[0].src_addr = iova(&r, src);
	list[0].dst_addr = iova(&r, dst);
	list[0].xfer_size = 4096;
	list[0].completion_addr = iova(&r, crec(&r, 1));
	list[1] = mk(DSA_OPCODE_MEMFILL, 0); /* no record */
	list[1].pattern = 0x0101010101010101ull;
	list[1].dst_addr = iova(&r, dst + 4096);
	list[1].xfer_size = 100;
	list[2] = mk(DSA_OPCODE_CRCGEN, FL | DSA_FLAG_FENCE);
	list[2].src_addr = IOVA + 0x1f000;
	list[2].xfer_size = 9;
	list[2].completion_addr = iova(&r, crec(&r, 2));
	list[3] = mk(DSA_OPCODE_NOOP, FL);
	list[3].completion_addr = iova(&r, crec(&r, 3));
	struct dsa_hw_desc b = mk(DSA_OPCODE_BATCH, FL);
	b.desc_list_addr = iova(&r, list);
	b.desc_count = 4;
	assert_int_equal(run(&r, &b), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->bytes_completed, 4);
	assert_int_equal(crec(&r, 1)->status, DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 2)->status, DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 2)->crc_val, 0xE3069283u);
	assert_int_equal(crec(&r, 3)->status, DSA_COMP_SUCCESS);
	assert_memory_equal(dst, src, 4096);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(dst[4096 + i], 1);

	/* A member faulting in the middle: its own record says so, the
	 * others run, the batch fails with the count processed. */
	memset(r.mem + CR_OFF, 0, 4 * 32);
	memset(dst, 0, 8192);
	list[1] = mk(DSA_OPCODE_MEMMOVE, FL);
	list[1].src_addr = iova(&r, src);
	list[1].dst_addr = HOLE + 0x10;
	list[1].xfer_size = 64;
	list[1].completion_addr = iova(&r, crec(&r, 2));
	list[2] = mk(DSA_OPCODE_MEMMOVE, FL);
	list[2].src_addr = iova(&r, src);
	list[2].dst_addr = iova(&r, dst + 4096);
	list[2].xfer_size = 64;
	list[2].completion_addr = iova(&r, crec(&r, 3));
	b.desc_count = 3;
	assert_int_equal(run(&r, &b), DSA_COMP_BATCH_FAIL);
	assert_int_equal(crec(&r, 0)->bytes_completed, 3);
	assert_int_equal(crec(&r, 1)->status, DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 2)->status, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	assert_int_equal(crec(&r, 2)->fault_addr, HOLE + 0x10);
	assert_int_equal(crec(&r, 2)->bytes_completed, 0);
	assert_int_equal(crec(&r, 3)->status, DSA_COMP_SUCCESS);
	assert_memory_equal(dst + 4096, src, 64);

	/* A fence after the failure ends the batch there. */
	memset(r.mem + CR_OFF, 0, 4 * 32);
	memset(dst + 4096, 0, 64);
	list[2].flags_opcode = DSA_DESC_MAKE_OP(DSA_OPCODE_MEMMOVE, FL | DSA_FLAG_FENCE);
	assert_int_equal(run(&r, &b), DSA_COMP_BATCH_FAIL);
	assert_int_equal(crec(&r, 0)->bytes_completed, 2);
	assert_int_equal(crec(&r, 3)->status, 0);
	assert_int_equal(dst[4096], 0);

	/* Batches and drains cannot be members. */
	list[1] = mk(DSA_OPCODE_BATCH, FL);
	list[1].completion_addr = iova(&r, crec(&r, 2));
	list[2] = mk(DSA_OPCODE_DRAIN, FL);
	list[2].completion_addr = iova(&r, crec(&r, 3));
	assert_int_equal(run(&r, &b), DSA_COMP_BATCH_FAIL);
	assert_int_equal(crec(&r, 2)->status, DSA_COMP_BAD_OPCODE);
	assert_int_equal(crec(&r, 3)->status, DSA_COMP_BAD_OPCODE);

	/* The list itself runs into unmapped space. */
	struct dsa_hw_desc *tail = (struct dsa_hw_desc *)(r.mem + MEM_SIZE - 64);
	*tail = mk(DSA_OPCODE_NOOP, FL);
	tail->completion_addr = iova(&r, crec(&r, 1));
	b.desc_list_addr = iova(&r, tail);
	b.desc_count = 2;
	assert_int_equal(run(&r, &b), DSA_COMP_BATCH_PAGE_FAULT);
	assert_int_equal(crec(&r, 0)->fault_addr, HOLE);
	assert_int_equal(crec(&r, 0)->bytes_completed, 1);
	rig_fini(&r);
}

static void test_drain_descriptor(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	std_setup(&r, 0);
	uint8_t *src = r.mem + 0x20000, *dst = r.mem + 0x40000;
	memset(src, 0x3c, 0x10000);
	for (unsigned i = 0; i < 8; i++) {
		struct dsa_hw_desc d = mk(DSA_OPCODE_MEMMOVE, FL);
		d.src_addr = iova(&r, src);
		d.dst_addr = iova(&r, dst + i * 0x2000);
		d.xfer_size = 0x2000;
		memset(crec(&r, 10 + i), 0, 32);
		d.completion_addr = iova(&r, crec(&r, 10 + i));
		submit_on(&r, 0, &d);
	}
	struct dsa_hw_desc dr = mk(DSA_OPCODE_DRAIN, FL);
	assert_int_equal(run(&r, &dr), DSA_COMP_SUCCESS);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(crec(&r, 10 + i)->status, DSA_COMP_SUCCESS);
	assert_memory_equal(dst, src, 0x10000);
	rig_fini(&r);
}

/* ---- tests: faults and isolation ---- */

static void test_page_fault_no_bof(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	std_setup(&r, 0);
	/* A hole in the middle of the mapping. */
	assert_int_equal(iommu_unmap(r.dom, IOVA + 0x6000, 0x1000), 0x1000);
	uint8_t *src = r.mem + 0x5000, *dst = r.mem + 0x20000;
	memset(src, 0x77, 0x1000);
	/* Reading runs into the hole after 0x800 bytes. */
	struct dsa_hw_desc d = mk(DSA_OPCODE_MEMMOVE, FL);
	d.src_addr = iova(&r, src) + 0x800;
	d.dst_addr = iova(&r, dst);
	d.xfer_size = 0x2000;
	assert_int_equal(run(&r, &d), DSA_COMP_PAGE_FAULT_NOBOF);
	assert_int_equal(crec(&r, 0)->bytes_completed, 0x800);
	assert_int_equal(crec(&r, 0)->fault_addr, IOVA + 0x6000);
	assert_memory_equal(dst, src + 0x800, 0x800);
	assert_int_equal(dst[0x800], 0);
	/* Writing into it: the write bit. */
	d.src_addr = iova(&r, dst);
	d.dst_addr = IOVA + 0x5f00;
	d.xfer_size = 0x400;
	assert_int_equal(run(&r, &d), DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	assert_int_equal(crec(&r, 0)->bytes_completed, 0x100);
	assert_int_equal(crec(&r, 0)->fault_addr, IOVA + 0x6000);
	/* MEMFILL, CRC and COMPARE report partial progress too. */
	struct dsa_hw_desc f = mk(DSA_OPCODE_MEMFILL, FL);
	f.dst_addr = IOVA + 0x5ff8;
	f.xfer_size = 100;
	assert_int_equal(run(&r, &f), DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	assert_int_equal(crec(&r, 0)->bytes_completed, 8);
	struct dsa_hw_desc c = mk(DSA_OPCODE_CRCGEN, FL);
	c.src_addr = IOVA + 0x5ffc;
	c.xfer_size = 10;
	memcpy(r.mem + 0x5ffc, "1234", 4);
	assert_int_equal(run(&r, &c), DSA_COMP_PAGE_FAULT_NOBOF);
	assert_int_equal(crec(&r, 0)->bytes_completed, 4);
	uint32_t part = crec(&r, 0)->crc_val;
	memcpy(r.mem + 0x7000, "56789", 5);
	c.src_addr = IOVA + 0x7000;
	c.xfer_size = 5;
	c.crc_seed = part;
	assert_int_equal(run(&r, &c), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 0)->crc_val, 0xE3069283u);
	/* Downward overlapping copy faulting: result says the direction. */
	/* The destination's top runs 0x100 bytes past the mapping. */
	d.xfer_size = 0x20000;
	d.src_addr = IOVA + MEM_SIZE - 0x20000;
	d.dst_addr = d.src_addr + 0x100;
	assert_int_equal(run(&r, &d), DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	assert_int_equal(crec(&r, 0)->result, 1);
	assert_int_equal(crec(&r, 0)->bytes_completed, 0);
	assert_int_equal(crec(&r, 0)->fault_addr & ~0xfffull, HOLE);

	struct dsa_stats st;
	dsa_get_stats(r.p, &st);
	assert_true(st.wq[0].page_faults >= 5);
	assert_int_equal(st.wq[0].page_requests, 0);
	rig_fini(&r);
}

static void test_isolation(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	/* A second address space on its own PASID, the same IOVA range
	 * backed by other memory; WQ1 is dedicated to it. */
	struct iommu_domain *d2 = iommu_paging_domain_alloc(r.dev);
	ioasid_t p2 = iommu_alloc_global_pasid(r.dev);
	assert_int_equal(iommu_attach_device_pasid(d2, r.dev, p2), 0);
	uint8_t *m2 = aligned_alloc(4096, 0x10000);
	memset(m2, 0x22, 0x10000);
	assert_int_equal(iommu_map(d2, IOVA, (uint64_t)(uintptr_t)m2, 0x10000,
				   IOMMU_READ | IOMMU_WRITE),
			 0);
	grp(&r, 0, 0x3, 0x1);
	wqcfg(&r, 0, 16, DED(r.pasid));
	wqcfg(&r, 1, 16, DED(p2));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), 0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), 0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 1), 0);
	memset(r.mem, 0x11, 0x10000);

	/* WQ1 copies within its own space: domain 1's memory is untouched. */
	struct dsa_hw_desc d = mk(DSA_OPCODE_MEMFILL, DSA_FLAG_CRAV | DSA_FLAG_RCR);
	d.pattern = 0x3333333333333333ull;
	d.dst_addr = IOVA + 0x1000;
	d.xfer_size = 0x1000;
	d.completion_addr = IOVA + 0x8000; /* in domain 2: m2 + 0x8000 */
	memset(m2 + 0x8000, 0, 32);
	/* The descriptor's own PASID field is ignored on a dedicated WQ. */
	d.pasid_priv = r.pasid;
	submit_on(&r, 1, &d);
	wait_cr((struct dsa_completion_record *)(m2 + 0x8000));
	assert_int_equal(m2[0x8000], DSA_COMP_SUCCESS);
	assert_int_equal(m2[0x1000], 0x33);
	for (unsigned i = 0; i < 0x10000; i++)
		if (r.mem[i] != 0x11)
			fail_msg("domain 1 memory changed at %#x", i);

	/* An IOVA only domain 1 maps faults on WQ1, nothing is written. */
	memset(m2 + 0x8000, 0, 32);
	d.dst_addr = IOVA + 0x20000;
	submit_on(&r, 1, &d);
	wait_cr((struct dsa_completion_record *)(m2 + 0x8000));
	assert_int_equal(m2[0x8000], DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	for (unsigned i = 0x20000; i < 0x21000; i++)
		assert_int_equal(r.mem[i], 0);

	/* A WQ without pasid_en uses the RID's (default DMA) domain, where
	 * none of this is mapped. */
	assert_int_equal(cmd(&r, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(1)), 0);
	wqcfg(&r, 1, 16, DSA_WQCFG_MODE_DEDICATED);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 1), 0);
	d.dst_addr = IOVA + 0x1000;
	d.completion_addr = IOVA + 0x8000;
	memset(m2 + 0x8000, 0, 32);
	submit_on(&r, 1, &d);
	/* No record can be written either: SWERR says so. */
	WAIT_FOR(swerr(&r, 0) & DSA_SWERR_VALID);
	assert_int_equal(DSA_SWERR_ERROR(swerr(&r, 0)), DSA_COMP_CRA_XLAT);
	assert_int_equal(DSA_SWERR_WQ_IDX(swerr(&r, 0)), 1);
	assert_int_equal(swerr(&r, 2), IOVA + 0x8000);
	assert_int_equal(m2[0x8000], 0);
	for (unsigned i = 0; i < 0x10000; i++)
		if (r.mem[i] != 0x11)
			fail_msg("domain 1 memory changed at %#x", i);

	hw_pci_function_reset(r.p);
	iommu_detach_device_pasid(d2, r.dev, p2);
	iommu_free_global_pasid(r.dev, p2);
	iommu_domain_free(d2);
	free(m2);
	rig_fini(&r);
}

/* ---- tests: block on fault, page requests ---- */

struct fixer {
	struct rig *r;
	uint8_t *page;
	atomic_int calls;
	bool map;
	bool defer;
	struct iommu_page_request req;
	atomic_bool pending;
};

static void iopf_handler(struct iommu_domain *d, const struct iommu_page_request *req, void *token)
{
	struct fixer *fx = token;
	fx->req = *req;
	atomic_fetch_add(&fx->calls, 1);
	if (fx->defer) {
		atomic_store(&fx->pending, true);
		return;
	}
	if (fx->map)
		assert_int_equal(iommu_map(d, req->addr & ~0xfffull, (uint64_t)(uintptr_t)fx->page,
					   4096, IOMMU_READ | IOMMU_WRITE),
				 0);
	iommu_page_response(req->dev, req,
			    fx->map ? IOMMU_PAGE_RESP_SUCCESS : IOMMU_PAGE_RESP_INVALID);
}

/* Answer a deferred request: map the page and say Success. */
static void resolve(struct fixer *fx)
{
	WAIT_FOR(atomic_load(&fx->pending));
	atomic_store(&fx->pending, false);
	assert_int_equal(iommu_map(fx->r->dom, fx->req.addr & ~0xfffull,
				   (uint64_t)(uintptr_t)fx->page, 4096, IOMMU_READ | IOMMU_WRITE),
			 0);
	assert_int_equal(iommu_page_response(fx->req.dev, &fx->req, IOMMU_PAGE_RESP_SUCCESS), 0);
}

static void test_block_on_fault(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	assert_int_equal(iommu_dev_enable_feature(r.dev, IOMMU_DEV_FEAT_IOPF), 0);
	assert_true(hw_pci_pri_enabled(r.p));
	std_setup(&r, DSA_WQCFG_BOF);
	struct fixer fx = { .r = &r, .page = aligned_alloc(4096, 4096), .map = true };
	memset(fx.page, 0, 4096);
	iommu_set_iopf_handler(r.dom, iopf_handler, &fx);
	uint8_t *src = r.mem + 0x3000;
	for (unsigned i = 0; i < 4096; i++)
		src[i] = (uint8_t)(i * 3);
	/* Blocking copy into a page nobody mapped yet. */
	struct dsa_hw_desc d = mk(DSA_OPCODE_MEMMOVE, FL | DSA_FLAG_BOF);
	d.src_addr = iova(&r, src);
	d.dst_addr = HOLE;
	d.xfer_size = 4096;
	assert_int_equal(run(&r, &d), DSA_COMP_SUCCESS);
	assert_int_equal(atomic_load(&fx.calls), 1);
	assert_int_equal(fx.req.pasid, r.pasid);
	assert_true(fx.req.perm & IOMMU_FAULT_PERM_WRITE);
	assert_memory_equal(fx.page, src, 4096);
	struct dsa_stats st;
	dsa_get_stats(r.p, &st);
	assert_int_equal(st.wq[0].page_requests, 1);
	assert_int_equal(st.wq[0].page_faults, 1);

	/* Without BOF in the descriptor the same kind of fault is final. */
	d = mk(DSA_OPCODE_MEMMOVE, FL);
	d.src_addr = iova(&r, src);
	d.dst_addr = HOLE + 0x1000;
	d.xfer_size = 64;
	assert_int_equal(run(&r, &d), DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	assert_int_equal(atomic_load(&fx.calls), 1);

	/* A handler that cannot resolve it: PAGE_FAULT_IR. */
	fx.map = false;
	d = mk(DSA_OPCODE_MEMMOVE, FL | DSA_FLAG_BOF);
	d.src_addr = HOLE + 0x2000; /* a read fault this time */
	d.dst_addr = iova(&r, src);
	d.xfer_size = 64;
	assert_int_equal(run(&r, &d), DSA_COMP_PAGE_FAULT_IR);
	assert_int_equal(crec(&r, 0)->fault_addr, HOLE + 0x2000);
	assert_int_equal(atomic_load(&fx.calls), 2);
	/* No handler at all: the core refuses, the same status. */
	iommu_set_iopf_handler(r.dom, NULL, NULL);
	d.dst_addr = HOLE + 0x3000;
	d.src_addr = iova(&r, src);
	assert_int_equal(run(&r, &d), DSA_COMP_PAGE_FAULT_IR | DSA_COMP_STATUS_WRITE);
	assert_int_equal(crec(&r, 0)->fault_addr, HOLE + 0x3000);
	dsa_get_stats(r.p, &st);
	assert_int_equal(st.wq[0].page_requests, 3);
	hw_pci_function_reset(r.p);
	iommu_dev_disable_feature(r.dev, IOMMU_DEV_FEAT_IOPF);
	free(fx.page);
	rig_fini(&r);
}

/* The drain helper thread: answer after a delay. */
struct later {
	struct fixer *fx;
	unsigned ms;
};

static void *answer_later(void *arg)
{
	struct later *l = arg;
	WAIT_FOR(atomic_load(&l->fx->pending));
	usleep(l->ms * 1000);
	resolve(l->fx);
	return NULL;
}

static void test_stall_drain_abort(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	assert_int_equal(iommu_dev_enable_feature(r.dev, IOMMU_DEV_FEAT_IOPF), 0);
	/* Two engines serve WQ0, so a DRAIN descriptor runs beside the stall. */
	grp(&r, 0, 1, 3);
	wqcfg(&r, 0, 16, DED(r.pasid) | DSA_WQCFG_BOF);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), 0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), 0);
	struct fixer fx = { .r = &r, .page = aligned_alloc(4096, 4096), .defer = true };
	iommu_set_iopf_handler(r.dom, iopf_handler, &fx);

	struct dsa_hw_desc a = mk(DSA_OPCODE_MEMFILL, FL | DSA_FLAG_BOF);
	a.pattern = 0x5555555555555555ull;
	a.dst_addr = HOLE;
	a.xfer_size = 4096;
	a.completion_addr = iova(&r, crec(&r, 1));
	submit_on(&r, 0, &a);
	WAIT_FOR(atomic_load(&fx.pending));
	struct dsa_hw_desc dr = mk(DSA_OPCODE_DRAIN, FL);
	dr.completion_addr = iova(&r, crec(&r, 2));
	submit_on(&r, 0, &dr);
	struct dsa_hw_desc n = mk(DSA_OPCODE_NOOP, FL);
	n.completion_addr = iova(&r, crec(&r, 3));
	submit_on(&r, 0, &n);
	usleep(30000);
	assert_int_equal(crec(&r, 1)->status, 0);
	assert_int_equal(crec(&r, 2)->status, 0); /* waits for the stalled one */
	resolve(&fx);
	assert_int_equal(wait_cr(crec(&r, 2)), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 1)->status, DSA_COMP_SUCCESS);
	assert_int_equal(fx.page[100], 0x55);
	assert_int_equal(wait_cr(crec(&r, 3)), DSA_COMP_SUCCESS);

	/* DRAIN_WQ returns only once the stalled descriptor completed. */
	memset(r.mem + CR_OFF, 0, 4 * 32);
	a.dst_addr = HOLE + 0x1000;
	submit_on(&r, 0, &a);
	pthread_t th;
	struct later l = { &fx, 30 };
	pthread_create(&th, NULL, answer_later, &l);
	assert_int_equal(cmd(&r, DSA_CMD_DRAIN_WQ, DSA_WQ_OPERAND(0)), 0);
	assert_int_equal(crec(&r, 1)->status, DSA_COMP_SUCCESS);
	pthread_join(th, NULL);

	/* ABORT_WQ abandons the stalled descriptor and what is queued: no
	 * records; the WQ keeps working. */
	memset(r.mem + CR_OFF, 0, 4 * 32);
	a.dst_addr = HOLE + 0x2000;
	submit_on(&r, 0, &a);
	WAIT_FOR(atomic_load(&fx.pending));
	/* Two more stall the second engine and one waits in the queue. */
	struct dsa_hw_desc a2 = a;
	a2.dst_addr = HOLE + 0x3000;
	a2.completion_addr = iova(&r, crec(&r, 2));
	submit_on(&r, 0, &a2);
	n.completion_addr = iova(&r, crec(&r, 3));
	submit_on(&r, 0, &n);
	WAIT_FOR(atomic_load(&fx.calls) == 4);
	assert_int_equal(cmd(&r, DSA_CMD_ABORT_WQ, DSA_WQ_OPERAND(0)), 0);
	usleep(20000);
	assert_int_equal(crec(&r, 1)->status, 0);
	assert_int_equal(crec(&r, 2)->status, 0);
	/* The NOOP either ran before the abort or was dropped; the late
	 * answer is ignored. */
	atomic_store(&fx.pending, true);
	resolve(&fx);
	fx.defer = false;
	fx.map = true;
	struct dsa_hw_desc n2 = mk(DSA_OPCODE_NOOP, FL);
	assert_int_equal(run_i(&r, &n2, 5), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 1)->status, 0);
	assert_int_equal(crec(&r, 2)->status, 0);

	/* RESET_DEVICE with a stalled descriptor: abandoned, engines joined. */
	fx.defer = true;
	a.dst_addr = HOLE + 0x4000;
	submit_on(&r, 0, &a);
	WAIT_FOR(atomic_load(&fx.pending));
	assert_int_equal(cmd(&r, DSA_CMD_RESET_DEVICE, 0), 0);
	assert_int_equal(rd(&r, DSA_REG_GENSTS, 4), DSA_STATE_DISABLED);
	atomic_store(&fx.pending, true);
	resolve(&fx);
	assert_int_equal(crec(&r, 1)->status, 0);
	iommu_dev_disable_feature(r.dev, IOMMU_DEV_FEAT_IOPF);
	free(fx.page);
	rig_fini(&r);
}

static void test_shared_wq(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	assert_int_equal(iommu_dev_enable_feature(r.dev, IOMMU_DEV_FEAT_IOPF), 0);
	/* WQ0 shared, size 4, threshold 2 for its limited portal; WQ1
	 * dedicated, size 2; one engine for both. */
	grp(&r, 0, 0x3, 0x1);
	wqcfg(&r, 0, 4, SHR | DSA_WQCFG_BOF);
	wr(&r, DSA_WQCFG(0, 1), 4, 2);
	wqcfg(&r, 1, 2, DED(r.pasid) | DSA_WQCFG_BOF);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), 0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), 0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 1), 0);
	struct fixer fx = { .r = &r, .page = aligned_alloc(4096, 4096), .defer = true };
	iommu_set_iopf_handler(r.dom, iopf_handler, &fx);
	enum dsa_submit_result res;

	/* ENQCMD: the PASID comes from the submitter, not the descriptor. */
	struct dsa_hw_desc a = mk(DSA_OPCODE_MEMFILL, FL | DSA_FLAG_BOF);
	a.pasid_priv = 0x777;
	a.pattern = 0x6666666666666666ull;
	a.dst_addr = HOLE;
	a.xfer_size = 64;
	a.completion_addr = iova(&r, crec(&r, 0));
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &a, DSA_ENQCMD, r.pasid, &res),
			 0);
	assert_int_equal(res, DSA_SUBMIT_ACCEPTED);
	WAIT_FOR(atomic_load(&fx.pending)); /* the engine is stalled on it */
	assert_int_equal(fx.req.pasid, r.pasid);
	for (unsigned i = 0; i < 4; i++) {
		struct dsa_hw_desc n = mk(DSA_OPCODE_NOOP, FL);
		n.completion_addr = iova(&r, crec(&r, 1 + i));
		/* The limited portal takes only up to wq_thresh. */
		assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 1), &n, DSA_ENQCMD,
						   r.pasid, &res),
				 0);
		assert_int_equal(res, i < 2 ? DSA_SUBMIT_ACCEPTED : DSA_SUBMIT_RETRY);
		if (i >= 2) {
			assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &n,
							   DSA_ENQCMD, r.pasid, &res),
					 0);
			assert_int_equal(res, DSA_SUBMIT_ACCEPTED);
		}
	}
	assert_int_equal(DSA_WQCFG_OCCUPANCY((uint32_t)rd(&r, DSA_WQCFG(0, 6), 4)), 4);
	/* Full: Retry, and no error. */
	struct dsa_hw_desc n = mk(DSA_OPCODE_NOOP, FL);
	n.completion_addr = iova(&r, crec(&r, 6));
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &n, DSA_ENQCMD, r.pasid, &res),
			 0);
	assert_int_equal(res, DSA_SUBMIT_RETRY);
	assert_int_equal(swerr(&r, 0), 0);
	/* The dedicated WQ fills too; posted writes beyond are dropped with
	 * SWERR. */
	struct dsa_hw_desc n1 = mk(DSA_OPCODE_NOOP, FL);
	n1.completion_addr = iova(&r, crec(&r, 8));
	submit_on(&r, 1, &n1);
	submit_on(&r, 1, &n1);
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(1, 0), &n1, DSA_MOVDIR64B, 0, &res),
			 0);
	assert_int_equal(res, DSA_SUBMIT_RETRY);
	uint64_t e0 = swerr(&r, 0);
	assert_true(e0 & DSA_SWERR_VALID);
	assert_int_equal(DSA_SWERR_ERROR(e0), DSA_SWERR_WQ_FULL);
	assert_int_equal(DSA_SWERR_WQ_IDX(e0), 1);
	assert_true(e0 & DSA_SWERR_WQ_IDX_VALID);
	wr(&r, DSA_REG_SWERR, 8, DSA_SWERR_VALID | DSA_SWERR_OVERFLOW);
	assert_int_equal(swerr(&r, 0) & DSA_SWERR_VALID, 0);

	resolve(&fx);
	assert_int_equal(wait_cr(crec(&r, 0)), DSA_COMP_SUCCESS);
	for (unsigned i = 1; i <= 4; i++)
		assert_int_equal(wait_cr(crec(&r, i)), DSA_COMP_SUCCESS);
	assert_int_equal(fx.page[0], 0x66);
	assert_int_equal(wait_cr(crec(&r, 8)), DSA_COMP_SUCCESS);
	assert_int_equal(crec(&r, 6)->status, 0); /* the one refused */
	/* Room again. */
	fx.defer = false;
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &n, DSA_ENQCMD, r.pasid, &res),
			 0);
	assert_int_equal(res, DSA_SUBMIT_ACCEPTED);
	assert_int_equal(wait_cr(crec(&r, 6)), DSA_COMP_SUCCESS);

	/* ENQCMDS: PASID and privilege from the descriptor. The domain's
	 * PASID entry does not enable supervisor requests (SRE), so the
	 * unit refuses the privileged record write: SWERR with priv set. */
	struct dsa_hw_desc p = mk(DSA_OPCODE_NOOP, FL);
	p.pasid_priv = r.pasid | (1u << 31);
	memset(crec(&r, 7), 0, 32);
	p.completion_addr = iova(&r, crec(&r, 7));
	assert_true(hw_pci_pasid_priv_enabled(r.p));
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &p, DSA_ENQCMDS, 0, &res), 0);
	n.completion_addr = iova(&r, crec(&r, 9));
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &n, DSA_ENQCMD, r.pasid, &res), 0);
	wait_cr(crec(&r, 9));
	uint64_t pe = swerr(&r, 0);
	assert_true(pe & DSA_SWERR_VALID);
	assert_true(pe & DSA_SWERR_PRIV);
	assert_int_equal(DSA_SWERR_ERROR(pe), DSA_COMP_CRA_XLAT);
	assert_int_equal(DSA_SWERR_PASID(pe), r.pasid);
	assert_int_equal(swerr(&r, 2), iova(&r, crec(&r, 7)));
	assert_int_equal(crec(&r, 7)->status, 0);
	wr(&r, DSA_REG_SWERR, 8, DSA_SWERR_VALID);
	/* ... which needs privileged mode enabled on the function. */
	uint16_t pc = (uint16_t)hw_pci_cfg_read(r.p, r.p->ecap_pasid + PCI_PASID_CTRL, 2);
	hw_pci_cfg_write(r.p, r.p->ecap_pasid + PCI_PASID_CTRL, 2, pc & ~PCI_PASID_CTRL_PRIV);
	assert_false(hw_pci_pasid_priv_enabled(r.p));
	memset(crec(&r, 7), 0, 32);
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &p, DSA_ENQCMDS, 0, &res), 0);
	assert_int_equal(wait_cr(crec(&r, 7)), DSA_COMP_PRIV_BAD);
	/* A user submission is fine. */
	memset(crec(&r, 7), 0, 32);
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &p, DSA_ENQCMD, r.pasid, &res),
			 0);
	assert_int_equal(wait_cr(crec(&r, 7)), DSA_COMP_SUCCESS);
	hw_pci_cfg_write(r.p, r.p->ecap_pasid + PCI_PASID_CTRL, 2, pc);

	/* Wrong mode: MOVDIR64B to the shared WQ, ENQCMD to the dedicated. */
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &n, DSA_MOVDIR64B, 0, &res), 0);
	assert_int_equal(res, DSA_SUBMIT_RETRY);
	assert_int_equal(DSA_SWERR_ERROR(swerr(&r, 0)), DSA_SWERR_WQ_MODE);
	assert_int_equal(DSA_SWERR_WQ_IDX(swerr(&r, 0)), 0);
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(1, 0), &n, DSA_ENQCMD, r.pasid, &res),
			 0);
	assert_int_equal(res, DSA_SUBMIT_RETRY);
	assert_true(swerr(&r, 0) & DSA_SWERR_OVERFLOW);
	hw_pci_function_reset(r.p);
	iommu_dev_disable_feature(r.dev, IOMMU_DEV_FEAT_IOPF);
	free(fx.page);
	rig_fini(&r);
}

/* ---- tests: SWERR, interrupts, reset ---- */

static void test_swerr_and_interrupts(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	struct irqs q = { 0 };
	dsa_set_irq_handler(r.p, on_irq, &q);
	wr(&r, DSA_REG_GENCTRL, 4, 1); /* softerr_int_en */
	grp(&r, 0, 0x3, 0x1);
	wqcfg(&r, 0, 16, DED(r.pasid));
	wqcfg(&r, 1, 16, DED(r.pasid));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), 0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), 0);

	/* A portal write to a disabled WQ. */
	struct dsa_hw_desc n = mk(DSA_OPCODE_NOOP, FL);
	n.completion_addr = iova(&r, crec(&r, 0));
	enum dsa_submit_result res;
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(1, 0), &n, DSA_MOVDIR64B, 0, &res), 0);
	assert_int_equal(res, DSA_SUBMIT_RETRY);
	uint64_t e = swerr(&r, 0);
	assert_true(e & DSA_SWERR_VALID);
	assert_int_equal(DSA_SWERR_ERROR(e), DSA_SWERR_WQ_DISABLED);
	assert_int_equal(DSA_SWERR_WQ_IDX(e), 1);
	assert_int_equal(DSA_SWERR_OPERATION(e), DSA_OPCODE_NOOP);
	assert_int_equal(atomic_load(&q.vec0), 1);
	assert_true(rd(&r, DSA_REG_INTCAUSE, 4) & DSA_INTCAUSE_ERR);
	wr(&r, DSA_REG_INTCAUSE, 4, DSA_INTCAUSE_ERR);
	wr(&r, DSA_REG_SWERR, 4, DSA_SWERR_VALID);
	assert_false(swerr(&r, 0) & DSA_SWERR_VALID);

	/* A completion record that does not translate. */
	struct dsa_hw_desc m = mk(DSA_OPCODE_MEMMOVE, FL);
	m.src_addr = IOVA;
	m.dst_addr = IOVA + 0x4000;
	m.xfer_size = 16;
	m.completion_addr = HOLE + 0x40;
	submit_on(&r, 0, &m);
	WAIT_FOR(swerr(&r, 0) & DSA_SWERR_VALID);
	e = swerr(&r, 0);
	assert_int_equal(DSA_SWERR_ERROR(e), DSA_COMP_CRA_XLAT);
	assert_true(e & DSA_SWERR_DESC_VALID);
	assert_true(e & DSA_SWERR_FAULT_RW);
	assert_int_equal(DSA_SWERR_OPERATION(e), DSA_OPCODE_MEMMOVE);
	assert_int_equal(DSA_SWERR_PASID(e), r.pasid);
	assert_int_equal(swerr(&r, 2), HOLE + 0x40);
	WAIT_FOR(atomic_load(&q.vec0) == 2);
	/* A second error before the first is acknowledged: overflow. A
	 * misaligned record address does not even run the descriptor. */
	memset(r.mem + 0x4000, 0, 16);
	memset(r.mem, 0xee, 16);
	m.completion_addr = iova(&r, crec(&r, 0)) + 8;
	submit_on(&r, 0, &m);
	fence(&r);
	e = swerr(&r, 0);
	assert_true(e & DSA_SWERR_OVERFLOW);
	assert_int_equal(DSA_SWERR_ERROR(e), DSA_COMP_CRA_XLAT); /* the first one stays */
	assert_int_equal(r.mem[0x4000], 0);
	wr(&r, DSA_REG_SWERR, 8, DSA_SWERR_VALID | DSA_SWERR_OVERFLOW);
	submit_on(&r, 0, &m);
	fence(&r);
	e = swerr(&r, 0);
	assert_int_equal(DSA_SWERR_ERROR(e), DSA_COMP_CRA_ALIGN);
	assert_false(e & DSA_SWERR_OVERFLOW);
	wr(&r, DSA_REG_SWERR, 8, DSA_SWERR_VALID);
	/* A failure without a record address goes to SWERR too. */
	struct dsa_hw_desc bad = mk(0x08, 0);
	submit_on(&r, 0, &bad);
	fence(&r);
	assert_int_equal(DSA_SWERR_ERROR(swerr(&r, 0)), DSA_COMP_BAD_OPCODE);
	wr(&r, DSA_REG_SWERR, 8, DSA_SWERR_VALID);
	struct dsa_hw_desc rcr = mk(DSA_OPCODE_NOOP, DSA_FLAG_RCR);
	submit_on(&r, 0, &rcr);
	fence(&r);
	assert_int_equal(DSA_SWERR_ERROR(swerr(&r, 0)), DSA_COMP_INVALID_FLAGS);
	assert_int_equal(swerr(&r, 1) >> 32, DSA_FLAG_RCR);
	wr(&r, DSA_REG_SWERR, 8, DSA_SWERR_VALID);

	/* Completion interrupts carry the descriptor's handle. */
	int before = atomic_load(&q.n);
	struct dsa_hw_desc ci = mk(DSA_OPCODE_NOOP, FL | DSA_FLAG_RCI);
	ci.int_handle = 5;
	assert_int_equal(run(&r, &ci), DSA_COMP_SUCCESS);
	WAIT_FOR(atomic_load(&q.n) == before + 1);
	assert_int_equal(atomic_load(&q.last), 5);
	/* A handler may read registers but not run commands. */
	struct cmd_from_irq ci2 = { 0 };
	dsa_set_irq_handler(r.p, irq_issues_command, &ci2);
	assert_int_equal(run(&r, &ci), DSA_COMP_SUCCESS);
	WAIT_FOR(atomic_load(&ci2.calls) == 1);
	assert_int_equal(DSA_CMDSTS_ERR(atomic_load(&ci2.cmdsts)), DSA_CMDSTS_HW_ERR);
	assert_int_equal(rd(&r, DSA_REG_GENSTS, 4), DSA_STATE_ENABLED);
	dsa_set_irq_handler(r.p, on_irq, &q);
	/* Without softerr_int_en errors raise nothing. */
	wr(&r, DSA_REG_GENCTRL, 4, 0);
	int v0 = atomic_load(&q.vec0);
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(1, 0), &n, DSA_MOVDIR64B, 0, &res), 0);
	assert_true(swerr(&r, 0) & DSA_SWERR_VALID);
	assert_int_equal(atomic_load(&q.vec0), v0);
	/* Memory decoding off: portal writes go nowhere. */
	wr(&r, DSA_REG_SWERR, 8, DSA_SWERR_VALID);
	hw_pci_cfg_write(r.p, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(1, 0), &n, DSA_MOVDIR64B, 0, &res), 0);
	assert_false(swerr(&r, 0) & DSA_SWERR_VALID);
	hw_pci_cfg_write(r.p, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	dsa_set_irq_handler(r.p, NULL, NULL);
	rig_fini(&r);
}

/* The same interrupts as the kernel sees them: MSI-X messages (one
 * vector more than WQs), vector int_handle for a completion, 0 for an
 * error or a command asking for one. */
struct kirq {
	atomic_int n;
	atomic_int irq;
};

static void on_kirq(int irq, void *data)
{
	struct kirq *k = data;
	atomic_store(&k->irq, irq);
	atomic_fetch_add(&k->n, 1);
}

static void test_msix_interrupts(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	struct pci_dev *pdev = to_pci_dev(r.dev);
	assert_int_equal(pci_msix_vec_count(pdev), 8 + 1);
	assert_int_equal(pci_msi_vec_count(pdev), -EINVAL);
	assert_int_equal(pci_alloc_irq_vectors(pdev, 9, 9, PCI_IRQ_MSI | PCI_IRQ_MSIX), 9);
	struct kirq k[9];
	memset(k, 0, sizeof(k));
	for (unsigned v = 0; v < 9; v++)
		assert_int_equal(pci_request_irq(pdev, v, on_kirq, &k[v]), 0);
	std_setup(&r, 0);
	struct dsa_hw_desc ci = mk(DSA_OPCODE_NOOP, FL | DSA_FLAG_RCI);
	ci.int_handle = 3;
	assert_int_equal(run(&r, &ci), DSA_COMP_SUCCESS);
	WAIT_FOR(atomic_load(&k[3].n) == 1);
	assert_int_equal(atomic_load(&k[3].irq), pci_irq_vector(pdev, 3));
	for (unsigned v = 0; v < 9; v++)
		if (v != 3)
			assert_int_equal(atomic_load(&k[v].n), 0);
	/* A command with int_req: vector 0. */
	wr(&r, DSA_REG_CMD, 4, DSA_CMD(DSA_CMD_DRAIN_ALL, 0) | DSA_CMD_INT_REQ);
	assert_int_equal(atomic_load(&k[0].n), 1);
	for (unsigned v = 0; v < 9; v++)
		pci_free_irq(pdev, v);
	pci_free_irq_vectors(pdev);
	/* Without vectors the same completion interrupts nobody. */
	assert_int_equal(run(&r, &ci), DSA_COMP_SUCCESS);
	fence(&r);
	assert_int_equal(atomic_load(&k[3].n), 1);
	rig_fini(&r);
}

static void test_reset(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	wr(&r, DSA_REG_GENCTRL, 4, 1);
	std_setup(&r, 0);
	struct dsa_hw_desc n = mk(DSA_OPCODE_NOOP, FL);
	assert_int_equal(run(&r, &n), DSA_COMP_SUCCESS);
	enum dsa_submit_result res;
	dsa_portal_submit(r.p, DSA_WQ_PORTAL(3, 0), &n, DSA_MOVDIR64B, 0, &res);
	assert_true(swerr(&r, 0) & DSA_SWERR_VALID);
	/* RESET_DEVICE: registers back to power-on, engines stopped. */
	assert_int_equal(cmd(&r, DSA_CMD_RESET_DEVICE, 0), 0);
	assert_int_equal(rd(&r, DSA_REG_GENSTS, 4), DSA_STATE_DISABLED);
	assert_int_equal(rd(&r, DSA_REG_GENCTRL, 4), 0);
	assert_int_equal(swerr(&r, 0), 0);
	assert_int_equal(rd(&r, DSA_GRPCFG_WQS(0), 8), 0);
	assert_int_equal(rd(&r, DSA_GRPCFG_ENGINES(0), 8), 0);
	assert_int_equal(rd(&r, DSA_WQCFG(0, 0), 4), 0);
	assert_int_equal(rd(&r, DSA_WQCFG(0, 2), 4), 0);
	assert_int_equal(rd(&r, DSA_WQCFG(0, 6), 4), 0);
	struct dsa_stats st;
	dsa_get_stats(r.p, &st);
	assert_int_equal(st.wq[0].descs_completed, 0);
	/* A submission now is to a disabled WQ. */
	dsa_portal_submit(r.p, DSA_WQ_PORTAL(0, 0), &n, DSA_MOVDIR64B, 0, &res);
	assert_int_equal(res, DSA_SUBMIT_RETRY);
	assert_int_equal(DSA_SWERR_ERROR(swerr(&r, 0)), DSA_SWERR_WQ_DISABLED);
	/* Usable again after programming. */
	std_setup(&r, 0);
	assert_int_equal(run(&r, &n), DSA_COMP_SUCCESS);
	/* FLR: the same, and config space too. */
	hw_pci_function_reset(r.p);
	assert_false(hw_pci_bus_master(r.p));
	assert_int_equal(rd(&r, DSA_REG_GENSTS, 4), DSA_STATE_DISABLED);
	assert_int_equal(rd(&r, DSA_WQCFG(0, 0), 4), 0);
	assert_int_equal(rd(&r, DSA_WQCFG(0, 3), 4),
			 DSA_WQCFG_MAX_XFER_SHIFT(31) | DSA_WQCFG_MAX_BATCH_SHIFT(10));
	rig_fini(&r);
}

/* Submitters on several threads, engines on several WQs. */
struct hammer {
	struct rig *r;
	unsigned wq, base, n;
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;
	for (unsigned i = 0; i < h->n; i++) {
		struct dsa_hw_desc d = mk(DSA_OPCODE_MEMFILL, FL);
		d.pattern = h->base + i;
		d.dst_addr = IOVA + 0x40000 + (h->base + i) * 64ull;
		d.xfer_size = 64;
		d.completion_addr = iova(h->r, crec(h->r, h->base + i));
		enum dsa_submit_result res;
		do {
			assert_int_equal(dsa_portal_submit(h->r->p, DSA_WQ_PORTAL(h->wq, 0), &d,
							   DSA_ENQCMD, h->r->pasid, &res),
					 0);
		} while (res == DSA_SUBMIT_RETRY);
	}
	return NULL;
}

static void test_concurrent(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	grp(&r, 0, 0x3, 0x3);
	grp(&r, 1, 0x4, 0x4);
	wqcfg(&r, 0, 8, SHR);
	wqcfg(&r, 1, 8, SHR);
	wqcfg(&r, 2, 8, SHR);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), 0);
	for (unsigned w = 0; w < 3; w++)
		assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, w), 0);
	memset(r.mem + CR_OFF, 0, 600 * 32);
	pthread_t th[4];
	struct hammer h[4] = { { &r, 0, 0, 150 }, { &r, 0, 150, 150 }, { &r, 1, 300, 150 },
			       { &r, 2, 450, 150 } };
	for (unsigned i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hammer_fn, &h[i]);
	for (unsigned i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	/* DISABLE_DEVICE drains: every record is there when it returns. */
	assert_int_equal(cmd(&r, DSA_CMD_DISABLE_DEVICE, 0), 0);
	for (unsigned i = 0; i < 600; i++) {
		assert_int_equal(crec(&r, i)->status, DSA_COMP_SUCCESS);
		assert_int_equal(r.mem[0x40000 + i * 64], (uint8_t)i);
	}
	struct dsa_stats st;
	dsa_get_stats(r.p, &st);
	assert_int_equal(st.wq[0].descs_completed, 300);
	assert_int_equal(st.wq[1].descs_completed, 150);
	assert_int_equal(st.wq[2].descs_completed, 150);
	rig_fini(&r);
}

/* ---- tests: model options ---- */

static const char topo_fmt[] =
	"{ \"units\": [ { \"name\": \"dmar0\", \"scope\": \"all\" } ],"
	"  \"devices\": ["
	"    { \"bdf\": \"00:00.0\", \"type\": \"host_bridge\" },"
	"    { \"bdf\": \"00:01.0\", \"type\": \"root_port\", \"acs\": true, \"bus\": 1,"
	"      \"children\": [ { \"bdf\": \"01:00.0\", \"type\": \"endpoint\", \"name\": \"dsa0\","
	"        \"model\": \"dsa\", \"pasid_bits\": 20, \"pasid_priv\": true, \"ats\": true,"
	"        \"pri\": true, \"options\": %s } ] } ] }";

static void bad_options(const char *opts, const char *want)
{
	char json[2048], err[256] = "";
	snprintf(json, sizeof(json), topo_fmt, opts);
	struct uiommu_host_opts o = { .topology_json = json };
	struct uiommu_host *h = NULL;
	int rc = uiommu_host_new(&o, &h, err, sizeof(err));
	if (rc == 0) {
		uiommu_host_free(h);
		fail_msg("accepted: %s", opts);
	}
	if (!strstr(err, want))
		fail_msg("message \"%s\" does not mention \"%s\"", err, want);
}

static unsigned nr_threads(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* inline_engines (issue #12): no engine thread; the portal write returns
 * with the descriptor done, in submission order, faults included. */
static void test_inline_engines(void **s)
{
	(void)s;
	char json[2048];
	snprintf(json, sizeof(json), topo_fmt, "{ \"inline_engines\": true }");
	struct rig r;
	rig_init_json(&r, json);
	unsigned before = nr_threads();
	std_setup(&r, 0);
	assert_int_equal(nr_threads(), before);
	uint8_t *src = r.mem + 0x2000, *dst = r.mem + 0x6000;
	for (unsigned round = 0; round < 16; round++) {
		memset(src, (int)round + 1, 5000);
		struct dsa_hw_desc d = mk(DSA_OPCODE_MEMMOVE, FL);
		d.src_addr = iova(&r, src);
		d.dst_addr = iova(&r, dst);
		d.xfer_size = 5000;
		d.completion_addr = iova(&r, crec(&r, round));
		submit_on(&r, 0, &d);
		/* No waiting: done when the write returned. */
		assert_int_equal(crec(&r, round)->status, DSA_COMP_SUCCESS);
		assert_int_equal(dst[4999], round + 1);
	}
	struct dsa_hw_desc f = mk(DSA_OPCODE_MEMFILL, FL);
	f.dst_addr = HOLE;
	f.xfer_size = 64;
	f.completion_addr = iova(&r, crec(&r, 20));
	submit_on(&r, 0, &f);
	assert_int_equal(DSA_COMP_STATUS(crec(&r, 20)->status), DSA_COMP_PAGE_FAULT_NOBOF);
	assert_int_equal(cmd(&r, DSA_CMD_DISABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
	rig_fini(&r);
}

static void test_options(void **s)
{
	(void)s;
	bad_options("{ \"inline_engines\": \"yes\" }", "\"inline_engines\"");
	bad_options("{ \"wqs\": 0 }", "\"wqs\"");
	bad_options("{ \"wqs\": 65 }", "\"wqs\"");
	bad_options("{ \"engines\": \"4\" }", "\"engines\"");
	bad_options("{ \"groups\": 17 }", "\"groups\"");
	bad_options("{ \"wq_total_size\": 0 }", "\"wq_total_size\"");
	bad_options("{ \"max_xfer_shift\": 32 }", "\"max_xfer_shift\"");
	bad_options("{ \"max_batch_shift\": 0 }", "\"max_batch_shift\"");
	bad_options("{ \"block_on_fault\": 1 }", "\"block_on_fault\"");
	bad_options("{ \"portals\": 2 }", "\"portals\"");
	bad_options("[]", "object");

	char json[2048];
	snprintf(json, sizeof(json), topo_fmt,
		 "{ \"wqs\": 2, \"engines\": 1, \"groups\": 1, \"wq_total_size\": 32,"
		 "  \"max_xfer_shift\": 12, \"max_batch_shift\": 3, \"block_on_fault\": false }");
	struct rig r;
	rig_init_json(&r, json);
	uint64_t g = rd(&r, DSA_REG_GENCAP, 8), w = rd(&r, DSA_REG_WQCAP, 8);
	assert_false(g & DSA_GENCAP_BOF);
	assert_false(w & DSA_WQCAP_WQ_PRS);
	assert_int_equal(DSA_GENCAP_MAX_XFER_SHIFT(g), 12);
	assert_int_equal(DSA_GENCAP_MAX_BATCH_SHIFT(g), 3);
	assert_int_equal(DSA_WQCAP_NUM_WQS(w), 2);
	assert_int_equal(DSA_WQCAP_TOTAL_SIZE(w), 32);
	assert_int_equal(DSA_GRPCAP_NUM_GROUPS(rd(&r, DSA_REG_GRPCAP, 8)), 1);
	assert_int_equal(DSA_ENGCAP_NUM_ENGINES(rd(&r, DSA_REG_ENGCAP, 8)), 1);
	assert_int_equal(r.p->bar_size[2], 2 * 4 * DSA_PORTAL_SIZE);
	/* Tables end where the options say: GRPCFG 1 reads 0, ignores writes. */
	wr(&r, DSA_GRPCFG_ENGINES(1), 8, 1);
	assert_int_equal(rd(&r, DSA_GRPCFG_ENGINES(1), 8), 0);
	grp(&r, 0, 0x1, 0x1);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_DEVICE, 0), 0);
	/* BOF needs GENCAP.block_on_fault; WQCFG limits need GENCAP's. */
	wqcfg(&r, 0, 32, DED(r.pasid) | DSA_WQCFG_BOF);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_ERR_BOF_EN);
	wqcfg(&r, 0, 33, DED(r.pasid));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_ERR_WQ_SIZE);
	wqcfg(&r, 0, 32, DED(r.pasid));
	wr(&r, DSA_WQCFG(0, 3), 4, DSA_WQCFG_MAX_XFER_SHIFT(13) | DSA_WQCFG_MAX_BATCH_SHIFT(3));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_ERR_MAX_XFER_SIZE);
	wr(&r, DSA_WQCFG(0, 3), 4, DSA_WQCFG_MAX_XFER_SHIFT(12) | DSA_WQCFG_MAX_BATCH_SHIFT(4));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_ERR_MAX_BATCH_SIZE);
	wr(&r, DSA_WQCFG(0, 3), 4, DSA_WQCFG_MAX_XFER_SHIFT(12) | DSA_WQCFG_MAX_BATCH_SHIFT(3));
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 0), 0);
	assert_int_equal(cmd(&r, DSA_CMD_ENABLE_WQ, 2), DSA_CMDSTS_INVAL_WQIDX);
	struct dsa_hw_desc d = mk(DSA_OPCODE_MEMMOVE, FL);
	d.src_addr = IOVA;
	d.dst_addr = IOVA + 0x10000;
	d.xfer_size = 4097;
	assert_int_equal(run(&r, &d), DSA_COMP_XFER_ERANGE);
	/* The BOF flag is ignored without the capability: a plain fault. */
	d = mk(DSA_OPCODE_MEMMOVE, FL | DSA_FLAG_BOF);
	d.src_addr = HOLE;
	d.dst_addr = IOVA;
	d.xfer_size = 64;
	assert_int_equal(run(&r, &d), DSA_COMP_PAGE_FAULT_NOBOF);
	enum dsa_submit_result res;
	assert_int_equal(dsa_portal_submit(r.p, DSA_WQ_PORTAL(2, 0), &d, DSA_MOVDIR64B, 0, &res),
			 -EINVAL);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_msix_interrupts),
		cmocka_unit_test(test_bad_accesses),
		cmocka_unit_test(test_config_locked_while_enabled),
		cmocka_unit_test(test_command_errors),
		cmocka_unit_test(test_memmove_memfill),
		cmocka_unit_test(test_compare_compval),
		cmocka_unit_test(test_crc),
		cmocka_unit_test(test_invalid_descriptors),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_drain_descriptor),
		cmocka_unit_test(test_page_fault_no_bof),
		cmocka_unit_test(test_isolation),
		cmocka_unit_test(test_block_on_fault),
		cmocka_unit_test(test_inline_engines),
		cmocka_unit_test(test_stall_drain_abort),
		cmocka_unit_test(test_shared_wq),
		cmocka_unit_test(test_swerr_and_interrupts),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
