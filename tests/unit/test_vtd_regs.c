/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The register file (SPEC H-1) and the invalidation queue's register side
 * (SPEC H-6): what CAP/ECAP advertise, GCMD/GSTS side effects (TE, SRTP,
 * QIE), 32- and 64-bit access forms, invalidation queue errors and
 * recovery, the wait descriptor and its completion interrupt, and the
 * queue wrapping around.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define IOVA 0x10000ull

#define TOPO_DEVICES                                                                          \
	"\"devices\":["                                                                       \
	"{\"bdf\":\"00:00.0\",\"type\":\"host_bridge\"},"                                     \
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\"}]"
#define TOPO(unit) "{\"units\":[{\"name\":\"dmar0\"" unit "}]," TOPO_DEVICES "}"

static int fx_setup(void **state)
{
	struct th *t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	th_init(t, NULL);
	*state = t;
	return 0;
}

static int fx_teardown(void **state)
{
	struct th *t = *state;
	th_fini(t);
	free(t);
	return 0;
}

static struct th *reinit(void **state, const char *json)
{
	struct th *t = *state;
	th_fini(t);
	th_init(t, json);
	return t;
}

static uint32_t rd32(struct th *t, unsigned off)
{
	uint64_t v = ~0ull;
	assert_int_equal(vtd_mmio_read(t->u, off, 4, &v), 0);
	assert_int_equal(v >> 32, 0);
	return (uint32_t)v;
}

static uint64_t rd64(struct th *t, unsigned off)
{
	uint64_t v = 0;
	assert_int_equal(vtd_mmio_read(t->u, off, 8, &v), 0);
	return v;
}

/* GCMD takes the persistent enables with every write. */
static void gcmd(struct th *t, uint32_t v)
{
	th_wr32(t, VTD_REG_GCMD, v);
}

/* ---- capabilities ---- */

static void test_cap_ecap(void **state)
{
	struct th *t = *state;
	uint64_t cap = rd64(t, VTD_REG_CAP), ecap = rd64(t, VTD_REG_ECAP);

	assert_true(rd32(t, VTD_REG_VER) != 0);
	assert_true(ecap & VTD_ECAP_SMTS);
	assert_true(ecap & VTD_ECAP_PASID);
	assert_int_equal(VTD_ECAP_PSS(ecap), 19); /* 20-bit PASIDs */
	assert_true(ecap & VTD_ECAP_FLTS);
	assert_true(ecap & VTD_ECAP_SLTS);
	assert_true(ecap & VTD_ECAP_NEST);
	assert_true(ecap & VTD_ECAP_PRS);
	assert_true(ecap & VTD_ECAP_DT);
	assert_true(ecap & VTD_ECAP_QI);
	assert_true(ecap & VTD_ECAP_PT);
	assert_true(ecap & VTD_ECAP_SC);
	assert_true(ecap & VTD_ECAP_SRS);
	assert_true(ecap & VTD_ECAP_PDS);
	assert_true(ecap & VTD_ECAP_SLADS);
	assert_false(ecap & VTD_ECAP_IR); /* H-11: no interrupt remapping */
	/* The IOTLB registers must fit in the page. */
	assert_true(VTD_ECAP_IRO(ecap) + 16 <= VTD_MMIO_SIZE);

	assert_int_equal(VTD_CAP_ND(cap), 6); /* 16-bit domain IDs */
	assert_int_equal(VTD_CAP_SAGAW(cap), 0xe); /* 3, 4 and 5 levels */
	assert_int_equal(VTD_CAP_MGAW(cap), 57);
	assert_int_equal(VTD_CAP_NFR(cap), 8);
	assert_int_equal(VTD_CAP_FRO(cap), VTD_REG_FRCD0);
	assert_int_equal(VTD_CAP_SLLPS(cap), 3);
	assert_true(cap & VTD_CAP_PSI);
	assert_true(VTD_CAP_MAMV(cap) >= 9);
	assert_true(cap & VTD_CAP_FL1GP);
	assert_true(cap & VTD_CAP_FL5LP);
	assert_false(cap & VTD_CAP_CM);
	assert_false(cap & VTD_CAP_RWBF);
	/* The fault records sit inside the register page. */
	assert_true(VTD_CAP_FRO(cap) + 16 * VTD_CAP_NFR(cap) <= VTD_MMIO_SIZE);

	/* Read-only: writes change nothing. */
	th_wr(t, VTD_REG_CAP, 0);
	th_wr(t, VTD_REG_ECAP, ~0ull);
	th_wr32(t, VTD_REG_VER, 0);
	assert_int_equal(rd64(t, VTD_REG_CAP), cap);
	assert_int_equal(rd64(t, VTD_REG_ECAP), ecap);
}

