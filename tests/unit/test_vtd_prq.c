/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page requests (SPEC H-8): the PRI function's side (outstanding
 * allocation, PRG responses, Response Failure) and the unit's page
 * request queue (descriptor layout, PQT/PRS/event, PRE check, overflow
 * with its automatic response), answered through page-group response
 * descriptors in the invalidation queue (H-6).
 */
#include <string.h>

#include "harness.h"
#include "hw/pci/pri.h"

#define PRQ_SLOTS 128 /* PQS=0: one page of 32-byte descriptors */

/* What the function received from the IOMMU. */
struct resp {
	uint32_t pasid;
	bool pasid_valid;
	unsigned prgi, code;
};

struct prq_env {
	struct th t;
	struct hw_pci_function *d;
	uint64_t *q;                    /* the queue page */
	const struct hw_pci_function_ops *saved_ops;
	void *saved_model;
	struct resp resp[8];
	unsigned nresp;
};

static void on_prg_response(struct hw_pci_function *d, uint32_t pasid, bool pasid_valid,
			    unsigned prgi, unsigned code)
{
	struct prq_env *e = d->model;
	if (e->nresp < ARRAY_SIZE(e->resp))
		e->resp[e->nresp] = (struct resp){ pasid, pasid_valid, prgi, code };
	e->nresp++;
}

static const struct hw_pci_function_ops observe_ops = {
	.prg_response = on_prg_response,
};

/* One environment at a time, in static storage, so that the teardown
 * can free it when an assertion abandons a test half way. */
static struct prq_env the_env;
static bool the_env_live;

/*
 * The DSA function with PASID, ATS and PRI enabled and `alloc`
 * outstanding requests allocated; its context entry gets `ctx_bits`; a
 * one-page queue programmed the way the Linux driver does.
 */
static struct prq_env *prq_start(uint64_t ctx_bits, uint32_t alloc)
{
	struct prq_env *e = &the_env;
	assert_false(the_env_live);
	memset(e, 0, sizeof(*e));
	struct th *t = &e->t;
	th_init(t, NULL);
	struct hw_pci_function *d = e->d = th_dev(t, SID_DSA);
	e->saved_ops = d->ops;
	e->saved_model = d->model;
	the_env_live = true;

