/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Invalidation selectivity (SPEC H-5, H-6): which cached context entries,
 * PASID entries, IOTLB entries and device-TLB entries survive each
 * invalidation descriptor and granularity.
 *
 * Every case follows the same pattern: DMA once so the caches hold a
 * translation, change the in-memory structure without invalidating, show
 * the old translation is still used, then issue one descriptor and see
 * which requests now observe the new state. Each check is taken right
 * after an invalidation descriptor, which also retires the engines' small
 * micro-TLB, so what is observed is what the unit's caches (or the
 * device TLB) still hold.
 */
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

#define SSRW (VTD_SS_R | VTD_SS_W)
#define FSRW (VTD_FS_P | VTD_FS_RW | VTD_FS_US)

#define X 0x40000000ull /* an IOVA aligned well beyond any range used here */

/* Eight functions of one device: SIDs 0x20..0x27, for function masks. */
static const char mf8_json[] =
	"{ \"units\": [ { \"name\": \"dmar0\", \"scope\": \"all\" } ],"
	"  \"devices\": ["
	"    { \"bdf\": \"00:00.0\", \"type\": \"host_bridge\", \"name\": \"host\" },"
	"    { \"bdf\": \"00:04.0\", \"type\": \"rc_endpoint\", \"name\": \"f0\" },"
	"    { \"bdf\": \"00:04.1\", \"type\": \"rc_endpoint\", \"name\": \"f1\" },"
	"    { \"bdf\": \"00:04.2\", \"type\": \"rc_endpoint\", \"name\": \"f2\" },"
	"    { \"bdf\": \"00:04.3\", \"type\": \"rc_endpoint\", \"name\": \"f3\" },"
	"    { \"bdf\": \"00:04.4\", \"type\": \"rc_endpoint\", \"name\": \"f4\" },"
	"    { \"bdf\": \"00:04.5\", \"type\": \"rc_endpoint\", \"name\": \"f5\" },"
	"    { \"bdf\": \"00:04.6\", \"type\": \"rc_endpoint\", \"name\": \"f6\" },"
	"    { \"bdf\": \"00:04.7\", \"type\": \"rc_endpoint\", \"name\": \"f7\" }"
	"  ] }";
#define MF_SID(fn) ((uint16_t)(0x20 + (fn)))

/*
 * One host at a time, in static storage, so that the teardown can free
 * it when an assertion abandons a test half way.
 */
static struct th the_th;
static bool the_th_live;

static struct th *start(const char *json)
{
	assert_false(the_th_live);
	th_init(&the_th, json);
	the_th_live = true;
	return &the_th;
}

static void stop(struct th *t)
{
	assert_ptr_equal(t, &the_th);
	the_th_live = false;
	th_fini(t);
}

static int teardown(void **s)
{
	(void)s;
	if (the_th_live)
		stop(&the_th);
	return 0;
}

static uint64_t pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t leaf_bits(const struct th_pt *pt)
{
	return pt->fs ? FSRW : SSRW;
}

/* A 4 KiB page at iova backed by a fresh buffer. */
static uint8_t *map_new(struct th *t, const struct th_pt *pt, uint64_t iova)
{
	uint8_t *b = th_buf(t);
	th_map(t, pt, iova, pa(b), 12, leaf_bits(pt));
	return b;
}

/* Point the leaf for iova at another page, keeping its flags - and do
 * not tell the unit. */
static void repoint(const struct th_pt *pt, uint64_t iova, unsigned level, const void *to)
{
	uint64_t *e = th_pte(pt, iova, level);
	assert_non_null(e);
	*e = (*e & ~VTD_SS_ADDR_MASK) | (pa(to) & VTD_SS_ADDR_MASK);
}

/*
 * DMA-write a fresh byte at iova and say where it went: 'o' into the old
 * page, 'n' into the new one, 'f' refused by the IOMMU (the fault stays
 * pending for the caller). `old_page`/`new_page` are the host pages the
 * old and new translations of iova's 4 KiB page point at.
 */
static int probe(struct th *t, uint16_t sid, uint32_t pasid, uint64_t iova, uint8_t *old_page,
		 uint8_t *new_page)
{
	static uint8_t stamp;
	size_t off = iova & 0xfff;
	uint8_t v = ++stamp;
	if (!v)
		v = ++stamp;
	if (old_page)
		old_page[off] = 0;
	if (new_page)
		new_page[off] = 0;
	struct pci_dma_result r;
	int rc = th_dma(t, sid, pasid, false, iova, &v, 1, true, &r);
	if (rc == -EFAULT && r.status == PCI_DMA_FAULT)
		return 'f';
	if (rc)
		fail_msg("DMA at %#llx: rc %d status %d", (unsigned long long)iova, rc, r.status);
	if (old_page && old_page[off] == v)
		return 'o';
	if (new_page && new_page[off] == v)
		return 'n';
	fail_msg("DMA at %#llx landed neither in the old nor the new page",
		 (unsigned long long)iova);
	return 0;
}

/* An invalidation that matches nothing any test caches: its only effect
 * is to retire the engines' micro-TLBs. */
static void unrelated_inval(struct th *t)
{
	th_inv_cc_dev(t, 0x00f8);
}

static struct th *dsa_start(void)
{
	struct th *t = start(NULL);
	th_dev_enable(t, SID_DSA, true);
	th_context_setup(t, SID_DSA, 0);
	return t;
}