/* The capabilities follow the unit's configuration. */
static void test_cap_ecap_config(void **state)
{
	struct th *t = reinit(state, TOPO(",\"nfr\":4,\"pasid_bits\":8,\"prs\":false,\"ats\":false,"
					  "\"nested\":false,\"pass_through\":false,\"levels\":[4],"
					  "\"mgaw\":48,\"large_pages\":false,"
					  "\"dirty_tracking\":false,\"caching_mode\":true"));
	uint64_t cap = rd64(t, VTD_REG_CAP), ecap = rd64(t, VTD_REG_ECAP);
	assert_int_equal(VTD_CAP_NFR(cap), 4);
	assert_int_equal(VTD_ECAP_PSS(ecap), 7);
	assert_false(ecap & (VTD_ECAP_PRS | VTD_ECAP_PDS | VTD_ECAP_DT | VTD_ECAP_NEST |
			     VTD_ECAP_PT | VTD_ECAP_SLADS));
	assert_true(ecap & (VTD_ECAP_SMTS | VTD_ECAP_FLTS | VTD_ECAP_SLTS));
	assert_int_equal(VTD_CAP_SAGAW(cap), 0x4);
	assert_int_equal(VTD_CAP_MGAW(cap), 48);
	assert_int_equal(VTD_CAP_SLLPS(cap), 0);
	assert_false(cap & VTD_CAP_FL1GP);
	assert_true(cap & VTD_CAP_CM);
}

/* ---- access forms ---- */

static void test_access_forms(void **state)
{
	struct th *t = *state;
	/* A 64-bit register reads the same as its two dwords. */
	static const unsigned regs64[] = { VTD_REG_CAP,  VTD_REG_ECAP, VTD_REG_RTADDR,
					   VTD_REG_IQH,  VTD_REG_IQT,  VTD_REG_IQA,
					   VTD_REG_IQER, VTD_REG_PQA,  VTD_REG_FRCD0 };
	for (unsigned i = 0; i < ARRAY_SIZE(regs64); i++) {
		unsigned off = regs64[i];
		assert_int_equal(rd64(t, off), rd32(t, off) | (uint64_t)rd32(t, off + 4) << 32);
	}
	assert_true(rd64(t, VTD_REG_CAP) >> 32);
	assert_true(rd64(t, VTD_REG_ECAP) >> 32);

	/* ... and writes the same either way. RTADDR bits 9:0 are reserved. */
	uint64_t rta = rd64(t, VTD_REG_RTADDR);
	th_wr(t, VTD_REG_RTADDR, 0x123456789fffull);
	assert_int_equal(rd32(t, VTD_REG_RTADDR), 0x56789c00);
	assert_int_equal(rd32(t, VTD_REG_RTADDR + 4), 0x1234);
	th_wr32(t, VTD_REG_RTADDR, 0xabcde400);
	th_wr32(t, VTD_REG_RTADDR + 4, 0x77);
	assert_int_equal(rd64(t, VTD_REG_RTADDR), 0x77abcde400ull);
	th_wr(t, VTD_REG_RTADDR, rta);
	assert_int_equal(rd64(t, VTD_REG_RTADDR), rta);

	uint64_t iqa = rd64(t, VTD_REG_IQA);
	assert_int_equal(iqa, hw_pa(t->iq) | VTD_IQA_DW);
	assert_int_equal(rd32(t, VTD_REG_IQA + 4), (uint32_t)(hw_pa(t->iq) >> 32));

	/* Adjacent 32-bit registers through one 64-bit access. */
	assert_int_equal(rd64(t, VTD_REG_GCMD) >> 32, rd32(t, VTD_REG_GSTS));
	assert_int_equal(rd64(t, VTD_REG_FECTL) & 0xffffffff, rd32(t, VTD_REG_FECTL));

	/* Reserved space reads as zero and ignores writes. */
	th_wr(t, 0x100, ~0ull);
	assert_int_equal(rd64(t, 0x100), 0);
	assert_int_equal(rd32(t, 0xffc), 0);
	assert_int_equal(rd64(t, 0xff8), 0);
}

static void test_access_invalid(void **state)
{
	struct th *t = *state;
	static const struct {
		unsigned off, size;
	} bad[] = {
		{ 0x008, 0 },  { 0x008, 1 },  { 0x008, 2 },  { 0x008, 3 },   { 0x008, 5 },
		{ 0x008, 16 }, { 0x009, 4 },  { 0x00a, 4 },  { 0x00b, 4 },   { 0x004, 8 },
		{ 0x00c, 8 },  { 0x01c, 8 },  { 0x089, 4 },  { 0x1000, 4 },  { 0x1000, 8 },
		{ 0xffc, 8 },  { 0x1ff8, 8 }, { 0x2000, 4 }, { 0x10000, 4 },
	};
	uint64_t gsts = rd32(t, VTD_REG_GSTS), iqt = rd64(t, VTD_REG_IQT);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t v = 0;
		if (vtd_mmio_read(t->u, bad[i].off, bad[i].size, &v) != -EINVAL)
			fail_msg("read of %u bytes at %#x accepted", bad[i].size, bad[i].off);
		if (vtd_mmio_write(t->u, bad[i].off, bad[i].size, 0) != -EINVAL)
			fail_msg("write of %u bytes at %#x accepted", bad[i].size, bad[i].off);
	}
	/* Misaligned writes over GCMD and IQT had no side effect. */
	assert_int_equal(vtd_mmio_write(t->u, VTD_REG_GCMD + 1, 4, 0), -EINVAL);
	assert_int_equal(vtd_mmio_write(t->u, VTD_REG_IQT + 4, 8, 0x40), -EINVAL);
	assert_int_equal(rd32(t, VTD_REG_GSTS), gsts);
	assert_int_equal(rd64(t, VTD_REG_IQT), iqt);
	/* The last dword and qword of the page are fine. */
	uint64_t v;
	assert_int_equal(vtd_mmio_read(t->u, 0xffc, 4, &v), 0);
	assert_int_equal(vtd_mmio_read(t->u, 0xff8, 8, &v), 0);
}

