/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault recording (SPEC H-7, with H-2/H-3/H-10/H-11 on the fault side):
 * every scalable-mode fault reason the unit can raise, provoked by a
 * broken structure or request and checked in the fault recording
 * registers (reason, address, SID, PASID, T, PRIV); FPD suppressing
 * qualified faults only; FRCD overflow and circular use; the fault event
 * interrupt; canonical and address-width checks.
 *
 * Most cases follow one pattern: a working translation, one field broken
 * and the caches invalidated, exactly the expected fault, the field
 * restored and the translation working again - so a fault can only come
 * from the field under test.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "hw/pci/pri.h"

#define IOVA     0x10000ull
#define SID_HI   0x0080 /* 00:10.0 in TOPO(): upper half of the root entry */
#define PASID    5
#define DID      1

/* A small host whose unit options a test chooses. */
#define TOPO_DEVICES                                                                          \
	"\"devices\":["                                                                       \
	"{\"bdf\":\"00:00.0\",\"type\":\"host_bridge\"},"                                     \
	"{\"bdf\":\"00:01.0\",\"type\":\"root_port\",\"acs\":true,\"bus\":1,\"children\":["   \
	"{\"bdf\":\"01:00.0\",\"type\":\"endpoint\",\"pasid_bits\":20,\"pasid_priv\":true,"   \
	"\"ats\":true,\"pri\":true}]},"                                                       \
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\"},"                                     \
	"{\"bdf\":\"00:10.0\",\"type\":\"rc_endpoint\"}]"
#define TOPO(unit) "{\"units\":[{\"name\":\"dmar0\"" unit "}]," TOPO_DEVICES "}"

/* Per-test state; teardown releases it even when an assertion fails. */
struct fx {
	struct th t;
	void *mem[4];
	unsigned nr_mem;
	void *win;
	size_t win_len;
};

static int fx_setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	th_init(&x->t, NULL);
	*state = x;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *x = *state;
	th_fini(&x->t);
	for (unsigned i = 0; i < x->nr_mem; i++)
		free(x->mem[i]);
	if (x->win)
		munmap(x->win, x->win_len);
	free(x);
	return 0;
}

static struct th *fx_th(void **state)
{
	return &((struct fx *)*state)->t;
}

/* The test wants a differently configured unit. */
static struct th *reinit(void **state, const char *json)
{
	struct th *t = fx_th(state);
	th_fini(t);
	th_init(t, json);
	return t;
}

static void *fx_alloc(void **state, size_t align, size_t len)
{
	struct fx *x = *state;
	void *p = NULL;
	assert_true(x->nr_mem < ARRAY_SIZE(x->mem));
	assert_int_equal(posix_memalign(&p, align, len), 0);
	memset(p, 0, len);
	x->mem[x->nr_mem++] = p;
	return p;
}

/* ---- requests and what they must leave behind ---- */

struct rq {
	uint16_t sid;
	uint32_t pasid;
	bool priv;
	bool write;
	uint64_t addr;
};

static int rq_dma(struct th *t, const struct rq *q, struct pci_dma_result *r)
{
	uint8_t v = 0xa5;
	return th_dma(t, q->sid, q->pasid, q->priv, q->addr, &v, 1, q->write, r);
}

/* Every field of the one record the request must have left. */
static void check_record(const struct th_frcd *f, const struct rq *q, uint8_t reason, int line)
{
	if (th_fr(f) != reason)
		fail_msg("line %d: recorded reason %#x, want %#x", line, th_fr(f), reason);
	if (f->lo != (q->addr & VTD_PAGE_MASK))
		fail_msg("line %d: FI %#llx, want %#llx", line, (unsigned long long)f->lo,
			 (unsigned long long)(q->addr & VTD_PAGE_MASK));
	if (VTD_FRCD_HI_SID(f->hi) != q->sid)
		fail_msg("line %d: SID %#x, want %#x", line, VTD_FRCD_HI_SID(f->hi), q->sid);
	bool pp = f->hi & VTD_FRCD_HI_PP;
	if (pp != (q->pasid != PCI_NO_PASID))
		fail_msg("line %d: PP %d for pasid %#x", line, pp, q->pasid);
	if (pp && VTD_FRCD_HI_PV(f->hi) != q->pasid)
		fail_msg("line %d: PV %#x, want %#x", line, VTD_FRCD_HI_PV(f->hi), q->pasid);
	if (!pp && VTD_FRCD_HI_PV(f->hi))
		fail_msg("line %d: PV %#x without PP", line, VTD_FRCD_HI_PV(f->hi));
	if (!!(f->hi & VTD_FRCD_HI_T) != !q->write)
		fail_msg("line %d: T %d for a %s", line, !!(f->hi & VTD_FRCD_HI_T),
			 q->write ? "write" : "read");
	if (!!(f->hi & VTD_FRCD_HI_PRIV) != q->priv)
		fail_msg("line %d: PRIV %d, want %d", line, !!(f->hi & VTD_FRCD_HI_PRIV), q->priv);
	if (f->hi & VTD_FRCD_HI_EXE)
		fail_msg("line %d: EXE set for a request without execute", line);
}

#define expect_fault(t, q, reason) expect_fault_at(t, q, reason, __LINE__)
static void expect_fault_at(struct th *t, const struct rq *q, uint8_t reason, int line)
{
	struct pci_dma_result r;
	int rc = rq_dma(t, q, &r);
	if (rc != -EFAULT || r.status != PCI_DMA_FAULT || r.reason != reason)
		fail_msg("line %d: DMA at %#llx: rc %d status %d reason %#x, want fault %#x", line,
			 (unsigned long long)q->addr, rc, r.status, r.reason, reason);
	struct th_frcd f[8];
	int n = th_faults(t, f, 8);
	if (n != 1)
		fail_msg("line %d: %d faults recorded (first %#x), want one %#x", line, n,
			 n ? th_fr(&f[0]) : 0, reason);
	check_record(&f[0], q, reason, line);
}

#define expect_ok(t, q) expect_ok_at(t, q, __LINE__)
static void expect_ok_at(struct th *t, const struct rq *q, int line)
{
	struct pci_dma_result r;
	int rc = rq_dma(t, q, &r);
	if (rc)
		fail_msg("line %d: DMA at %#llx: rc %d status %d reason %#x, want success", line,
			 (unsigned long long)q->addr, rc, r.status, r.reason);
	struct th_frcd f[8];
	int n = th_faults(t, f, 8);
	if (n)
		fail_msg("line %d: %d faults recorded (first %#x), want none", line, n, th_fr(&f[0]));
}

/* FPD at work: the DMA fails with `reason` but nothing is recorded. */
#define expect_suppressed(t, q, reason) expect_suppressed_at(t, q, reason, __LINE__)
static void expect_suppressed_at(struct th *t, const struct rq *q, uint8_t reason, int line)
{
	struct vtd_stats s0, s1;
	vtd_stats_get(t->u, &s0);
	struct pci_dma_result r;
	int rc = rq_dma(t, q, &r);
	if (rc != -EFAULT || r.status != PCI_DMA_FAULT || r.reason != reason)
		fail_msg("line %d: DMA at %#llx: rc %d status %d reason %#x, want blocked %#x", line,
			 (unsigned long long)q->addr, rc, r.status, r.reason, reason);
	vtd_stats_get(t->u, &s1);
	if (th_rd(t, VTD_REG_FSTS) & (VTD_FSTS_PPF | VTD_FSTS_PFO))
		fail_msg("line %d: suppressed fault %#x was recorded", line, reason);
	if (s1.faults_suppressed != s0.faults_suppressed + 1 || s1.faults != s0.faults)
		fail_msg("line %d: faults_suppressed %llu -> %llu, faults %llu -> %llu", line,
			 (unsigned long long)s0.faults_suppressed,
			 (unsigned long long)s1.faults_suppressed, (unsigned long long)s0.faults,
			 (unsigned long long)s1.faults);
}

/* Put `val` in *e, expect `reason`, restore *e, expect success again. */
#define try_val(t, e, val, q, reason) try_val_at(t, e, val, q, reason, __LINE__)
#define try_bits(t, e, bits, q, reason) try_val_at(t, e, *(e) | (bits), q, reason, __LINE__)
static void try_val_at(struct th *t, uint64_t *e, uint64_t val, const struct rq *q, uint8_t reason,
		       int line)
{
	uint64_t old = *e;
	*e = val;
	th_inv_global(t);
	expect_fault_at(t, q, reason, line);
	*e = old;
	th_inv_global(t);
	expect_ok_at(t, q, line);
}

/* Translate without touching memory, for mappings of pages that are not
 * backed (1 GiB). Returns 0 or the fault reason. */
static int probe(struct th *t, uint16_t sid, uint32_t pasid, uint64_t addr, uint64_t *out)
{
	struct vtd_req req = { .sid = sid, .pasid = pasid, .perm = VTD_PERM_R, .addr = addr };
	struct vtd_xlate x;
	struct vtd_fault f;
	if (vtd_translate(t->u, NULL, &req, &x, &f))
		return f.reason;
	*out = x.out;
	return 0;
}

/* ---- fixtures ---- */

/* DMATEST0 (no PASID capability) through a second-stage table on the
 * context's RID_PASID entry; IOVA mapped read-write. */
