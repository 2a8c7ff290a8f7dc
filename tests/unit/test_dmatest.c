/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dmatest engine (SPEC D-7) driven through its BAR like a driver:
 * copies through a second-stage domain on its RID; a copy aimed outside
 * the domain is blocked, reported in the engine's status and recorded as
 * a DMA remapping fault.
 */
#include <string.h>

#include "harness.h"
#include <uiommu/hw/dmatest.h>

struct rig {
	struct th t;
	struct hw_pci_function *d;
	struct th_pt pt;
	uint8_t *src, *dst;
};

static uint64_t reg(struct rig *r, unsigned off)
{
	uint64_t v;
	assert_int_equal(hw_pci_bar_read(r->d, 0, off, 8, &v), 0);
	return v;
}

static void wr(struct rig *r, unsigned off, uint64_t v)
{
	assert_int_equal(hw_pci_bar_write(r->d, 0, off, 8, v), 0);
}

static void rig_init(struct rig *r)
{
	th_init(&r->t, NULL);
	r->d = th_dev(&r->t, SID_DMATEST0);
	th_dev_enable(&r->t, SID_DMATEST0, false);
	th_context_setup(&r->t, SID_DMATEST0, 0);
	th_pt_init(&r->t, &r->pt, 4, false);
	r->src = th_buf(&r->t);
	r->dst = th_buf(&r->t);
	th_map(&r->t, &r->pt, 0x10000, (uint64_t)(uintptr_t)r->src, 12, VTD_SS_R);
	th_map(&r->t, &r->pt, 0x20000, (uint64_t)(uintptr_t)r->dst, 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(&r->t, SID_DMATEST0, 0, 4, &r->pt, 0);
}

static void go(struct rig *r, uint64_t src, uint64_t dst, uint32_t len)
{
	wr(r, DMATEST_REG_SRC, src);
	wr(r, DMATEST_REG_DST, dst);
	assert_int_equal(hw_pci_bar_write(r->d, 0, DMATEST_REG_LEN, 4, len), 0);
	assert_int_equal(hw_pci_bar_write(r->d, 0, DMATEST_REG_CTRL, 4, DMATEST_CTRL_GO), 0);
}

static void test_copy(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	assert_int_equal((uint32_t)reg(&r, DMATEST_REG_ID), DMATEST_ID_VALUE);
	assert_int_equal(hw_pci_cfg_read(r.d, PCI_VENDOR_ID, 2), DMATEST_VENDOR_ID);
	for (int i = 0; i < 4096; i++)
		r.src[i] = (uint8_t)(i * 31 + 1);
	go(&r, 0x10000, 0x20000, 4096);
	assert_int_equal((uint32_t)reg(&r, DMATEST_REG_STATUS), DMATEST_STATUS_DONE);
	assert_memory_equal(r.dst, r.src, 4096);
	assert_int_equal(reg(&r, DMATEST_REG_DONE), 4096);
	assert_int_equal(reg(&r, DMATEST_REG_COUNT), 1);
	th_expect_no_fault(&r.t);
	th_fini(&r.t);
}

static void test_blocked_write(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	/* The source is read-only in the domain: writing it is refused. */
	memset(r.src, 0x5a, 4096);
	go(&r, 0x20000, 0x10000, 64);
	uint64_t st = reg(&r, DMATEST_REG_STATUS);
	assert_int_equal((uint32_t)st, DMATEST_STATUS_ERROR);
	assert_int_equal((uint32_t)(st >> 32), DMATEST_ERR_WRITE);
	assert_int_equal(reg(&r, DMATEST_REG_FAULT), 0x10000);
	assert_int_equal(r.src[0], 0x5a);
	th_expect_fault(&r.t, VTD_FR_SM_WRITE, 0x10000);

	/* An address nothing maps: a read fault, partway through. */
	go(&r, 0x10f00, 0x20000, 0x200);
	st = reg(&r, DMATEST_REG_STATUS);
	assert_int_equal((uint32_t)(st >> 32), DMATEST_ERR_READ);
	assert_int_equal(reg(&r, DMATEST_REG_DONE), 0x100);
	assert_int_equal(reg(&r, DMATEST_REG_FAULT), 0x11000);
	struct th_frcd f;
	assert_int_equal(th_faults(&r.t, &f, 1), 1);
	assert_int_equal(th_fr(&f), VTD_FR_SM_SS_NOT_PRESENT);
	assert_int_equal(VTD_FRCD_HI_SID(f.hi), SID_DMATEST0);
	assert_true(f.hi & VTD_FRCD_HI_T); /* a read */
	assert_false(f.hi & VTD_FRCD_HI_PP);
	th_fini(&r.t);
}

static void test_engine_errors(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	go(&r, 0x10000, 0x20000, 0);
	assert_int_equal((uint32_t)(reg(&r, DMATEST_REG_STATUS) >> 32), DMATEST_ERR_LEN);
	go(&r, 0x10000, 0x20000, DMATEST_MAX_LEN + 1);
	assert_int_equal((uint32_t)(reg(&r, DMATEST_REG_STATUS) >> 32), DMATEST_ERR_LEN);

	hw_pci_cfg_write(r.d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	go(&r, 0x10000, 0x20000, 16);
	assert_int_equal((uint32_t)(reg(&r, DMATEST_REG_STATUS) >> 32), DMATEST_ERR_MASTER);
	th_expect_no_fault(&r.t);

	/* Reset clears status and counters. */
	assert_int_equal(hw_pci_bar_write(r.d, 0, DMATEST_REG_CTRL, 4, DMATEST_CTRL_RESET), 0);
	assert_int_equal(reg(&r, DMATEST_REG_STATUS), DMATEST_STATUS_IDLE);

	/* Bad BAR accesses. */
	uint64_t v;
	assert_int_equal(hw_pci_bar_read(r.d, 0, 0x1000, 4, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_read(r.d, 0, 0x3, 4, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_read(r.d, 1, 0, 4, &v), -EINVAL);
	assert_int_equal(hw_pci_bar_write(r.d, 0, 0x8, 2, 0), -EINVAL);
	th_fini(&r.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_blocked_write),
		cmocka_unit_test(test_engine_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