	assert_true(d->ecap_pri && d->ecap_ats);
	th_dev_enable(t, SID_DSA, true);
	hw_pci_cfg_write(d, d->ecap_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	hw_pci_cfg_write(d, d->ecap_pri + PCI_PRI_ALLOC_REQ, 4, alloc);
	hw_pci_cfg_write(d, d->ecap_pri + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	assert_true(hw_pci_pri_enabled(d));
	th_context_setup(t, SID_DSA, VTD_SM_CTX_DTE | ctx_bits);
	d->ops = &observe_ops;
	d->model = e;

	e->q = th_page(t);
	th_wr(t, VTD_REG_PQH, 0);
	th_wr(t, VTD_REG_PQT, 0);
	th_wr(t, VTD_REG_PQA, hw_pa(e->q) | 0);
	th_wr32(t, VTD_REG_PECTL, 0);
	assert_int_equal(th_rd(t, VTD_REG_PQT), 0);
	return e;
}

static void prq_release(struct prq_env *e)
{
	e->d->ops = e->saved_ops;
	e->d->model = e->saved_model;
	the_env_live = false;
	th_fini(&e->t);
}

static void prq_stop(struct prq_env *e)
{
	th_expect_no_fault(&e->t);
	prq_release(e);
}

/* Frees the host when an assertion abandoned the test. */
static int teardown(void **s)
{
	(void)s;
	if (the_env_live)
		prq_release(&the_env);
	return 0;
}

static int req(struct prq_env *e, uint32_t pasid, uint64_t addr, unsigned prgi, bool last)
{
	return pci_pri_page_request(e->d, pasid, false, addr, true, false, false, prgi, last);
}

static uint64_t pqt(struct prq_env *e)
{
	return th_rd(&e->t, VTD_REG_PQT);
}

static uint32_t prs(struct prq_env *e)
{
	return (uint32_t)th_rd(&e->t, VTD_REG_PRS);
}

static const uint64_t *slot(struct prq_env *e, unsigned i)
{
	return &e->q[i * 4];
}

/* Software's page-group response through the invalidation queue. */
static void respond_raw(struct prq_env *e, uint64_t q0_extra, uint64_t q1_extra, uint32_t pasid,
			bool pp, unsigned prgi, unsigned code)
{
	uint64_t q0 = vtd_inv_qw0(VTD_INV_PGRP_RESP) | (pp ? VTD_INV_PGRP_PP : 0) |
		      ((uint64_t)(code & 0xf) << 12) | ((uint64_t)SID_DSA << 16) |
		      ((uint64_t)(pp ? pasid & 0xfffff : 0) << 32);
	uint64_t q1 = VTD_INV_PGRP_LPIG | ((uint64_t)(prgi & 0x1ff) << 3);
	th_qi_add(&e->t, q0 | q0_extra, q1 | q1_extra, 0, 0);
}

static void respond(struct prq_env *e, uint32_t pasid, bool pp, unsigned prgi, unsigned code)
{
	respond_raw(e, 0, 0, pasid, pp, prgi, code);
	assert_int_equal(th_qi_sync(&e->t), 0);
}

static void expect_resp(struct prq_env *e, unsigned i, uint32_t pasid, bool pasid_valid,
			unsigned prgi, unsigned code)
{
	assert_true(e->nresp > i);
	const struct resp *r = &e->resp[i];
	assert_int_equal(r->pasid_valid, pasid_valid);
	if (pasid_valid)
		assert_int_equal(r->pasid, pasid);
	assert_int_equal(r->prgi, prgi);
	assert_int_equal(r->code, code);
}

static void test_prq_descriptors(void **s)
{
	(void)s;
	struct prq_env *e = prq_start(VTD_SM_CTX_PRE, 32);
	struct th *t = &e->t;

	/* A user read, last in its group; the offset in the page is dropped. */
	assert_int_equal(pci_pri_page_request(e->d, 5, false, 0x7f0012345678ull, true, false, false,
					      3, true),
			 0);
	const uint64_t *d0 = slot(e, 0);
	assert_int_equal(d0[0] & 0xff, VTD_PRQ0_TYPE_PAGE_REQ);
	assert_true(d0[0] & VTD_PRQ0_PP);
	assert_int_equal(VTD_PRQ0_PASID(d0[0]), 5);
	assert_int_equal(VTD_PRQ0_RID(d0[0]), SID_DSA);
	assert_false(d0[0] & (VTD_PRQ0_PMR | VTD_PRQ0_ER | VTD_PRQ0_PDP));
	assert_int_equal(d0[1], 0x7f0012345000ull | VTD_PRQ1_RD | VTD_PRQ1_LPIG | (3ull << 3));
	assert_int_equal(d0[2], 0);
	assert_int_equal(d0[3], 0);
	assert_int_equal(pqt(e), 32);
	assert_true(prs(e) & VTD_PRS_PPR);
	assert_int_equal(t->irqs[VTD_IRQ_PAGE_REQUEST], 1);

	/* A privileged write, not last, with the widest PRG index. */
	assert_int_equal(pci_pri_page_request(e->d, 0xfffff, true, 0x1000, false, true, false,
					      0x1ff, false),
			 0);
	const uint64_t *d1 = slot(e, 1);
	assert_true(d1[0] & VTD_PRQ0_PP);
	assert_true(d1[0] & VTD_PRQ0_PMR);
	assert_int_equal(VTD_PRQ0_PASID(d1[0]), 0xfffff);
	assert_int_equal(d1[1], 0x1000 | VTD_PRQ1_WR | (0x1ffull << 3));
	assert_int_equal(VTD_PRQ1_PRGI(d1[1]), 0x1ff);

	/* Without PASID; read and write; execute. */
	assert_int_equal(pci_pri_page_request(e->d, PCI_NO_PASID, false, 0x5000, true, true, false,
					      7, true),
			 0);
	const uint64_t *d2 = slot(e, 2);
	assert_false(d2[0] & VTD_PRQ0_PP);
	assert_int_equal(VTD_PRQ0_PASID(d2[0]), 0);
	assert_int_equal(VTD_PRQ0_RID(d2[0]), SID_DSA);
	assert_int_equal(d2[1], 0x5000 | VTD_PRQ1_RD | VTD_PRQ1_WR | VTD_PRQ1_LPIG | (7ull << 3));
	assert_int_equal(pci_pri_page_request(e->d, 9, false, 0x9000, true, false, true, 8, true),
			 0);
	assert_true(slot(e, 3)[0] & VTD_PRQ0_ER);
	assert_int_equal(pqt(e), 4 * 32);

	/* PPR stayed set throughout: no new event, even after software
	 * consumed the queue, until it clears PPR. */
	assert_int_equal(t->irqs[VTD_IRQ_PAGE_REQUEST], 1);
	th_wr(t, VTD_REG_PQH, pqt(e));
	assert_int_equal(req(e, 5, 0xa000, 9, true), 0);
	assert_int_equal(t->irqs[VTD_IRQ_PAGE_REQUEST], 1);
	th_wr32(t, VTD_REG_PRS, VTD_PRS_PPR);
	assert_false(prs(e) & VTD_PRS_PPR);
	assert_int_equal(req(e, 5, 0xb000, 10, true), 0);
	assert_true(prs(e) & VTD_PRS_PPR);
	assert_int_equal(t->irqs[VTD_IRQ_PAGE_REQUEST], 2);

	/* Masked, the event waits in PECTL.IP and is sent on unmask. */
	th_wr32(t, VTD_REG_PECTL, VTD_XECTL_IM);
	th_wr32(t, VTD_REG_PRS, VTD_PRS_PPR);
	assert_int_equal(req(e, 5, 0xc000, 11, true), 0);
	assert_int_equal(t->irqs[VTD_IRQ_PAGE_REQUEST], 2);
	assert_true(th_rd(t, VTD_REG_PECTL) & VTD_XECTL_IP);
	th_wr32(t, VTD_REG_PECTL, 0);
	assert_int_equal(t->irqs[VTD_IRQ_PAGE_REQUEST], 3);
	assert_false(th_rd(t, VTD_REG_PECTL) & VTD_XECTL_IP);
	assert_int_equal(pqt(e), 7 * 32);

	struct vtd_stats st;
	vtd_stats_get(t->u, &st);
	assert_int_equal(st.page_requests, 7);
	assert_int_equal(st.prq_overflow, 0);
	prq_stop(e);
}

static void test_prq_group_response(void **s)
{
	(void)s;
	struct prq_env *e = prq_start(VTD_SM_CTX_PRE, 2);
	struct th *t = &e->t;
	uint16_t st0 = (uint16_t)hw_pci_cfg_read(e->d, e->d->ecap_pri + PCI_PRI_STATUS, 2);
	assert_false(st0 & PCI_PRI_STATUS_RF);

	assert_int_equal(req(e, 5, 0x10000, 1, true), 0);
	assert_int_equal(req(e, 5, 0x11000, 2, true), 0);
	/* The allocation is used up: the function cannot send a third. */
	assert_int_equal(req(e, 5, 0x12000, 3, true), -EBUSY);
	assert_int_equal(pqt(e), 2 * 32);
	assert_int_equal(e->nresp, 0);

	/* Success for group 1 reaches the function and frees one request. */
	respond(e, 5, true, 1, VTD_PRG_RESP_SUCCESS);
	assert_int_equal(e->nresp, 1);
	expect_resp(e, 0, 5, true, 1, VTD_PRG_RESP_SUCCESS);
	assert_int_equal(req(e, 5, 0x12000, 3, true), 0);
	assert_int_equal(req(e, 5, 0x13000, 4, true), -EBUSY);

	/* Invalid Request: answered, not a failure of the interface. */
	respond(e, 5, true, 2, VTD_PRG_RESP_INVALID);
	expect_resp(e, 1, 5, true, 2, VTD_PRG_RESP_INVALID);
	assert_false(hw_pci_cfg_read(e->d, e->d->ecap_pri + PCI_PRI_STATUS, 2) & PCI_PRI_STATUS_RF);

	/* A response without PASID. */
	respond(e, 0, false, 3, VTD_PRG_RESP_SUCCESS);
	expect_resp(e, 2, 0, false, 3, VTD_PRG_RESP_SUCCESS);

	/* Response Failure sets RF in the PRI status. */
	assert_int_equal(req(e, 7, 0x14000, 4, true), 0);
	respond(e, 7, true, 4, VTD_PRG_RESP_FAILURE);
	expect_resp(e, 3, 7, true, 4, VTD_PRG_RESP_FAILURE);
	assert_true(hw_pci_cfg_read(e->d, e->d->ecap_pri + PCI_PRI_STATUS, 2) & PCI_PRI_STATUS_RF);
	assert_int_equal(e->nresp, 4);
	assert_int_equal(t->irqs[VTD_IRQ_FAULT], 0);
	prq_stop(e);
}

static void test_prq_refusals(void **s)
{
	(void)s;
	struct prq_env *e = prq_start(VTD_SM_CTX_PRE, 1);
	/* PASID not enabled at the function: it cannot tag the request. */
	hw_pci_cfg_write(e->d, e->d->ecap_pasid + PCI_PASID_CTRL, 2, 0);
	assert_int_equal(req(e, 5, 0x1000, 1, true), -EINVAL);
	th_dev_enable(&e->t, SID_DSA, true);
	/* PRI disabled: nothing goes out. */
	hw_pci_cfg_write(e->d, e->d->ecap_pri + PCI_PRI_CTRL, 2, 0);
	assert_int_equal(req(e, 5, 0x1000, 1, true), -ENODEV);
	hw_pci_cfg_write(e->d, e->d->ecap_pri + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	assert_int_equal(pqt(e), 0);
	/* Refusals consumed none of the one-request allocation. */
	assert_int_equal(req(e, 5, 0x1000, 1, true), 0);
	assert_int_equal(req(e, 5, 0x2000, 2, true), -EBUSY);
	/* A PRI reset forgets the outstanding request. */
	hw_pci_cfg_write(e->d, e->d->ecap_pri + PCI_PRI_CTRL, 2,
			 PCI_PRI_CTRL_ENABLE | PCI_PRI_CTRL_RESET);
	assert_int_equal(req(e, 5, 0x2000, 2, true), 0);
	assert_int_equal(pqt(e), 2 * 32);
	prq_stop(e);
}

/* SCT.8: the context entry must allow page requests. */
static void test_prq_needs_pre(void **s)
{
	(void)s;
	struct prq_env *e = prq_start(0, 1);
	struct th *t = &e->t;
	assert_int_equal(req(e, 5, 0x345000, 6, true), -EIO);
	assert_int_equal(pqt(e), 0);
	assert_false(prs(e) & VTD_PRS_PPR);
	assert_int_equal(t->irqs[VTD_IRQ_PAGE_REQUEST], 0);
	assert_int_equal(e->nresp, 0);
	struct th_frcd f[4];
	assert_int_equal(th_faults(t, f, 4), 1);
	assert_int_equal(th_fr(&f[0]), VTD_FR_SM_CTX_PRE);
	assert_int_equal(f[0].lo, 0x345000);
	assert_int_equal(VTD_FRCD_HI_SID(f[0].hi), SID_DSA);
	assert_true(f[0].hi & VTD_FRCD_HI_PP);
	assert_int_equal(VTD_FRCD_HI_PV(f[0].hi), 5);

	/* The refused request is not outstanding; with PRE set (and the
	 * context cache told), the same request is queued. */
	th_context(t, SID_DSA)[0] |= VTD_SM_CTX_PRE;
	th_inv_cc_dev(t, SID_DSA);
	assert_int_equal(req(e, 5, 0x345000, 6, true), 0);
	assert_int_equal(pqt(e), 32);
	assert_int_equal(VTD_PRQ1_ADDR(slot(e, 0)[1]), 0x345000);
	prq_stop(e);
}

/* Fill the queue: PRQ_SLOTS - 1 requests fit, as a full queue would
 * otherwise look empty (PQT == PQH). */
static void fill_queue(struct prq_env *e)
{
	for (unsigned i = 0; i < PRQ_SLOTS - 1; i++)
		assert_int_equal(req(e, 5, 0x100000 + 0x1000 * (uint64_t)i, i, false), 0);
	assert_int_equal(pqt(e), (PRQ_SLOTS - 1) * 32);
	assert_false(prs(e) & VTD_PRS_PRO);
}

static void test_prq_overflow(void **s)
{
	(void)s;
	struct prq_env *e = prq_start(VTD_SM_CTX_PRE, 1024);
	struct th *t = &e->t;
	fill_queue(e);

	/* No room: overflow is flagged, the request dropped. Nothing will
	 * answer a request that is not last in its group. */
	assert_int_equal(req(e, 5, 0x900000, 200, false), -EIO);
	assert_true(prs(e) & VTD_PRS_PRO);
	assert_int_equal(pqt(e), (PRQ_SLOTS - 1) * 32);
	assert_int_equal(e->nresp, 0);
	/* A dropped last request is answered Success by the unit itself, so
	 * the function retries instead of waiting forever. */
	assert_int_equal(req(e, 9, 0x901000, 0x155, true), 0);
	assert_int_equal(e->nresp, 1);
	expect_resp(e, 0, 9, true, 0x155, VTD_PRG_RESP_SUCCESS);
	assert_int_equal(pqt(e), (PRQ_SLOTS - 1) * 32);
	/* The queued descriptors were not touched. */
	assert_int_equal(VTD_PRQ1_ADDR(slot(e, 0)[1]), 0x100000);
	assert_int_equal(VTD_PRQ1_ADDR(slot(e, PRQ_SLOTS - 2)[1]),
			 0x100000 + 0x1000 * (PRQ_SLOTS - 2));
	assert_int_equal(slot(e, PRQ_SLOTS - 1)[0], 0);

	struct vtd_stats st;
	vtd_stats_get(t->u, &st);
	assert_int_equal(st.prq_overflow, 2);

	/* Software drains the queue, then clears PRO: requests flow again,
	 * the tail wrapping to the start of the queue. */
	th_wr(t, VTD_REG_PQH, pqt(e));
	th_wr32(t, VTD_REG_PRS, VTD_PRS_PRO | VTD_PRS_PPR);
	assert_false(prs(e) & (VTD_PRS_PRO | VTD_PRS_PPR));
	assert_int_equal(req(e, 5, 0x902000, 0x44, true), 0);
	assert_int_equal(pqt(e), 0);
	const uint64_t *d = slot(e, PRQ_SLOTS - 1);
	assert_int_equal(VTD_PRQ0_PASID(d[0]), 5);
	assert_int_equal(d[1], 0x902000 | VTD_PRQ1_RD | VTD_PRQ1_LPIG | (0x44ull << 3));
	assert_true(prs(e) & VTD_PRS_PPR);
	assert_int_equal(req(e, 5, 0x903000, 0x45, true), 0);
	assert_int_equal(pqt(e), 32);
	assert_int_equal(e->nresp, 1);
	prq_stop(e);
}

/* While PRO stays set the unit keeps dropping page requests, even with
 * room in the queue: software clears PRO only once it has caught up. */
static void test_prq_overflow_sticky(void **s)
{
	(void)s;
	struct prq_env *e = prq_start(VTD_SM_CTX_PRE, 1024);
	struct th *t = &e->t;
	fill_queue(e);
	assert_int_equal(req(e, 5, 0x900000, 200, false), -EIO);
	assert_true(prs(e) & VTD_PRS_PRO);

	th_wr(t, VTD_REG_PQH, pqt(e));
	assert_int_equal(req(e, 5, 0x901000, 201, false), -EIO);
	assert_int_equal(req(e, 5, 0x902000, 202, true), 0);
	expect_resp(e, 0, 5, true, 202, VTD_PRG_RESP_SUCCESS);
	assert_int_equal(pqt(e), (PRQ_SLOTS - 1) * 32);
	assert_int_equal(slot(e, PRQ_SLOTS - 1)[0], 0);

	th_wr32(t, VTD_REG_PRS, VTD_PRS_PRO);
	assert_int_equal(req(e, 5, 0x903000, 203, true), 0);
	assert_int_equal(pqt(e), 0);
	assert_int_equal(e->nresp, 1);
	prq_stop(e);
}

/* Reserved bits in a page-group response stop the invalidation queue on
 * it (IQE); nothing reaches the function until software repairs it. */
static void test_prq_response_reserved(void **s)
{
	(void)s;
	static const struct {
		uint64_t q0, q1;
	} bad[] = {
		{ 1ull << 6, 0 },  { 1ull << 8, 0 },  { 1ull << 52, 0 }, { 1ull << 63, 0 },
		{ 0, 1ull << 0 },  { 0, 1ull << 1 },  { 0, 1ull << 12 }, { 0, 1ull << 63 },
	};
	struct prq_env *e = prq_start(VTD_SM_CTX_PRE, 32);
	struct th *t = &e->t;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(req(e, 5, 0x1000, i, true), 0);
		unsigned at = t->iq_tail;
		respond_raw(e, bad[i].q0, bad[i].q1, 5, true, i, VTD_PRG_RESP_SUCCESS);
		int fault_irqs = t->irqs[VTD_IRQ_FAULT];
		if (th_qi_sync(t) != -EIO)
			fail_msg("reserved bits %#llx/%#llx accepted",
				 (unsigned long long)bad[i].q0, (unsigned long long)bad[i].q1);
		assert_int_equal(VTD_IQER_IQEI(th_rd(t, VTD_REG_IQER)), VTD_IQEI_RSVD);
		assert_int_equal(th_rd(t, VTD_REG_IQH), at);
		assert_int_equal(e->nresp, i);
		assert_int_not_equal(atomic_load(t->status), t->status_seq);
		assert_int_equal(t->irqs[VTD_IRQ_FAULT], fault_irqs + 1);

		/* Repair the descriptor and clear IQE: the queue resumes with
		 * it, then the wait behind it. */
		t->iq[at / 8 + 0] &= ~bad[i].q0;
		t->iq[at / 8 + 1] &= ~bad[i].q1;
		th_wr32(t, VTD_REG_FSTS, VTD_FSTS_IQE);
		assert_false(th_rd(t, VTD_REG_FSTS) & VTD_FSTS_IQE);
		assert_int_equal(th_rd(t, VTD_REG_IQH), t->iq_tail);
		assert_int_equal(atomic_load(t->status), t->status_seq);
		assert_int_equal(e->nresp, i + 1);
		expect_resp(e, i, 5, true, i, VTD_PRG_RESP_SUCCESS);
	}
	prq_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_prq_descriptors, teardown),
		cmocka_unit_test_teardown(test_prq_group_response, teardown),
		cmocka_unit_test_teardown(test_prq_refusals, teardown),
		cmocka_unit_test_teardown(test_prq_needs_pre, teardown),
		cmocka_unit_test_teardown(test_prq_overflow, teardown),
		cmocka_unit_test_teardown(test_prq_overflow_sticky, teardown),
		cmocka_unit_test_teardown(test_prq_response_reserved, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