static uint8_t *ss_rid(struct th *t, uint16_t sid, struct th_pt *pt, unsigned levels)
{
	th_dev_enable(t, sid, false);
	th_context_setup(t, sid, 0);
	th_pt_init(t, pt, levels, false);
	uint8_t *buf = th_buf(t);
	th_map(t, pt, IOVA, hw_pa(buf), 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(t, sid, 0, DID, pt, 0);
	return buf;
}

/* The DSA function with PASID `pasid` second-stage. */
static uint8_t *ss_pasid(struct th *t, struct th_pt *pt, uint32_t pasid)
{
	th_dev_enable(t, SID_DSA, true);
	th_context_setup(t, SID_DSA, 0);
	th_pt_init(t, pt, 4, false);
	uint8_t *buf = th_buf(t);
	th_map(t, pt, IOVA, hw_pa(buf), 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(t, SID_DSA, pasid, DID, pt, 0);
	return buf;
}

/* The DSA function with PASID first-stage, IOVA a user read-write page. */
static uint8_t *fs_pasid(struct th *t, struct th_pt *pt, unsigned levels, uint64_t q2_extra)
{
	th_dev_enable(t, SID_DSA, true);
	th_context_setup(t, SID_DSA, 0);
	th_pt_init(t, pt, levels, true);
	uint8_t *buf = th_buf(t);
	th_map(t, pt, IOVA, hw_pa(buf), 12, VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	th_pasid_fs(t, SID_DSA, PASID, DID, pt, q2_extra);
	return buf;
}

static uint64_t *root_entry(struct th *t, uint16_t sid)
{
	uint8_t devfn = (uint8_t)sid;
	return &t->root[(sid >> 8) * 2 + (devfn >= 128)];
}

static uint64_t *dir_entry(struct th *t, uint16_t sid, uint32_t pasid)
{
	uint64_t *ce = th_context(t, sid);
	uint64_t *dir = (uint64_t *)(uintptr_t)(ce[0] & VTD_PAGE_MASK);
	return &dir[pasid >> 6];
}

static void set_rtaddr(struct th *t, uint64_t v)
{
	th_wr(t, VTD_REG_RTADDR, v);
	th_wr32(t, VTD_REG_GCMD, VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_SRTP);
	th_inv_global(t);
}

static void pri_enable(struct th *t, uint16_t sid)
{
	struct hw_pci_function *d = th_dev(t, sid);
	assert_true(d->ecap_pri != 0);
	hw_pci_cfg_write(d, d->ecap_pri + PCI_PRI_ALLOC_REQ, 4, 32);
	hw_pci_cfg_write(d, d->ecap_pri + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
}

/* ---- root table ---- */

static void test_rta_invalid(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DMATEST0, false);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };

	/* No memory at the root table, and a root table above HAW. */
	set_rtaddr(t, 0x1000 | VTD_RTADDR_TTM_SCALABLE);
	expect_fault(t, &q, VTD_FR_SM_RTA_INVALID);
	set_rtaddr(t, (1ull << 48) | VTD_RTADDR_TTM_SCALABLE);
	q.write = true;
	expect_fault(t, &q, VTD_FR_SM_RTA_INVALID);
	/* Back to the real (empty) root table: the walk gets one step further. */
	set_rtaddr(t, hw_pa(t->root) | VTD_RTADDR_TTM_SCALABLE);
	expect_fault(t, &q, VTD_FR_SM_ROOT_P);
}

static void test_ttm_legacy(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	th_pasid_ss(t, SID_DSA, 0, DID, &pt, 0);
	struct rq qp = { SID_DSA, PASID, false, false, IOVA };
	struct rq qn = { SID_DSA, PCI_NO_PASID, false, false, IOVA };
	expect_ok(t, &qp);
	expect_ok(t, &qn);

	set_rtaddr(t, hw_pa(t->root) | VTD_RTADDR_TTM_LEGACY);
	expect_fault(t, &qp, VTD_FR_SM_TTM0_PASID);
	/* Legacy-mode translation is not modelled: the unit treats the table
	 * as unusable rather than walking it in the legacy format. */
	expect_fault(t, &qn, VTD_FR_SM_RTA_INVALID);
	set_rtaddr(t, hw_pa(t->root) | VTD_RTADDR_TTM_SCALABLE);
	expect_ok(t, &qp);
}

/* RTA.3: a page request while the root table is in legacy mode. */
static void test_ttm_legacy_page_request(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DSA, true);
	pri_enable(t, SID_DSA);
	th_context_setup(t, SID_DSA, VTD_SM_CTX_PRE);
	set_rtaddr(t, hw_pa(t->root) | VTD_RTADDR_TTM_LEGACY);
	struct hw_pci_function *d = th_dev(t, SID_DSA);

	assert_int_not_equal(pci_pri_page_request(d, PASID, false, 0x42000, true, false, false, 1,
						  true),
			     0);
	th_expect_fault(t, VTD_FR_SM_TTM0_PRQ, 0x42000);
	assert_int_not_equal(pci_pri_page_request(d, PCI_NO_PASID, false, 0x43000, true, false,
						  false, 2, true),
			     0);
	th_expect_fault(t, VTD_FR_SM_TTM0_PRQ, 0x43000);
}

static void test_root_not_present(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DMATEST0, false);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	expect_fault(t, &q, VTD_FR_SM_ROOT_P);

	/* Devfn 128-255 use the upper half (UP/UCTP) of the root entry. */
	t = reinit(state, TOPO(""));
	struct th_pt lo, hi;
	ss_rid(t, SID_DMATEST0, &lo, 4);
	struct rq ql = { SID_DMATEST0, PCI_NO_PASID, false, true, IOVA };
	struct rq qh = { SID_HI, PCI_NO_PASID, false, true, IOVA };
	th_dev_enable(t, SID_HI, false);
	expect_ok(t, &ql);
	expect_fault(t, &qh, VTD_FR_SM_ROOT_P);
	ss_rid(t, SID_HI, &hi, 4);
	th_inv_global(t);
	expect_ok(t, &qh);
	assert_true(root_entry(t, SID_HI) == &t->root[1]);
	try_val(t, &t->root[1], t->root[1] & ~VTD_SM_ROOT_P, &qh, VTD_FR_SM_ROOT_P);
	/* The lower half is unaffected by the upper one. */
	t->root[1] &= ~VTD_SM_ROOT_P;
	th_inv_global(t);
	expect_ok(t, &ql);
}

static void test_root_reserved(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	uint64_t *re = root_entry(t, SID_DMATEST0);
	expect_ok(t, &q);
	try_bits(t, re, 1ull << 1, &q, VTD_FR_SM_ROOT_RSVD);
	try_bits(t, re, 1ull << 11, &q, VTD_FR_SM_ROOT_RSVD);
	try_bits(t, re, 1ull << 48, &q, VTD_FR_SM_ROOT_RSVD); /* above HAW */
	try_bits(t, re, 1ull << 63, &q, VTD_FR_SM_ROOT_RSVD);
}

/* ---- context entry ---- */

static void test_ctx_access(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, true, IOVA };
	uint64_t *re = root_entry(t, SID_DMATEST0);
	expect_ok(t, &q);
	/* Context tables where there is no memory (below HAW: not reserved). */
	try_val(t, re, 0x1000 | VTD_SM_ROOT_P, &q, VTD_FR_SM_CTX_ACCESS);
	try_val(t, re, (1ull << 47) | VTD_SM_ROOT_P, &q, VTD_FR_SM_CTX_ACCESS);
}

static void test_ctx_not_present(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	uint64_t *ce = th_context(t, SID_DMATEST0);
	expect_ok(t, &q);
	try_val(t, &ce[0], ce[0] & ~VTD_SM_CTX_P, &q, VTD_FR_SM_CTX_P);
	/* Another function on the same context table has no entry at all. */
	th_dev_enable(t, SID_DMATEST1, false);
	struct rq q1 = { SID_DMATEST1, PCI_NO_PASID, false, false, IOVA };
	expect_fault(t, &q1, VTD_FR_SM_CTX_P);
}

static void test_ctx_reserved(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	uint64_t *ce = th_context(t, SID_DMATEST0);
	expect_ok(t, &q);
	for (unsigned b = 5; b <= 8; b++)
		try_bits(t, &ce[0], 1ull << b, &q, VTD_FR_SM_CTX_RSVD);
	try_bits(t, &ce[0], 1ull << 48, &q, VTD_FR_SM_CTX_RSVD); /* PASIDDIRPTR above HAW */
	try_bits(t, &ce[0], 1ull << 63, &q, VTD_FR_SM_CTX_RSVD);
	/* RID_PRIV (bit 84) without ECAP.RPRIVS, and bits 127:85. */
	try_bits(t, &ce[1], 1ull << 20, &q, VTD_FR_SM_CTX_RSVD);
	try_bits(t, &ce[1], 1ull << 21, &q, VTD_FR_SM_CTX_RSVD);
	try_bits(t, &ce[1], 1ull << 63, &q, VTD_FR_SM_CTX_RSVD);
	try_bits(t, &ce[2], 1ull << 0, &q, VTD_FR_SM_CTX_RSVD);
	try_bits(t, &ce[2], 1ull << 40, &q, VTD_FR_SM_CTX_RSVD);
	try_bits(t, &ce[3], 1ull << 63, &q, VTD_FR_SM_CTX_RSVD);
}

static void test_ctx_invalid(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	uint64_t *ce = th_context(t, SID_DMATEST0);
	expect_ok(t, &q);
	/* A PASIDDIRPTR with no memory behind it. The model rejects it while
	 * reading the context (SCT.4); hardware may report SPD.1 instead. */
	try_val(t, &ce[0], (ce[0] & ~VTD_PAGE_MASK) | 0x1000, &q, VTD_FR_SM_CTX_INVALID);

	/* PRE without ECAP.PRS, DTE without ECAP.DT. */
	t = reinit(state, TOPO(",\"prs\":false"));
	ss_rid(t, SID_DMATEST0, &pt, 4);
	ce = th_context(t, SID_DMATEST0);
	expect_ok(t, &q);
	try_bits(t, &ce[0], VTD_SM_CTX_PRE, &q, VTD_FR_SM_CTX_INVALID);
	ce[0] |= VTD_SM_CTX_DTE; /* this unit has DT: fine */
	th_inv_global(t);
	expect_ok(t, &q);

	t = reinit(state, TOPO(",\"ats\":false"));
	ss_rid(t, SID_DMATEST0, &pt, 4);
	ce = th_context(t, SID_DMATEST0);
	expect_ok(t, &q);
	try_bits(t, &ce[0], VTD_SM_CTX_DTE, &q, VTD_FR_SM_CTX_INVALID);
	ce[0] |= VTD_SM_CTX_PRE; /* and this one has PRS */
	th_inv_global(t);
	expect_ok(t, &q);
}