static void enable_ats(struct th *t)
{
	struct hw_pci_function *d = th_dev(t, SID_DSA);
	assert_true(d->ecap_ats != 0);
	assert_non_null(d->atc);
	hw_pci_cfg_write(d, d->ecap_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	assert_true(hw_pci_ats_enabled(d));
}

/* ---- stale until invalidated ---- */

static void test_stale_until_invalidated(void **s)
{
	(void)s;
	struct th *t = start(NULL);
	th_dev_enable(t, SID_DMATEST0, false);
	th_context_setup(t, SID_DMATEST0, 0);
	struct th_pt pt;
	th_pt_init(t, &pt, 4, false);
	uint8_t *a = map_new(t, &pt, X);
	th_pasid_ss(t, SID_DMATEST0, 0, 1, &pt, 0);
	assert_int_equal(probe(t, SID_DMATEST0, PCI_NO_PASID, X, a, NULL), 'o');

	/* Unmapped in memory, never invalidated: the IOTLB keeps serving it,
	 * through unrelated invalidations and through fresh engines. */
	*th_pte(&pt, X, 1) = 0;
	for (int i = 0; i < 16; i++) {
		unrelated_inval(t);
		assert_int_equal(probe(t, SID_DMATEST0, PCI_NO_PASID, X + 8 * i, a, NULL), 'o');
		uint8_t v;
		assert_int_equal(th_read8(t, SID_DMATEST0, PCI_NO_PASID, X + 8 * i, &v), 0);
	}
	for (int i = 0; i < 4; i++) {
		struct pci_dma_ctx *c;
		assert_int_equal(pci_dma_ctx_new(t->m, &c), 0);
		pci_dma_ctx_online(c);
		struct pci_dma_attr attr = { .pasid = PCI_NO_PASID };
		struct pci_dma_result r;
		uint8_t v = (uint8_t)(0x80 + i);
		struct hw_pci_function *d = th_dev(t, SID_DMATEST0);
		assert_int_equal(pci_dma_write(c, d, &attr, X + 100, &v, 1, &r), 0);
		assert_int_equal(a[100], v);
		pci_dma_ctx_offline(c);
		pci_dma_ctx_free(c);
	}
	th_expect_no_fault(t);

	/* The page-selective invalidation the unmap owed: now it faults. */
	th_inv_iotlb(t, VTD_INV_IOTLB_PSI, 1, X, 0);
	assert_int_equal(probe(t, SID_DMATEST0, PCI_NO_PASID, X + 8, a, NULL), 'f');
	th_expect_fault(t, VTD_FR_SM_SS_NOT_PRESENT, X + 8);
	assert_int_equal(probe(t, SID_DMATEST0, PCI_NO_PASID, X + 8, a, NULL), 'f');
	th_expect_fault(t, VTD_FR_SM_SS_NOT_PRESENT, X + 8);
	stop(t);
}

/* ---- context cache (type 0x1) ---- */

/* All eight functions translate through one table; their context
 * entries are then cleared in memory only. */
static struct th *mf8_start(uint8_t **a)
{
	struct th *t = start(mf8_json);
	struct th_pt pt;
	th_pt_init(t, &pt, 4, false);
	*a = map_new(t, &pt, X);
	for (unsigned fn = 0; fn < 8; fn++) {
		th_dev_enable(t, MF_SID(fn), false);
		th_context_setup(t, MF_SID(fn), 0);
		th_pasid_ss(t, MF_SID(fn), 0, 1, &pt, 0);
		assert_int_equal(probe(t, MF_SID(fn), PCI_NO_PASID, X + fn, *a, NULL), 'o');
	}
	for (unsigned fn = 0; fn < 8; fn++)
		th_context(t, MF_SID(fn))[0] &= ~VTD_SM_CTX_P;
	unrelated_inval(t);
	for (unsigned fn = 0; fn < 8; fn++)
		assert_int_equal(probe(t, MF_SID(fn), PCI_NO_PASID, X + fn, *a, NULL), 'o');
	return t;
}

/* Which functions now see their cleared context entry. */
static unsigned mf8_dropped(struct th *t, uint8_t *a)
{
	unsigned dropped = 0;
	for (unsigned fn = 0; fn < 8; fn++) {
		int w = probe(t, MF_SID(fn), PCI_NO_PASID, X + 16 + fn, a, NULL);
		if (w == 'f') {
			th_expect_fault(t, VTD_FR_SM_CTX_P, X + 16 + fn);
			dropped |= 1u << fn;
		} else {
			assert_int_equal(w, 'o');
		}
	}
	th_expect_no_fault(t);
	return dropped;
}

static void cc_inval(struct th *t, unsigned g, uint16_t did, uint16_t sid, unsigned fm)
{
	th_qi_add(t, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)g << 4) | ((uint64_t)did << 16) |
			     ((uint64_t)sid << 32) | ((uint64_t)fm << 48),
		  0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
}

static void test_cc_global_and_domain(void **s)
{
	(void)s;
	/* Scalable-mode context entries carry no domain ID: a
	 * domain-selective request is performed as a global one, whatever
	 * DID it names. */
	const unsigned gs[] = { VTD_INV_CC_GLOBAL, VTD_INV_CC_DOMAIN };
	for (unsigned i = 0; i < ARRAY_SIZE(gs); i++) {
		uint8_t *a;
		struct th *t = mf8_start(&a);
		cc_inval(t, gs[i], 0x1234, 0, 0);
		assert_int_equal(mf8_dropped(t, a), 0xff);
		stop(t);
	}
}

static void test_cc_device_function_mask(void **s)
{
	(void)s;
	/* Device-selective on 00:04.1: FM=0 that SID only; FM=1 ignores SID
	 * bit 2, FM=2 bits 2:1, FM=3 bits 2:0 (the whole device). */
	const unsigned expect[4] = {
		1u << 1,
		(1u << 1) | (1u << 5),
		(1u << 1) | (1u << 3) | (1u << 5) | (1u << 7),
		0xff,
	};
	for (unsigned fm = 0; fm < 4; fm++) {
		uint8_t *a;
		struct th *t = mf8_start(&a);
		cc_inval(t, VTD_INV_CC_DEVICE, 0, MF_SID(1), fm);
		unsigned got = mf8_dropped(t, a);
		if (got != expect[fm])
			fail_msg("FM=%u: functions dropped %#x, expected %#x", fm, got, expect[fm]);
		stop(t);
	}
}

/* The default topology's two DMA engines: invalidating one requester
 * leaves the other's stale context entry in place. */
