/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's PCI view (src/pci): what enumeration through
 * configuration space finds must be what the hardware is - every
 * function, its capabilities, BAR sizes, names from firmware - and the
 * kernel's own conclusions (DMA aliases, the unit a function sits
 * behind, PASID prefix paths) must agree with how the hardware routes
 * DMA. Then the PCI driver core, resets, and the device core's
 * notifiers.
 */
#include <string.h>

#include <uiommu/hw/dmatest.h>
#include <uiommu/hw/dsa.h>
#include <uiommu/iommu.h>

#include "harness.h"
#include "iommu/intel/intel.h"
#include "pci/pci.h"

static const char *const custom_topo =
	"{\"units\": [{\"name\":\"u0\",\"scope\":[\"rp\"]},{\"name\":\"all\"}], \"devices\": ["
	" {\"bdf\": \"00:01.0\", \"type\": \"root_port\", \"name\":\"rp\", \"acs\": true,"
	"  \"children\": ["
	"  {\"bdf\": \"01:00.0\", \"type\": \"switch_upstream\", \"bus\": 2, \"children\": ["
	"   {\"bdf\": \"02:01.0\", \"type\": \"switch_downstream\", \"acs\": true, \"children\": ["
	"     {\"bdf\": \"03:00.0\", \"type\": \"endpoint\", \"name\": \"a\", \"pasid_bits\": 8,"
	"      \"ats\": true, \"pri\": true}]},"
	"   {\"bdf\": \"02:03.0\", \"type\": \"switch_downstream\", \"name\": \"dsp3\","
	"    \"tlp_prefix\": false, \"children\": ["
	"     {\"bdf\": \"05:00.0\", \"type\": \"endpoint\", \"name\": \"c\","
	"      \"pasid_bits\":8}]}]}]},"
	" {\"bdf\": \"00:03.0\", \"type\": \"rc_endpoint\", \"name\": \"quirk\","
	"  \"dma_alias\": [\"00:05.0\"]},"
	" {\"bdf\": \"00:05.0\", \"type\": \"rc_endpoint\", \"name\": \"q5\","
	"  \"model\":\"dmatest\"},"
	" {\"bdf\": \"00:06.0\", \"type\": \"rc_endpoint\", \"name\": \"f0\", \"acs\":true},"
	" {\"bdf\": \"00:06.1\", \"type\": \"rc_endpoint\", \"acs\":true,"
	"  \"dma_alias\":[\"00:06.0\"]},"
	" {\"bdf\": \"00:07.3\", \"type\": \"rc_endpoint\", \"name\": \"lonely\"},"
	" {\"bdf\": \"00:1e.0\", \"type\": \"pcie_pci_bridge\", \"bus\": 9, \"children\": ["
	"   {\"bdf\": \"09:00.0\", \"type\": \"pci_endpoint\", \"name\": \"l0\","
	"    \"model\": \"dmatest\"},"
	"   {\"bdf\": \"09:02.0\", \"type\": \"pci_endpoint\", \"name\": \"l2\"}]}"
	"]}";

struct alias_list {
	uint16_t rid[8];
	unsigned n;
};

static int collect_alias(struct pci_dev *pdev, uint16_t alias, void *data)
{
	struct alias_list *l = data;
	(void)pdev;
	if (l->n < 8)
		l->rid[l->n++] = alias;
	return 0;
}

static bool has_alias(const struct alias_list *l, uint16_t rid)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->rid[i] == rid)
			return true;
	return false;
}

/* Every emulated function has its kernel pci_dev, with what config
 * space says, and the kernel routes it as the hardware does. */