/* An offset so large that offset + size wraps around is still outside
 * the register page. */
static void test_access_offset_wrap(void **state)
{
	struct th *t = *state;
	uint64_t v = 0;
	assert_int_equal(vtd_mmio_read(t->u, 0xfffffffcu, 4, &v), -EINVAL);
	assert_int_equal(vtd_mmio_read(t->u, 0xfffffff8u, 8, &v), -EINVAL);
	assert_int_equal(vtd_mmio_write(t->u, 0xfffffffcu, 4, 0), -EINVAL);
	assert_int_equal(vtd_mmio_write(t->u, 0xfffffff8u, 8, 0), -EINVAL);
}

/* ---- GCMD / GSTS ---- */

static void test_gcmd_gsts(void **state)
{
	struct th *t = *state;
	const uint32_t on = VTD_GSTS_TES | VTD_GSTS_RTPS | VTD_GSTS_QIES;
	assert_int_equal(rd32(t, VTD_REG_GSTS), on);
	assert_int_equal(rd32(t, VTD_REG_GCMD), 0); /* write-only */

	gcmd(t, VTD_GCMD_QIE);
	assert_int_equal(rd32(t, VTD_REG_GSTS), on & ~VTD_GSTS_TES);
	assert_int_equal(rd32(t, VTD_REG_GCMD), 0);
	gcmd(t, VTD_GCMD_QIE | VTD_GCMD_TE);
	assert_int_equal(rd32(t, VTD_REG_GSTS), on);
	/* Enables act on change: repeating one is harmless. */
	gcmd(t, VTD_GCMD_QIE | VTD_GCMD_TE);
	assert_int_equal(rd32(t, VTD_REG_GSTS), on);

	/* Interrupt remapping, write-buffer flush, CFI: not implemented
	 * (ECAP.IR = 0, CAP.RWBF = 0), nothing changes. */
	gcmd(t, VTD_GCMD_QIE | VTD_GCMD_TE | VTD_GCMD_IRE | VTD_GCMD_SIRTP | VTD_GCMD_WBF |
			VTD_GCMD_CFI);
	assert_int_equal(rd32(t, VTD_REG_GSTS), on);
	assert_int_equal(th_qi_sync(t), 0);
}

/* TE=0: DMA goes to the address the device gave, untranslated. */
static void test_te_off_untranslated(void **state)
{
	struct th *t = *state;
	th_dev_enable(t, SID_DMATEST0, false);
	uint8_t *buf = th_buf(t);
	uint8_t v = 0x3c;
	assert_int_equal(th_write8(t, SID_DMATEST0, PCI_NO_PASID, hw_pa(buf) + 5, v), -EFAULT);
	th_expect_fault(t, VTD_FR_SM_ROOT_P, hw_pa(buf) + 5);
	assert_int_equal(buf[5], 0);

	gcmd(t, VTD_GCMD_QIE);
	assert_false(rd32(t, VTD_REG_GSTS) & VTD_GSTS_TES);
	assert_int_equal(th_write8(t, SID_DMATEST0, PCI_NO_PASID, hw_pa(buf) + 5, v), 0);
	assert_int_equal(buf[5], 0x3c);
	buf[6] = 0x99;
	assert_int_equal(th_read8(t, SID_DMATEST0, PCI_NO_PASID, hw_pa(buf) + 6, &v), 0);
	assert_int_equal(v, 0x99);
	th_expect_no_fault(t);

	gcmd(t, VTD_GCMD_QIE | VTD_GCMD_TE);
	assert_int_equal(th_read8(t, SID_DMATEST0, PCI_NO_PASID, hw_pa(buf) + 6, &v), -EFAULT);
	th_expect_fault(t, VTD_FR_SM_ROOT_P, hw_pa(buf) + 6);
}