static void test_cc_device_other_sid_survives(void **s)
{
	(void)s;
	struct th *t = start(NULL);
	struct th_pt pt;
	th_pt_init(t, &pt, 4, false);
	uint8_t *a = map_new(t, &pt, X);
	const uint16_t sids[] = { SID_DMATEST0, SID_DMATEST1 };
	for (unsigned i = 0; i < 2; i++) {
		th_dev_enable(t, sids[i], false);
		th_context_setup(t, sids[i], 0);
		th_pasid_ss(t, sids[i], 0, 1, &pt, 0);
		assert_int_equal(probe(t, sids[i], PCI_NO_PASID, X, a, NULL), 'o');
		th_context(t, sids[i])[0] = 0;
	}
	th_inv_cc_dev(t, SID_DMATEST0);
	assert_int_equal(probe(t, SID_DMATEST0, PCI_NO_PASID, X, a, NULL), 'f');
	th_expect_fault(t, VTD_FR_SM_CTX_P, X);
	assert_int_equal(probe(t, SID_DMATEST1, PCI_NO_PASID, X, a, NULL), 'o');
	th_inv_cc_dev(t, SID_DMATEST1);
	assert_int_equal(probe(t, SID_DMATEST1, PCI_NO_PASID, X, a, NULL), 'f');
	th_expect_fault(t, VTD_FR_SM_CTX_P, X);
	stop(t);
}

/* ---- PASID cache (type 0x7) ---- */

/* A PASID whose entry is rewritten from (did0, table mapping X -> old)
 * to (did1, table mapping X -> new). Moving to another DID keeps the
 * IOTLB out of the picture: only the PASID cache can keep the old one. */
struct moved_pasid {
	uint32_t pasid;
	uint8_t *old_page, *new_page;
};

static void move_pasid(struct th *t, struct moved_pasid *m, uint32_t pasid, bool fs, uint16_t did0,
		       uint16_t did1)
{
	struct th_pt p0, p1;
	th_pt_init(t, &p0, 4, fs);
	th_pt_init(t, &p1, 4, fs);
	m->pasid = pasid;
	m->old_page = map_new(t, &p0, X);
	m->new_page = map_new(t, &p1, X);
	if (fs)
		th_pasid_fs(t, SID_DSA, pasid, did0, &p0, 0);
	else
		th_pasid_ss(t, SID_DSA, pasid, did0, &p0, 0);
	assert_int_equal(probe(t, SID_DSA, pasid, X, m->old_page, m->new_page), 'o');
	if (fs)
		th_pasid_fs(t, SID_DSA, pasid, did1, &p1, 0);
	else
		th_pasid_ss(t, SID_DSA, pasid, did1, &p1, 0);
}

static int probe_moved(struct th *t, const struct moved_pasid *m)
{
	return probe(t, SID_DSA, m->pasid, X, m->old_page, m->new_page);
}

static void test_pc_domain_selective(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct moved_pasid p1, p2;
	move_pasid(t, &p1, 1, false, 10, 30);
	move_pasid(t, &p2, 2, false, 20, 40);

	/* Matching is on the DID of the cached entry, not the new one. */
	th_inv_pc(t, VTD_INV_PC_DOMAIN, 30, 0);
	assert_int_equal(probe_moved(t, &p1), 'o');
	assert_int_equal(probe_moved(t, &p2), 'o');
	/* Domain-selective: every PASID of DID 10, whatever PASID is named. */
	th_inv_pc(t, VTD_INV_PC_DOMAIN, 10, 77);
	assert_int_equal(probe_moved(t, &p1), 'n');
	assert_int_equal(probe_moved(t, &p2), 'o');
	th_inv_pc(t, VTD_INV_PC_DOMAIN, 20, 0);
	assert_int_equal(probe_moved(t, &p2), 'n');
	th_expect_no_fault(t);
	stop(t);
}

static void test_pc_domain_selective_two_pasids(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct moved_pasid p1, p2, p3;
	/* First-stage entries, so sharing DID 10 shares no IOTLB entries. */
	move_pasid(t, &p1, 1, true, 10, 11);
	move_pasid(t, &p2, 2, true, 10, 12);
	move_pasid(t, &p3, 3, true, 13, 14);
	th_inv_pc(t, VTD_INV_PC_DOMAIN, 10, 0);
	assert_int_equal(probe_moved(t, &p1), 'n');
	assert_int_equal(probe_moved(t, &p2), 'n');
	assert_int_equal(probe_moved(t, &p3), 'o');
	th_expect_no_fault(t);
	stop(t);
}

static void test_pc_pasid_selective(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct moved_pasid p1, p2;
	move_pasid(t, &p1, 1, true, 10, 11);
	move_pasid(t, &p2, 2, true, 10, 11);

	/* PASID-selective is within a domain: the wrong DID matches nothing. */
	th_inv_pc(t, VTD_INV_PC_PASID, 11, 1);
	assert_int_equal(probe_moved(t, &p1), 'o');
	th_inv_pc(t, VTD_INV_PC_PASID, 10, 1);
	assert_int_equal(probe_moved(t, &p1), 'n');
	assert_int_equal(probe_moved(t, &p2), 'o');
	th_inv_pc(t, VTD_INV_PC_PASID, 10, 2);
	assert_int_equal(probe_moved(t, &p2), 'n');
	th_expect_no_fault(t);
	stop(t);
}

static void test_pc_global(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct moved_pasid p1, p2, p3;
	move_pasid(t, &p1, 1, true, 10, 11);
	move_pasid(t, &p2, 2, false, 20, 21);
	move_pasid(t, &p3, 300, true, 30, 31);
	/* IOTLB and context-cache invalidations leave the PASID cache alone. */
	th_inv_iotlb(t, VTD_INV_IOTLB_GLOBAL, 0, 0, 0);
	th_qi_add(t, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4), 0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
	assert_int_equal(probe_moved(t, &p1), 'o');
	assert_int_equal(probe_moved(t, &p2), 'o');
	assert_int_equal(probe_moved(t, &p3), 'o');
	th_inv_pc(t, VTD_INV_PC_GLOBAL, 0, 0);
	assert_int_equal(probe_moved(t, &p1), 'n');
	assert_int_equal(probe_moved(t, &p2), 'n');
	assert_int_equal(probe_moved(t, &p3), 'n');
	th_expect_no_fault(t);
	stop(t);
}

