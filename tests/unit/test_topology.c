/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Topology files (SPEC F-5, H-9): the built-in host, a custom hierarchy,
 * and malformed files - each refused with a message naming the line or
 * the field, never a crash and nothing left allocated (ASan checks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uiommu/hw/acpi_dmar.h>
#include <uiommu/hw/smbios.h>

#include "harness.h"
#include "hw/topology.h"

static int load(const char *json, char *err, size_t len)
{
	struct uiommu_host *h = NULL;
	struct uiommu_host_opts o = { .topology_json = json };
	int rc = uiommu_host_new(&o, &h, err, len);
	if (!rc)
		uiommu_host_free(h);
	return rc;
}

/* The load fails and the message contains `want`; the check that
 * builds no machine (hw_topology_check, the fuzzers' entry) says the
 * same. */
static void refused(const char *json, const char *want)
{
	char err[512] = "", cerr[512] = "";
	int rc = load(json, err, sizeof(err));
	if (rc == 0)
		fail_msg("accepted: %s", json);
	if (!strstr(err, want))
		fail_msg("message \"%s\" does not mention \"%s\"", err, want);
	if (hw_topology_check(json, "<topology>", cerr, sizeof(cerr)) == 0)
		fail_msg("the check accepts: %s", json);
	if (!strstr(cerr, want))
		fail_msg("the check's message \"%s\" does not mention \"%s\"", cerr, want);
}

/* The check accepts exactly what a build accepts. */
static void check_agrees(const char *json)
{
	char err[512] = "", cerr[512] = "";
	int built = load(json, err, sizeof(err));
	int checked = hw_topology_check(json, "<topology>", cerr, sizeof(cerr));
	if ((built == 0) != (checked == 0))
		fail_msg("build %d (%s), check %d (%s): %s", built, err, checked, cerr, json);
}

static void test_default_host(void **s)
{
	(void)s;
	struct uiommu_host *h;
	char err[256];
	assert_int_equal(uiommu_host_new(NULL, &h, err, sizeof(err)), 0);
	struct hw_machine *m = h->m;
	assert_int_equal(m->nr_units, 1);
	struct hw_pci_function *dsa = hw_pci_function_by_name(m, "dsa0");
	assert_non_null(dsa);
	assert_int_equal(dsa->rid, 0x0100);
	assert_int_equal(hw_pci_pasid_width(dsa), 20);
	assert_true(dsa->ecap_ats && dsa->ecap_pri && dsa->ecap_dvsec);
	assert_ptr_equal(dsa->unit, m->units[0]);
	assert_non_null(dsa->atc);
	/* Behind the PCIe-to-PCI bridge every function speaks as 03:00.0. */
	assert_int_equal(hw_pci_function_by_name(m, "legacy1")->dma_sid, 0x0300);
	assert_true(hw_pci_function_by_name(m, "mf0")->multifunction);
	assert_true(hw_pci_function_by_name(m, "mf0")->cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MFD);
	uiommu_host_free(h);
}

static void test_custom_switch(void **s)
{
	(void)s;
	const char *json = "{\n"
			   " \"units\": [ {\"name\": \"u0\", \"scope\": [\"rp\"], \"nfr\": 4, \"levels\": [4],"
			   " \"iotlb_entries\": 1024},\n"
			   "              {\"name\": \"u1\", \"scope\": \"all\", \"pasid_bits\": 10} ],\n"
			   " \"devices\": [\n"
			   "  {\"bdf\": \"00:01.0\", \"type\": \"root_port\", \"name\": \"rp\", \"acs\": true,\n"
			   "   \"children\": [\n"
			   "    {\"bdf\": \"05:00.0\", \"type\": \"switch_upstream\", \"bus\": 6, \"children\": [\n"
			   "      {\"bdf\": \"06:01.0\", \"type\": \"switch_downstream\", \"acs\": true, \"children\": [\n"
			   "        {\"bdf\": \"07:00.0\", \"type\": \"endpoint\", \"name\": \"ep\", \"pasid_bits\": 8}]}]}]},\n"
			   "  {\"bdf\": \"00:02.0\", \"type\": \"rc_endpoint\", \"name\": \"t\", \"model\": \"dmatest\"}\n"
			   " ]\n"
			   "}\n";
	struct uiommu_host *h;
	char err[256];
	struct uiommu_host_opts o = { .topology_json = json };
	int rc = uiommu_host_new(&o, &h, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	struct hw_machine *m = h->m;
	struct hw_pci_function *ep = hw_pci_function_by_name(m, "ep");
	assert_non_null(ep);
	assert_int_equal(ep->rid, 0x0700);
	assert_int_equal(ep->bus->self->bus->self->kind, PCI_KIND_SWITCH_UP);
	assert_string_equal(ep->unit->name, "u0"); /* inherited from the root port's scope */
	assert_string_equal(hw_pci_function_by_name(m, "t")->unit->name, "u1");
	assert_int_equal(VTD_CAP_NFR(m->units[0]->cap), 4);
	assert_int_equal(VTD_CAP_SAGAW(m->units[0]->cap), 4);
	assert_int_equal(VTD_ECAP_PSS(m->units[1]->ecap), 9);
	assert_int_equal(hw_pci_cfg_read(ep->bus->self, PCI_SECONDARY_BUS, 1), 7);
	uiommu_host_free(h);
}

static void test_syntax_errors(void **s)
{
	(void)s;
	refused("{\n  \"units\": [\n  \"devices\": []\n}\n", "<topology>:3:");
	refused("{ \"devices\": [] } trailing", "1:19: syntax error: text after");
	refused("", "syntax error");
	refused("{ \"devices\": [", "unexpected end of file");
	refused("[1, 2]", "expected an object");
}

static void test_field_errors(void **s)
{
	(void)s;
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\", \"colour\": 1}]}",
		"devices[0]: unknown field \"colour\"");
	refused("{\"devices\": [{\"bdf\": \"0x12\", \"type\": \"rc_endpoint\"}]}",
		"devices[0].bdf: expected \"BB:DD.F\"");
	refused("{\"devices\": [{\"bdf\": \"00:20.0\", \"type\": \"rc_endpoint\"}]}", "devices[0].bdf");
	refused("{\"devices\": [{\"type\": \"rc_endpoint\"}]}", "missing required field \"bdf\"");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"toaster\"}]}",
		"devices[0].type: unknown type \"toaster\"");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\"},"
		" {\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\"}]}",
		"devices[1]: 00:01.0 or its name is already taken");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"endpoint\"}]}",
		"cannot sit on the root bus");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"root_port\", \"children\": ["
		"{\"bdf\": \"02:00.0\", \"type\": \"endpoint\"}, {\"bdf\": \"03:00.0\", \"type\": \"endpoint\"}]}]}",
		"devices[0].children[1].bdf: 03:00.0 is not on bus 02");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\", \"pasid_bits\": 21}]}",
		"devices[0].pasid_bits: 21 is out of range 0..20");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\", \"ats\": \"yes\"}]}",
		"devices[0].ats: expected true or false");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\", \"model\": \"gpu\"}]}",
		"devices[0].model: unknown device model \"gpu\"");
	/* Options of the wrong JSON type are an error, not an abort. */
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\", \"model\": \"dmatest\","
		" \"options\": [1]}]}",
		"dmatest takes no options");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\", \"pri\": true}]}",
		"pri needs ats");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\", \"children\": []}]}",
		"only bridges and ports have a secondary bus");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"root_port\", \"bus\": 3},"
		"{\"bdf\": \"00:02.0\", \"type\": \"root_port\", \"bus\": 3}]}",
		"devices[1]: bus 03 is already in use");
	refused("{\"devices\": 5}", "\"devices\" must be an array");
	refused("{\"units\": [{\"name\": \"a\"}, {\"name\": \"a\"}], \"devices\": []}",
		"units[1]: duplicate unit name");
	refused("{\"units\": [{\"name\": \"a\", \"iotlb_entries\": 1000}], \"devices\": []}",
		"powers of two");
	refused("{\"units\": [{\"name\": \"a\", \"levels\": [3, 6]}], \"devices\": []}",
		"units[0].levels[1]: page-table levels must be 3, 4 or 5");
	refused("{\"units\": [{\"name\": \"a\", \"scope\": [\"nope\"]}], \"devices\": []}",
		"units[0].scope[0]: no device \"nope\"");
	refused("{\"units\": [{\"name\": \"a\"}, {\"name\": \"b\"}], \"devices\": []}",
		"both include all devices");
	refused("{\"devices\": [{\"bdf\": \"00:01.0\", \"type\": \"rc_endpoint\", \"dma_alias\": [\"01:00.0\"]}]}",
		"devices[0].dma_alias[0]: expected another BDF on bus 00");
}