/* SCT.5: a translation request (ATS) from a function whose context does
 * not enable the device TLB. */
static void test_ctx_dte(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	th_pasid_ss(t, SID_DSA, 0, DID, &pt, 0);
	struct hw_pci_function *d = th_dev(t, SID_DSA);
	assert_true(d->ecap_ats != 0);
	hw_pci_cfg_write(d, d->ecap_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	struct rq q = { SID_DSA, PCI_NO_PASID, false, false, IOVA };
	struct rq qp = { SID_DSA, PASID, false, false, IOVA };
	expect_fault(t, &q, VTD_FR_SM_CTX_DTE);
	expect_fault(t, &qp, VTD_FR_SM_CTX_DTE);
	th_context(t, SID_DSA)[0] |= VTD_SM_CTX_DTE;
	th_inv_global(t);
	expect_ok(t, &q);
	expect_ok(t, &qp);
}

static void test_ctx_paside(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	th_pasid_ss(t, SID_DSA, 0, DID, &pt, 0);
	struct rq qp = { SID_DSA, PASID, false, false, IOVA };
	struct rq qn = { SID_DSA, PCI_NO_PASID, false, false, IOVA };
	uint64_t *ce = th_context(t, SID_DSA);
	expect_ok(t, &qp);
	try_val(t, &ce[0], ce[0] & ~VTD_SM_CTX_PASIDE, &qp, VTD_FR_SM_CTX_PASIDE);
	/* Requests without PASID do not need PASIDE. */
	ce[0] &= ~VTD_SM_CTX_PASIDE;
	th_inv_global(t);
	expect_ok(t, &qn);
}

static void test_ctx_pasid_beyond_pdts(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_pasid(t, &pt, 8191);
	/* PDTS=0: 2^7 directory entries of 64 PASIDs each. */
	struct rq q = { SID_DSA, 8191, false, false, IOVA };
	expect_ok(t, &q);
	q.pasid = 8192;
	expect_fault(t, &q, VTD_FR_SM_CTX_PASID_MAX);
	/* PDTS=1 doubles it. */
	th_pasid_ss(t, SID_DSA, 8192, DID, &pt, 0);
	th_context(t, SID_DSA)[0] |= 1ull << VTD_SM_CTX_PDTS_SHIFT;
	th_inv_global(t);
	expect_ok(t, &q);
	q.pasid = 16384;
	expect_fault(t, &q, VTD_FR_SM_CTX_PASID_MAX);
	q.pasid = 0xfffff;
	q.write = true;
	expect_fault(t, &q, VTD_FR_SM_CTX_PASID_MAX);
}

/* SCT.8: a page request from a function whose context has PRE clear. */
static void test_ctx_pre(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DSA, true);
	pri_enable(t, SID_DSA);
	th_context_setup(t, SID_DSA, 0);
	struct hw_pci_function *d = th_dev(t, SID_DSA);
	assert_int_not_equal(pci_pri_page_request(d, PASID, false, 0x77000, false, true, false, 3,
						  true),
			     0);
	struct th_frcd f;
	assert_int_equal(th_faults(t, &f, 1), 1);
	struct rq q = { SID_DSA, PASID, false, true, 0x77000 };
	check_record(&f, &q, VTD_FR_SM_CTX_PRE, __LINE__);

	/* With PRE the request is not a fault (no page request queue is set
	 * up, so it overflows, which is not recorded as a fault either). */
	th_context(t, SID_DSA)[0] |= VTD_SM_CTX_PRE;
	th_inv_global(t);
	pci_pri_page_request(d, PASID, false, 0x77000, false, true, false, 3, true);
	th_expect_no_fault(t);
}

/* SCT.9: RID_PASID beyond the unit's PASID width. */
static void test_ctx_rid_pasid(void **state)
{
	struct th *t = reinit(state, TOPO(",\"pasid_bits\":8"));
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	th_pasid_ss(t, SID_DMATEST0, 0xff, DID, &pt, 0);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	uint64_t *ce = th_context(t, SID_DMATEST0);
	expect_ok(t, &q);
	try_val(t, &ce[1], 0x100, &q, VTD_FR_SM_CTX_RID_PASID);
	ce[1] = 0xff;
	th_inv_global(t);
	expect_ok(t, &q);
}

/* ---- PASID directory and table ---- */

static void test_pde_not_present(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DSA, true);
	th_context_setup(t, SID_DSA, 0);
	struct rq q = { SID_DSA, PASID, false, false, IOVA };
	expect_fault(t, &q, VTD_FR_SM_PDE_P);
	/* Requests without PASID reach the directory through RID_PASID. */
	struct rq qn = { SID_DSA, PCI_NO_PASID, false, true, IOVA };
	expect_fault(t, &qn, VTD_FR_SM_PDE_P);
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	th_inv_global(t); /* the context entry changed */
	expect_ok(t, &q);
	uint64_t *de = dir_entry(t, SID_DSA, PASID);
	try_val(t, de, *de & ~VTD_PASID_DIR_P, &q, VTD_FR_SM_PDE_P);
}

static void test_pde_reserved(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	struct rq q = { SID_DSA, PASID, false, false, IOVA };
	uint64_t *de = dir_entry(t, SID_DSA, PASID);
	expect_ok(t, &q);
	try_bits(t, de, 1ull << 2, &q, VTD_FR_SM_PDE_RSVD);
	try_bits(t, de, 1ull << 11, &q, VTD_FR_SM_PDE_RSVD);
	try_bits(t, de, 1ull << 48, &q, VTD_FR_SM_PDE_RSVD);
}

static void test_pte_access(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	struct rq q = { SID_DSA, PASID, false, false, IOVA };
	uint64_t *de = dir_entry(t, SID_DSA, PASID);
	expect_ok(t, &q);
	try_val(t, de, 0x1000 | VTD_PASID_DIR_P, &q, VTD_FR_SM_PTE_ACCESS);
	try_val(t, de, (1ull << 47) | VTD_PASID_DIR_P, &q, VTD_FR_SM_PTE_ACCESS);
}

static void test_pte_not_present(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	struct rq q = { SID_DSA, PASID, false, true, IOVA };
	uint64_t *pe = th_pasid_entry(t, SID_DSA, PASID);
	expect_ok(t, &q);
	try_val(t, &pe[0], pe[0] & ~VTD_PE0_P, &q, VTD_FR_SM_PTE_P);
	/* Another PASID in the same table, never written. */
	q.pasid = PASID + 1;
	expect_fault(t, &q, VTD_FR_SM_PTE_P);
}