/* ---- IOTLB (type 0x2) ---- */

/* One page at `iova` of a PASID's table, repointed after the first DMA. */
struct page_case {
	uint32_t pasid;
	uint64_t iova;
	uint8_t *old_page, *new_page;
};

static void page_fill(struct th *t, struct page_case *c, uint32_t pasid, const struct th_pt *pt,
		      uint64_t iova)
{
	c->pasid = pasid;
	c->iova = iova;
	c->old_page = map_new(t, pt, iova);
	c->new_page = th_buf(t);
	assert_int_equal(probe(t, SID_DSA, pasid, iova, c->old_page, c->new_page), 'o');
}

static void page_repoint(const struct th_pt *pt, const struct page_case *c)
{
	repoint(pt, c->iova, 1, c->new_page);
}

static int probe_page(struct th *t, const struct page_case *c)
{
	return probe(t, SID_DSA, c->pasid, c->iova + 0x10, c->old_page, c->new_page);
}

static void test_iotlb_global(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct th_pt ss, fs;
	th_pt_init(t, &ss, 4, false);
	th_pt_init(t, &fs, 4, true);
	th_pasid_ss(t, SID_DSA, 1, 1, &ss, 0);
	th_pasid_fs(t, SID_DSA, 2, 2, &fs, 0);
	struct page_case c1, c2;
	page_fill(t, &c1, 1, &ss, X);
	page_fill(t, &c2, 2, &fs, X + 0x5000);
	page_repoint(&ss, &c1);
	page_repoint(&fs, &c2);
	unrelated_inval(t);
	assert_int_equal(probe_page(t, &c1), 'o');
	assert_int_equal(probe_page(t, &c2), 'o');
	th_inv_iotlb(t, VTD_INV_IOTLB_GLOBAL, 0, 0, 0);
	assert_int_equal(probe_page(t, &c1), 'n');
	assert_int_equal(probe_page(t, &c2), 'n');
	th_expect_no_fault(t);
	stop(t);
}

static void test_iotlb_domain_selective(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct th_pt ss1, fs1, ss2;
	th_pt_init(t, &ss1, 4, false);
	th_pt_init(t, &fs1, 4, true);
	th_pt_init(t, &ss2, 4, false);
	th_pasid_ss(t, SID_DSA, 1, 1, &ss1, 0);
	th_pasid_fs(t, SID_DSA, 2, 1, &fs1, 0);
	th_pasid_ss(t, SID_DSA, 3, 2, &ss2, 0);
	struct page_case c1, c2, c3;
	page_fill(t, &c1, 1, &ss1, X);
	page_fill(t, &c2, 2, &fs1, X + 0x200000);
	page_fill(t, &c3, 3, &ss2, X);
	page_repoint(&ss1, &c1);
	page_repoint(&fs1, &c2);
	page_repoint(&ss2, &c3);

	/* DSI: both classes of DID 1, nothing of DID 2. */
	th_inv_iotlb(t, VTD_INV_IOTLB_DSI, 1, 0, 0);
	assert_int_equal(probe_page(t, &c1), 'n');
	assert_int_equal(probe_page(t, &c2), 'n');
	assert_int_equal(probe_page(t, &c3), 'o');
	th_inv_iotlb(t, VTD_INV_IOTLB_DSI, 2, 0, 0);
	assert_int_equal(probe_page(t, &c3), 'n');
	th_expect_no_fault(t);
	stop(t);
}

/* Identity-map in `s2` the pages a first-stage walk of iova reads and
 * the page it lands on, so one table serves as the guest's table. */
static void ident_fs_walk(struct th *t, const struct th_pt *s2, const struct th_pt *fs,
			  uint64_t iova)
{
	for (unsigned l = fs->levels; l >= 1; l--) {
		uint64_t tbl = pa(th_pte(fs, iova, l)) & VTD_PAGE_MASK;
		th_map(t, s2, tbl, tbl, 12, SSRW);
	}
	uint64_t out = *th_pte(fs, iova, 1) & VTD_FS_ADDR_MASK;
	th_map(t, s2, out, out, 12, SSRW);
}

static void test_iotlb_page_selective(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct th_pt ss1, fs1, fs2, ss2, s2, nfs;
	th_pt_init(t, &ss1, 4, false);
	th_pt_init(t, &fs1, 4, true);
	th_pt_init(t, &fs2, 4, true);
	th_pt_init(t, &ss2, 4, false);
	th_pt_init(t, &s2, 4, false);
	th_pt_init(t, &nfs, 4, true);
	th_pasid_ss(t, SID_DSA, 1, 1, &ss1, 0);
	th_pasid_fs(t, SID_DSA, 2, 1, &fs1, 0);
	th_pasid_fs(t, SID_DSA, 3, 2, &fs2, 0);
	th_pasid_ss(t, SID_DSA, 4, 2, &ss2, 0);
	const uint64_t far = 0x7f0000000000ull;

	struct page_case in, below, above, fs_far, other_fs, other_ss, nested;
	page_fill(t, &in, 1, &ss1, X);
	page_fill(t, &below, 1, &ss1, X - 0x1000);
	page_fill(t, &above, 1, &ss1, X + 0x1000);
	page_fill(t, &fs_far, 2, &fs1, far);
	page_fill(t, &other_fs, 3, &fs2, far);
	page_fill(t, &other_ss, 4, &ss2, X);
	/* Nested, in DID 1 too: a first-stage-class entry. */
	uint8_t *n_old = map_new(t, &nfs, far + 0x3000), *n_new = th_buf(t);
	ident_fs_walk(t, &s2, &nfs, far + 0x3000);
	th_map(t, &s2, pa(n_new), pa(n_new), 12, SSRW);
	th_pasid_nested(t, SID_DSA, 5, 1, pa(nfs.root), &s2, 0);
	nested = (struct page_case){ .pasid = 5, .iova = far + 0x3000, .old_page = n_old,
				     .new_page = n_new };
	assert_int_equal(probe_page(t, &nested), 'o');

	page_repoint(&ss1, &in);
	page_repoint(&ss1, &below);
	page_repoint(&ss1, &above);
	page_repoint(&fs1, &fs_far);
	page_repoint(&fs2, &other_fs);
	page_repoint(&ss2, &other_ss);
	page_repoint(&nfs, &nested);

	/* PSI for DID 1, the single page X. */
	th_inv_iotlb(t, VTD_INV_IOTLB_PSI, 1, X, 0);
	assert_int_equal(probe_page(t, &in), 'n');
	assert_int_equal(probe_page(t, &below), 'o');
	assert_int_equal(probe_page(t, &above), 'o');
	/* 6.5.2.3: all first-stage and nested entries of the DID go,
	 * wherever they are. */
	assert_int_equal(probe_page(t, &fs_far), 'n');
	assert_int_equal(probe_page(t, &nested), 'n');
	/* Another DID keeps everything. */
	assert_int_equal(probe_page(t, &other_fs), 'o');
	assert_int_equal(probe_page(t, &other_ss), 'o');
	th_expect_no_fault(t);
	stop(t);
}