static void test_files(void **s)
{
	(void)s;
	char err[512];
	struct uiommu_host *h;
	struct uiommu_host_opts o = { .topology_path = "/nonexistent/topo.json" };
	assert_int_equal(uiommu_host_new(&o, &h, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/topo.json: No such file"));

	char path[] = "/tmp/uiommu-topo-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char bad[] = "{\n\t\"devices\": [\n\t\t{ \"bdf\": \"00:01.0\" \"type\": \"rc_endpoint\" }\n\t]\n}\n";
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
	close(fd);
	o.topology_path = path;
	assert_int_equal(uiommu_host_new(&o, &h, err, sizeof(err)), -EINVAL);
	char want[64];
	snprintf(want, sizeof(want), "%s:3:", path);
	if (!strstr(err, want))
		fail_msg("%s", err);
	unlink(path);

	/* The shipped default file is the built-in host. */
	char def[512];
	snprintf(def, sizeof(def), "%s/topologies/default.json",
		 getenv("UIOMMU_SRCDIR") ? getenv("UIOMMU_SRCDIR") : ".");
	o.topology_path = def;
	int rc = uiommu_host_new(&o, &h, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(h->m->nr_devices, 12);
	uiommu_host_free(h);
}

/* Every prefix of a valid file is refused cleanly: no crash, no leak. */
static void test_truncations(void **s)
{
	(void)s;
	const char *full = hw_default_topology;
	size_t len = strlen(full);
	char *buf = malloc(len + 1);
	assert_non_null(buf);
	unsigned refused_n = 0;
	for (size_t cut = 0; cut < len; cut += 3) {
		memcpy(buf, full, cut);
		buf[cut] = 0;
		char err[256];
		if (load(buf, err, sizeof(err)) != 0)
			refused_n++;
		check_agrees(buf);
	}
	/* Only cuts inside trailing white space can still be whole. */
	assert_true(refused_n >= len / 3 - 1);
	free(buf);
}

/* Garbage bytes flipped into a valid file: any outcome but a crash. */
static void test_mutations(void **s)
{
	(void)s;
	const char *full = hw_default_topology;
	size_t len = strlen(full);
	char *buf = malloc(len + 1);
	assert_non_null(buf);
	srand(1234);
	static const char junk[] = "{}[]\":,0123456789aztrue-null\\ \n\x01\x7f";
	for (int i = 0; i < 400; i++) {
		memcpy(buf, full, len + 1);
		for (int k = 0; k < 3; k++)
			buf[rand() % len] = junk[rand() % (sizeof(junk) - 1)];
		check_agrees(buf);
	}
	free(buf);
}

/* The DMAR table the topology produces for software (VT-d chapter 8):
 * a DRHD per unit at its register page, scopes as paths from the root
 * bus, the INCLUDE_PCI_ALL unit last whatever its place in the file. */
static void test_dmar_table(void **s)
{
	(void)s;
	struct uiommu_host *h;
	char err[256];
	struct uiommu_host_opts o = { .topology_json =
		"{\"units\":[{\"name\":\"all\"},"
		"{\"name\":\"sw\",\"scope\":[\"rp\",\"00:03.0\"]},"
		"{\"name\":\"ep\",\"scope\":[\"deep\"]}],\"devices\":["
		"{\"bdf\":\"00:01.0\",\"type\":\"root_port\",\"name\":\"rp\",\"children\":["
		" {\"bdf\":\"01:00.0\",\"type\":\"endpoint\"}]},"
		"{\"bdf\":\"00:02.0\",\"type\":\"root_port\",\"children\":["
		" {\"bdf\":\"02:00.0\",\"type\":\"switch_upstream\",\"bus\":3,\"children\":["
		"  {\"bdf\":\"03:04.0\",\"type\":\"switch_downstream\",\"children\":["
		"   {\"bdf\":\"04:00.5\",\"type\":\"endpoint\",\"name\":\"deep\"}]}]}]},"
		"{\"bdf\":\"00:03.0\",\"type\":\"rc_endpoint\"}]}" };
	assert_int_equal(uiommu_host_new(&o, &h, err, sizeof(err)), 0);
	const uint8_t *t;
	size_t len;
	assert_int_equal(hw_acpi_get_table(h->m, "DMAR", (const void **)&t, &len), 0);
	assert_int_equal(hw_acpi_get_table(h->m, "IVRS", (const void **)&t, &len), -ENOENT);
	const struct acpi_dmar_table *dmar = (const void *)t;
	assert_memory_equal(dmar->header.signature, "DMAR", 4);
	assert_int_equal(dmar->header.length, len);
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	assert_int_equal(sum, 0);
	assert_int_equal(dmar->host_address_width, 47);

	/* sw: rp as a bridge scope, 00:03.0 an endpoint; ep: 04:00.5 by
	 * its path 00:02.0 / 02:00.0 / 03:04.0 / 04:00.5; then all. */
	static const char *const names[] = { "sw", "ep", "all" };
	static const uint8_t want_scopes[][14] = {
		{ ACPI_DMAR_SCOPE_BRIDGE, 8, 0, 0, 0, 0, 1, 0 },
		{ ACPI_DMAR_SCOPE_ENDPOINT, 8, 0, 0, 0, 0, 3, 0 },
		{ ACPI_DMAR_SCOPE_ENDPOINT, 14, 0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 5 },
	};
	size_t off = sizeof(*dmar);
	unsigned scope = 0;
	for (unsigned i = 0; i < 3; i++) {
		assert_true(off + sizeof(struct acpi_dmar_drhd) <= len);
		const struct acpi_dmar_drhd *d = (const void *)(t + off);
		assert_int_equal(d->entry.type, ACPI_DMAR_DRHD);
		assert_int_equal(d->flags, i == 2 ? ACPI_DMAR_INCLUDE_PCI_ALL : 0);
		struct vtd_unit *u = hw_vtd_ioremap(h->m, d->address);
		assert_non_null(u);
		assert_string_equal(vtd_unit_name(u), names[i]);
		for (size_t so = sizeof(*d); so < d->entry.length; scope++) {
			const uint8_t *sc = t + off + so;
			assert_true(scope < 3);
			assert_int_equal(sc[1], want_scopes[scope][1]);
			assert_memory_equal(sc, want_scopes[scope], sc[1]);
			so += sc[1];
		}
		off += d->entry.length;
	}
	assert_int_equal(scope, 3);
	assert_int_equal(off, len);
	assert_null(hw_vtd_ioremap(h->m, 0xfed80000));
	uiommu_host_free(h);

	/* "units": [] - no remapping hardware, no table. */
	o.topology_json = "{\"units\":[],\"devices\":[]}";
	assert_int_equal(uiommu_host_new(&o, &h, err, sizeof(err)), 0);
	assert_int_equal(hw_acpi_get_table(h->m, "DMAR", (const void **)&t, &len), -ENOENT);
	uiommu_host_free(h);
}

/* The type 41 entries of a host's SMBIOS table: (bus, devfn, label). */
static unsigned smbios_labels(struct uiommu_host *h, uint16_t *rid, char (*label)[32],
			      unsigned max)
{
	const uint8_t *t;
	size_t len;
	assert_int_equal(hw_smbios_get_table(h->m, (const void **)&t, &len), 0);
	const uint8_t *p = t, *end = t + len;
	unsigned n = 0;
	while (p + sizeof(struct smbios_header) <= end) {
		struct smbios_header hd;
		memcpy(&hd, p, sizeof(hd));
		if (hd.type == SMBIOS_TYPE_END_OF_TABLE)
			return n;
		assert_int_equal(hd.type, SMBIOS_TYPE_ONBOARD_DEV_EXT);
		struct smbios_onboard_dev_ext e;
		memcpy(&e, p, sizeof(e));
		const char *str = (const char *)p + hd.length;
		assert_int_equal(e.designation, 1);
		assert_true(n < max);
		rid[n] = PCI_RID(e.bus, e.devfn);
		snprintf(label[n], 32, "%s", str);
		n++;
		p = (const uint8_t *)str + strlen(str) + 2;
	}
	fail_msg("no end-of-table structure");
	return 0;
}

/* Device names reach software as firmware labels: an SMBIOS type 41
 * entry per function the topology names (a BDF-named one has none). */
static void test_smbios_labels(void **s)
{
	(void)s;
	struct uiommu_host *h;
	uint16_t rid[16];
	char label[16][32];
	assert_int_equal(uiommu_host_new(NULL, &h, NULL, 0), 0);
	unsigned n = smbios_labels(h, rid, label, 16);
	assert_int_equal(n, 12); /* every function of the built-in host is named */
	unsigned i = 0;
	while (i < n && rid[i] != 0x0100)
		i++;
	assert_true(i < n);
	assert_string_equal(label[i], "dsa0");
	uiommu_host_free(h);

	struct uiommu_host_opts o = { .topology_json =
		"{\"devices\":[{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\"},"
		"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"named\"}]}" };
	assert_int_equal(uiommu_host_new(&o, &h, NULL, 0), 0);
	n = smbios_labels(h, rid, label, 16);
	assert_int_equal(n, 1);
	assert_int_equal(rid[0], 0x0010);
	assert_string_equal(label[0], "named");
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_host), cmocka_unit_test(test_custom_switch),
		cmocka_unit_test(test_syntax_errors), cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_files),        cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),    cmocka_unit_test(test_dmar_table),
		cmocka_unit_test(test_smbios_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