/* RTADDR takes effect only through SRTP. */
static void test_srtp_latch(void **state)
{
	struct th *t = *state;
	th_dev_enable(t, SID_DMATEST0, false);
	th_context_setup(t, SID_DMATEST0, 0);
	struct th_pt pt;
	th_pt_init(t, &pt, 4, false);
	uint8_t *buf = th_buf(t);
	th_map(t, &pt, IOVA, hw_pa(buf), 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(t, SID_DMATEST0, 0, 1, &pt, 0);
	assert_int_equal(th_write8(t, SID_DMATEST0, PCI_NO_PASID, IOVA, 1), 0);
	assert_int_equal(buf[0], 1);

	uint64_t *other = th_page(t); /* an empty root table */
	uint64_t a = hw_pa(t->root) | VTD_RTADDR_TTM_SCALABLE;
	uint64_t b = hw_pa(other) | VTD_RTADDR_TTM_SCALABLE;
	th_wr(t, VTD_REG_RTADDR, b);
	assert_int_equal(rd64(t, VTD_REG_RTADDR), b);
	/* Even with every cache emptied the unit still walks the old table. */
	th_inv_global(t);
	assert_int_equal(th_write8(t, SID_DMATEST0, PCI_NO_PASID, IOVA, 2), 0);
	assert_int_equal(buf[0], 2);

	gcmd(t, VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_SRTP);
	assert_true(rd32(t, VTD_REG_GSTS) & VTD_GSTS_RTPS);
	assert_int_equal(rd32(t, VTD_REG_GCMD), 0);
	th_inv_global(t);
	assert_int_equal(th_write8(t, SID_DMATEST0, PCI_NO_PASID, IOVA, 3), -EFAULT);
	th_expect_fault(t, VTD_FR_SM_ROOT_P, IOVA);
	assert_int_equal(buf[0], 2);

	th_wr(t, VTD_REG_RTADDR, a);
	gcmd(t, VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_SRTP);
	th_inv_global(t);
	assert_int_equal(th_write8(t, SID_DMATEST0, PCI_NO_PASID, IOVA, 4), 0);
	assert_int_equal(buf[0], 4);
}

/* ---- invalidation queue ---- */

static uint32_t status(struct th *t)
{
	return atomic_load(t->status);
}

/* A wait descriptor writing `data` to the harness status word. */
static void wait_sw(struct th *t, uint32_t data)
{
	th_qi_add(t, vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW | ((uint64_t)data << 32),
		  hw_pa((void *)t->status), 0, 0);
}

static void qi_disable(struct th *t)
{
	gcmd(t, VTD_GCMD_TE);
	assert_false(rd32(t, VTD_REG_GSTS) & VTD_GSTS_QIES);
}

static void qi_enable(struct th *t, uint64_t iqa)
{
	th_wr(t, VTD_REG_IQT, 0);
	th_wr(t, VTD_REG_IQA, iqa);
	gcmd(t, VTD_GCMD_TE | VTD_GCMD_QIE);
	assert_true(rd32(t, VTD_REG_GSTS) & VTD_GSTS_QIES);
	t->iq_tail = 0;
}

static void test_qie_enable_disable(void **state)
{
	struct th *t = *state;
	assert_int_equal(th_qi_sync(t), 0);
	assert_true(rd64(t, VTD_REG_IQH) != 0);

	/* With the queue empty, disabling is honoured and resets IQH. */
	qi_disable(t);
	assert_int_equal(rd64(t, VTD_REG_IQH), 0);
	/* A disabled queue fetches nothing. */
	atomic_store(t->status, 0);
	t->iq_tail = 0;
	wait_sw(t, 0x5151);
	th_wr(t, VTD_REG_IQT, t->iq_tail);
	assert_int_equal(status(t), 0);
	assert_int_equal(rd64(t, VTD_REG_IQH), 0);

	/* Enabling starts at IQH 0. */
	qi_enable(t, hw_pa(t->iq) | VTD_IQA_DW);
	assert_int_equal(rd64(t, VTD_REG_IQH), 0);
	assert_int_equal(status(t), 0);
	assert_int_equal(th_qi_sync(t), 0);
	assert_int_equal(rd64(t, VTD_REG_IQH), 32);

	/* Not empty (stopped on an error): disabling is refused. */
	th_qi_add(t, vtd_inv_qw0(0xf), 0, 0, 0);
	uint64_t bad = rd64(t, VTD_REG_IQH);
	assert_int_equal(th_qi_sync(t), -EIO);
	gcmd(t, VTD_GCMD_TE);
	assert_true(rd32(t, VTD_REG_GSTS) & VTD_GSTS_QIES);
	assert_int_equal(rd64(t, VTD_REG_IQH), bad);
	t->iq[bad / 8] = vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4);
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_IQE);
	assert_int_equal(rd64(t, VTD_REG_IQH), t->iq_tail);
	assert_int_equal(status(t), t->status_seq);
	qi_disable(t);
	assert_int_equal(rd64(t, VTD_REG_IQH), 0);
}

/*
 * Queue `bad` followed by a wait: the unit must stop on `bad` with IQE and
 * `iqei`, leave IQH on it, process nothing after it (even when the tail
 * moves on) and raise one fault event; then, like the Linux recovery,
 * overwrite the descriptor, clear IQE and expect the rest to run.
 */