static void check_view(struct uiommu_host *h)
{
	struct hw_machine *m = h->m;
	struct hw_pci_function *f;
	unsigned n = 0;
	list_for_each_entry(f, &m->devices, node) {
		struct pci_dev *p = pci_get_by_rid(h, f->rid);
		if (!p)
			fail_msg("%s (%04x) not enumerated", f->name, f->rid);
		n++;
		assert_string_equal(p->dev.name, f->name); /* the firmware label, or the BDF */
		assert_ptr_equal(uiommu_device_find(h, f->name), &p->dev);
		assert_int_equal(p->vendor, hw_pci_cfg_read(f, PCI_VENDOR_ID, 2));
		assert_int_equal(pci_is_bridge(p), hw_pci_kind_is_bridge(f->kind));
		assert_int_equal(p->multifunction, f->multifunction);
		assert_int_equal(pci_is_pcie(p), hw_pci_is_pcie(f));
		if (pci_is_pcie(p))
			assert_int_equal(pci_pcie_type(p), hw_pci_pcie_type(f));
		assert_int_equal(p->acs_cap, f->ecap_acs);
		assert_int_equal(p->ats_cap, f->ecap_ats);
		assert_int_equal(p->pri_cap, f->ecap_pri);
		assert_int_equal(p->pasid_cap, f->ecap_pasid);
		for (unsigned b = 0; b < PCI_NUM_BARS; b++)
			assert_true(p->bar_size[b] >= f->bar_size[b]);
		if (f->subordinate)
			assert_int_equal(p->subordinate->number, f->subordinate->number);
		/* The requester ID the hardware puts on the function's DMA is
		 * one the kernel programs. */
		struct alias_list l = { .n = 0 };
		pci_for_each_dma_alias(p, collect_alias, &l);
		assert_int_equal(l.rid[0], f->rid);
		if (!has_alias(&l, f->dma_sid))
			fail_msg("%s: hardware DMA carries %04x, the kernel knows no such alias",
				 f->name, f->dma_sid);
		/* The DRHD whose scope the kernel matches is the unit the
		 * hardware routes the function's DMA to. */
		struct intel_iommu *iommu = h->intel ? dmar_find_matched_unit(h->intel, p) : NULL;
		assert_ptr_equal(iommu ? iommu->hw : NULL, f->unit);
	}
	unsigned listed = 0;
	struct pci_dev *p;
	uint16_t last = 0;
	list_for_each_entry(p, &h->pci->devices, node) {
		assert_true(listed == 0 || pci_dev_id(p) > last);
		last = pci_dev_id(p);
		listed++;
	}
	assert_int_equal(listed, n);
}

static void test_enumeration_matches_hardware(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	check_view(h);
	struct pci_dev *dsa = to_pci_dev(uiommu_device_find(h, "dsa0"));
	assert_int_equal(dsa->vendor, DSA_VENDOR_ID);
	assert_int_equal(dsa->device, DSA_DEVICE_ID);
	assert_int_equal(dsa->bar_size[0], DSA_BAR0_SIZE);
	assert_int_equal(dsa->bar_size[2], 8 * 4 * DSA_PORTAL_SIZE);
	assert_int_equal(dsa->cfg_size, PCI_CFG_SPACE_EXP_SIZE);
	assert_true(dsa->eetlp_prefix_path);
	struct pci_dev *legacy = to_pci_dev(uiommu_device_find(h, "legacy1"));
	assert_int_equal(legacy->cfg_size, PCI_CFG_SPACE_SIZE);
	assert_true(legacy->af_cap);
	assert_ptr_equal(uiommu_device_find(h, "0000:03:01.0"), &legacy->dev);
	assert_null(uiommu_device_find(h, "03:07.0"));
	uiommu_host_free(h);

	h = th_host(custom_topo, false);
	check_view(h);
	/* Behind the port that drops prefixes, PASID cannot be turned on. */
	struct pci_dev *a = to_pci_dev(uiommu_device_find(h, "a"));
	struct pci_dev *c = to_pci_dev(uiommu_device_find(h, "c"));
	assert_true(a->eetlp_prefix_path);
	assert_false(c->eetlp_prefix_path);
	assert_true(pci_pasid_enabled(a));
	assert_int_equal(pci_enable_pasid(c, false), -EIO);
	/* The unnamed function goes by its BDF; the alias VSEC's quirk. */
	struct pci_dev *f1 = to_pci_dev(uiommu_device_find(h, "00:06.1"));
	assert_string_equal(f1->dev.name, "00:06.1");
	assert_true(pci_devs_are_dma_aliases(f1, to_pci_dev(uiommu_device_find(h, "f0"))));
	assert_false(pci_devs_are_dma_aliases(f1, to_pci_dev(uiommu_device_find(h, "quirk"))));
	uiommu_host_free(h);
}