static void test_iotlb_page_selective_am(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct th_pt pt;
	th_pt_init(t, &pt, 4, false);
	th_pasid_ss(t, SID_DSA, 1, 1, &pt, 0);
	/* Pages X-4K .. X+16K; AM=2 covers X .. X+16K-1. */
	struct page_case c[6];
	for (int i = 0; i < 6; i++)
		page_fill(t, &c[i], 1, &pt, X - 0x1000 + 0x1000 * (uint64_t)i);
	for (int i = 0; i < 6; i++)
		page_repoint(&pt, &c[i]);
	th_inv_iotlb(t, VTD_INV_IOTLB_PSI, 1, X, 2);
	for (int i = 0; i < 6; i++) {
		int want = (i >= 1 && i <= 4) ? 'n' : 'o';
		if (probe_page(t, &c[i]) != want)
			fail_msg("page %d after PSI AM=2: expected '%c'", i, want);
	}
	/* A 2 MiB-wide PSI (AM=9) around all of them. */
	th_inv_iotlb(t, VTD_INV_IOTLB_PSI, 1, X - 0x200000, 9);
	assert_int_equal(probe_page(t, &c[0]), 'n');
	assert_int_equal(probe_page(t, &c[5]), 'o');
	th_inv_iotlb(t, VTD_INV_IOTLB_PSI, 1, X, 9);
	assert_int_equal(probe_page(t, &c[5]), 'n');
	th_expect_no_fault(t);
	stop(t);
}

/* Two 2 MiB-aligned host regions. */
struct two_mb {
	void *map;
	uint8_t *a, *b;
};

static void two_mb_init(struct two_mb *m)
{
	size_t len = 6u << 20;
	m->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m->map != MAP_FAILED);
	m->a = (uint8_t *)ALIGN_UP((uintptr_t)m->map, 2u << 20);
	m->b = m->a + (2u << 20);
}

static void two_mb_fini(struct two_mb *m)
{
	munmap(m->map, 6u << 20);
}

static void test_iotlb_psi_large_page(void **s)
{
	(void)s;
	struct two_mb m;
	struct th *t = dsa_start();
	two_mb_init(&m);
	struct th_pt pt;
	th_pt_init(t, &pt, 4, false);
	th_pasid_ss(t, SID_DSA, 1, 1, &pt, 0);
	th_map(t, &pt, X, pa(m.a), 21, SSRW);
	const uint64_t off = 0x123000;
	assert_int_equal(probe(t, SID_DSA, 1, X + off, m.a + off, m.b + off), 'o');
	repoint(&pt, X, 2, m.b);

	/* Pages just outside the 2 MiB page do not touch it. */
	th_inv_iotlb(t, VTD_INV_IOTLB_PSI, 1, X + 0x200000, 0);
	th_inv_iotlb(t, VTD_INV_IOTLB_PSI, 1, X - 0x1000, 0);
	assert_int_equal(probe(t, SID_DSA, 1, X + off, m.a + off, m.b + off), 'o');
	/* One 4 KiB page inside it drops the whole 2 MiB entry. */
	th_inv_iotlb(t, VTD_INV_IOTLB_PSI, 1, X + 0x1ff000, 0);
	assert_int_equal(probe(t, SID_DSA, 1, X + off, m.a + off, m.b + off), 'n');
	th_expect_no_fault(t);
	two_mb_fini(&m);
	stop(t);
}

/* ---- PASID-based IOTLB (type 0x6) ---- */

static void test_piotlb_all_in_pasid(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct th_pt fs1, fs2, ss;
	th_pt_init(t, &fs1, 4, true);
	th_pt_init(t, &fs2, 4, true);
	th_pt_init(t, &ss, 4, false);
	th_pasid_fs(t, SID_DSA, 1, 5, &fs1, 0);
	th_pasid_fs(t, SID_DSA, 2, 5, &fs2, 0);
	th_pasid_ss(t, SID_DSA, 3, 5, &ss, 0);
	struct page_case c1a, c1b, c2, c3;
	page_fill(t, &c1a, 1, &fs1, X);
	page_fill(t, &c1b, 1, &fs1, X + 0x40000000);
	page_fill(t, &c2, 2, &fs2, X);
	page_fill(t, &c3, 3, &ss, X);
	page_repoint(&fs1, &c1a);
	page_repoint(&fs1, &c1b);
	page_repoint(&fs2, &c2);
	page_repoint(&ss, &c3);

	/* The wrong DID matches nothing. */
	th_inv_piotlb(t, VTD_INV_PIOTLB_ALL_IN_PASID, 6, 1, 0, 0);
	assert_int_equal(probe_page(t, &c1a), 'o');
	/* G=2: every first-stage entry of (DID 5, PASID 1), any address. */
	th_inv_piotlb(t, VTD_INV_PIOTLB_ALL_IN_PASID, 5, 1, 0, 0);
	assert_int_equal(probe_page(t, &c1a), 'n');
	assert_int_equal(probe_page(t, &c1b), 'n');
	assert_int_equal(probe_page(t, &c2), 'o');
	assert_int_equal(probe_page(t, &c3), 'o');
	/* Never second-stage entries, even when named by their own PASID. */
	th_inv_piotlb(t, VTD_INV_PIOTLB_ALL_IN_PASID, 5, 3, 0, 0);
	assert_int_equal(probe_page(t, &c3), 'o');
	th_inv_iotlb(t, VTD_INV_IOTLB_DSI, 5, 0, 0);
	assert_int_equal(probe_page(t, &c2), 'n');
	assert_int_equal(probe_page(t, &c3), 'n');
	th_expect_no_fault(t);
	stop(t);
}

