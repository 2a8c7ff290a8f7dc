/* SPDX-License-Identifier: BSD-3-Clause */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "harness.h"
#include "pci/pci.h"
#include "util/compiler.h"
#include "util/fixup.h"

static void on_irq(struct vtd_unit *u, enum vtd_irq irq, void *opaque)
{
	struct th *t = opaque;
	(void)u;
	t->irqs[irq]++;
}

void *th_page(struct th *t)
{
	assert_true(t->nr_pages < ARRAY_SIZE(t->pages));
	void *p = hw_page_alloc(&t->m->mem);
	assert_non_null(p);
	t->pages[t->nr_pages++] = p;
	return p;
}

void *th_buf(struct th *t)
{
	return th_page(t);
}

struct hw_pci_function *th_dev(struct th *t, uint16_t sid)
{
	struct hw_pci_function *d = hw_pci_function_by_rid(t->m, sid);
	assert_non_null(d);
	return d;
}

void th_dev_enable(struct th *t, uint16_t sid, bool pasid)
{
	struct hw_pci_function *d = th_dev(t, sid);
	hw_pci_cfg_write(d, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	if (pasid) {
		assert_true(d->ecap_pasid != 0);
		hw_pci_cfg_write(d, d->ecap_pasid + PCI_PASID_CTRL, 2,
				 PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_PRIV);
	}
}

uint64_t th_rd(struct th *t, unsigned off)
{
	/* 32-bit registers sit at 4-byte offsets; read those as dwords. */
	uint64_t v = 0;
	assert_int_equal(vtd_mmio_read(t->u, off, (off & 7) ? 4 : 8, &v), 0);
	return v;
}

void th_wr(struct th *t, unsigned off, uint64_t v)
{
	assert_int_equal(vtd_mmio_write(t->u, off, 8, v), 0);
	vtd_irq_drain(t->u); /* its interrupts before the next access */
}

void th_wr32(struct th *t, unsigned off, uint32_t v)
{
	assert_int_equal(vtd_mmio_write(t->u, off, 4, v), 0);
	vtd_irq_drain(t->u);
}

static void gcmd(struct th *t, uint32_t persistent, uint32_t oneshot)
{
	th_wr32(t, VTD_REG_GCMD, persistent | oneshot);
}

void th_init_opts(struct th *t, const char *json, bool enable)
{
	memset(t, 0, sizeof(*t));
	char err[256];
	struct uiommu_host_opts o = { .topology_json = json, .bare = true };
	int rc = uiommu_host_new(&o, &t->host, err, sizeof(err));
	if (rc)
		fail_msg("host: %s", err);
	t->m = t->host->m;
	t->u = t->m->units[0];
	vtd_set_irq_handler(t->u, on_irq, t);
	assert_int_equal(pci_dma_ctx_new(t->m, &t->dma), 0);
	pci_dma_ctx_online(t->dma);
	t->status = th_page(t);
	if (!enable)
		return;

	/* The Linux order: root table, SRTP, queue, QIE, global flushes, TE. */
	t->root = th_page(t);
	th_wr(t, VTD_REG_RTADDR, hw_pa(t->root) | VTD_RTADDR_TTM_SCALABLE);
	gcmd(t, 0, VTD_GCMD_SRTP);
	assert_true(th_rd(t, VTD_REG_GSTS) & VTD_GSTS_RTPS);
	t->iq = th_page(t);
	th_wr(t, VTD_REG_IQT, 0);
	th_wr(t, VTD_REG_IQA, hw_pa(t->iq) | VTD_IQA_DW | 0); /* one page: 128 descriptors */
	gcmd(t, VTD_GCMD_QIE, 0);
	assert_true(th_rd(t, VTD_REG_GSTS) & VTD_GSTS_QIES);
	th_wr32(t, VTD_REG_FECTL, 0);
	th_wr32(t, VTD_REG_IECTL, 0);
	th_wr32(t, VTD_REG_PECTL, 0);
	th_inv_global(t);
	gcmd(t, VTD_GCMD_QIE | VTD_GCMD_TE, 0);
	assert_true(th_rd(t, VTD_REG_GSTS) & VTD_GSTS_TES);
}

void th_init(struct th *t, const char *json)
{
	th_init_opts(t, json, true);
}

void th_fini(struct th *t)
{
	pci_dma_ctx_offline(t->dma);
	pci_dma_ctx_free(t->dma);
	for (unsigned i = 0; i < t->nr_pages; i++)
		hw_page_free(&t->m->mem, t->pages[i]);
	uiommu_host_free(t->host);
}

uint64_t *th_context(struct th *t, uint16_t sid)
{
	uint8_t bus = (uint8_t)(sid >> 8), devfn = (uint8_t)sid;
	uint64_t *re = &t->root[bus * 2 + (devfn >= 128)];
	if (!(*re & 1)) {
		uint64_t *ct = th_page(t);
		*re = hw_pa(ct) | 1;
	}
	uint64_t *ct = (uint64_t *)(uintptr_t)(*re & VTD_PAGE_MASK);
	return &ct[(devfn & 0x7f) * 4];
}

void th_context_setup(struct th *t, uint16_t sid, uint64_t extra)
{
	uint64_t *ce = th_context(t, sid);
	uint64_t *dir = th_page(t);
	ce[1] = 0; /* RID_PASID 0 */
	ce[2] = ce[3] = 0;
	ce[0] = hw_pa(dir) | VTD_SM_CTX_PASIDE | extra | VTD_SM_CTX_P;
}

uint64_t *th_pasid_entry(struct th *t, uint16_t sid, uint32_t pasid)
{
	uint64_t *ce = th_context(t, sid);
	assert_true(ce[0] & VTD_SM_CTX_P);
	uint64_t *dir = (uint64_t *)(uintptr_t)(ce[0] & VTD_PAGE_MASK);
	uint64_t *de = &dir[pasid >> 6];
	if (!(*de & VTD_PASID_DIR_P)) {
		uint64_t *tbl = th_page(t);
		*de = hw_pa(tbl) | VTD_PASID_DIR_P;
	}
	uint64_t *tbl = (uint64_t *)(uintptr_t)(*de & VTD_PAGE_MASK);
	return &tbl[(pasid & 63) * 8];
}

static unsigned aw_of(unsigned levels)
{
	return levels - 2;
}

void th_pasid_ss(struct th *t, uint16_t sid, uint32_t pasid, uint16_t did, const struct th_pt *pt,
		 uint64_t q0_extra)
{
	uint64_t *pe = th_pasid_entry(t, sid, pasid);
	memset(pe, 0, 64);
	pe[1] = did;
	pe[0] = hw_pa(pt->root) | ((uint64_t)aw_of(pt->levels) << VTD_PE0_AW_SHIFT) |
		((uint64_t)VTD_PGTT_SS << VTD_PE0_PGTT_SHIFT) | q0_extra | VTD_PE0_P;
}

void th_pasid_fs(struct th *t, uint16_t sid, uint32_t pasid, uint16_t did, const struct th_pt *pt,
		 uint64_t q2_extra)
{
	uint64_t *pe = th_pasid_entry(t, sid, pasid);
	memset(pe, 0, 64);
	pe[1] = did;
	pe[2] = hw_pa(pt->root) | (pt->levels == 5 ? 1ull << VTD_PE2_FSPM_SHIFT : 0) | q2_extra;
	pe[0] = ((uint64_t)VTD_PGTT_FS << VTD_PE0_PGTT_SHIFT) | VTD_PE0_P;
}

void th_pasid_pt(struct th *t, uint16_t sid, uint32_t pasid, uint16_t did)
{
	uint64_t *pe = th_pasid_entry(t, sid, pasid);
	memset(pe, 0, 64);
	pe[1] = did;
	pe[0] = ((uint64_t)VTD_PGTT_PT << VTD_PE0_PGTT_SHIFT) | VTD_PE0_P;
}

void th_pasid_nested(struct th *t, uint16_t sid, uint32_t pasid, uint16_t did, uint64_t s1_gpa,
		     const struct th_pt *s2, uint64_t q2_extra)
{
	uint64_t *pe = th_pasid_entry(t, sid, pasid);
	memset(pe, 0, 64);
	pe[1] = did;
	pe[2] = s1_gpa | q2_extra;
	pe[0] = hw_pa(s2->root) | ((uint64_t)aw_of(s2->levels) << VTD_PE0_AW_SHIFT) |
		((uint64_t)VTD_PGTT_NESTED << VTD_PE0_PGTT_SHIFT) | VTD_PE0_P;
}

void th_pt_init(struct th *t, struct th_pt *pt, unsigned levels, bool fs)
{
	pt->root = th_page(t);
	pt->levels = levels;
	pt->fs = fs;
}

static uint64_t nonleaf_bits(const struct th_pt *pt)
{
	return pt->fs ? (VTD_FS_P | VTD_FS_RW | VTD_FS_US) : (VTD_SS_R | VTD_SS_W);
}

static bool present(const struct th_pt *pt, uint64_t e)
{
	return pt->fs ? (e & VTD_FS_P) : (e & (VTD_SS_R | VTD_SS_W));
}

void th_map(struct th *t, const struct th_pt *pt, uint64_t iova, uint64_t pa, unsigned shift,
	    uint64_t bits)
{
	uint64_t *table = pt->root;
	unsigned leaf_level = (shift - 12) / 9 + 1;
	for (unsigned level = pt->levels; level > leaf_level; level--) {
		uint64_t *e = &table[(iova >> (12 + 9 * (level - 1))) & 511];
		if (!present(pt, *e)) {
			uint64_t *next = th_page(t);
			*e = hw_pa(next) | nonleaf_bits(pt);
		}
		table = (uint64_t *)(uintptr_t)(*e & VTD_SS_ADDR_MASK);
	}
	uint64_t ps = leaf_level > 1 ? (pt->fs ? VTD_FS_PS : VTD_SS_PS) : 0;
	table[(iova >> shift) & 511] = (pa & ~((1ull << shift) - 1)) | ps | bits;
}

uint64_t *th_pte(const struct th_pt *pt, uint64_t iova, unsigned level)
{
	uint64_t *table = pt->root;
	for (unsigned l = pt->levels;; l--) {
		uint64_t *e = &table[(iova >> (12 + 9 * (l - 1))) & 511];
		if (l == level)
			return e;
		if (!present(pt, *e) || (*e & VTD_SS_PS))
			return NULL;
		table = (uint64_t *)(uintptr_t)(*e & VTD_SS_ADDR_MASK);
	}
}

void th_qi_add(struct th *t, uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3)
{
	uint64_t *d = &t->iq[t->iq_tail / 8];
	d[0] = q0;
	d[1] = q1;
	d[2] = q2;
	d[3] = q3;
	t->iq_tail = (t->iq_tail + 32) % VTD_PAGE_SIZE;
}

int th_qi_sync(struct th *t)
{
	uint32_t seq = ++t->status_seq;
	th_qi_add(t, vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW | ((uint64_t)seq << 32),
		  hw_pa((void *)t->status), 0, 0);
	th_wr(t, VTD_REG_IQT, t->iq_tail);
	if (th_rd(t, VTD_REG_FSTS) & VTD_FSTS_IQE)
		return -EIO;
	assert_int_equal(atomic_load(t->status), seq);
	assert_int_equal(th_rd(t, VTD_REG_IQH), t->iq_tail);
	return 0;
}

void th_inv_global(struct th *t)
{
	th_qi_add(t, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4), 0, 0, 0);
	th_qi_add(t, vtd_inv_qw0(VTD_INV_PC) | ((uint64_t)VTD_INV_PC_GLOBAL << 4), 0, 0, 0);
	th_qi_add(t, vtd_inv_qw0(VTD_INV_IOTLB) | ((uint64_t)VTD_INV_IOTLB_GLOBAL << 4), 0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
}

void th_inv_cc_dev(struct th *t, uint16_t sid)
{
	th_qi_add(t, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_DEVICE << 4) |
			     ((uint64_t)sid << 32),
		  0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
}

void th_inv_pc(struct th *t, unsigned g, uint16_t did, uint32_t pasid)
{
	th_qi_add(t, vtd_inv_qw0(VTD_INV_PC) | ((uint64_t)g << 4) | ((uint64_t)did << 16) |
			     ((uint64_t)pasid << 32),
		  0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
}

void th_inv_iotlb(struct th *t, unsigned g, uint16_t did, uint64_t addr, unsigned am)
{
	th_qi_add(t, vtd_inv_qw0(VTD_INV_IOTLB) | ((uint64_t)g << 4) | ((uint64_t)did << 16),
		  addr | am, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
}

void th_inv_piotlb(struct th *t, unsigned g, uint16_t did, uint32_t pasid, uint64_t addr,
		   unsigned am)
{
	th_qi_add(t, vtd_inv_qw0(VTD_INV_PIOTLB) | ((uint64_t)g << 4) | ((uint64_t)did << 16) |
			     ((uint64_t)pasid << 32),
		  addr | am, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
}

void th_inv_devtlb(struct th *t, uint16_t sid, uint32_t pasid, uint64_t addr, bool s)
{
	if (pasid == PCI_NO_PASID)
		th_qi_add(t, vtd_inv_qw0(VTD_INV_DEVTLB) | ((uint64_t)sid << 32),
			  addr | (s ? VTD_INV_DEVTLB_S : 0), 0, 0);
	else
		th_qi_add(t, vtd_inv_qw0(VTD_INV_PDEVTLB) | ((uint64_t)sid << 16) |
				     ((uint64_t)pasid << 32),
			  addr | (s ? VTD_INV_PDEVTLB_S : 0), 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
}

int th_dma(struct th *t, uint16_t sid, uint32_t pasid, bool priv, uint64_t addr, void *buf,
	   size_t len, bool write, struct pci_dma_result *res)
{
	struct pci_dma_attr a = { .pasid = pasid, .priv = priv };
	struct hw_pci_function *d = th_dev(t, sid);
	return write ? pci_dma_write(t->dma, d, &a, addr, buf, len, res) :
		       pci_dma_read(t->dma, d, &a, addr, buf, len, res);
}

int th_read8(struct th *t, uint16_t sid, uint32_t pasid, uint64_t addr, uint8_t *v)
{
	struct pci_dma_result r;
	return th_dma(t, sid, pasid, false, addr, v, 1, false, &r);
}

int th_write8(struct th *t, uint16_t sid, uint32_t pasid, uint64_t addr, uint8_t v)
{
	struct pci_dma_result r;
	return th_dma(t, sid, pasid, false, addr, &v, 1, true, &r);
}

int th_faults(struct th *t, struct th_frcd *out, int max)
{
	uint32_t fsts = (uint32_t)th_rd(t, VTD_REG_FSTS);
	if (!(fsts & VTD_FSTS_PPF)) {
		if (fsts & VTD_FSTS_PFO)
			th_wr32(t, VTD_REG_FSTS, VTD_FSTS_PFO);
		return 0;
	}
	unsigned nfr = VTD_CAP_NFR(t->u->cap), fro = VTD_CAP_FRO(t->u->cap);
	unsigned idx = VTD_FSTS_FRI(fsts);
	int n = 0;
	for (unsigned i = 0; i < nfr; i++) {
		unsigned off = fro + 16 * idx;
		uint64_t hi = th_rd(t, off + 8);
		if (!(hi & VTD_FRCD_HI_F))
			break;
		if (n < max) {
			out[n].lo = th_rd(t, off);
			out[n].hi = hi;
		}
		n++;
		th_wr32(t, off + 12, 1u << 31);
		idx = (idx + 1) % nfr;
	}
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_PFO | VTD_FSTS_PPF);
	return n;
}

void th_expect_fault(struct th *t, uint8_t reason, uint64_t addr)
{
	struct th_frcd f[8];
	int n = th_faults(t, f, 8);
	if (n != 1)
		fail_msg("expected one fault (reason %#x), got %d (first %#x)", reason, n,
			 n ? th_fr(&f[0]) : 0);
	if (th_fr(&f[0]) != reason)
		fail_msg("expected fault reason %#x, got %#x", reason, th_fr(&f[0]));
	assert_int_equal(f[0].lo, addr & VTD_PAGE_MASK);
}

void th_expect_no_fault(struct th *t)
{
	struct th_frcd f[8];
	int n = th_faults(t, f, 8);
	if (n)
		fail_msg("expected no fault, got %d (first reason %#x)", n, th_fr(&f[0]));
}

/* ---- the kernel side ---- */

struct uiommu_host *th_host(const char *json, bool drivers)
{
	struct uiommu_host *h = NULL;
	char err[256];
	struct uiommu_host_opts o = { .topology_json = json, .no_drivers = !drivers };
	if (uiommu_host_new(&o, &h, err, sizeof(err)))
		fail_msg("host: %s", err);
	return h;
}

struct device *th_device(struct uiommu_host *h, const char *name)
{
	struct device *d = uiommu_device_find(h, name);
	if (!d)
		fail_msg("no device %s", name);
	assert_int_equal(
		hw_pci_cfg_write(th_fn(d), PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY),
		0);
	return d;
}

struct hw_pci_function *th_fn(struct device *d)
{
	assert_true(dev_is_pci(d));
	struct hw_pci_function *f =
		hw_pci_function_by_rid(d->host->m, pci_dev_id(to_pci_dev(d)));
	assert_non_null(f);
	return f;
}

uint8_t *th_alloc_page(void)
{
	uint8_t *p = aligned_alloc(4096, 4096);
	assert_non_null(p);
	memset(p, 0, 4096);
	return p;
}

int th_kdma(struct device *d, uint32_t pasid, uint64_t iova, void *buf, size_t len, bool write,
	    struct pci_dma_result *res)
{
	struct pci_dma_attr a = { .pasid = pasid };
	struct pci_dma_result dummy;
	if (!res)
		res = &dummy;
	return write ? pci_dma_write(NULL, th_fn(d), &a, iova, buf, len, res) :
		       pci_dma_read(NULL, th_fn(d), &a, iova, buf, len, res);
}

void th_dma_lands(struct device *d, uint32_t pasid, uint64_t iova, uint8_t *host,
		  const char *tag)
{
	char msg[32], back[32];
	struct pci_dma_result r;
	snprintf(msg, sizeof(msg), "%s@%llx", tag, (unsigned long long)iova);
	int rc = th_kdma(d, pasid, iova, msg, sizeof(msg), true, &r);
	if (rc)
		fail_msg("%s: DMA write by %s pasid %#x iova %#llx: %d status %d reason %#x", tag,
			 d->name, pasid, (unsigned long long)iova, rc, r.status, r.reason);
	assert_memory_equal(host, msg, sizeof(msg));
	assert_int_equal(th_kdma(d, pasid, iova, back, sizeof(back), false, NULL), 0);
	assert_memory_equal(back, msg, sizeof(msg));
}

uint8_t th_dma_faults(struct device *d, uint32_t pasid, uint64_t iova)
{
	uint8_t b[8] = { 0 };
	struct pci_dma_result r;
	int rc = th_kdma(d, pasid, iova, b, sizeof(b), false, &r);
	if (rc != -EFAULT)
		fail_msg("DMA by %s pasid %#x at %#llx: %d (status %d), expected a fault", d->name,
			 pasid, (unsigned long long)iova, rc, r.status);
	assert_true(r.status == PCI_DMA_FAULT || r.status == PCI_DMA_ATS_NOACCESS);
	return r.status == PCI_DMA_FAULT ? r.reason : 0;
}

/*
 * cmocka installs its crash handler with signal() around every test
 * function, which would take SIGSEGV from the library's fault fixups
 * (util/fixup.h) - a test that hands a bad pointer to an ioctl would
 * crash instead of getting -EFAULT. The test executables export this
 * signal() (meson: --export-dynamic-symbol), so cmocka's handler becomes
 * the fixups' fallback for faults nobody armed a fixup for.
 */
static void (*cmocka_fault_handler)(int);

void (*signal(int sig, void (*handler)(int)))(int)
{
	static void (*(*real)(int, void (*)(int)))(int);
	if (sig == SIGSEGV || sig == SIGBUS) {
		fixup_install();
		void (*old)(int) = cmocka_fault_handler ? cmocka_fault_handler : SIG_DFL;
		cmocka_fault_handler = handler == SIG_DFL || handler == SIG_IGN ? NULL : handler;
		fixup_set_fallback(cmocka_fault_handler);
		return old;
	}
	if (!real)
		real = (void (*(*)(int, void (*)(int)))(int))dlsym(RTLD_NEXT, "signal");
	return real(sig, handler);
}