#define qi_bad(t, q0, q1, q2, q3, iqei) qi_bad_at(t, q0, q1, q2, q3, iqei, __LINE__)
static void qi_bad_at(struct th *t, uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3,
		      unsigned iqei, int line)
{
	int irq0 = t->irqs[VTD_IRQ_FAULT];
	uint64_t head = rd64(t, VTD_REG_IQH);
	if (head != t->iq_tail)
		fail_msg("line %d: queue not idle", line);
	atomic_store(t->status, 0);
	th_qi_add(t, q0, q1, q2, q3);
	wait_sw(t, 0x1111);
	th_wr(t, VTD_REG_IQT, t->iq_tail);
	uint32_t fsts = rd32(t, VTD_REG_FSTS);
	if (!(fsts & VTD_FSTS_IQE))
		fail_msg("line %d: descriptor %#llx %#llx accepted", line, (unsigned long long)q0,
			 (unsigned long long)q1);
	if (VTD_IQER_IQEI(rd64(t, VTD_REG_IQER)) != iqei)
		fail_msg("line %d: IQEI %u, want %u", line, VTD_IQER_IQEI(rd64(t, VTD_REG_IQER)),
			 iqei);
	if (rd64(t, VTD_REG_IQH) != head || status(t) != 0)
		fail_msg("line %d: IQH %#llx (want %#llx), status %#x", line,
			 (unsigned long long)rd64(t, VTD_REG_IQH), (unsigned long long)head,
			 status(t));
	if (t->irqs[VTD_IRQ_FAULT] != irq0 + 1)
		fail_msg("line %d: %d fault events, want 1", line, t->irqs[VTD_IRQ_FAULT] - irq0);

	/* A new tail is latched, not acted on. */
	wait_sw(t, 0x2222);
	th_wr(t, VTD_REG_IQT, t->iq_tail);
	assert_int_equal(rd64(t, VTD_REG_IQT), t->iq_tail);
	if (rd64(t, VTD_REG_IQH) != head || status(t) != 0)
		fail_msg("line %d: fetching went on while IQE was set", line);

	uint64_t *d = &t->iq[head / 8];
	d[0] = vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4);
	d[1] = d[2] = d[3] = 0;
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_IQE);
	if ((rd32(t, VTD_REG_FSTS) & VTD_FSTS_IQE) || rd64(t, VTD_REG_IQH) != t->iq_tail ||
	    status(t) != 0x2222)
		fail_msg("line %d: no recovery: FSTS %#x IQH %#llx status %#x", line,
			 rd32(t, VTD_REG_FSTS), (unsigned long long)rd64(t, VTD_REG_IQH), status(t));
	if (t->irqs[VTD_IRQ_FAULT] != irq0 + 1)
		fail_msg("line %d: extra fault events", line);
}

static void test_iq_bad_type(void **state)
{
	struct th *t = *state;
	qi_bad(t, 0, 0, 0, 0, VTD_IQEI_TYPE);
	qi_bad(t, vtd_inv_qw0(0xa), 0, 0, 0, VTD_IQEI_TYPE);
	qi_bad(t, vtd_inv_qw0(0xf), 0, 0, 0, VTD_IQEI_TYPE);
	qi_bad(t, vtd_inv_qw0(0x10) | VTD_INV_CC, 0, 0, 0, VTD_IQEI_TYPE); /* type 0x11 */
	qi_bad(t, vtd_inv_qw0(0x70), 0, 0, 0, VTD_IQEI_TYPE);
	assert_int_equal(th_qi_sync(t), 0);
}

static void test_iq_reserved(void **state)
{
	struct th *t = *state;
	const uint64_t st = hw_pa((void *)t->status);
	const uint64_t wait = vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW;
	const uint64_t cc = vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4);
	const uint64_t iotlb = vtd_inv_qw0(VTD_INV_IOTLB);
	const uint64_t psi = iotlb | ((uint64_t)VTD_INV_IOTLB_PSI << 4);

	qi_bad(t, wait | (1ull << 8), st, 0, 0, VTD_IQEI_RSVD);
	qi_bad(t, wait | (1ull << 20), st, 0, 0, VTD_IQEI_RSVD);
	qi_bad(t, wait, st | 2, 0, 0, VTD_IQEI_RSVD); /* status address not dword aligned */
	qi_bad(t, cc, 1, 0, 0, VTD_IQEI_RSVD);
	qi_bad(t, cc, 0, 1, 0, VTD_IQEI_RSVD);        /* 256-bit form: qwords 2-3 zero */
	qi_bad(t, cc, 0, 0, 1ull << 63, VTD_IQEI_RSVD);
	qi_bad(t, vtd_inv_qw0(VTD_INV_CC), 0, 0, 0, VTD_IQEI_RSVD); /* G=0 */
	qi_bad(t, iotlb, 0, 0, 0, VTD_IQEI_RSVD);     /* G=0 */
	qi_bad(t, iotlb | (1ull << 4) | (1ull << 40), 0, 0, 0, VTD_IQEI_RSVD);
	qi_bad(t, psi, 0x1000 | 1, 0, 0, VTD_IQEI_RSVD); /* address not aligned to 2^AM */
	qi_bad(t, psi, VTD_CAP_MAMV(t->u->cap) + 1, 0, 0, VTD_IQEI_RSVD); /* AM > MAMV */
	qi_bad(t, vtd_inv_qw0(VTD_INV_PC) | (2ull << 4), 0, 0, 0, VTD_IQEI_RSVD);
	qi_bad(t, vtd_inv_qw0(VTD_INV_PIOTLB), 0, 0, 0, VTD_IQEI_RSVD); /* G=0 */
	qi_bad(t, vtd_inv_qw0(VTD_INV_PIOTLB) | (2ull << 4) | (1ull << 60), 0, 0, 0, VTD_IQEI_RSVD);
	/* The same descriptors without the reserved bits are fine. */
	th_qi_add(t, psi | (1ull << 16), 0x2000 | 1, 0, 0);
	th_qi_add(t, cc, 0, 0, 0);
	th_qi_add(t, vtd_inv_qw0(VTD_INV_PC) | (3ull << 4), 0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
}