/* Quirks are matched by vendor and device ID (Linux's fixup table). */
static void test_dma_alias_quirks(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct pci_dev *mf1 = to_pci_dev(uiommu_device_find(h, "mf1"));
	struct pci_dev *mf0 = to_pci_dev(uiommu_device_find(h, "mf0"));
	uint16_t vendor = mf1->vendor, device = mf1->device;
	memset(mf1->dma_alias_mask, 0, sizeof(mf1->dma_alias_mask));
	pci_fixup_device(mf1);
	assert_false(pci_devs_are_dma_aliases(mf0, mf1));
	/* A Ricoh card reader's functions DMA as function 0. */
	mf1->vendor = 0x1180;
	mf1->device = 0xe832;
	pci_fixup_device(mf1);
	assert_true(pci_devs_are_dma_aliases(mf0, mf1));
	struct alias_list l = { .n = 0 };
	pci_for_each_dma_alias(mf1, collect_alias, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.rid[1], PCI_RID(0, PCI_DEVFN(4, 0)));
	/* Function 0 itself has no alias. */
	memset(mf0->dma_alias_mask, 0, sizeof(mf0->dma_alias_mask));
	mf0->vendor = 0x1180;
	mf0->device = 0xe832;
	pci_fixup_device(mf0);
	l.n = 0;
	pci_for_each_dma_alias(mf0, collect_alias, &l);
	assert_int_equal(l.n, 1);
	/* A Marvell controller's DMA as function 1. */
	memset(mf0->dma_alias_mask, 0, sizeof(mf0->dma_alias_mask));
	mf0->vendor = 0x1b4b;
	mf0->device = 0x9123;
	pci_fixup_device(mf0);
	l.n = 0;
	pci_for_each_dma_alias(mf0, collect_alias, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.rid[1], PCI_RID(0, PCI_DEVFN(4, 1)));
	mf1->vendor = vendor;
	mf1->device = device;
	/* Below a PCIe-to-PCI bridge the bridge's (secondary bus, 00.0). */
	struct pci_dev *legacy1 = to_pci_dev(uiommu_device_find(h, "legacy1"));
	l.n = 0;
	pci_for_each_dma_alias(legacy1, collect_alias, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.rid[0], PCI_RID(3, PCI_DEVFN(1, 0)));
	assert_int_equal(l.rid[1], PCI_RID(3, PCI_DEVFN(0, 0)));
	uiommu_host_free(h);
}

/* ---- the PCI driver core ---- */

static unsigned probes, removes;
static int probe_answer;

static int test_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	assert_int_equal(id->vendor, DMATEST_VENDOR_ID);
	assert_int_equal(pdev->vendor, DMATEST_VENDOR_ID);
	probes++;
	return probe_answer;
}

static void test_remove(struct pci_dev *pdev)
{
	(void)pdev;
	removes++;
}

static const struct pci_device_id test_ids[] = {
	{ DMATEST_VENDOR_ID, DMATEST_DEVICE_ID },
	{ 0 },
};

static struct pci_driver test_driver = {
	.driver = { .name = "dmatest-drv" },
	.id_table = test_ids,
	.probe = test_probe,
	.remove = test_remove,
};

static void test_driver_binding_by_id(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	probes = removes = 0;
	probe_answer = 0;
	assert_int_equal(pci_register_driver(h, &test_driver), 0);
	assert_int_equal(probes, 3); /* dmatest0, dmatest1, nic0 */
	struct device *dt = uiommu_device_find(h, "dmatest0");
	assert_string_equal(dev_driver_name(dt), "dmatest-drv");
	assert_null(uiommu_device_find(h, "dsa0")->driver);
	pci_unregister_driver(h, &test_driver);
	assert_int_equal(removes, 3);
	assert_null(dt->driver);

	/* A probe that fails leaves the function unbound; -ENOMEM stops. */
	probes = 0;
	probe_answer = -ENODEV;
	assert_int_equal(pci_register_driver(h, &test_driver), 0);
	assert_int_equal(probes, 3);
	assert_null(dt->driver);
	pci_unregister_driver(h, &test_driver);
	probes = 0;
	probe_answer = -ENOMEM;
	assert_int_equal(pci_register_driver(h, &test_driver), -ENOMEM);
	assert_int_equal(probes, 1);
	pci_unregister_driver(h, &test_driver);
	assert_int_equal(pci_register_driver(NULL, &test_driver), -EINVAL);
	uiommu_host_free(h);
}

