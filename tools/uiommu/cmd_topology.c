/* SPDX-License-Identifier: BSD-3-Clause */
/* uiommu topology: the PCI tree with IOMMU groups, capabilities and units. */
#include <stdio.h>
#include <string.h>

#include <uiommu/iommu.h>
#include <uiommu/mdev.h>

#include "cli.h"
#include "host/host.h"
#include "hw/machine.h"
#include "iommu/group.h"
#include "pci/pci.h"

/* The kernel's device for an emulated function: the one at its BDF. */
static struct device *kdev(struct uiommu_host *h, const struct hw_pci_function *p)
{
	char b[8];
	return uiommu_device_find(h, pci_bdf_str(p->rid, b));
}

static int group_id(struct uiommu_host *h, const struct hw_pci_function *p)
{
	const struct device *d = kdev(h, p);
	return d && d->group ? (int)d->group->id : -1;
}

static void caps_text(const struct hw_pci_function *p, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
#define ADD(...) n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__)
	if (p->ecap_acs)
		ADD("ACS ");
	if (p->ecap_pasid) {
		bool priv = hw_pci_cfg_get16(p, p->ecap_pasid + PCI_PASID_CAP) & PCI_PASID_CAP_PRIV;
		ADD("PASID:%u%s%s ", hw_pci_pasid_width(p), priv ? "+priv" : "",
		    hw_pci_pasid_enabled(p) ? "(on)" : "");
	}
	if (p->ecap_ats)
		ADD("ATS%s ", hw_pci_ats_enabled(p) ? "(on)" : "");
	if (p->ecap_pri)
		ADD("PRI%s ", hw_pci_pri_enabled(p) ? "(on)" : "");
	if (p->ecap_dvsec)
		ADD("SIOV ");
	if (p->multifunction)
		ADD("MF ");
	if (p->nr_aliases || p->dma_sid != p->rid) {
		char b[8];
		ADD("alias:%s ", pci_bdf_str(p->dma_sid, b));
	}
#undef ADD
	if (n && n < len)
		buf[n - 1] = 0;
}

static void tree(struct uiommu_host *h, const struct hw_pci_bus *bus, const char *prefix)
{
	const struct hw_pci_function *p;
	list_for_each_entry(p, &bus->devices, bus_node) {
		bool last = p->bus_node.next == &bus->devices;
		char caps[128], bdf[8], gid[24];
		caps_text(p, caps, sizeof(caps));
		int g = group_id(h, p);
		if (g >= 0)
			snprintf(gid, sizeof(gid), "group %d", g);
		else
			snprintf(gid, sizeof(gid), "no IOMMU");
		char lead[64];
		snprintf(lead, sizeof(lead), "%s%s%s", prefix, bus->self ? (last ? "└─" : "├─") : "",
			 pci_bdf_str(p->rid, bdf));
		/* Box-drawing characters take 3 bytes but one column. */
		int cols = 0;
		for (const char *s = lead; *s; s++)
			if ((*s & 0xc0) != 0x80)
				cols++;
		printf("%s%*s %-10s %-17s %-26s %-9s %s\n", lead, 18 - cols, "", p->name,
		       hw_pci_kind_name(p->kind), caps, gid, p->unit ? p->unit->name : "-");
		if (p->subordinate) {
			char sub[64];
			snprintf(sub, sizeof(sub), "%s%s", prefix, bus->self ? (last ? "  " : "│ ") : "");
			tree(h, p->subordinate, sub);
		}
	}
}

static void units_text(struct hw_machine *m)
{
	for (unsigned i = 0; i < m->nr_units; i++) {
		struct vtd_unit *u = m->units[i];
		unsigned sagaw = VTD_CAP_SAGAW(u->cap);
		char lv[16] = "";
		for (unsigned l = 3; l <= 5; l++)
			if (sagaw & (1u << (l - 2)))
				snprintf(lv + strlen(lv), sizeof(lv) - strlen(lv), "%s%u",
					 lv[0] ? "/" : "", l);
		printf("%s: VT-d scalable mode, PASID %u bits, %s-level second stage, "
		       "MGAW %u, IOTLB %u entries, %u fault records%s%s%s%s\n",
		       u->name, VTD_ECAP_PSS(u->ecap) + 1, lv, VTD_CAP_MGAW(u->cap), u->cfg.iotlb_entries,
		       VTD_CAP_NFR(u->cap), u->ecap & VTD_ECAP_NEST ? ", nesting" : "",
		       u->ecap & VTD_ECAP_PRS ? ", page requests" : "",
		       u->ecap & VTD_ECAP_DT ? ", device TLBs" : "",
		       u->include_all ? ", scope: all" : "");
	}
}

static int print_member(struct device *d, void *data)
{
	char b[8];
	(void)data;
	if (dev_is_pci(d))
		printf(" %s(%s)", d->name, pci_name(to_pci_dev(d), b));
	else
		printf(" %s(mdev)", d->name);
	return 0;
}

static int print_group(struct iommu_group *g, void *data)
{
	printf("iommu group %u:", g->id);
	iommu_group_for_each_dev(g, data, print_member);
	printf("\n");
	return 0;
}

static void groups_text(struct uiommu_host *h)
{
	iommu_for_each_group(h, NULL, print_group);
}

/* Which kernel drivers took which functions, and the mdev types their
 * parents offer (mdev_supported_types in sysfs). */
static int print_driver(struct device *d, void *data)
{
	bool *any = data;
	if (!d->driver)
		return 0;
	printf("%s %s", *any ? "," : "\nkernel drivers:", d->name);
	printf(" -> %s", d->driver->name);
	*any = true;
	return 0;
}