/* A descriptor that exists only in the 256-bit format, in a queue of
 * 128-bit descriptors (IQA.DW = 0). */
static void test_iq_width(void **state)
{
	struct th *t = *state;
	qi_disable(t);
	qi_enable(t, hw_pa(t->iq)); /* DW = 0, QS = 0: 256 slots of 16 bytes */
	uint64_t st = hw_pa((void *)t->status);
	const uint64_t cc = vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4);
	static const unsigned wide[] = { VTD_INV_PIOTLB, VTD_INV_PC, VTD_INV_PDEVTLB,
					 VTD_INV_PGRP_RESP };
	unsigned tail = 0;
	uint32_t seq = 0x100;

	for (unsigned i = 0; i < ARRAY_SIZE(wide); i++) {
		/* A legal 128-bit pair first. */
		t->iq[tail / 8] = cc;
		t->iq[tail / 8 + 1] = 0;
		tail += 16;
		t->iq[tail / 8] = vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW | ((uint64_t)++seq << 32);
		t->iq[tail / 8 + 1] = st;
		tail += 16;
		th_wr(t, VTD_REG_IQT, tail);
		assert_false(rd32(t, VTD_REG_FSTS) & VTD_FSTS_IQE);
		assert_int_equal(rd64(t, VTD_REG_IQH), tail);
		assert_int_equal(status(t), seq);

		unsigned bad = tail;
		t->iq[tail / 8] = vtd_inv_qw0(wide[i]) | (3ull << 4);
		t->iq[tail / 8 + 1] = 0;
		tail += 16;
		t->iq[tail / 8] = vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW | ((uint64_t)++seq << 32);
		t->iq[tail / 8 + 1] = st;
		tail += 16;
		int irq0 = t->irqs[VTD_IRQ_FAULT];
		th_wr(t, VTD_REG_IQT, tail);
		assert_true(rd32(t, VTD_REG_FSTS) & VTD_FSTS_IQE);
		assert_int_equal(VTD_IQER_IQEI(rd64(t, VTD_REG_IQER)), VTD_IQEI_WIDTH);
		assert_int_equal(rd64(t, VTD_REG_IQH), bad);
		assert_int_equal(status(t), seq - 1);
		assert_int_equal(t->irqs[VTD_IRQ_FAULT], irq0 + 1);
		t->iq[bad / 8] = cc;
		th_wr32(t, VTD_REG_FSTS, VTD_FSTS_IQE);
		assert_int_equal(rd64(t, VTD_REG_IQH), tail);
		assert_int_equal(status(t), seq);
	}
}

static void test_iq_tail(void **state)
{
	struct th *t = *state;
	uint64_t head = rd64(t, VTD_REG_IQH);
	int irq0 = t->irqs[VTD_IRQ_FAULT];
	atomic_store(t->status, 0);
	wait_sw(t, 0x7777);
	/* QS=0: one page; a tail at or past its end is invalid. */
	th_wr(t, VTD_REG_IQT, VTD_PAGE_SIZE);
	assert_true(rd32(t, VTD_REG_FSTS) & VTD_FSTS_IQE);
	assert_int_equal(VTD_IQER_IQEI(rd64(t, VTD_REG_IQER)), VTD_IQEI_TAIL);
	assert_int_equal(rd64(t, VTD_REG_IQH), head);
	assert_int_equal(status(t), 0);
	assert_int_equal(t->irqs[VTD_IRQ_FAULT], irq0 + 1);
	th_wr(t, VTD_REG_IQT, t->iq_tail);
	assert_int_equal(status(t), 0);
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_IQE);
	assert_false(rd32(t, VTD_REG_FSTS) & VTD_FSTS_IQE);
	assert_int_equal(rd64(t, VTD_REG_IQH), t->iq_tail);
	assert_int_equal(status(t), 0x7777);

	/* With 256-bit descriptors the tail must be 32-byte aligned. */
	head = t->iq_tail;
	wait_sw(t, 0x8888);
	th_wr(t, VTD_REG_IQT, t->iq_tail + 16);
	assert_true(rd32(t, VTD_REG_FSTS) & VTD_FSTS_IQE);
	assert_int_equal(VTD_IQER_IQEI(rd64(t, VTD_REG_IQER)), VTD_IQEI_TAIL_ALIGN);
	assert_int_equal(rd64(t, VTD_REG_IQH), head);
	assert_int_equal(status(t), 0x7777);
	assert_int_equal(t->irqs[VTD_IRQ_FAULT], irq0 + 2);
	th_wr(t, VTD_REG_IQT, t->iq_tail);
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_IQE);
	assert_int_equal(rd64(t, VTD_REG_IQH), t->iq_tail);
	assert_int_equal(status(t), 0x8888);
	assert_int_equal(th_qi_sync(t), 0);
}

