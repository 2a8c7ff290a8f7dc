/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU group formation (SPEC H-9, A-2), following Linux's rules: ACS on
 * every bridge up to the root isolates; a port without ACS pulls what is
 * below it into its group; non-isolated functions of one slot share a
 * group; DMA aliases (PCIe-to-PCI bridges, quirks) share a group.
 */
#include <string.h>

#include <uiommu/iommu.h>

#include "harness.h"
#include "iommu/group.h"
#include "pci/pci.h"

static struct uiommu_host *host(const char *json)
{
	struct uiommu_host *h;
	char err[256];
	struct uiommu_host_opts o = { .topology_json = json };
	if (uiommu_host_new(&o, &h, err, sizeof(err)))
		fail_msg("%s", err);
	return h;
}

static struct iommu_group *grp(struct uiommu_host *h, const char *name)
{
	struct device *d = uiommu_device_find(h, name);
	if (!d)
		fail_msg("no device %s", name);
	return d->group;
}

static void same(struct uiommu_host *h, const char *a, const char *b)
{
	assert_non_null(grp(h, a));
	if (grp(h, a) != grp(h, b))
		fail_msg("%s and %s should share a group", a, b);
}

static void apart(struct uiommu_host *h, const char *a, const char *b)
{
	assert_non_null(grp(h, a));
	assert_non_null(grp(h, b));
	if (grp(h, a) == grp(h, b))
		fail_msg("%s and %s should be in different groups", a, b);
}

static int count_group(struct iommu_group *g, void *data)
{
	(void)g;
	(*(unsigned *)data)++;
	return 0;
}

static void test_default_groups(void **s)
{
	(void)s;
	struct uiommu_host *h = host(NULL);
	apart(h, "dsa0", "rp1");      /* ACS root port isolates */
	apart(h, "dmatest0", "dmatest1");
	same(h, "mf0", "mf1");        /* multifunction without ACS */
	same(h, "rp2", "nic0");       /* root port without ACS */
	same(h, "pcibr", "legacy0");  /* PCIe-to-PCI bridge aliases */
	same(h, "legacy0", "legacy1");
	assert_int_equal(grp(h, "dsa0")->nr_devices, 1);
	assert_int_equal(grp(h, "pcibr")->nr_devices, 3);
	unsigned n = 0;
	iommu_for_each_group(h, &n, count_group);
	assert_int_equal(n, 8);
	uiommu_host_free(h);
}

static const char *switch_json =
	"{\"devices\": [\n"
	" {\"bdf\": \"00:01.0\", \"type\": \"root_port\", \"acs\": true, \"children\": [\n"
	"  {\"bdf\": \"01:00.0\", \"type\": \"switch_upstream\", \"bus\": 2, \"children\": [\n"
	"   {\"bdf\": \"02:01.0\", \"type\": \"switch_downstream\", \"acs\": true, \"children\": [\n"
	"     {\"bdf\": \"03:00.0\", \"type\": \"endpoint\", \"name\": \"a\"}]},\n"
	"   {\"bdf\": \"02:02.0\", \"type\": \"switch_downstream\", \"acs\": true, \"children\": [\n"
	"     {\"bdf\": \"04:00.0\", \"type\": \"endpoint\", \"name\": \"b\"}]},\n"
	"   {\"bdf\": \"02:03.0\", \"type\": \"switch_downstream\", \"name\": \"dsp3\", \"children\": [\n"
	"     {\"bdf\": \"05:00.0\", \"type\": \"endpoint\", \"name\": \"c\"}]}]}]},\n"
	" {\"bdf\": \"00:02.0\", \"type\": \"root_port\", \"name\": \"rpx\", \"children\": [\n"
	"  {\"bdf\": \"06:00.0\", \"type\": \"switch_upstream\", \"name\": \"up\", \"bus\": 7, \"children\": [\n"
	"   {\"bdf\": \"07:01.0\", \"type\": \"switch_downstream\", \"acs\": true, \"children\": [\n"
	"     {\"bdf\": \"08:00.0\", \"type\": \"endpoint\", \"name\": \"d\"}]}]}]}\n"
	"]}";