static void test_pte_reserved(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt, fs;
	ss_pasid(t, &pt, PASID);
	struct rq q = { SID_DSA, PASID, false, false, IOVA };
	uint64_t *pe = th_pasid_entry(t, SID_DSA, PASID);
	expect_ok(t, &q);
	try_bits(t, &pe[0], 1ull << 10, &q, VTD_FR_SM_PTE_RSVD);
	try_bits(t, &pe[0], 1ull << 11, &q, VTD_FR_SM_PTE_RSVD);
	try_bits(t, &pe[0], 1ull << 48, &q, VTD_FR_SM_PTE_RSVD); /* SSPTPTR above HAW */
	try_bits(t, &pe[1], 1ull << 16, &q, VTD_FR_SM_PTE_RSVD);
	try_bits(t, &pe[1], 1ull << 22, &q, VTD_FR_SM_PTE_RSVD);
	try_bits(t, &pe[2], 1ull << 8, &q, VTD_FR_SM_PTE_RSVD);
	try_bits(t, &pe[2], 1ull << 11, &q, VTD_FR_SM_PTE_RSVD);
	for (unsigned i = 3; i < 8; i++) {
		try_bits(t, &pe[i], 1ull << 0, &q, VTD_FR_SM_PTE_RSVD);
		try_bits(t, &pe[i], 1ull << 63, &q, VTD_FR_SM_PTE_RSVD);
	}

	/* First stage: FSPTPTR above HAW. */
	q.pasid = PASID + 1;
	th_pt_init(t, &fs, 4, true);
	th_map(t, &fs, IOVA, hw_pa(th_buf(t)), 12, VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	th_pasid_fs(t, SID_DSA, q.pasid, DID, &fs, 0);
	pe = th_pasid_entry(t, SID_DSA, q.pasid);
	expect_ok(t, &q);
	try_bits(t, &pe[2], 1ull << 48, &q, VTD_FR_SM_PTE_RSVD);
	try_bits(t, &pe[2], 1ull << 63, &q, VTD_FR_SM_PTE_RSVD);
}

static uint64_t with_field(uint64_t v, unsigned shift, uint64_t mask, uint64_t field)
{
	return (v & ~(mask << shift)) | (field << shift);
}

static void test_pte_invalid(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt, fs;
	ss_pasid(t, &pt, PASID);
	struct rq q = { SID_DSA, PASID, false, false, IOVA };
	uint64_t *pe = th_pasid_entry(t, SID_DSA, PASID);
	expect_ok(t, &q);
	static const unsigned bad_pgtt[] = { 0, 5, 6, 7 };
	for (unsigned i = 0; i < ARRAY_SIZE(bad_pgtt); i++)
		try_val(t, &pe[0], with_field(pe[0], VTD_PE0_PGTT_SHIFT, 7, bad_pgtt[i]), &q,
			VTD_FR_SM_PTE_INVALID);
	/* AW: only 1..3 (3/4/5 levels) exist. */
	static const unsigned bad_aw[] = { 0, 4, 5, 6, 7 };
	for (unsigned i = 0; i < ARRAY_SIZE(bad_aw); i++)
		try_val(t, &pe[0], with_field(pe[0], VTD_PE0_AW_SHIFT, 7, bad_aw[i]), &q,
			VTD_FR_SM_PTE_INVALID);

	/* FSPM: 2 and 3 are reserved. */
	q.pasid = PASID + 1;
	th_pt_init(t, &fs, 4, true);
	th_map(t, &fs, IOVA, hw_pa(th_buf(t)), 12, VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	th_pasid_fs(t, SID_DSA, q.pasid, DID, &fs, 0);
	pe = th_pasid_entry(t, SID_DSA, q.pasid);
	expect_ok(t, &q);
	try_val(t, &pe[2], with_field(pe[2], VTD_PE2_FSPM_SHIFT, 3, 2), &q, VTD_FR_SM_PTE_INVALID);
	try_val(t, &pe[2], with_field(pe[2], VTD_PE2_FSPM_SHIFT, 3, 3), &q, VTD_FR_SM_PTE_INVALID);
}

/* SPT.4 for what this unit's CAP/ECAP do not offer. */
static void test_pte_invalid_unsupported(void **state)
{
	struct th *t = reinit(state, TOPO(",\"levels\":[4,5]"));
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	struct rq q = { SID_DSA, PASID, false, false, IOVA };
	uint64_t *pe = th_pasid_entry(t, SID_DSA, PASID);
	expect_ok(t, &q);
	try_val(t, &pe[0], with_field(pe[0], VTD_PE0_AW_SHIFT, 7, 1), &q, VTD_FR_SM_PTE_INVALID);

	t = reinit(state, TOPO(",\"dirty_tracking\":false"));
	ss_pasid(t, &pt, PASID);
	pe = th_pasid_entry(t, SID_DSA, PASID);
	expect_ok(t, &q);
	try_bits(t, &pe[0], VTD_PE0_SSADE, &q, VTD_FR_SM_PTE_INVALID);

	t = reinit(state, TOPO(",\"nested\":false"));
	ss_pasid(t, &pt, PASID);
	pe = th_pasid_entry(t, SID_DSA, PASID);
	expect_ok(t, &q);
	try_val(t, &pe[0], with_field(pe[0], VTD_PE0_PGTT_SHIFT, 7, VTD_PGTT_NESTED), &q,
		VTD_FR_SM_PTE_INVALID);

	t = reinit(state, TOPO(",\"pass_through\":false"));
	ss_pasid(t, &pt, PASID);
	pe = th_pasid_entry(t, SID_DSA, PASID);
	expect_ok(t, &q);
	try_val(t, &pe[0], with_field(pe[0], VTD_PE0_PGTT_SHIFT, 7, VTD_PGTT_PT), &q,
		VTD_FR_SM_PTE_INVALID);
}

/* SPT.6: a supervisor request to a PASID entry without SRE. */
static void test_pte_sre(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	fs_pasid(t, &pt, 4, 0);
	struct rq q = { SID_DSA, PASID, true, false, IOVA };
	struct rq qu = { SID_DSA, PASID, false, false, IOVA };
	expect_fault(t, &q, VTD_FR_SM_PTE_SRE);
	q.write = true;
	expect_fault(t, &q, VTD_FR_SM_PTE_SRE);
	expect_ok(t, &qu);
	th_pasid_entry(t, SID_DSA, PASID)[2] |= VTD_PE2_SRE;
	th_inv_global(t);
	expect_ok(t, &q);
}

/* ---- second stage ---- */

static void test_ss_not_present(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	expect_ok(t, &q);
	/* R=W=0 at any level of the walk. */
	for (unsigned level = 1; level <= 4; level++) {
		uint64_t *e = th_pte(&pt, IOVA, level);
		try_val(t, e, *e & ~(VTD_SS_R | VTD_SS_W), &q, VTD_FR_SM_SS_NOT_PRESENT);
	}
	q.addr = IOVA + 0x1000;
	q.write = true;
	expect_fault(t, &q, VTD_FR_SM_SS_NOT_PRESENT);
}

static void test_ss_access(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, true, IOVA };
	expect_ok(t, &q);
	for (unsigned level = 2; level <= 4; level++)
		try_val(t, th_pte(&pt, IOVA, level), 0x1000 | VTD_SS_R | VTD_SS_W, &q,
			VTD_FR_SM_SS_ACCESS);
}

static void test_ss_reserved(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	uint64_t *leaf = th_pte(&pt, IOVA, 1);
	expect_ok(t, &q);
	try_bits(t, leaf, 1ull << 62, &q, VTD_FR_SM_SS_RSVD);
	for (unsigned b = 48; b <= 51; b++) /* HAW..51 */
		try_bits(t, leaf, 1ull << b, &q, VTD_FR_SM_SS_RSVD);
	try_bits(t, th_pte(&pt, IOVA, 2), 1ull << 62, &q, VTD_FR_SM_SS_RSVD);
	try_bits(t, th_pte(&pt, IOVA, 3), 1ull << 50, &q, VTD_FR_SM_SS_RSVD);
	/* SNP is reserved in non-leaf entries; PS in the PML4E. */
	try_bits(t, th_pte(&pt, IOVA, 2), VTD_SS_SNP, &q, VTD_FR_SM_SS_RSVD);
	try_bits(t, th_pte(&pt, IOVA, 4), VTD_SS_PS, &q, VTD_FR_SM_SS_RSVD);

	/* Ignored bits and a leaf SNP are fine. */
	*leaf |= (1ull << 52) | (1ull << 61) | (1ull << 63) | VTD_SS_SNP;
	th_inv_global(t);
	expect_ok(t, &q);

	/* 5-level: PS is reserved in the PML5E too. */
	struct th_pt p5;
	th_pt_init(t, &p5, 5, false);
	th_map(t, &p5, IOVA, hw_pa(th_buf(t)), 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(t, SID_DMATEST0, 0, DID, &p5, 0);
	th_inv_global(t);
	expect_ok(t, &q);
	try_bits(t, th_pte(&p5, IOVA, 5), VTD_SS_PS, &q, VTD_FR_SM_SS_RSVD);
	try_bits(t, th_pte(&p5, IOVA, 4), VTD_SS_PS, &q, VTD_FR_SM_SS_RSVD);
}

#define SZ_2M (1ull << 21)
#define SZ_1G (1ull << 30)

static void test_ss_reserved_large(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	uint8_t *big = fx_alloc(state, SZ_2M, SZ_2M);
	th_map(t, &pt, 4 * SZ_2M, hw_pa(big), 21, VTD_SS_R | VTD_SS_W);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, true, 4 * SZ_2M + 0x12345 };
	expect_ok(t, &q);
	assert_int_equal(big[0x12345], 0xa5);
	/* A 2 MiB leaf's address bits 20:12 are reserved. */
	uint64_t *e = th_pte(&pt, q.addr, 2);
	try_bits(t, e, 1ull << 12, &q, VTD_FR_SM_SS_RSVD);
	try_bits(t, e, 1ull << 20, &q, VTD_FR_SM_SS_RSVD);

	/* 1 GiB, on a page that is not backed: translate only. */
	th_map(t, &pt, 3 * SZ_1G, 5 * SZ_1G, 30, VTD_SS_R | VTD_SS_W);
	uint64_t out = 0;
	assert_int_equal(probe(t, SID_DMATEST0, PCI_NO_PASID, 3 * SZ_1G + 0x1234567, &out), 0);
	assert_int_equal(out, 5 * SZ_1G + 0x1234567);
	e = th_pte(&pt, 3 * SZ_1G, 3);
	struct rq q1 = { SID_DMATEST0, PCI_NO_PASID, false, false, 3 * SZ_1G + 0x1234567 };
	*e |= 1ull << 21;
	th_inv_global(t);
	expect_fault(t, &q1, VTD_FR_SM_SS_RSVD);
	*e ^= (1ull << 21) | (1ull << 29);
	th_inv_global(t);
	expect_fault(t, &q1, VTD_FR_SM_SS_RSVD);

	/* Without CAP.SLLPS a PS leaf is reserved. */
	t = reinit(state, TOPO(",\"large_pages\":false"));
	assert_int_equal(VTD_CAP_SLLPS(t->u->cap), 0);
	ss_rid(t, SID_DMATEST0, &pt, 4);
	th_map(t, &pt, 4 * SZ_2M, hw_pa(big), 21, VTD_SS_R | VTD_SS_W);
	expect_fault(t, &q, VTD_FR_SM_SS_RSVD);
	th_map(t, &pt, 3 * SZ_1G, 5 * SZ_1G, 30, VTD_SS_R | VTD_SS_W);
	expect_fault(t, &q1, VTD_FR_SM_SS_RSVD);
}

static void test_ss_permission(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq qr = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	struct rq qw = { SID_DMATEST0, PCI_NO_PASID, false, true, IOVA };
	uint64_t *leaf = th_pte(&pt, IOVA, 1);
	expect_ok(t, &qw);
	try_val(t, leaf, *leaf & ~VTD_SS_W, &qw, VTD_FR_SM_WRITE);
	try_val(t, leaf, *leaf & ~VTD_SS_R, &qr, VTD_FR_SM_READ);
	/* Permissions are ANDed across levels. */
	uint64_t *l3 = th_pte(&pt, IOVA, 3), *l2 = th_pte(&pt, IOVA, 2);
	try_val(t, l3, *l3 & ~VTD_SS_W, &qw, VTD_FR_SM_WRITE);
	try_val(t, l2, *l2 & ~VTD_SS_R, &qr, VTD_FR_SM_READ);
	/* The one allowed still goes through. */
	*leaf &= ~VTD_SS_W;
	th_inv_global(t);
	expect_ok(t, &qr);
	*leaf = (*leaf & ~VTD_SS_R) | VTD_SS_W;
	th_inv_global(t);
	expect_ok(t, &qw);
}

static void test_ss_ptr_invalid(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	uint64_t *pe = th_pasid_entry(t, SID_DMATEST0, 0);
	expect_ok(t, &q);
	try_val(t, &pe[0], (pe[0] & ~VTD_PAGE_MASK) | 0x1000, &q, VTD_FR_SM_SS_PTR_INVALID);
	try_val(t, &pe[0], (pe[0] & ~VTD_PAGE_MASK) | (1ull << 47), &q, VTD_FR_SM_SS_PTR_INVALID);
}

/* SGN.4: the input address limit is 2^min(AGAW, MGAW). */
static void ss_width_case(struct th *t, unsigned levels, unsigned width)
{
	struct th_pt pt;
	th_pt_init(t, &pt, levels, false);
	uint64_t top = (1ull << width) - 0x1000;
	th_map(t, &pt, top, hw_pa(th_buf(t)), 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(t, SID_DMATEST0, 0, DID, &pt, 0);
	th_inv_global(t);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, true, top + 0xff8 };
	expect_ok(t, &q);
	q.addr = 1ull << width;
	expect_fault(t, &q, VTD_FR_SM_ADDR_BEYOND);
	q.addr = (1ull << width) | IOVA;
	q.write = false;
	expect_fault(t, &q, VTD_FR_SM_ADDR_BEYOND);
}

static void test_ss_width(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	ss_width_case(t, 3, 39);
	ss_width_case(t, 4, 48);
	ss_width_case(t, 5, 57);
	/* MGAW below the table's AGAW caps it. */
	t = reinit(state, TOPO(",\"mgaw\":48"));
	assert_int_equal(VTD_CAP_MGAW(t->u->cap), 48);
	ss_rid(t, SID_DMATEST0, &pt, 4);
	ss_width_case(t, 5, 48);
}

/* Pass-through: HAW is the limit, and with a PASID the interrupt range is
 * blocked (3.14); without one it is an interrupt, not a DMA (H-11). */
static void test_pt_faults(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DSA, true);
	th_context_setup(t, SID_DSA, 0);
	th_pasid_pt(t, SID_DSA, 0, DID);
	th_pasid_pt(t, SID_DSA, PASID, DID);
	uint8_t *buf = th_buf(t);
	struct rq qp = { SID_DSA, PASID, false, true, hw_pa(buf) + 8 };
	struct rq qn = { SID_DSA, PCI_NO_PASID, false, true, hw_pa(buf) + 9 };
	expect_ok(t, &qp);
	expect_ok(t, &qn);
	assert_int_equal(buf[8], 0xa5);
	assert_int_equal(buf[9], 0xa5);
	qp.addr = qn.addr = 1ull << 48;
	expect_fault(t, &qp, VTD_FR_SM_ADDR_BEYOND);
	expect_fault(t, &qn, VTD_FR_SM_ADDR_BEYOND);
	qp.addr = 0xfee00000;
	expect_fault(t, &qp, VTD_FR_SM_INTR_RANGE);
	qp.addr = 0xfeeff000;
	qp.write = false;
	expect_fault(t, &qp, VTD_FR_SM_INTR_RANGE);

	struct pci_dma_result r;
	uint8_t v = 1;
	assert_int_equal(th_dma(t, SID_DSA, PCI_NO_PASID, false, 0xfee00000, &v, 1, true, &r), -EIO);
	assert_int_equal(r.status, PCI_DMA_BLOCKED);
	th_expect_no_fault(t);
}