/* A queue where there is no memory. */
static void test_iq_fetch(void **state)
{
	struct th *t = *state;
	qi_disable(t);
	qi_enable(t, 0x1000 | VTD_IQA_DW);
	th_wr(t, VTD_REG_IQT, 32);
	assert_true(rd32(t, VTD_REG_FSTS) & VTD_FSTS_IQE);
	assert_int_equal(VTD_IQER_IQEI(rd64(t, VTD_REG_IQER)), VTD_IQEI_FETCH);
	assert_int_equal(rd64(t, VTD_REG_IQH), 0);
	/* Software gives up on it: empty the queue, clear IQE, move it. */
	th_wr(t, VTD_REG_IQT, 0);
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_IQE);
	assert_false(rd32(t, VTD_REG_FSTS) & VTD_FSTS_IQE);
	qi_disable(t);
	qi_enable(t, hw_pa(t->iq) | VTD_IQA_DW);
	assert_int_equal(th_qi_sync(t), 0);
}

/* IQE shares the fault event with the fault records (7.3). */
static void test_iq_error_event(void **state)
{
	struct th *t = *state;
	th_dev_enable(t, SID_DMATEST0, false);
	int *irqs = &t->irqs[VTD_IRQ_FAULT];
	uint8_t v;
	assert_int_equal(th_read8(t, SID_DMATEST0, PCI_NO_PASID, IOVA, &v), -EFAULT);
	assert_int_equal(*irqs, 1);

	/* PPF already pending: the queue error raises no second event. */
	th_qi_add(t, 0, 0, 0, 0);
	uint64_t bad = rd64(t, VTD_REG_IQH);
	assert_int_equal(th_qi_sync(t), -EIO);
	assert_int_equal(*irqs, 1);
	/* IQE pending: a new fault raises none either. */
	th_expect_fault(t, VTD_FR_SM_ROOT_P, IOVA);
	assert_int_equal(th_read8(t, SID_DMATEST0, PCI_NO_PASID, IOVA, &v), -EFAULT);
	assert_int_equal(*irqs, 1);
	th_expect_fault(t, VTD_FR_SM_ROOT_P, IOVA);

	/* Masked: held until unmasked. */
	t->iq[bad / 8] = vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4);
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_IQE);
	assert_int_equal(rd32(t, VTD_REG_FSTS) & (VTD_FSTS_IQE | VTD_FSTS_PPF), 0);
	th_wr32(t, VTD_REG_FECTL, VTD_XECTL_IM);
	th_qi_add(t, 0, 0, 0, 0);
	bad = rd64(t, VTD_REG_IQH);
	assert_int_equal(th_qi_sync(t), -EIO);
	assert_int_equal(*irqs, 1);
	assert_int_equal(rd32(t, VTD_REG_FECTL), VTD_XECTL_IM | VTD_XECTL_IP);
	th_wr32(t, VTD_REG_FECTL, 0);
	assert_int_equal(*irqs, 2);
	assert_int_equal(rd32(t, VTD_REG_FECTL), 0);
	t->iq[bad / 8] = vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4);
	th_wr32(t, VTD_REG_FSTS, VTD_FSTS_IQE);
	assert_int_equal(status(t), t->status_seq);
}

/* ---- wait descriptor ---- */

