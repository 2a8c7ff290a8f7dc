/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI configuration space as software sees it (SPEC H-9): only writable
 * bits change, capabilities are found by walking the lists, enables read
 * back, a function-level reset returns control state to power-on.
 */
#include <string.h>

#include "harness.h"

static void test_bdf(void **s)
{
	(void)s;
	uint16_t rid;
	char b[8];
	assert_int_equal(pci_bdf_parse("01:00.0", &rid), 0);
	assert_int_equal(rid, 0x0100);
	assert_int_equal(pci_bdf_parse("0000:ff:1f.7", &rid), 0);
	assert_int_equal(rid, 0xffff);
	assert_string_equal(pci_bdf_str(0x1a3b, b), "1a:07.3");
	assert_int_equal(pci_bdf_parse("0001:00:00.0", &rid), -EINVAL);
	assert_int_equal(pci_bdf_parse("00:20.0", &rid), -EINVAL);
	assert_int_equal(pci_bdf_parse("00:01.8", &rid), -EINVAL);
	assert_int_equal(pci_bdf_parse("100:01.0", &rid), -EINVAL);
	assert_int_equal(pci_bdf_parse("00:01.0x", &rid), -EINVAL);
	assert_int_equal(pci_bdf_parse("", &rid), -EINVAL);
}