/*
 * SGN.8: a translation whose output falls in the interrupt range
 * 0xFEEx_xxxx is blocked, for second-stage output as for pass-through.
 * The window is backed by a real page here so that a unit letting the
 * access through corrupts that page instead of crashing the test.
 */
static void test_ss_output_intr_range(void **state)
{
	struct fx *x = *state;
	struct th *t = fx_th(state);
	void *w = mmap((void *)0xfee00000ul, 0x1000, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (w == MAP_FAILED || w != (void *)0xfee00000ul) {
		if (w != MAP_FAILED)
			munmap(w, 0x1000);
		skip(); /* address space not available (e.g. sanitizer shadow) */
	}
	x->win = w;
	x->win_len = 0x1000;
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	th_map(t, &pt, IOVA + 0x1000, 0xfee00000, 12, VTD_SS_R | VTD_SS_W);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, true, IOVA };
	expect_ok(t, &q);
	q.addr = IOVA + 0x1000;
	expect_fault(t, &q, VTD_FR_SM_INTR_RANGE);
	assert_int_equal(((uint8_t *)w)[0], 0);
}

/* ---- first stage ---- */

static void test_fs_not_present(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	fs_pasid(t, &pt, 4, 0);
	struct rq q = { SID_DSA, PASID, false, false, IOVA };
	expect_ok(t, &q);
	for (unsigned level = 1; level <= 4; level++) {
		uint64_t *e = th_pte(&pt, IOVA, level);
		try_val(t, e, *e & ~VTD_FS_P, &q, VTD_FR_SM_FS_P);
	}
	q.addr = 0x7fffffff0000ull;
	expect_fault(t, &q, VTD_FR_SM_FS_P);
}

static void test_fs_access(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	fs_pasid(t, &pt, 4, 0);
	struct rq q = { SID_DSA, PASID, false, true, IOVA };
	expect_ok(t, &q);
	const uint64_t up = VTD_FS_P | VTD_FS_RW | VTD_FS_US;
	/* Below the top level: SFS.1; the top level itself: SFS.4. */
	for (unsigned level = 2; level <= 4; level++)
		try_val(t, th_pte(&pt, IOVA, level), 0x1000 | up, &q, VTD_FR_SM_FS_ACCESS);
	uint64_t *pe = th_pasid_entry(t, SID_DSA, PASID);
	try_val(t, &pe[2], (pe[2] & ~VTD_PAGE_MASK) | 0x1000, &q, VTD_FR_SM_FS_PTR_ACCESS);
	try_val(t, &pe[2], (pe[2] & ~VTD_PAGE_MASK) | (1ull << 47), &q, VTD_FR_SM_FS_PTR_ACCESS);
}