/* FLR through config space; pci_reset_function() brings the state back. */
static void test_reset(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct pci_dev *dsa = to_pci_dev(uiommu_device_find(h, "dsa0"));
	pci_enable_device_mem_master(dsa);
	assert_true(pci_pasid_enabled(dsa)); /* the VT-d driver turned it on */
	assert_int_equal(pci_reset_function(dsa), 0);
	uint16_t cmd;
	pci_read_config_word(dsa, PCI_COMMAND, &cmd);
	assert_int_equal(cmd, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_true(pci_pasid_enabled(dsa));
	assert_true(pci_ats_enabled(dsa));
	/* Without the restore the function is back at power-on. */
	assert_int_equal(pci_reset_function_locked(dsa), 0);
	pci_read_config_word(dsa, PCI_COMMAND, &cmd);
	assert_int_equal(cmd, 0);
	assert_false(pci_pasid_enabled(dsa));
	/* A conventional function resets through AF; a port cannot. */
	struct pci_dev *legacy = to_pci_dev(uiommu_device_find(h, "legacy0"));
	pci_set_master(legacy);
	assert_int_equal(pci_reset_function_locked(legacy), 0);
	pci_read_config_word(legacy, PCI_COMMAND, &cmd);
	assert_int_equal(cmd, 0);
	assert_int_equal(pci_reset_function_locked(to_pci_dev(uiommu_device_find(h, "rp1"))),
			 -ENOTTY);
	/* Bad config accesses are refused. */
	uint32_t v;
	assert_int_equal(pci_read_config_dword(legacy, 0x100, &v), -EINVAL);
	assert_int_equal(v, ~0u);
	assert_int_equal(pci_write_config_word(dsa, 0x3, 0), -EINVAL);
	uiommu_host_free(h);
}

/* ---- the device core ---- */

static const struct bus_type toy_bus = { .name = "toy" };

struct heard {
	struct bus_notifier nb;
	unsigned adds, dels;
	int answer;
};

static int hear(struct bus_notifier *nb, enum bus_notify_action action, struct device *dev)
{
	struct heard *x = (struct heard *)nb;
	(void)dev;
	if (action == BUS_NOTIFY_ADD_DEVICE)
		x->adds++;
	else
		x->dels++;
	return action == BUS_NOTIFY_ADD_DEVICE ? x->answer : 0;
}

static void test_device_core(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct heard all = { .nb = { .notify = hear } };
	struct heard toys = { .nb = { .bus = &toy_bus, .notify = hear } };
	struct heard pcis = { .nb = { .bus = &pci_bus_type, .notify = hear } };
	bus_register_notifier(h, &all.nb);
	bus_register_notifier(h, &toys.nb);
	bus_register_notifier(h, &pcis.nb);
	struct device d;
	device_initialize(&d, h, &toy_bus, "toy0");
	assert_int_equal(device_add(&d), 0);
	assert_int_equal(all.adds, 1);
	assert_int_equal(toys.adds, 1);
	assert_int_equal(pcis.adds, 0);
	assert_ptr_equal(device_find_by_name(h, "toy0"), &d);
	device_del(&d);
	assert_int_equal(all.dels, 1);
	assert_int_equal(toys.dels, 1);
	assert_null(device_find_by_name(h, "toy0"));

	/* A notifier's refusal undoes the addition for those that heard. */
	toys.answer = -EBUSY;
	assert_int_equal(device_add(&d), -EBUSY);
	assert_int_equal(all.dels, 2);
	assert_int_equal(toys.dels, 1);
	assert_null(device_find_by_name(h, "toy0"));
	bus_unregister_notifier(h, &all.nb);
	bus_unregister_notifier(h, &toys.nb);
	bus_unregister_notifier(h, &pcis.nb);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enumeration_matches_hardware),
		cmocka_unit_test(test_dma_alias_quirks),
		cmocka_unit_test(test_driver_binding_by_id),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_device_core),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