static void test_write_mask(void **s)
{
	(void)s;
	struct th t;
	th_init_opts(&t, NULL, false);
	struct hw_pci_function *d = th_dev(&t, SID_DSA);
	uint32_t id = hw_pci_cfg_read(d, PCI_VENDOR_ID, 4);
	hw_pci_cfg_write(d, PCI_VENDOR_ID, 4, 0xdeadbeef);
	assert_int_equal(hw_pci_cfg_read(d, PCI_VENDOR_ID, 4), id);
	hw_pci_cfg_write(d, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(hw_pci_cfg_read(d, PCI_COMMAND, 2),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_true(hw_pci_bus_master(d));
	/* Bad accesses are refused, reads of them give all ones. */
	assert_int_equal(hw_pci_cfg_write(d, 0x3, 2, 0), -EINVAL);
	assert_int_equal(hw_pci_cfg_write(d, 0x1000, 4, 0), -EINVAL);
	assert_int_equal(hw_pci_cfg_write(d, 0, 3, 0), -EINVAL);
	assert_int_equal(hw_pci_cfg_read(d, 0xffe, 4), 0xffffffffu);
	th_fini(&t);
}

static void test_capabilities(void **s)
{
	(void)s;
	struct th t;
	th_init_opts(&t, NULL, false);
	struct hw_pci_function *d = th_dev(&t, SID_DSA);
	/* The standard list holds the PCIe capability, an endpoint. */
	unsigned p = hw_pci_cfg_read(d, PCI_CAPABILITY_LIST, 1);
	assert_true(hw_pci_cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(hw_pci_cfg_read(d, p, 1), PCI_CAP_ID_EXP);
	assert_int_equal(hw_pci_pcie_type(d), PCI_EXP_TYPE_ENDPOINT);
	/* The extended list reaches each capability. */
	assert_int_equal(hw_pci_find_ext_cap(d, PCI_EXT_CAP_ID_ATS), d->ecap_ats);
	assert_int_equal(hw_pci_find_ext_cap(d, PCI_EXT_CAP_ID_PRI), d->ecap_pri);
	assert_int_equal(hw_pci_find_ext_cap(d, PCI_EXT_CAP_ID_PASID), d->ecap_pasid);
	assert_int_equal(hw_pci_find_ext_cap(d, PCI_EXT_CAP_ID_DVSEC), d->ecap_dvsec);
	assert_int_equal(hw_pci_find_ext_cap(d, PCI_EXT_CAP_ID_ACS), 0);
	uint32_t dv = hw_pci_cfg_read(d, d->ecap_dvsec + PCI_DVSEC_HEADER1, 4);
	assert_int_equal(dv & 0xffff, PCI_VENDOR_ID_INTEL);
	assert_int_equal(hw_pci_cfg_read(d, d->ecap_dvsec + PCI_DVSEC_HEADER2, 2),
			 PCI_DVSEC_ID_INTEL_SIOV);

	/* PASID: width 20, privileged mode supported; enable bits stick. */
	uint16_t cap = (uint16_t)hw_pci_cfg_read(d, d->ecap_pasid + PCI_PASID_CAP, 2);
	assert_int_equal(PCI_PASID_CAP_WIDTH(cap), 20);
	assert_true(cap & PCI_PASID_CAP_PRIV);
	assert_false(cap & PCI_PASID_CAP_EXEC);
	assert_false(hw_pci_pasid_enabled(d));
	hw_pci_cfg_write(d, d->ecap_pasid + PCI_PASID_CTRL, 2, 0xffff);
	assert_true(hw_pci_pasid_enabled(d));
	assert_true(hw_pci_pasid_priv_enabled(d));
	/* Exec is not supported, so its enable bit is not writable. */
	assert_false(hw_pci_cfg_read(d, d->ecap_pasid + PCI_PASID_CTRL, 2) & PCI_PASID_CTRL_EXEC);

	hw_pci_cfg_write(d, d->ecap_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	assert_true(hw_pci_ats_enabled(d));
	hw_pci_cfg_write(d, d->ecap_pri + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	assert_true(hw_pci_pri_enabled(d));
	assert_int_equal(hw_pci_cfg_read(d, d->ecap_pri + PCI_PRI_MAX_REQ, 4), 32);

	/* The root port has ACS, enabled at boot for isolation. */
	struct hw_pci_function *rp = th_dev(&t, 0x0008);
	assert_int_equal(hw_pci_find_ext_cap(rp, PCI_EXT_CAP_ID_ACS), rp->ecap_acs);
	assert_int_equal(hw_pci_acs_ctrl(rp), PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF);
	assert_int_equal(hw_pci_cfg_read(rp, PCI_SECONDARY_BUS, 1), 1);

	/* A conventional PCI function has no PCIe capability at all. */
	struct hw_pci_function *legacy = th_dev(&t, 0x0300);
	assert_false(hw_pci_is_pcie(legacy));
	assert_int_equal(hw_pci_find_ext_cap(legacy, PCI_EXT_CAP_ID_PASID), 0);
	th_fini(&t);
}

static void test_reset(void **s)
{
	(void)s;
	struct th t;
	th_init_opts(&t, NULL, false);
	struct hw_pci_function *d = th_dev(&t, SID_DSA);
	th_dev_enable(&t, SID_DSA, true);
	hw_pci_cfg_write(d, d->ecap_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	hw_pci_function_reset(d);
	assert_false(hw_pci_bus_master(d));
	assert_false(hw_pci_pasid_enabled(d));
	assert_false(hw_pci_ats_enabled(d));
	assert_int_equal(hw_pci_pasid_width(d), 20); /* capabilities stay */
	th_fini(&t);
}

/* A request with a PASID prefix needs the PASID capability enabled; a
 * function with bus mastering off issues nothing. */
static void test_dma_preconditions(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct hw_pci_function *d = th_dev(&t, SID_DSA);
	uint8_t buf[4];
	struct pci_dma_result r;
	struct pci_dma_attr untagged = { .pasid = PCI_NO_PASID };
	struct pci_dma_attr tagged = { .pasid = 5 };
	assert_int_equal(pci_dma_read(t.dma, d, &untagged, 0x1000, buf, 4, &r), -EIO);
	assert_int_equal(r.status, PCI_DMA_BLOCKED);
	hw_pci_cfg_write(d, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_int_equal(pci_dma_read(t.dma, d, &tagged, 0x1000, buf, 4, &r), -EINVAL);
	struct pci_dma_attr priv_no_pasid = { .pasid = PCI_NO_PASID, .priv = true };
	assert_int_equal(pci_dma_read(t.dma, d, &priv_no_pasid, 0x1000, buf, 4, &r), -EINVAL);
	hw_pci_cfg_write(d, d->ecap_pasid + PCI_PASID_CTRL, 2, PCI_PASID_CTRL_ENABLE);
	struct pci_dma_attr priv = { .pasid = 5, .priv = true };
	assert_int_equal(pci_dma_read(t.dma, d, &priv, 0x1000, buf, 4, &r), -EINVAL);
	th_expect_no_fault(&t);
	th_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bdf),         cmocka_unit_test(test_write_mask),
		cmocka_unit_test(test_capabilities), cmocka_unit_test(test_reset),
		cmocka_unit_test(test_dma_preconditions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