static void test_fs_reserved(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	fs_pasid(t, &pt, 4, 0);
	struct rq q = { SID_DSA, PASID, false, false, IOVA };
	uint64_t *leaf = th_pte(&pt, IOVA, 1);
	expect_ok(t, &q);
	for (unsigned b = 48; b <= 51; b++)
		try_bits(t, leaf, 1ull << b, &q, VTD_FR_SM_FS_RSVD);
	try_bits(t, th_pte(&pt, IOVA, 2), 1ull << 49, &q, VTD_FR_SM_FS_RSVD);
	try_bits(t, th_pte(&pt, IOVA, 3), 1ull << 51, &q, VTD_FR_SM_FS_RSVD);
	try_bits(t, th_pte(&pt, IOVA, 4), VTD_FS_PS, &q, VTD_FR_SM_FS_RSVD);
	/* Bits 62:52 are ignored. */
	*leaf |= (1ull << 52) | (1ull << 62);
	th_inv_global(t);
	expect_ok(t, &q);

	struct th_pt p5;
	th_pt_init(t, &p5, 5, true);
	th_map(t, &p5, IOVA, hw_pa(th_buf(t)), 12, VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	th_pasid_fs(t, SID_DSA, PASID, DID, &p5, 0);
	th_inv_global(t);
	expect_ok(t, &q);
	try_bits(t, th_pte(&p5, IOVA, 5), VTD_FS_PS, &q, VTD_FR_SM_FS_RSVD);
	try_bits(t, th_pte(&p5, IOVA, 4), VTD_FS_PS, &q, VTD_FR_SM_FS_RSVD);
}

static void test_fs_reserved_large(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	fs_pasid(t, &pt, 4, 0);
	const uint64_t up = VTD_FS_P | VTD_FS_RW | VTD_FS_US;
	uint8_t *big = fx_alloc(state, SZ_2M, SZ_2M);
	th_map(t, &pt, 4 * SZ_2M, hw_pa(big), 21, up);
	struct rq q = { SID_DSA, PASID, false, true, 4 * SZ_2M + 0x1f000 };
	expect_ok(t, &q);
	assert_int_equal(big[0x1f000], 0xa5);
	uint64_t *e = th_pte(&pt, q.addr, 2);
	/* Bit 12 of a large leaf is PAT, 20:13 are reserved. */
	try_bits(t, e, 1ull << 13, &q, VTD_FR_SM_FS_RSVD);
	try_bits(t, e, 1ull << 20, &q, VTD_FR_SM_FS_RSVD);
	*e |= 1ull << 12;
	th_inv_global(t);
	expect_ok(t, &q);

	th_map(t, &pt, 3 * SZ_1G, 5 * SZ_1G, 30, up);
	uint64_t out = 0;
	assert_int_equal(probe(t, SID_DSA, PASID, 3 * SZ_1G + 0x2345678, &out), 0);
	assert_int_equal(out, 5 * SZ_1G + 0x2345678);
	e = th_pte(&pt, 3 * SZ_1G, 3);
	struct rq q1 = { SID_DSA, PASID, false, false, 3 * SZ_1G + 0x2345678 };
	*e |= 1ull << 13;
	th_inv_global(t);
	expect_fault(t, &q1, VTD_FR_SM_FS_RSVD);
	*e ^= (1ull << 13) | (1ull << 29);
	th_inv_global(t);
	expect_fault(t, &q1, VTD_FR_SM_FS_RSVD);

	/* Without CAP.FL1GP a 1 GiB leaf is reserved; 2 MiB stays legal. */
	t = reinit(state, TOPO(",\"large_pages\":false"));
	assert_false(t->u->cap & VTD_CAP_FL1GP);
	fs_pasid(t, &pt, 4, 0);
	th_map(t, &pt, 4 * SZ_2M, hw_pa(big), 21, up);
	th_map(t, &pt, 3 * SZ_1G, 5 * SZ_1G, 30, up);
	expect_ok(t, &q);
	expect_fault(t, &q1, VTD_FR_SM_FS_RSVD);
}

static void fs_map_ok(struct th *t, const struct th_pt *pt, uint64_t va, uint8_t *buf)
{
	th_map(t, pt, va, hw_pa(buf), 12, VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	th_inv_global(t);
	struct rq q = { SID_DSA, PASID, false, true, va + 0x10 };
	expect_ok(t, &q);
	assert_int_equal(buf[0x10], 0xa5);
	buf[0x10] = 0;
}

/* SGN.1: 4-level first stage takes 48-bit canonical addresses, 5-level
 * 57-bit ones. */
static void test_fs_canonical(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	uint8_t *buf = fs_pasid(t, &pt, 4, 0);
	fs_map_ok(t, &pt, 0xffff800000000000ull, buf);
	fs_map_ok(t, &pt, 0x00007ffffffff000ull, buf);
	static const uint64_t bad4[] = { 0x0000800000000000ull, 0xffff7ffffffff000ull,
					 0x8000000000000000ull, 0x0001000000010000ull,
					 0x00ff800000000000ull };
	for (unsigned i = 0; i < ARRAY_SIZE(bad4); i++) {
		struct rq q = { SID_DSA, PASID, false, i & 1, bad4[i] };
		expect_fault(t, &q, VTD_FR_SM_NON_CANONICAL);
	}

	struct th_pt p5;
	th_pt_init(t, &p5, 5, true);
	th_pasid_fs(t, SID_DSA, PASID, DID, &p5, 0);
	fs_map_ok(t, &p5, 0x0000800000000000ull, buf);
	fs_map_ok(t, &p5, 0x00fffffffffff000ull, buf);
	fs_map_ok(t, &p5, 0xff00000000000000ull, buf);
	fs_map_ok(t, &p5, 0xffff7ffffffff000ull, buf);
	static const uint64_t bad5[] = { 0x0100000000000000ull, 0xfeff000000000000ull,
					 0x8000000000000000ull, 0x7f00000000000000ull };
	for (unsigned i = 0; i < ARRAY_SIZE(bad5); i++) {
		struct rq q = { SID_DSA, PASID, false, i & 1, bad5[i] };
		expect_fault(t, &q, VTD_FR_SM_NON_CANONICAL);
	}
}

static void test_fs_us(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	fs_pasid(t, &pt, 4, VTD_PE2_SRE);
	struct rq qu = { SID_DSA, PASID, false, false, IOVA };
	struct rq qs = { SID_DSA, PASID, true, false, IOVA };
	expect_ok(t, &qu);
	/* U/S is needed on every level for a user request. */
	for (unsigned level = 1; level <= 4; level++) {
		uint64_t *e = th_pte(&pt, IOVA, level);
		try_val(t, e, *e & ~VTD_FS_US, &qu, VTD_FR_SM_US);
	}
	uint64_t *leaf = th_pte(&pt, IOVA, 1);
	*leaf &= ~VTD_FS_US;
	th_inv_global(t);
	expect_ok(t, &qs);
	qu.write = true;
	expect_fault(t, &qu, VTD_FR_SM_US);
}

static void test_fs_write(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	fs_pasid(t, &pt, 4, 0);
	struct rq qw = { SID_DSA, PASID, false, true, IOVA };
	struct rq qr = { SID_DSA, PASID, false, false, IOVA };
	expect_ok(t, &qw);
	for (unsigned level = 1; level <= 4; level++) {
		uint64_t *e = th_pte(&pt, IOVA, level);
		try_val(t, e, *e & ~VTD_FS_RW, &qw, VTD_FR_SM_WRITE);
	}
	*th_pte(&pt, IOVA, 3) &= ~VTD_FS_RW;
	th_inv_global(t);
	expect_ok(t, &qr);
}

/* ---- nested ---- */

/* A guest's 4-level first stage in guest memory at GPA 1 GiB, every page
 * of it mapped through a 3-level second stage (39-bit guest space). */
struct nest {
	struct th_pt s2;
	uint64_t gpa[4];  /* first-stage tables, top first */
	uint64_t *tbl[4];
	uint64_t data_gpa;
	uint8_t *data;
};

#define GPA_BASE SZ_1G
#define NPASID   4

static uint64_t *guest_page(struct th *t, struct nest *n, uint64_t gpa)
{
	uint64_t *host = th_page(t);
	th_map(t, &n->s2, gpa, hw_pa(host), 12, VTD_SS_R | VTD_SS_W);
	return host;
}

static void nest_build(struct th *t, struct nest *n)
{
	th_pt_init(t, &n->s2, 3, false);
	for (unsigned i = 0; i < 4; i++) {
		n->gpa[i] = GPA_BASE + i * 0x1000;
		n->tbl[i] = guest_page(t, n, n->gpa[i]);
	}
	n->data_gpa = GPA_BASE + 0x10000;
	n->data = (uint8_t *)guest_page(t, n, n->data_gpa);
	for (unsigned level = 4; level >= 1; level--) {
		unsigned i = 4 - level;
		uint64_t next = level > 1 ? n->gpa[i + 1] : n->data_gpa;
		n->tbl[i][(IOVA >> (12 + 9 * (level - 1))) & 511] =
			next | VTD_FS_P | VTD_FS_RW | VTD_FS_US;
	}
	th_dev_enable(t, SID_DSA, true);
	th_context_setup(t, SID_DSA, 0);
	th_pasid_nested(t, SID_DSA, NPASID, DID, n->gpa[0], &n->s2, 0);
}

static uint64_t *fs_entry(struct nest *n, unsigned level)
{
	return &n->tbl[4 - level][(IOVA >> (12 + 9 * (level - 1))) & 511];
}

static void test_nested_faults(void **state)
{
	struct th *t = fx_th(state);
	struct nest n;
	nest_build(t, &n);
	struct rq qr = { SID_DSA, NPASID, false, false, IOVA };
	struct rq qw = { SID_DSA, NPASID, false, true, IOVA };
	expect_ok(t, &qw);
	assert_int_equal(n.data[0], 0xa5);
	assert_true(*fs_entry(&n, 1) & VTD_FS_D);

	/* SFS.5: a first-stage table beyond the second stage's 39 bits. */
	uint64_t *l3 = fs_entry(&n, 3);
	try_val(t, l3, (1ull << 40) | (*l3 & ~VTD_FS_ADDR_MASK), &qr, VTD_FR_SM_FS_NEST_MGAW);
	uint64_t *pe = th_pasid_entry(t, SID_DSA, NPASID);
	try_val(t, &pe[2], (pe[2] & ~VTD_PAGE_MASK) | (1ull << 40), &qr, VTD_FR_SM_FS_NEST_MGAW);

	/* SFS.6: the top-level table not readable through the second stage:
	 * not mapped, or mapped write-only. */
	uint64_t *s2top = th_pte(&n.s2, n.gpa[0], 1);
	try_val(t, s2top, 0, &qr, VTD_FR_SM_FS_NEST_RD_PTR);
	try_val(t, s2top, *s2top & ~VTD_SS_R, &qr, VTD_FR_SM_FS_NEST_RD_PTR);

	/* SFS.7: a lower table not readable. */
	uint64_t *s2mid = th_pte(&n.s2, n.gpa[2], 1);
	try_val(t, s2mid, 0, &qr, VTD_FR_SM_FS_NEST_RD);
	try_val(t, s2mid, *s2mid & ~VTD_SS_R, &qr, VTD_FR_SM_FS_NEST_RD);

	/* SFS.8: setting A in a table the second stage maps read-only. */
	uint64_t *s2leaf_tbl = th_pte(&n.s2, n.gpa[3], 1);
	*fs_entry(&n, 1) &= ~(VTD_FS_A | VTD_FS_D);
	try_val(t, s2leaf_tbl, *s2leaf_tbl & ~VTD_SS_W, &qr, VTD_FR_SM_FS_NEST_WR);
	*fs_entry(&n, 2) &= ~VTD_FS_A;
	uint64_t *s2l2 = th_pte(&n.s2, n.gpa[2], 1);
	try_val(t, s2l2, *s2l2 & ~VTD_SS_W, &qw, VTD_FR_SM_FS_NEST_WR);

	/* The output GPA goes through the second stage like any access. */
	uint64_t *s2data = th_pte(&n.s2, n.data_gpa, 1);
	try_val(t, s2data, 0, &qr, VTD_FR_SM_SS_NOT_PRESENT);
	try_val(t, s2data, *s2data & ~VTD_SS_W, &qw, VTD_FR_SM_WRITE);
	try_val(t, s2data, *s2data & ~VTD_SS_R, &qr, VTD_FR_SM_READ);
	/* And a first-stage fault is still a first-stage fault. */
	uint64_t *leaf = fs_entry(&n, 1);
	try_val(t, leaf, *leaf & ~VTD_FS_P, &qr, VTD_FR_SM_FS_P);
}

/* ---- fault recording registers ---- */

static uint32_t rd32(struct th *t, unsigned off)
{
	uint64_t v = 0;
	assert_int_equal(vtd_mmio_read(t->u, off, 4, &v), 0);
	return (uint32_t)v;
}

/* Every FRCD field, read the way the Linux handler reads them: dword 2
 * for SID/PRIV/EXE/PP, dword 3 for FR/PV/AT/T/F. */
static void test_frcd_fields(void **state)
{
	struct th *t = fx_th(state);
	unsigned fro = VTD_CAP_FRO(t->u->cap);
	th_dev_enable(t, SID_DSA, true);
	th_dev_enable(t, SID_DMATEST1, false);

	/* A 20-bit PASID needs the largest directory (PDTS=7, 128 KiB). */
	uint64_t *dir = fx_alloc(state, VTD_PAGE_SIZE, 128 << 10);
	uint64_t *ce = th_context(t, SID_DSA);
	ce[1] = ce[2] = ce[3] = 0;
	ce[0] = hw_pa(dir) | (7ull << VTD_SM_CTX_PDTS_SHIFT) | VTD_SM_CTX_PASIDE | VTD_SM_CTX_P;
	struct rq q = { SID_DSA, 0xfedcb, false, false, 0x123456789000ull };
	struct pci_dma_result r;
	assert_int_equal(rq_dma(t, &q, &r), -EFAULT);
	uint32_t fsts = rd32(t, VTD_REG_FSTS);
	assert_true(fsts & VTD_FSTS_PPF);
	unsigned rec = fro + 16 * VTD_FSTS_FRI(fsts);
	uint32_t d2 = rd32(t, rec + 8), d3 = rd32(t, rec + 12);
	assert_int_equal(d2 & 0xffff, SID_DSA);
	assert_true(d2 & (1u << 31));            /* PP */
	assert_false(d2 & ((1u << 29) | (1u << 30))); /* PRIV, EXE */
	assert_int_equal(d3 & 0xff, VTD_FR_SM_PDE_P);
	assert_int_equal((d3 >> 8) & 0xfffff, 0xfedcb);
	assert_true(d3 & (1u << 30));            /* T: read */
	assert_true(d3 & (1u << 31));            /* F */
	assert_int_equal(rd32(t, rec), 0x56789000);
	assert_int_equal(rd32(t, rec + 4), 0x1234);
	/* Only F is writable; writing anything else changes nothing. */
	th_wr32(t, rec + 12, 0x7fffffff);
	th_wr32(t, rec + 8, 0);
	assert_int_equal(rd32(t, rec + 12), d3);
	assert_int_equal(rd32(t, rec + 8), d2);
	th_wr32(t, rec + 12, 1u << 31);
	assert_false(rd32(t, rec + 12) & (1u << 31));
	assert_false(rd32(t, VTD_REG_FSTS) & VTD_FSTS_PPF);

	/* A supervisor write: PRIV set, T clear. */
	struct th_pt pt;
	th_pt_init(t, &pt, 4, true);
	uint64_t *pe = th_pasid_entry(t, SID_DSA, 0xfedcb);
	memset(pe, 0, 64);
	pe[1] = DID;
	pe[2] = hw_pa(pt.root) | VTD_PE2_SRE;
	pe[0] = ((uint64_t)VTD_PGTT_FS << VTD_PE0_PGTT_SHIFT) | VTD_PE0_P;
	q.priv = true;
	q.write = true;
	q.addr = IOVA;
	expect_fault(t, &q, VTD_FR_SM_FS_P);

	/* Without PASID: PP and PV clear, whatever RID_PASID is. */
	struct rq qn = { SID_DMATEST1, PCI_NO_PASID, false, true, 0xabcdef000ull };
	expect_fault(t, &qn, VTD_FR_SM_ROOT_P);
}

/* AT (bits 125:124) carries the request's address type: 00b for an
 * untranslated request, 01b for an ATS translation request. */
static void test_frcd_at(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DMATEST0, false);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	struct pci_dma_result r;
	struct th_frcd f;
	assert_int_equal(rq_dma(t, &q, &r), -EFAULT);
	assert_int_equal(th_faults(t, &f, 1), 1);
	assert_int_equal(VTD_FRCD_HI_AT(f.hi), 0);

	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	struct hw_pci_function *d = th_dev(t, SID_DSA);
	hw_pci_cfg_write(d, d->ecap_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	struct rq qa = { SID_DSA, PASID, false, false, IOVA };
	assert_int_equal(rq_dma(t, &qa, &r), -EFAULT);
	assert_int_equal(th_faults(t, &f, 1), 1);
	assert_int_equal(th_fr(&f), VTD_FR_SM_CTX_DTE);
	assert_int_equal(VTD_FRCD_HI_AT(f.hi), 1);
}

/* ---- fault processing disable ---- */

static void test_fpd_context(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_rid(t, SID_DMATEST0, &pt, 4);
	uint64_t *ce = th_context(t, SID_DMATEST0);
	ce[0] |= VTD_SM_CTX_FPD;
	th_inv_global(t);
	struct rq q = { SID_DMATEST0, PCI_NO_PASID, false, false, IOVA };
	expect_ok(t, &q);
	/* Qualified: blocked and silent. */
	uint64_t *leaf = th_pte(&pt, IOVA, 1);
	*leaf = 0;
	th_inv_global(t);
	expect_suppressed(t, &q, VTD_FR_SM_SS_NOT_PRESENT);
	q.write = true;
	expect_suppressed(t, &q, VTD_FR_SM_SS_NOT_PRESENT);
	uint64_t *pe = th_pasid_entry(t, SID_DMATEST0, 0);
	pe[0] &= ~VTD_PE0_P;
	th_inv_global(t);
	expect_suppressed(t, &q, VTD_FR_SM_PTE_P);
	/* Not qualified: recorded regardless. */
	pe[0] |= VTD_PE0_P;
	pe[3] = 1;
	th_inv_global(t);
	expect_fault(t, &q, VTD_FR_SM_PTE_RSVD);
	pe[3] = 0;
	ce[2] = 1;
	th_inv_global(t);
	expect_fault(t, &q, VTD_FR_SM_CTX_RSVD);
}

static void test_fpd_pasid_dir(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	uint64_t *de = dir_entry(t, SID_DSA, PASID);
	*de |= VTD_PASID_DIR_FPD;
	th_inv_global(t);
	struct rq q = { SID_DSA, PASID, false, true, IOVA };
	expect_ok(t, &q);
	q.addr = IOVA + 0x1000;
	expect_suppressed(t, &q, VTD_FR_SM_SS_NOT_PRESENT);
	/* FPD counts in a directory entry that is not present. */
	*de &= ~VTD_PASID_DIR_P;
	th_inv_global(t);
	expect_suppressed(t, &q, VTD_FR_SM_PDE_P);
	*de |= VTD_PASID_DIR_P;
	th_pasid_entry(t, SID_DSA, PASID)[7] = 1ull << 40;
	th_inv_global(t);
	expect_fault(t, &q, VTD_FR_SM_PTE_RSVD);
	*de |= 1ull << 5;
	th_inv_global(t);
	expect_fault(t, &q, VTD_FR_SM_PDE_RSVD);
	/* Other directory entries are not covered by this one's FPD. */
	struct rq q2 = { SID_DSA, PASID + 64, false, false, IOVA };
	expect_fault(t, &q2, VTD_FR_SM_PDE_P);
}

static void test_fpd_pasid_entry(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	ss_pasid(t, &pt, PASID);
	uint64_t *pe = th_pasid_entry(t, SID_DSA, PASID);
	pe[0] |= VTD_PE0_FPD;
	th_inv_global(t);
	struct rq q = { SID_DSA, PASID, false, false, IOVA };
	expect_ok(t, &q);
	q.addr = 1ull << 48;
	expect_suppressed(t, &q, VTD_FR_SM_ADDR_BEYOND);
	q.addr = IOVA;
	*th_pte(&pt, IOVA, 1) &= ~VTD_SS_R;
	th_inv_global(t);
	expect_suppressed(t, &q, VTD_FR_SM_READ);
	pe[0] = with_field(pe[0], VTD_PE0_PGTT_SHIFT, 7, 6);
	th_inv_global(t);
	expect_suppressed(t, &q, VTD_FR_SM_PTE_INVALID);
	/* Not qualified. */
	pe[0] = with_field(pe[0], VTD_PE0_PGTT_SHIFT, 7, VTD_PGTT_SS) | (1ull << 10);
	th_inv_global(t);
	expect_fault(t, &q, VTD_FR_SM_PTE_RSVD);
	/* A neighbour PASID without FPD still reports. */
	struct rq q2 = { SID_DSA, PASID + 1, false, false, IOVA };
	expect_fault(t, &q2, VTD_FR_SM_PTE_P);
}

/* Linux tears a PASID entry down leaving only FPD set, to keep a
 * quiescing device's faults quiet. */
static void test_fpd_not_present_entry(void **state)
{
	struct th *t = fx_th(state);
	struct th_pt pt;
	fs_pasid(t, &pt, 4, 0);
	struct rq q = { SID_DSA, PASID, false, true, IOVA };
	expect_ok(t, &q);
	uint64_t *pe = th_pasid_entry(t, SID_DSA, PASID);
	memset(pe, 0, 64);
	pe[0] = VTD_PE0_FPD;
	th_inv_global(t);
	expect_suppressed(t, &q, VTD_FR_SM_PTE_P);
	pe[0] = 0;
	th_inv_global(t);
	expect_fault(t, &q, VTD_FR_SM_PTE_P);
}

/* ---- recording: overflow, circular use, fault events ---- */

/* One fault at a distinct page: DMATEST0 has no root entry. */
static void raise_fault(struct th *t, unsigned i)
{
	uint8_t v;
	assert_int_equal(th_read8(t, SID_DMATEST0, PCI_NO_PASID, 0x100000 + i * 0x1000ull, &v),
			 -EFAULT);
}

static uint64_t frcd_hi(struct th *t, unsigned idx)
{
	return th_rd(t, VTD_CAP_FRO(t->u->cap) + 16 * idx + 8);
}

static uint64_t frcd_lo(struct th *t, unsigned idx)
{
	return th_rd(t, VTD_CAP_FRO(t->u->cap) + 16 * idx);
}

static void frcd_clear(struct th *t, unsigned idx)
{
	th_wr32(t, VTD_CAP_FRO(t->u->cap) + 16 * idx + 12, 1u << 31);
}

static void test_frcd_overflow(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DMATEST0, false);
	unsigned nfr = VTD_CAP_NFR(t->u->cap);
	assert_int_equal(nfr, 8);
	struct vtd_stats s0, s;
	vtd_stats_get(t->u, &s0);

	for (unsigned i = 0; i < nfr; i++)
		raise_fault(t, i);
	uint32_t fsts = (uint32_t)th_rd(t, VTD_REG_FSTS);
	assert_int_equal(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO), VTD_FSTS_PPF);
	assert_int_equal(VTD_FSTS_FRI(fsts), 0);
	for (unsigned i = 0; i < nfr; i++) {
		assert_true(frcd_hi(t, i) & VTD_FRCD_HI_F);
		assert_int_equal(frcd_lo(t, i), 0x100000 + i * 0x1000ull);
	}
	assert_int_equal(t->irqs[VTD_IRQ_FAULT], 1);

	/* The ninth is lost and sets PFO; no record changes. */
	raise_fault(t, nfr);
	fsts = (uint32_t)th_rd(t, VTD_REG_FSTS);
	assert_int_equal(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO), VTD_FSTS_PPF | VTD_FSTS_PFO);
	assert_int_equal(frcd_lo(t, 0), 0x100000);
	vtd_stats_get(t->u, &s);
	assert_int_equal(s.faults_overflow - s0.faults_overflow, 1);
	assert_int_equal(s.faults - s0.faults, nfr + 1);
	assert_int_equal(t->irqs[VTD_IRQ_FAULT], 1);

	/* Free records do not help while PFO is set. */
	for (unsigned i = 0; i < nfr; i++)
		frcd_clear(t, i);
	fsts = (uint32_t)th_rd(t, VTD_REG_FSTS);
	assert_int_equal(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO), VTD_FSTS_PFO);
	raise_fault(t, nfr + 1);
	for (unsigned i = 0; i < nfr; i++)
		assert_false(frcd_hi(t, i) & VTD_FRCD_HI_F);
	vtd_stats_get(t->u, &s);
	assert_int_equal(s.faults_overflow - s0.faults_overflow, 2);
	assert_int_equal(t->irqs[VTD_IRQ_FAULT], 1);

	/* Clearing PFO resumes recording, in the next slot in turn. */
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_PFO);
	assert_int_equal(th_rd(t, VTD_REG_FSTS) & (VTD_FSTS_PPF | VTD_FSTS_PFO), 0);
	raise_fault(t, nfr + 2);
	fsts = (uint32_t)th_rd(t, VTD_REG_FSTS);
	assert_int_equal(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO), VTD_FSTS_PPF);
	assert_int_equal(VTD_FSTS_FRI(fsts), 0);
	assert_int_equal(frcd_lo(t, 0), 0x100000 + (nfr + 2) * 0x1000ull);
	assert_int_equal(t->irqs[VTD_IRQ_FAULT], 2);
	th_expect_fault(t, VTD_FR_SM_ROOT_P, 0x100000 + (nfr + 2) * 0x1000ull);
}