/* Pass-through lives in the PASID entry: a P_IOTLB invalidation of its
 * PASID does not make the unit re-read it. */
static void test_piotlb_leaves_pass_through(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	uint8_t *c = th_buf(t), *d = th_buf(t);
	th_pasid_pt(t, SID_DSA, 4, 5);
	assert_int_equal(probe(t, SID_DSA, 4, pa(c) + 8, c, d), 'o');
	struct th_pt ss;
	th_pt_init(t, &ss, 4, false);
	th_map(t, &ss, pa(c), pa(d), 12, SSRW);
	th_pasid_ss(t, SID_DSA, 4, 6, &ss, 0);
	th_inv_piotlb(t, VTD_INV_PIOTLB_ALL_IN_PASID, 5, 4, 0, 0);
	th_inv_piotlb(t, VTD_INV_PIOTLB_PSI, 5, 4, pa(c), 0);
	assert_int_equal(probe(t, SID_DSA, 4, pa(c) + 8, c, d), 'o');
	th_inv_pc(t, VTD_INV_PC_PASID, 5, 4);
	assert_int_equal(probe(t, SID_DSA, 4, pa(c) + 8, c, d), 'n');
	th_expect_no_fault(t);
	stop(t);
}

static void test_piotlb_page_selective(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct th_pt fs1, fs2, ss;
	th_pt_init(t, &fs1, 4, true);
	th_pt_init(t, &fs2, 4, true);
	th_pt_init(t, &ss, 4, false);
	th_pasid_fs(t, SID_DSA, 1, 5, &fs1, 0);
	th_pasid_fs(t, SID_DSA, 2, 5, &fs2, 0);
	th_pasid_ss(t, SID_DSA, 3, 5, &ss, 0);
	struct page_case in, next, far, other, sspage;
	page_fill(t, &in, 1, &fs1, X);
	page_fill(t, &next, 1, &fs1, X + 0x1000);
	page_fill(t, &far, 1, &fs1, X + 0x10000000);
	page_fill(t, &other, 2, &fs2, X);
	page_fill(t, &sspage, 3, &ss, X);
	page_repoint(&fs1, &in);
	page_repoint(&fs1, &next);
	page_repoint(&fs1, &far);
	page_repoint(&fs2, &other);
	page_repoint(&ss, &sspage);

	th_inv_piotlb(t, VTD_INV_PIOTLB_PSI, 5, 1, X, 0);
	assert_int_equal(probe_page(t, &in), 'n');
	assert_int_equal(probe_page(t, &next), 'o');
	assert_int_equal(probe_page(t, &far), 'o');
	assert_int_equal(probe_page(t, &other), 'o');
	/* Second-stage entries are out of its reach, by any PASID. */
	th_inv_piotlb(t, VTD_INV_PIOTLB_PSI, 5, 3, X, 0);
	assert_int_equal(probe_page(t, &sspage), 'o');
	/* AM=1 covers X and X+4K. */
	th_inv_piotlb(t, VTD_INV_PIOTLB_PSI, 5, 1, X, 1);
	assert_int_equal(probe_page(t, &next), 'n');
	assert_int_equal(probe_page(t, &far), 'o');
	assert_int_equal(probe_page(t, &other), 'o');
	th_expect_no_fault(t);
	stop(t);
}

/* ---- tagging ---- */

/* Second-stage entries are tagged by DID alone: two PASIDs of one domain
 * share them. First-stage entries are not shared across PASIDs. */
static void test_ss_entries_shared_by_did(void **s)
{
	(void)s;
	struct th *t = dsa_start();
	struct th_pt ss, fs;
	th_pt_init(t, &ss, 4, false);
	th_pt_init(t, &fs, 4, true);
	th_pasid_ss(t, SID_DSA, 10, 7, &ss, 0);
	th_pasid_ss(t, SID_DSA, 11, 7, &ss, 0);
	th_pasid_fs(t, SID_DSA, 20, 8, &fs, 0);
	th_pasid_fs(t, SID_DSA, 21, 8, &fs, 0);
	struct page_case a, f;
	page_fill(t, &a, 10, &ss, X);
	page_fill(t, &f, 20, &fs, X);
	page_repoint(&ss, &a);
	page_repoint(&fs, &f);

	unrelated_inval(t);
	/* PASID 11 never translated X, yet hits PASID 10's entry. */
	assert_int_equal(probe(t, SID_DSA, 11, X, a.old_page, a.new_page), 'o');
	/* PASID 21 walks its (same) table and sees the new page. */
	assert_int_equal(probe(t, SID_DSA, 21, X, f.old_page, f.new_page), 'n');
	assert_int_equal(probe(t, SID_DSA, 20, X, f.old_page, f.new_page), 'o');
	th_expect_no_fault(t);
	stop(t);
}

/* ---- device TLB (types 0x3 and 0x8) ---- */