static void drivers_text(struct uiommu_host *h)
{
	bool any = false;
	bus_for_each_dev(h, NULL, &any, print_driver);
	printf("%s", any ? "  (every other function is free for VFIO)\n" : "");
	struct uiommu_mdev_type_info t[16];
	int n = uiommu_mdev_types(h, t, 16);
	for (int i = 0; i < n && i < 16; i++)
		printf("%s%s:%s  %u available  %s\n", i ? "  " : "mdev types:\n  ", t[i].parent,
		       t[i].name, t[i].available, t[i].description);
}

static int json_member(struct device *d, void *data)
{
	bool *first = data;
	char b[8];
	printf("%s\"%s\"", *first ? "" : ",", dev_is_pci(d) ? pci_name(to_pci_dev(d), b) : d->name);
	*first = false;
	return 0;
}

static int json_group(struct iommu_group *g, void *data)
{
	bool *first = data, f2 = true;
	printf("%s{\"id\":%u,\"devices\":[", *first ? "" : ",", g->id);
	iommu_group_for_each_dev(g, &f2, json_member);
	printf("]}");
	*first = false;
	return 0;
}

static void json_out(struct uiommu_host *h)
{
	struct hw_machine *m = h->m;
	printf("{\"units\":[");
	for (unsigned i = 0; i < m->nr_units; i++) {
		struct vtd_unit *u = m->units[i];
		printf("%s{\"name\":", i ? "," : "");
		json_str(stdout, u->name);
		printf(",\"cap\":\"0x%016llx\",\"ecap\":\"0x%016llx\",\"pasid_bits\":%u,"
		       "\"iotlb_entries\":%u,\"scope_all\":%s}",
		       (unsigned long long)u->cap, (unsigned long long)u->ecap,
		       VTD_ECAP_PSS(u->ecap) + 1, u->cfg.iotlb_entries,
		       u->include_all ? "true" : "false");
	}
	printf("],\"devices\":[");
	struct hw_pci_function *p;
	bool first = true;
	list_for_each_entry(p, &m->devices, node) {
		char b[8], s[8], caps[128];
		caps_text(p, caps, sizeof(caps));
		printf("%s{\"bdf\":\"%s\",\"name\":", first ? "" : ",", pci_bdf_str(p->rid, b));
		json_str(stdout, p->name);
		printf(",\"type\":\"%s\",\"parent\":", hw_pci_kind_name(p->kind));
		if (p->bus->self)
			printf("\"%s\"", pci_bdf_str(p->bus->self->rid, s));
		else
			printf("null");
		printf(",\"model\":");
		if (p->model_name[0])
			json_str(stdout, p->model_name);
		else
			printf("null");
		printf(",\"group\":");
		if (group_id(h, p) >= 0)
			printf("%d", group_id(h, p));
		else
			printf("null");
		printf(",\"unit\":");
		if (p->unit)
			json_str(stdout, p->unit->name);
		else
			printf("null");
		struct device *dv = kdev(h, p);
		printf(",\"driver\":");
		if (dv && dv->driver)
			json_str(stdout, dv->driver->name);
		else
			printf("null");
		printf(",\"requester_id\":\"%s\",\"acs\":%s,\"multifunction\":%s,\"pasid_bits\":%u,"
		       "\"pasid_enabled\":%s,\"ats\":%s,\"pri\":%s,\"siov\":%s}",
		       pci_bdf_str(p->dma_sid, s), p->ecap_acs ? "true" : "false",
		       p->multifunction ? "true" : "false", hw_pci_pasid_width(p),
		       hw_pci_pasid_enabled(p) ? "true" : "false", p->ecap_ats ? "true" : "false",
		       p->ecap_pri ? "true" : "false", p->ecap_dvsec ? "true" : "false");
		first = false;
	}
	printf("],\"groups\":[");
	bool firstg = true;
	iommu_for_each_group(h, &firstg, json_group);
	printf("],\"mdev_types\":[");
	struct uiommu_mdev_type_info t[16];
	int n = uiommu_mdev_types(h, t, 16);
	for (int i = 0; i < n && i < 16; i++) {
		printf("%s{\"parent\":", i ? "," : "");
		json_str(stdout, t[i].parent);
		printf(",\"name\":");
		json_str(stdout, t[i].name);
		printf(",\"description\":");
		json_str(stdout, t[i].description);
		printf(",\"device_api\":\"%s\",\"available\":%u}", t[i].device_api, t[i].available);
	}
	printf("]}\n");
}

int cmd_topology(struct cli *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			c->json = true;
		} else if (!strcmp(argv[i], "--default-json")) {
			fputs(uiommu_default_topology(), stdout);
			return 0;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: uiommu [--topology FILE] topology [--json] [--default-json]\n"
			       "\n"
			       "Show the emulated host: remapping units, the PCI tree with each function's\n"
			       "type, capabilities (ACS, PASID width, ATS, PRI, SIOV, multifunction, DMA\n"
			       "alias) and IOMMU group, then the groups. --default-json prints the built-in\n"
			       "topology file.\n");
			return 0;
		} else {
			fprintf(stderr, "uiommu topology: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	struct uiommu_host *h;
	if (cli_host(c, &h))
		return 1;
	if (c->json) {
		json_out(h);
	} else {
		units_text(h->m);
		printf("\n");
		tree(h, h->m->root_bus, "");
		printf("\n");
		groups_text(h);
		drivers_text(h);
	}
	uiommu_host_free(h);
	return 0;
}