static void test_frcd_circular(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DMATEST0, false);
	unsigned n = 0; /* faults raised so far; fault i is at page i */

	for (; n < 3; n++)
		raise_fault(t, n);
	frcd_clear(t, 0);
	frcd_clear(t, 1);
	assert_int_equal(VTD_FSTS_FRI(th_rd(t, VTD_REG_FSTS)), 2);
	for (; n < 5; n++)
		raise_fault(t, n);
	assert_int_equal(frcd_lo(t, 3), 0x100000 + 3 * 0x1000ull);
	assert_int_equal(frcd_lo(t, 4), 0x100000 + 4 * 0x1000ull);
	frcd_clear(t, 2);
	assert_int_equal(VTD_FSTS_FRI(th_rd(t, VTD_REG_FSTS)), 3);
	/* Slots 5, 6, 7, then around to 0, 1, 2. */
	for (; n < 11; n++)
		raise_fault(t, n);
	for (unsigned i = 0; i < 8; i++) {
		unsigned slot = (3 + i) % 8;
		assert_true(frcd_hi(t, slot) & VTD_FRCD_HI_F);
		assert_int_equal(frcd_lo(t, slot), 0x100000 + (3 + i) * 0x1000ull);
	}
	uint32_t fsts = (uint32_t)th_rd(t, VTD_REG_FSTS);
	assert_int_equal(VTD_FSTS_FRI(fsts), 3);
	assert_false(fsts & VTD_FSTS_PFO);
	/* Slot 3 is next and still pending: lost. */
	raise_fault(t, n++);
	fsts = (uint32_t)th_rd(t, VTD_REG_FSTS);
	assert_true(fsts & VTD_FSTS_PFO);
	assert_int_equal(VTD_FSTS_FRI(fsts), 3);

	/* Read from FRI on, oldest first, as the Linux handler does. */
	struct th_frcd f[8];
	assert_int_equal(th_faults(t, f, 8), 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(f[i].lo, 0x100000 + (3 + i) * 0x1000ull);
	raise_fault(t, n);
	assert_int_equal(VTD_FSTS_FRI(th_rd(t, VTD_REG_FSTS)), 3);
	assert_int_equal(frcd_lo(t, 3), 0x100000 + n * 0x1000ull);
	th_expect_fault(t, VTD_FR_SM_ROOT_P, 0x100000 + n * 0x1000ull);
}