static void test_switches(void **s)
{
	(void)s;
	struct uiommu_host *h = host(switch_json);
	apart(h, "a", "b");       /* ACS on the downstream ports and the root port */
	same(h, "c", "dsp3");     /* no ACS on c's downstream port */
	apart(h, "c", "a");
	/* A root port without ACS: everything below joins it, ACS further
	 * down does not help. */
	same(h, "d", "rpx");
	same(h, "up", "rpx");
	uiommu_host_free(h);
}

static void test_multifunction_acs(void **s)
{
	(void)s;
	struct uiommu_host *h = host(
		"{\"devices\": [\n"
		" {\"bdf\": \"00:05.0\", \"type\": \"rc_endpoint\", \"name\": \"iso0\", \"acs\": true},\n"
		" {\"bdf\": \"00:05.1\", \"type\": \"rc_endpoint\", \"name\": \"iso1\", \"acs\": true},\n"
		" {\"bdf\": \"00:06.0\", \"type\": \"rc_endpoint\", \"name\": \"half0\", \"acs\": true},\n"
		" {\"bdf\": \"00:06.1\", \"type\": \"rc_endpoint\", \"name\": \"half1\"},\n"
		" {\"bdf\": \"00:06.2\", \"type\": \"rc_endpoint\", \"name\": \"half2\"},\n"
		" {\"bdf\": \"00:07.0\", \"type\": \"rc_endpoint\", \"name\": \"single\"}\n"
		"]}");
	apart(h, "iso0", "iso1");
	apart(h, "half0", "half1");  /* half0 isolates itself */
	same(h, "half1", "half2");   /* the two without ACS do not */
	apart(h, "single", "iso0");
	uiommu_host_free(h);
}

static void test_quirk_alias(void **s)
{
	(void)s;
	struct uiommu_host *h = host(
		"{\"devices\": [\n"
		" {\"bdf\": \"00:01.0\", \"type\": \"root_port\", \"acs\": true, \"children\": [\n"
		"  {\"bdf\": \"01:00.0\", \"type\": \"endpoint\", \"name\": \"f0\", \"acs\": true},\n"
		"  {\"bdf\": \"01:00.1\", \"type\": \"endpoint\", \"name\": \"f1\", \"acs\": true,\n"
		"   \"dma_alias\": [\"01:00.0\"]},\n"
		"  {\"bdf\": \"01:00.2\", \"type\": \"endpoint\", \"name\": \"f2\", \"acs\": true}]}\n"
		"]}");
	same(h, "f0", "f1");  /* f1 issues DMA as f0 */
	apart(h, "f2", "f0");
	assert_int_equal(th_fn(uiommu_device_find(h, "f1"))->dma_sid, 0x0100);
	uiommu_host_free(h);
}

static void test_outside_scope(void **s)
{
	(void)s;
	struct uiommu_host *h = host(
		"{\"units\": [{\"name\": \"u\", \"scope\": [\"in\"]}], \"devices\": [\n"
		" {\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\", \"name\": \"in\"},\n"
		" {\"bdf\": \"00:02.0\", \"type\": \"rc_endpoint\", \"name\": \"out\"}]}");
	assert_non_null(grp(h, "in"));
	assert_null(grp(h, "out")); /* no IOMMU, no group */
	assert_null(th_fn(uiommu_device_find(h, "out"))->unit);
	uiommu_host_free(h);
}

/* ACS turned off by software after boot changes the answer of the test
 * Linux uses (groups are formed once, at probe). */
static void test_acs_control(void **s)
{
	(void)s;
	struct uiommu_host *h = host(NULL);
	struct pci_dev *rp = to_pci_dev(uiommu_device_find(h, "rp1"));
	assert_true(pci_acs_enabled(rp));
	pci_write_config_word(rp, rp->acs_cap + PCI_ACS_CTRL, PCI_ACS_SV);
	assert_false(pci_acs_enabled(rp));
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_groups),  cmocka_unit_test(test_switches),
		cmocka_unit_test(test_multifunction_acs), cmocka_unit_test(test_quirk_alias),
		cmocka_unit_test(test_outside_scope),   cmocka_unit_test(test_acs_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
