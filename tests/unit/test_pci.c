/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI configuration space as software sees it (SPEC H-9): only writable
 * bits change, capabilities are found by walking the lists, enables read
 * back, a function-level reset returns control state to power-on.
 */
#include <string.h>

#include <uiommu/hw/dmatest.h>
#include <uiommu/hw/dsa.h>

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
	/* The standard list holds the PCIe capability, an endpoint, and
	 * MSI-X (a DSA has no MSI). */
	assert_true(hw_pci_cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	unsigned found = 0;
	for (unsigned p = hw_pci_cfg_read(d, PCI_CAPABILITY_LIST, 1); p;
	     p = hw_pci_cfg_read(d, p + PCI_CAP_LIST_NEXT, 1))
		found |= 1u << hw_pci_cfg_read(d, p, 1);
	assert_int_equal(found, 1u << PCI_CAP_ID_EXP | 1u << PCI_CAP_ID_MSIX);
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

/* ---- the hardware interface the kernel side uses (hw/iface/pci.h) ---- */

/* Configuration cycles by bus:devfn: the function's registers, or all
 * ones where nothing answers (the kernel's enumeration relies on it). */
static void test_ecam(void **s)
{
	(void)s;
	struct th t;
	th_init_opts(&t, NULL, false);
	struct hw_pci_function *d = th_dev(&t, SID_DSA);
	assert_int_equal(hw_ecam_read(t.m, 1, 0, PCI_VENDOR_ID, 4), hw_pci_cfg_read(d, 0, 4));
	assert_int_equal(hw_ecam_read(t.m, 1, 0, PCI_DEVICE_ID, 2), DSA_DEVICE_ID);
	assert_int_equal(hw_ecam_read(t.m, 1, PCI_DEVFN(1, 0), PCI_VENDOR_ID, 2), 0xffff);
	assert_int_equal(hw_ecam_read(t.m, 0x42, 0, PCI_VENDOR_ID, 4), 0xffffffffu);
	assert_int_equal(hw_ecam_write(t.m, 0x42, 0, PCI_COMMAND, 2, 6), -ENODEV);
	assert_int_equal(hw_ecam_write(t.m, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MASTER), 0);
	assert_true(hw_pci_bus_master(d));
	assert_int_equal(hw_ecam_write(t.m, 1, 0, 0x3, 2, 0), -EINVAL);
	/* A bridge's secondary bus is how enumeration finds what is below. */
	assert_int_equal(hw_ecam_read(t.m, 0, PCI_DEVFN(1, 0), PCI_SECONDARY_BUS, 1), 1);
	th_fini(&t);
}

/* 64-bit memory BARs size the way PCI says: write all ones, read back
 * the size mask, restore. */
static uint64_t bar_size(struct th *t, uint8_t bus, uint8_t devfn, unsigned bar)
{
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint32_t lo = hw_ecam_read(t->m, bus, devfn, reg, 4);
	uint32_t hi = hw_ecam_read(t->m, bus, devfn, reg + 4, 4);
	assert_int_equal(lo & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64);
	hw_ecam_write(t->m, bus, devfn, reg, 4, ~0u);
	hw_ecam_write(t->m, bus, devfn, reg + 4, 4, ~0u);
	uint64_t mask = (hw_ecam_read(t->m, bus, devfn, reg, 4) & PCI_BASE_ADDRESS_MEM_MASK) |
			(uint64_t)hw_ecam_read(t->m, bus, devfn, reg + 4, 4) << 32;
	hw_ecam_write(t->m, bus, devfn, reg, 4, lo);
	hw_ecam_write(t->m, bus, devfn, reg + 4, 4, hi);
	assert_int_equal(hw_ecam_read(t->m, bus, devfn, reg, 4), lo);
	return ~mask + 1;
}

static void test_bars(void **s)
{
	(void)s;
	struct th t;
	th_init_opts(&t, NULL, false);
	assert_int_equal(bar_size(&t, 1, 0, 0), DSA_BAR0_SIZE);
	assert_int_equal(bar_size(&t, 1, 0, 2), 8 * 4 * DSA_PORTAL_SIZE);
	assert_int_equal(bar_size(&t, 0, PCI_DEVFN(2, 0), 0), DMATEST_BAR0_SIZE);
	/* No device model, no BAR. */
	assert_int_equal(hw_ecam_read(t.m, 0, PCI_DEVFN(4, 0), PCI_BASE_ADDRESS_0, 4), 0);

	/* MMIO through the BAR window reaches the model's registers. */
	uint64_t v = 0;
	assert_int_equal(hw_bar_read(t.m, 1, 0, 0, DSA_REG_WQCAP, 8, &v), 0);
	assert_int_equal(DSA_WQCAP_NUM_WQS(v), 8);
	assert_int_equal(hw_bar_read(t.m, 1, 0, 0, DSA_BAR0_SIZE, 8, &v), -EINVAL);
	assert_int_equal(hw_bar_read(t.m, 0x42, 0, 0, 0, 8, &v), -ENODEV);
	assert_int_equal(hw_bar_write(t.m, 0x42, 0, 0, 0, 8, 0), -ENODEV);

	/* A 64-byte store to a portal: a disabled WQ drops it (SWERR). */
	struct dsa_hw_desc desc = { .flags_opcode = (uint32_t)DSA_OPCODE_NOOP << 24 };
	bool accepted = true;
	hw_ecam_write(t.m, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(hw_bar_store64b(t.m, 1, 0, 2, 0, &desc, HW_MOVDIR64B, 0, &accepted), 0);
	assert_false(accepted);
	assert_int_equal(hw_bar_read(t.m, 1, 0, 0, DSA_REG_SWERR, 8, &v), 0);
	assert_true(v & DSA_SWERR_VALID);
	assert_int_equal(hw_bar_store64b(t.m, 1, 0, 2, 32, &desc, HW_MOVDIR64B, 0, NULL), -EINVAL);
	assert_int_equal(hw_bar_store64b(t.m, 0, PCI_DEVFN(2, 0), 0, 0, &desc, HW_MOVDIR64B, 0,
					 NULL),
			 -ENODEV);
	th_fini(&t);
}

/* FLR as software starts it: PCIe DEVCTL for a PCIe function, the
 * Advanced Features capability for a conventional one. Ports have none. */
static unsigned find_cap(struct th *t, uint8_t bus, uint8_t devfn, uint8_t id)
{
	unsigned p = hw_ecam_read(t->m, bus, devfn, PCI_CAPABILITY_LIST, 1);
	for (unsigned n = 0; p && n < 48; n++) {
		if (hw_ecam_read(t->m, bus, devfn, p + PCI_CAP_LIST_ID, 1) == id)
			return p;
		p = hw_ecam_read(t->m, bus, devfn, p + PCI_CAP_LIST_NEXT, 1);
	}
	return 0;
}

static void test_flr(void **s)
{
	(void)s;
	struct th t;
	th_init_opts(&t, NULL, false);
	/* dsa0: a PCIe endpoint. */
	unsigned exp = find_cap(&t, 1, 0, PCI_CAP_ID_EXP);
	assert_true(exp);
	assert_true(hw_ecam_read(t.m, 1, 0, exp + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR);
	hw_ecam_write(t.m, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	hw_ecam_write(t.m, 1, 0, exp + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(hw_ecam_read(t.m, 1, 0, PCI_COMMAND, 2), 0);
	assert_int_equal(hw_ecam_read(t.m, 1, 0, exp + PCI_EXP_DEVCTL, 2), 0);

	/* legacy0 (03:00.0): conventional PCI, reset through AF. */
	assert_int_equal(find_cap(&t, 3, 0, PCI_CAP_ID_EXP), 0);
	unsigned af = find_cap(&t, 3, 0, PCI_CAP_ID_AF);
	assert_true(af);
	assert_true(hw_ecam_read(t.m, 3, 0, af + PCI_AF_CAP, 1) & PCI_AF_CAP_FLR);
	hw_ecam_write(t.m, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	hw_ecam_write(t.m, 3, 0, af + PCI_AF_CTRL, 1, PCI_AF_CTRL_FLR);
	assert_int_equal(hw_ecam_read(t.m, 3, 0, PCI_COMMAND, 2), 0);

	/* rp1: a root port does not reset itself. */
	exp = find_cap(&t, 0, PCI_DEVFN(1, 0), PCI_CAP_ID_EXP);
	assert_false(hw_ecam_read(t.m, 0, PCI_DEVFN(1, 0), exp + PCI_EXP_DEVCAP, 4) &
		     PCI_EXP_DEVCAP_FLR);
	hw_ecam_write(t.m, 0, PCI_DEVFN(1, 0), PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	hw_ecam_write(t.m, 0, PCI_DEVFN(1, 0), exp + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(hw_ecam_read(t.m, 0, PCI_DEVFN(1, 0), PCI_COMMAND, 2), PCI_COMMAND_MASTER);
	th_fini(&t);
}

/* Ports say in DEVCAP2 whether PASID prefixes get through them; a
 * function lists its DMA aliases in the alias VSEC. */
static void test_prefix_and_alias_vsec(void **s)
{
	(void)s;
	struct th t;
	th_init_opts(&t, "{\"devices\":[{\"bdf\":\"00:01.0\",\"type\":\"root_port\","
			 "\"tlp_prefix\":false,\"children\":[{\"bdf\":\"01:00.0\","
			 "\"type\":\"endpoint\",\"pasid_bits\":8}]},"
			 "{\"bdf\":\"00:02.0\",\"type\":\"root_port\",\"children\":[]},"
			 "{\"bdf\":\"00:03.0\",\"type\":\"rc_endpoint\","
			 "\"dma_alias\":[\"00:05.0\",\"00:06.2\"]}]}", false);
	unsigned exp1 = find_cap(&t, 0, PCI_DEVFN(1, 0), PCI_CAP_ID_EXP);
	unsigned exp2 = find_cap(&t, 0, PCI_DEVFN(2, 0), PCI_CAP_ID_EXP);
	unsigned expd = find_cap(&t, 1, 0, PCI_CAP_ID_EXP);
	assert_false(hw_ecam_read(t.m, 0, PCI_DEVFN(1, 0), exp1 + PCI_EXP_DEVCAP2, 4) &
		     PCI_EXP_DEVCAP2_EE_PREFIX);
	assert_true(hw_ecam_read(t.m, 0, PCI_DEVFN(2, 0), exp2 + PCI_EXP_DEVCAP2, 4) &
		    PCI_EXP_DEVCAP2_EE_PREFIX);
	assert_true(hw_ecam_read(t.m, 1, 0, expd + PCI_EXP_DEVCAP2, 4) & PCI_EXP_DEVCAP2_EE_PREFIX);

	struct hw_pci_function *q = th_dev(&t, 0x0018);
	uint16_t v = hw_pci_find_ext_cap(q, PCI_EXT_CAP_ID_VNDR);
	assert_true(v);
	uint32_t hdr = hw_ecam_read(t.m, 0, PCI_DEVFN(3, 0), v + PCI_VNDR_HEADER, 4);
	assert_int_equal(hdr & 0xffff, PCI_VSEC_ID_DMA_ALIAS);
	assert_int_equal(hw_ecam_read(t.m, 0, PCI_DEVFN(3, 0), v + PCI_VSEC_DMA_ALIAS_NR, 1), 2);
	assert_int_equal(hw_ecam_read(t.m, 0, PCI_DEVFN(3, 0), v + PCI_VSEC_DMA_ALIAS_DEVFN, 1),
			 PCI_DEVFN(5, 0));
	assert_int_equal(hw_ecam_read(t.m, 0, PCI_DEVFN(3, 0), v + PCI_VSEC_DMA_ALIAS_DEVFN + 1, 1),
			 PCI_DEVFN(6, 2));
	assert_int_equal(q->dma_sid, PCI_RID(0, PCI_DEVFN(5, 0)));
	th_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bdf),         cmocka_unit_test(test_write_mask),
		cmocka_unit_test(test_capabilities), cmocka_unit_test(test_reset),
		cmocka_unit_test(test_dma_preconditions), cmocka_unit_test(test_ecam),
		cmocka_unit_test(test_bars),        cmocka_unit_test(test_flr),
		cmocka_unit_test(test_prefix_and_alias_vsec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