static void test_fault_event(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DMATEST0, false);
	int *irqs = &t->irqs[VTD_IRQ_FAULT];
	assert_int_equal(*irqs, 0);

	/* One event when a fault appears with nothing pending ... */
	raise_fault(t, 0);
	assert_int_equal(*irqs, 1);
	/* ... none while PPF stays set. */
	raise_fault(t, 1);
	raise_fault(t, 2);
	assert_int_equal(*irqs, 1);
	frcd_clear(t, 0);
	raise_fault(t, 3);
	assert_int_equal(*irqs, 1);
	assert_int_equal(th_faults(t, (struct th_frcd[8]){ 0 }, 8), 3);
	raise_fault(t, 4);
	assert_int_equal(*irqs, 2);
	th_faults(t, (struct th_frcd[8]){ 0 }, 8);

	/* Masked: held as IP, sent when software unmasks. */
	th_wr32(t, VTD_REG_FECTL, VTD_XECTL_IM);
	raise_fault(t, 5);
	assert_int_equal(*irqs, 2);
	assert_int_equal(th_rd(t, VTD_REG_FECTL), VTD_XECTL_IM | VTD_XECTL_IP);
	th_wr32(t, VTD_REG_FECTL, 0);
	assert_int_equal(*irqs, 3);
	assert_int_equal(th_rd(t, VTD_REG_FECTL), 0);
	th_faults(t, (struct th_frcd[8]){ 0 }, 8);

	/* A held event whose cause software has already serviced is dropped. */
	th_wr32(t, VTD_REG_FECTL, VTD_XECTL_IM);
	raise_fault(t, 6);
	assert_true(th_rd(t, VTD_REG_FECTL) & VTD_XECTL_IP);
	th_faults(t, (struct th_frcd[8]){ 0 }, 8);
	assert_false(th_rd(t, VTD_REG_FECTL) & VTD_XECTL_IP);
	th_wr32(t, VTD_REG_FECTL, 0);
	assert_int_equal(*irqs, 3);

	/* Suppressed faults raise no event. */
	struct th_pt pt;
	ss_rid(t, SID_DMATEST1, &pt, 4);
	th_context(t, SID_DMATEST1)[0] |= VTD_SM_CTX_FPD;
	th_inv_global(t);
	struct rq q = { SID_DMATEST1, PCI_NO_PASID, false, false, IOVA + 0x1000 };
	expect_suppressed(t, &q, VTD_FR_SM_SS_NOT_PRESENT);
	assert_int_equal(*irqs, 3);
}

/* PFO is write-1-to-clear; PPF is only the OR of the records' F bits. */
static void test_fsts_rw1c(void **state)
{
	struct th *t = fx_th(state);
	th_dev_enable(t, SID_DMATEST0, false);
	raise_fault(t, 0);
	th_wr32(t, VTD_REG_FSTS, 0);
	assert_true(th_rd(t, VTD_REG_FSTS) & VTD_FSTS_PPF);
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_PPF);
	assert_true(th_rd(t, VTD_REG_FSTS) & VTD_FSTS_PPF);
	for (unsigned i = 1; i <= 8; i++)
		raise_fault(t, i);
	assert_true(th_rd(t, VTD_REG_FSTS) & VTD_FSTS_PFO);
	th_wr32(t, VTD_REG_FSTS, 0);
	assert_true(th_rd(t, VTD_REG_FSTS) & VTD_FSTS_PFO);
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_PFO);
	assert_int_equal(th_rd(t, VTD_REG_FSTS) & (VTD_FSTS_PFO | VTD_FSTS_PPF), VTD_FSTS_PPF);
	for (unsigned i = 0; i < 8; i++)
		frcd_clear(t, i);
	assert_int_equal(th_rd(t, VTD_REG_FSTS) & (VTD_FSTS_PFO | VTD_FSTS_PPF), 0);
}

#define FT(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FT(test_rta_invalid),
		FT(test_ttm_legacy),
		FT(test_ttm_legacy_page_request),
		FT(test_root_not_present),
		FT(test_root_reserved),
		FT(test_ctx_access),
		FT(test_ctx_not_present),
		FT(test_ctx_reserved),
		FT(test_ctx_invalid),
		FT(test_ctx_dte),
		FT(test_ctx_paside),
		FT(test_ctx_pasid_beyond_pdts),
		FT(test_ctx_pre),
		FT(test_ctx_rid_pasid),
		FT(test_pde_not_present),
		FT(test_pde_reserved),
		FT(test_pte_access),
		FT(test_pte_not_present),
		FT(test_pte_reserved),
		FT(test_pte_invalid),
		FT(test_pte_invalid_unsupported),
		FT(test_pte_sre),
		FT(test_ss_not_present),
		FT(test_ss_access),
		FT(test_ss_reserved),
		FT(test_ss_reserved_large),
		FT(test_ss_permission),
		FT(test_ss_ptr_invalid),
		FT(test_ss_width),
		FT(test_pt_faults),
		FT(test_ss_output_intr_range),
		FT(test_fs_not_present),
		FT(test_fs_access),
		FT(test_fs_reserved),
		FT(test_fs_reserved_large),
		FT(test_fs_canonical),
		FT(test_fs_us),
		FT(test_fs_write),
		FT(test_nested_faults),
		FT(test_frcd_fields),
		FT(test_frcd_at),
		FT(test_fpd_context),
		FT(test_fpd_pasid_dir),
		FT(test_fpd_pasid_entry),
		FT(test_fpd_not_present_entry),
		FT(test_frcd_overflow),
		FT(test_frcd_circular),
		FT(test_fault_event),
		FT(test_fsts_rw1c),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