static void test_wait_descriptor(void **state)
{
	struct th *t = *state;
	int *irqs = &t->irqs[VTD_IRQ_INV_COMPLETE];
	uint32_t *buf = th_buf(t);
	const uint64_t wait = vtd_inv_qw0(VTD_INV_WAIT);
	struct vtd_stats s0, s1;
	vtd_stats_get(t->u, &s0);

	/* SW: the 32-bit status lands at a dword-aligned address, nowhere else. */
	th_qi_add(t, wait | VTD_INV_WAIT_SW | (0xdeadbeefull << 32), hw_pa(buf) + 4, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
	assert_int_equal(buf[1], 0xdeadbeef);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[2], 0);
	vtd_stats_get(t->u, &s1);
	assert_int_equal(s1.inv_waits - s0.inv_waits, 2);

	/* IF: ICS.IWC and one completion event... */
	assert_int_equal(rd32(t, VTD_REG_ICS), 0);
	assert_int_equal(*irqs, 0);
	th_qi_add(t, wait | VTD_INV_WAIT_IF, 0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
	assert_int_equal(rd32(t, VTD_REG_ICS), VTD_ICS_IWC);
	assert_int_equal(*irqs, 1);
	/* ... none more while IWC is still set ... */
	th_qi_add(t, wait | VTD_INV_WAIT_IF, 0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
	assert_int_equal(*irqs, 1);
	/* ... and again once software has cleared it (write 1). */
	th_wr32(t, VTD_REG_ICS, 0);
	assert_int_equal(rd32(t, VTD_REG_ICS), VTD_ICS_IWC);
	th_wr32(t, VTD_REG_ICS, VTD_ICS_IWC);
	assert_int_equal(rd32(t, VTD_REG_ICS), 0);
	th_qi_add(t, wait | VTD_INV_WAIT_IF | VTD_INV_WAIT_SW | (0x1234ull << 32), hw_pa(buf), 0,
		  0);
	assert_int_equal(th_qi_sync(t), 0);
	assert_int_equal(*irqs, 2);
	assert_int_equal(buf[0], 0x1234);

	/* IECTL.IM holds the event as IP until unmasked. */
	th_wr32(t, VTD_REG_ICS, VTD_ICS_IWC);
	th_wr32(t, VTD_REG_IECTL, VTD_XECTL_IM);
	th_qi_add(t, wait | VTD_INV_WAIT_IF, 0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
	assert_int_equal(*irqs, 2);
	assert_int_equal(rd32(t, VTD_REG_IECTL), VTD_XECTL_IM | VTD_XECTL_IP);
	th_wr32(t, VTD_REG_IECTL, 0);
	assert_int_equal(*irqs, 3);
	assert_int_equal(rd32(t, VTD_REG_IECTL), 0);

	/* Held, but serviced (IWC cleared) before the unmask: dropped. */
	th_wr32(t, VTD_REG_ICS, VTD_ICS_IWC);
	th_wr32(t, VTD_REG_IECTL, VTD_XECTL_IM);
	th_qi_add(t, wait | VTD_INV_WAIT_IF, 0, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
	assert_true(rd32(t, VTD_REG_IECTL) & VTD_XECTL_IP);
	th_wr32(t, VTD_REG_ICS, VTD_ICS_IWC);
	assert_false(rd32(t, VTD_REG_IECTL) & VTD_XECTL_IP);
	th_wr32(t, VTD_REG_IECTL, 0);
	assert_int_equal(*irqs, 3);

	/* FN and PD (ECAP.PDS = 1) are accepted. */
	assert_true(t->u->ecap & VTD_ECAP_PDS);
	th_qi_add(t, wait | VTD_INV_WAIT_FN | VTD_INV_WAIT_PD | VTD_INV_WAIT_SW | (0x55ull << 32),
		  hw_pa(buf) + 8, 0, 0);
	assert_int_equal(th_qi_sync(t), 0);
	assert_int_equal(buf[2], 0x55);
	assert_false(rd32(t, VTD_REG_FSTS) & VTD_FSTS_IQE);
	assert_int_equal(*irqs, 3);
}

/* Without ECAP.PDS the PD bit is reserved. */
static void test_wait_pd_without_pds(void **state)
{
	struct th *t = reinit(state, TOPO(",\"prs\":false"));
	assert_false(t->u->ecap & VTD_ECAP_PDS);
	qi_bad(t, vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_PD | VTD_INV_WAIT_SW,
	       hw_pa((void *)t->status), 0, 0, VTD_IQEI_RSVD);
}

/* More descriptors than the queue holds, in batches: IQH follows IQT
 * around the ring and every descriptor is performed once, in order. */
static void test_queue_wrap(void **state)
{
	struct th *t = *state;
	uint32_t *out = th_buf(t);
	const unsigned slots = VTD_PAGE_SIZE / 32;
	static const unsigned batch[] = { 100, 126, 1, 126, 50, 126, 7 };
	unsigned total = 0;
	uint32_t val = 0;
	struct vtd_stats s0, s1;
	vtd_stats_get(t->u, &s0);
	uint64_t head = rd64(t, VTD_REG_IQH);

	for (unsigned b = 0; b < ARRAY_SIZE(batch); b++) {
		/* Each batch has its wait at the end: at most slots - 1 in flight. */
		assert_true(batch[b] + 1 < slots);
		for (unsigned i = 0; i < batch[b]; i++)
			th_qi_add(t, vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW |
					     ((uint64_t)++val << 32),
				  hw_pa(&out[i]), 0, 0);
		assert_int_equal(th_qi_sync(t), 0);
		total += batch[b] + 1;
		head = (head + 32ull * (batch[b] + 1)) % VTD_PAGE_SIZE;
		assert_int_equal(rd64(t, VTD_REG_IQH), head);
		assert_int_equal(rd64(t, VTD_REG_IQT), head);
		/* Performed in order: the last writer of each slot won. */
		for (unsigned i = 0; i < batch[b]; i++)
			assert_int_equal(out[i], val - batch[b] + 1 + i);
	}
	assert_true(total > 4 * slots);
	vtd_stats_get(t->u, &s1);
	assert_int_equal(s1.inv_desc - s0.inv_desc, total);
	assert_int_equal(s1.inv_waits - s0.inv_waits, total);
}

#define RT(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT(test_cap_ecap),
		RT(test_cap_ecap_config),
		RT(test_access_forms),
		RT(test_access_invalid),
		RT(test_access_offset_wrap),
		RT(test_gcmd_gsts),
		RT(test_te_off_untranslated),
		RT(test_srtp_latch),
		RT(test_qie_enable_disable),
		RT(test_iq_bad_type),
		RT(test_iq_reserved),
		RT(test_iq_width),
		RT(test_iq_tail),
		RT(test_iq_fetch),
		RT(test_iq_error_event),
		RT(test_wait_descriptor),
		RT(test_wait_pd_without_pds),
		RT(test_queue_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