static void test_devtlb_outlives_iotlb_inval(void **s)
{
	(void)s;
	struct th *t = start(NULL);
	th_dev_enable(t, SID_DSA, true);
	enable_ats(t);
	th_context_setup(t, SID_DSA, VTD_SM_CTX_DTE);
	struct th_pt pt;
	th_pt_init(t, &pt, 4, false);
	th_pasid_ss(t, SID_DSA, 0, 3, &pt, 0);
	uint8_t *a = map_new(t, &pt, X), *b = th_buf(t), *c = th_buf(t);
	struct vtd_stats s0, s1;
	vtd_stats_get(t->u, &s0);
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X, a, b), 'o');
	vtd_stats_get(t->u, &s1);
	assert_true(s1.ats_translations > s0.ats_translations);

	repoint(&pt, X, 1, b);
	/* The IOTLB forgets; the device's own TLB still has it. */
	th_inv_iotlb(t, VTD_INV_IOTLB_DSI, 3, 0, 0);
	th_inv_iotlb(t, VTD_INV_IOTLB_GLOBAL, 0, 0, 0);
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X, a, b), 'o');
	/* A device-TLB invalidation of another page keeps it too. */
	th_inv_devtlb(t, SID_DSA, PCI_NO_PASID, X + 0x1000, false);
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X, a, b), 'o');
	th_inv_devtlb(t, SID_DSA, PCI_NO_PASID, X, false);
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X, a, b), 'n');

	/* The wrong order: the device TLB is flushed first and refills from
	 * the still-stale IOTLB, so the IOTLB flush after it is too late. */
	repoint(&pt, X, 1, c);
	th_inv_devtlb(t, SID_DSA, PCI_NO_PASID, X, false);
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X, b, c), 'o');
	th_inv_iotlb(t, VTD_INV_IOTLB_PSI, 3, X, 0);
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X, b, c), 'o');
	th_inv_devtlb(t, SID_DSA, PCI_NO_PASID, X, false);
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X, b, c), 'n');
	th_expect_no_fault(t);
	stop(t);
}

static void test_devtlb_size_encoding(void **s)
{
	(void)s;
	struct th *t = start(NULL);
	th_dev_enable(t, SID_DSA, true);
	enable_ats(t);
	th_context_setup(t, SID_DSA, VTD_SM_CTX_DTE);
	struct th_pt pt;
	th_pt_init(t, &pt, 4, false);
	th_pasid_ss(t, SID_DSA, 0, 3, &pt, 0);
	struct page_case c[6];
	for (int i = 0; i < 6; i++) {
		uint64_t iova = X - 0x1000 + 0x1000 * (uint64_t)i;
		c[i] = (struct page_case){ .pasid = PCI_NO_PASID, .iova = iova,
					   .old_page = map_new(t, &pt, iova),
					   .new_page = th_buf(t) };
		assert_int_equal(probe_page(t, &c[i]), 'o');
	}
	for (int i = 0; i < 6; i++)
		page_repoint(&pt, &c[i]);
	th_inv_iotlb(t, VTD_INV_IOTLB_GLOBAL, 0, 0, 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(probe_page(t, &c[i]), 'o');

	/* S=1 with address bit 12 set and bit 13 clear: 16 KiB at X. */
	th_inv_devtlb(t, SID_DSA, PCI_NO_PASID, X | 0x1000, true);
	for (int i = 0; i < 6; i++) {
		int want = (i >= 1 && i <= 4) ? 'n' : 'o';
		if (probe_page(t, &c[i]) != want)
			fail_msg("page %d after a 16 KiB device-TLB invalidation: expected '%c'", i,
				 want);
	}
	/* All ones below bit 63: the whole address space. */
	th_inv_devtlb(t, SID_DSA, PCI_NO_PASID, 0x7ffffffffffff000ull, true);
	assert_int_equal(probe_page(t, &c[0]), 'n');
	assert_int_equal(probe_page(t, &c[5]), 'n');
	th_expect_no_fault(t);
	stop(t);
}

static void test_pasid_devtlb_per_pasid(void **s)
{
	(void)s;
	struct th *t = start(NULL);
	th_dev_enable(t, SID_DSA, true);
	enable_ats(t);
	th_context_setup(t, SID_DSA, VTD_SM_CTX_DTE);
	struct th_pt fs1, fs2;
	th_pt_init(t, &fs1, 4, true);
	th_pt_init(t, &fs2, 4, true);
	th_pasid_fs(t, SID_DSA, 1, 4, &fs1, 0);
	th_pasid_fs(t, SID_DSA, 2, 4, &fs2, 0);
	struct page_case c1, c2;
	page_fill(t, &c1, 1, &fs1, X);
	page_fill(t, &c2, 2, &fs2, X);
	page_repoint(&fs1, &c1);
	page_repoint(&fs2, &c2);
	th_inv_iotlb(t, VTD_INV_IOTLB_DSI, 4, 0, 0);
	assert_int_equal(probe_page(t, &c1), 'o');
	assert_int_equal(probe_page(t, &c2), 'o');

	th_inv_devtlb(t, SID_DSA, 1, X, false);
	assert_int_equal(probe_page(t, &c1), 'n');
	assert_int_equal(probe_page(t, &c2), 'o');
	th_inv_devtlb(t, SID_DSA, 2, X, false);
	assert_int_equal(probe_page(t, &c2), 'n');
	th_expect_no_fault(t);
	stop(t);
}

/* Without DTE in the context entry the unit refuses translation requests
 * (SCT.5); the record says it was one (AT=01b). */
static void test_devtlb_needs_dte(void **s)
{
	(void)s;
	struct th *t = start(NULL);
	th_dev_enable(t, SID_DSA, true);
	enable_ats(t);
	th_context_setup(t, SID_DSA, 0);
	struct th_pt pt;
	th_pt_init(t, &pt, 4, false);
	th_pasid_ss(t, SID_DSA, 0, 3, &pt, 0);
	uint8_t *a = map_new(t, &pt, X);
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X + 4, a, NULL), 'f');
	struct th_frcd f[4];
	assert_int_equal(th_faults(t, f, 4), 1);
	assert_int_equal(th_fr(&f[0]), VTD_FR_SM_CTX_DTE);
	assert_int_equal(f[0].lo, X);
	assert_int_equal(VTD_FRCD_HI_SID(f[0].hi), SID_DSA);
	unsigned at = VTD_FRCD_HI_AT(f[0].hi);

	/* DTE is taken from the cached context entry: set, then invalidate. */
	th_context(t, SID_DSA)[0] |= VTD_SM_CTX_DTE;
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X + 4, a, NULL), 'f');
	th_expect_fault(t, VTD_FR_SM_CTX_DTE, X);
	th_inv_cc_dev(t, SID_DSA);
	assert_int_equal(probe(t, SID_DSA, PCI_NO_PASID, X + 4, a, NULL), 'o');
	th_expect_no_fault(t);
	/* Checked last so the checks above run whatever it says. */
	assert_int_equal(at, 1);
	stop(t);
}

/* ---- queue mechanics ---- */

static void test_wait_completion_and_stats(void **s)
{
	(void)s;
	struct th *t = start(NULL);
	struct vtd_stats s0, s1;
	vtd_stats_get(t->u, &s0);
	uint32_t seq = atomic_load(t->status);

	/* Invalidations alone are fetched and done, but say nothing. */
	th_qi_add(t, vtd_inv_qw0(VTD_INV_IOTLB) | ((uint64_t)VTD_INV_IOTLB_GLOBAL << 4), 0, 0, 0);
	th_qi_add(t, vtd_inv_qw0(VTD_INV_PC) | ((uint64_t)VTD_INV_PC_GLOBAL << 4), 0, 0, 0);
	th_qi_add(t, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4), 0, 0, 0);
	th_wr(t, VTD_REG_IQT, t->iq_tail);
	assert_int_equal(th_rd(t, VTD_REG_IQH), t->iq_tail);
	assert_int_equal(atomic_load(t->status), seq);
	assert_int_equal(t->irqs[VTD_IRQ_INV_COMPLETE], 0);
	vtd_stats_get(t->u, &s1);
	assert_int_equal(s1.inv_desc - s0.inv_desc, 3);
	assert_int_equal(s1.inv_waits - s0.inv_waits, 0);

	/* A wait with SW writes its status. */
	assert_int_equal(th_qi_sync(t), 0);
	assert_int_equal(atomic_load(t->status), t->status_seq);
	assert_int_not_equal(t->status_seq, seq);
	vtd_stats_get(t->u, &s1);
	assert_int_equal(s1.inv_desc - s0.inv_desc, 4);
	assert_int_equal(s1.inv_waits - s0.inv_waits, 1);

	/* A wait with IF sets ICS.IWC and interrupts, once until cleared. */
	assert_false(th_rd(t, VTD_REG_ICS) & VTD_ICS_IWC);
	for (int i = 0; i < 2; i++) {
		th_qi_add(t, vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_IF, 0, 0, 0);
		th_wr(t, VTD_REG_IQT, t->iq_tail);
		assert_true(th_rd(t, VTD_REG_ICS) & VTD_ICS_IWC);
		assert_int_equal(t->irqs[VTD_IRQ_INV_COMPLETE], 1);
	}
	th_wr32(t, VTD_REG_ICS, VTD_ICS_IWC);
	assert_false(th_rd(t, VTD_REG_ICS) & VTD_ICS_IWC);
	th_qi_add(t, vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_IF, 0, 0, 0);
	th_wr(t, VTD_REG_IQT, t->iq_tail);
	assert_int_equal(t->irqs[VTD_IRQ_INV_COMPLETE], 2);
	vtd_stats_get(t->u, &s1);
	assert_int_equal(s1.inv_desc - s0.inv_desc, 7);
	assert_int_equal(s1.inv_waits - s0.inv_waits, 4);

	/* The helpers queue one descriptor plus a wait. */
	th_inv_piotlb(t, VTD_INV_PIOTLB_ALL_IN_PASID, 1, 1, 0, 0);
	vtd_stats_get(t->u, &s1);
	assert_int_equal(s1.inv_desc - s0.inv_desc, 9);
	assert_int_equal(s1.inv_waits - s0.inv_waits, 5);
	th_expect_no_fault(t);
	stop(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_stale_until_invalidated, teardown),
		cmocka_unit_test_teardown(test_cc_global_and_domain, teardown),
		cmocka_unit_test_teardown(test_cc_device_function_mask, teardown),
		cmocka_unit_test_teardown(test_cc_device_other_sid_survives, teardown),
		cmocka_unit_test_teardown(test_pc_domain_selective, teardown),
		cmocka_unit_test_teardown(test_pc_domain_selective_two_pasids, teardown),
		cmocka_unit_test_teardown(test_pc_pasid_selective, teardown),
		cmocka_unit_test_teardown(test_pc_global, teardown),
		cmocka_unit_test_teardown(test_iotlb_global, teardown),
		cmocka_unit_test_teardown(test_iotlb_domain_selective, teardown),
		cmocka_unit_test_teardown(test_iotlb_page_selective, teardown),
		cmocka_unit_test_teardown(test_iotlb_page_selective_am, teardown),
		cmocka_unit_test_teardown(test_iotlb_psi_large_page, teardown),
		cmocka_unit_test_teardown(test_piotlb_all_in_pasid, teardown),
		cmocka_unit_test_teardown(test_piotlb_leaves_pass_through, teardown),
		cmocka_unit_test_teardown(test_piotlb_page_selective, teardown),
		cmocka_unit_test_teardown(test_ss_entries_shared_by_did, teardown),
		cmocka_unit_test_teardown(test_devtlb_outlives_iotlb_inval, teardown),
		cmocka_unit_test_teardown(test_devtlb_size_encoding, teardown),
		cmocka_unit_test_teardown(test_pasid_devtlb_per_pasid, teardown),
		cmocka_unit_test_teardown(test_devtlb_needs_dte, teardown),
		cmocka_unit_test_teardown(test_wait_completion_and_stats, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
