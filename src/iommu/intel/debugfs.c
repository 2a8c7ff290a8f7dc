/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What Linux shows under /sys/kernel/debug/iommu/intel: the translation
 * structures as the hardware would read them - root, context, PASID
 * directory and table entries, and the page tables they point at -
 * decoded from memory, not from the driver's own bookkeeping.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "intel.h"
#include "debugfs.h"
#include "../../hw/iface/mem.h"
#include "../../pci/pci.h"
#include "../../util/bdf.h"
#include "../../util/compiler.h"

static const char *pgtt_name(unsigned pgtt)
{
	switch (pgtt) {
	case VTD_PGTT_FS: return "first-stage";
	case VTD_PGTT_SS: return "second-stage";
	case VTD_PGTT_NESTED: return "nested";
	case VTD_PGTT_PT: return "pass-through";
	default: return "invalid";
	}
}

struct walk_out {
	FILE *f;
	bool json;
	unsigned shown, max;
	unsigned long total;
	bool first;
};

static void leaf(struct walk_out *w, uint64_t iova, uint64_t pa, unsigned shift, uint64_t pte,
		 bool fs)
{
	w->total++;
	if (w->shown >= w->max)
		return;
	w->shown++;
	bool r = fs ? true : (pte & VTD_SS_R);
	bool wr = fs ? (pte & VTD_FS_RW) : (pte & VTD_SS_W);
	const char *sz = shift == 30 ? "1G" : shift == 21 ? "2M" : "4K";
	if (w->json) {
		fprintf(w->f, "%s{\"iova\":\"0x%" PRIx64 "\",\"pa\":\"0x%" PRIx64
			      "\",\"size\":\"%s\",\"perm\":\"%s%s\",\"pte\":\"0x%016" PRIx64 "\"}",
			w->first ? "" : ",", iova, pa, sz, r ? "r" : "", wr ? "w" : "", pte);
		w->first = false;
	} else {
		fprintf(w->f, "          0x%012" PRIx64 " -> 0x%012" PRIx64 "  %s %s%s%s%s%s\n", iova, pa,
			sz, r ? "R" : "-", wr ? "W" : "-",
			fs && !(pte & VTD_FS_US) ? " S" : "",
			(pte & (fs ? VTD_FS_A : VTD_SS_A)) ? " A" : "",
			(pte & (fs ? VTD_FS_D : VTD_SS_D)) ? " D" : "");
	}
}

/* A nested entry's second stage, to find the first stage's tables: they
 * sit at guest-physical addresses (3.8). */
struct s2_view {
	uint64_t root;
	unsigned levels;
};

/* The host address of gpa by a read-only second-stage walk; 0 if none. */
static uint64_t s2_lookup(const struct s2_view *s2, uint64_t gpa)
{
	uint64_t table = s2->root;
	for (unsigned level = s2->levels; level >= 1; level--) {
		const uint64_t *t = hw_mem_ptr(table, 4096);
		unsigned sh = 12 + 9 * (level - 1);
		if (!t)
			return 0;
		uint64_t e = t[(gpa >> sh) & 511];
		if (!(e & (VTD_SS_R | VTD_SS_W)))
			return 0;
		uint64_t mask = (1ull << sh) - 1;
		if (level == 1 || (e & VTD_SS_PS))
			return (e & VTD_SS_ADDR_MASK & ~mask) | (gpa & mask);
		table = e & VTD_SS_ADDR_MASK;
	}
	return 0;
}

static void walk(struct walk_out *w, uint64_t table_pa, unsigned level, uint64_t base, bool fs,
		 const struct s2_view *nest)
{
	if (nest && !(table_pa = s2_lookup(nest, table_pa)))
		return;
	const uint64_t *t = hw_mem_ptr(table_pa, 4096);
	if (!t)
		return;
	unsigned sh = 12 + 9 * (level - 1);
	for (unsigned i = 0; i < 512; i++) {
		/* Bits 61:52 of a table's first entry are the driver's count. */
		uint64_t e = i == 0 ? t[0] & ~GENMASK_ULL(61, 52) : t[i];
		bool present = fs ? (e & VTD_FS_P) : (e & (VTD_SS_R | VTD_SS_W));
		if (!present)
			continue;
		uint64_t iova = base + ((uint64_t)i << sh);
		bool is_leaf = level == 1 || (e & (fs ? VTD_FS_PS : VTD_SS_PS));
		if (is_leaf)
			leaf(w, iova, e & VTD_SS_ADDR_MASK & ~((1ull << sh) - 1), sh, e, fs);
		else
			walk(w, e & VTD_SS_ADDR_MASK, level - 1, iova, fs, nest);
	}
}

/* Close a walk's leaves: the JSON array and its count, or a note. */
static void walk_total(FILE *f, bool json, const struct walk_out *w)
{
	if (json)
		fprintf(f, "],\"mappings\":%lu", w->total);
	else if (!w->total)
		fprintf(f, "          (nothing mapped)\n");
	else if (w->total > w->shown)
		fprintf(f, "          ... %lu mappings in all\n", w->total);
}

static void pasid_entry(FILE *f, bool json, uint32_t pasid, const uint64_t *q, unsigned max_leaves,
			bool *first)
{
	unsigned pgtt = VTD_PE0_PGTT(q[0]);
	uint16_t did = VTD_PE1_DID(q[1]);
	bool ss = pgtt == VTD_PGTT_SS || pgtt == VTD_PGTT_NESTED;
	bool fs = pgtt == VTD_PGTT_FS;
	unsigned levels = ss ? VTD_PE0_AW(q[0]) + 2 : (VTD_PE2_FSPM(q[2]) ? 5 : 4);
	uint64_t root = ss ? (uint64_t)(q[0] & VTD_PE0_SSPTPTR_MASK) : (uint64_t)(q[2] & VTD_PE2_FSPTPTR_MASK);
	struct walk_out w = { .f = f, .json = json, .max = max_leaves, .first = true };
	if (json) {
		fprintf(f, "%s{\"pasid\":%u,\"pgtt\":\"%s\",\"did\":%u,\"levels\":%u,\"fpd\":%s,"
			   "\"root\":\"0x%" PRIx64 "\",\"ssade\":%s,\"sre\":%s,\"leaves\":[",
			*first ? "" : ",", pasid, pgtt_name(pgtt), did, levels,
			(q[0] & VTD_PE0_FPD) ? "true" : "false", root,
			(q[0] & VTD_PE0_SSADE) ? "true" : "false",
			(q[2] & VTD_PE2_SRE) ? "true" : "false");
	} else {
		fprintf(f, "      PASID %-7u %s  DID %u", pasid, pgtt_name(pgtt), did);
		if (pgtt != VTD_PGTT_PT)
			fprintf(f, "  %u-level  root 0x%" PRIx64, levels, root);
		if (pgtt == VTD_PGTT_NESTED)
			fprintf(f, "  first stage at GPA 0x%" PRIx64, (uint64_t)(q[2] & VTD_PE2_FSPTPTR_MASK));
		fprintf(f, "%s%s%s\n", (q[0] & VTD_PE0_FPD) ? "  FPD" : "",
			(q[0] & VTD_PE0_SSADE) ? "  SSADE" : "", (q[2] & VTD_PE2_SRE) ? "  SRE" : "");
	}
	*first = false;
	bool nested = pgtt == VTD_PGTT_NESTED;
	if (nested && !json)
		fprintf(f, "        second stage (GPA -> host):\n");
	bool tables = pgtt == VTD_PGTT_SS || fs || nested;
	if (tables)
		walk(&w, root, levels, 0, fs, NULL);
	if (tables || json)
		walk_total(f, json, &w);
	if (nested) {
		/* The guest's first stage, its tables reached through the
		 * second stage as the unit reaches them. */
		struct s2_view s2 = { .root = root, .levels = levels };
		uint64_t s1 = q[2] & VTD_PE2_FSPTPTR_MASK;
		struct walk_out w1 = { .f = f, .json = json, .max = max_leaves, .first = true };
		if (json)
			fprintf(f, ",\"first_stage\":{\"root_gpa\":\"0x%" PRIx64 "\",\"levels\":%u,"
				   "\"leaves\":[",
				s1, VTD_PE2_FSPM(q[2]) ? 5 : 4);
		else
			fprintf(f, "        first stage (guest's, IOVA -> GPA), tables at "
				   "GPA 0x%" PRIx64 ":\n",
				s1);
		walk(&w1, s1, VTD_PE2_FSPM(q[2]) ? 5 : 4, 0, true, &s2);
		walk_total(f, json, &w1);
		if (json)
			fprintf(f, "}");
	}
	if (json)
		fprintf(f, "}");
}

static void context(FILE *f, bool json, struct device *dev, uint16_t sid, const uint64_t *ce,
		    unsigned max_leaves, bool *first_dev)
{
	char bdf[8];
	uint64_t lo = ce[0];
	unsigned dir_entries = 1u << (VTD_SM_CTX_PDTS(lo) + 7);
	const uint64_t *dir = hw_mem_ptr(lo & VTD_PAGE_MASK, dir_entries * 8);
	if (json) {
		fprintf(f, "%s{\"sid\":\"%s\",\"device\":", *first_dev ? "" : ",", pci_bdf_str(sid, bdf));
		if (dev)
			fprintf(f, "\"%s\"", dev->name);
		else
			fprintf(f, "null");
		fprintf(f, ",\"paside\":%s,\"dte\":%s,\"pre\":%s,\"fpd\":%s,\"pdts\":%u,"
			   "\"rid_pasid\":%u,\"pasids\":[",
			(lo & VTD_SM_CTX_PASIDE) ? "true" : "false", (lo & VTD_SM_CTX_DTE) ? "true" : "false",
			(lo & VTD_SM_CTX_PRE) ? "true" : "false", (lo & VTD_SM_CTX_FPD) ? "true" : "false",
			VTD_SM_CTX_PDTS(lo), VTD_SM_CTX_RID_PASID(ce[1]));
	} else {
		fprintf(f, "    %s %-10s context: PASID directory 0x%" PRIx64 " (%u entries)%s%s%s%s"
			   "  RID_PASID %u\n",
			pci_bdf_str(sid, bdf), dev ? dev->name : "?", (uint64_t)(lo & VTD_PAGE_MASK), dir_entries,
			(lo & VTD_SM_CTX_PASIDE) ? "  PASIDE" : "", (lo & VTD_SM_CTX_DTE) ? "  DTE" : "",
			(lo & VTD_SM_CTX_PRE) ? "  PRE" : "", (lo & VTD_SM_CTX_FPD) ? "  FPD" : "",
			VTD_SM_CTX_RID_PASID(ce[1]));
	}
	*first_dev = false;
	bool first = true;
	for (unsigned d = 0; dir && d < dir_entries; d++) {
		if (!(dir[d] & VTD_PASID_DIR_P))
			continue;
		const uint64_t *tbl = hw_mem_ptr(dir[d] & VTD_PAGE_MASK, 4096);
		for (unsigned i = 0; tbl && i < 64; i++) {
			const uint64_t *q = tbl + 8 * i;
			if (q[0] & VTD_PE0_P)
				pasid_entry(f, json, d * 64 + i, q, max_leaves, &first);
		}
	}
	if (json)
		fprintf(f, "]}");
}

int intel_dump(struct uiommu_host *h, FILE *f, const char *device, bool json, unsigned max_leaves)
{
	struct intel_driver *drv = h->intel;
	if (!drv) {
		fprintf(f, json ? "{\"units\":[]}\n" : "no IOMMU driver on this host\n");
		return 0;
	}
	struct device *want = NULL;
	if (device && !(want = uiommu_device_find(h, device)))
		return -ENOENT;
	if (json)
		fprintf(f, "{\"units\":[");
	struct intel_iommu *iommu;
	bool first_unit = true;
	list_for_each_entry(iommu, &drv->iommus, node) {
		uint64_t rta = dmar_readq(iommu, VTD_REG_RTADDR);
		uint32_t gsts = dmar_readl(iommu, VTD_REG_GSTS);
		if (json)
			fprintf(f, "%s{\"name\":\"%s\",\"root\":\"0x%" PRIx64 "\",\"scalable\":%s,"
				   "\"te\":%s,\"qi\":%s,\"contexts\":[",
				first_unit ? "" : ",", iommu->name, (uint64_t)(rta & VTD_PAGE_MASK),
				(rta & VTD_RTADDR_TTM_MASK) == VTD_RTADDR_TTM_SCALABLE ? "true" : "false",
				(gsts & VTD_GSTS_TES) ? "true" : "false",
				(gsts & VTD_GSTS_QIES) ? "true" : "false");
		else
			fprintf(f, "%s: root table 0x%" PRIx64 " (%s mode), translation %s, queued "
				   "invalidation %s\n",
				iommu->name, (uint64_t)(rta & VTD_PAGE_MASK),
				(rta & VTD_RTADDR_TTM_MASK) == VTD_RTADDR_TTM_SCALABLE ? "scalable" : "legacy",
				(gsts & VTD_GSTS_TES) ? "on" : "off", (gsts & VTD_GSTS_QIES) ? "on" : "off");
		first_unit = false;
		const uint64_t *root = hw_mem_ptr(rta & VTD_PAGE_MASK, 4096);
		bool first_dev = true;
		for (unsigned bus = 0; root && bus < 256; bus++) {
			for (unsigned half = 0; half < 2; half++) {
				uint64_t re = root[bus * 2 + half];
				if (!(re & VTD_SM_ROOT_P))
					continue;
				const uint64_t *ct = hw_mem_ptr(re & VTD_PAGE_MASK, 4096);
				if (!json && !want)
					fprintf(f, "  bus %02x %s half: context table 0x%" PRIx64 "\n", bus,
						half ? "upper" : "lower", (uint64_t)(re & VTD_PAGE_MASK));
				for (unsigned i = 0; ct && i < 128; i++) {
					const uint64_t *ce = ct + 4 * i;
					if (!(ce[0] & VTD_SM_CTX_P))
						continue;
					uint16_t sid = (uint16_t)((bus << 8) | (half * 128 + i));
					struct pci_dev *p = pci_get_by_rid(h, sid);
					struct device *dev = p ? &p->dev : NULL;
					if (want && dev != want)
						continue;
					context(f, json, dev, sid, ce, max_leaves, &first_dev);
				}
			}
		}
		if (json)
			fprintf(f, "]}");
	}
	if (json)
		fprintf(f, "]}\n");
	return 0;
}

/* ---- Linux's debugfs format: domain_translation_struct ---- */

/* One leaf per line: the IOVA's page frame, then the entry that maps it
 * at each level from the fifth down; levels below a large page are left
 * off, as Linux's dump_page_info() leaves zero entries off. */
static void dts_leaf(FILE *f, uint64_t iova, const uint64_t path[6])
{
	fprintf(f, "0x%013" PRIx64 " |\t0x%016" PRIx64 "\t0x%016" PRIx64 "\t0x%016" PRIx64,
		iova >> VTD_PAGE_SHIFT, path[5], path[4], path[3]);
	if (path[2]) {
		fprintf(f, "\t0x%016" PRIx64, path[2]);
		if (path[1])
			fprintf(f, "\t0x%016" PRIx64, path[1]);
	}
	fputc('\n', f);
}

static void dts_walk(FILE *f, uint64_t table_pa, unsigned level, uint64_t base, bool fs,
		     uint64_t path[6])
{
	const uint64_t *t = hw_mem_ptr(table_pa, 4096);
	if (!t || level < 1 || level > 5)
		return;
	unsigned sh = 12 + 9 * (level - 1);
	for (unsigned i = 0; i < 512; i++) {
		/* What the hardware reads: the driver's count in the first
		 * entry's ignored bits is not part of it. */
		uint64_t e = i == 0 ? t[0] & ~GENMASK_ULL(61, 52) : t[i];
		bool present = fs ? (e & VTD_FS_P) : (e & (VTD_SS_R | VTD_SS_W));
		if (!present)
			continue;
		uint64_t iova = base + ((uint64_t)i << sh);
		path[level] = e;
		if (level == 1 || (e & (fs ? VTD_FS_PS : VTD_SS_PS)))
			dts_leaf(f, iova, path);
		else
			dts_walk(f, e & VTD_SS_ADDR_MASK, level - 1, iova, fs, path);
		path[level] = 0;
	}
}

/* The PASID table entry the unit reads for (sid, pasid), or NULL. */
static const uint64_t *pasid_entry_of(struct intel_iommu *iommu, uint16_t sid, uint32_t pasid)
{
	uint64_t rta = dmar_readq(iommu, VTD_REG_RTADDR);
	if ((rta & VTD_RTADDR_TTM_MASK) != VTD_RTADDR_TTM_SCALABLE)
		return NULL; /* the driver only runs scalable mode */
	const uint64_t *root = hw_mem_ptr(rta & VTD_PAGE_MASK, 4096);
	unsigned bus = sid >> 8, devfn = sid & 0xff;
	uint64_t re = root ? root[bus * 2 + (devfn >= 128)] : 0;
	const uint64_t *ct = (re & VTD_SM_ROOT_P) ? hw_mem_ptr(re & VTD_PAGE_MASK, 4096) : NULL;
	const uint64_t *ce = ct ? ct + 4 * (devfn & 127) : NULL;
	if (!ce || !(ce[0] & VTD_SM_CTX_P))
		return NULL;
	unsigned dir_entries = 1u << (VTD_SM_CTX_PDTS(ce[0]) + 7);
	if ((pasid >> 6) >= dir_entries)
		return NULL;
	const uint64_t *dir = hw_mem_ptr(ce[0] & VTD_PAGE_MASK, dir_entries * 8);
	uint64_t de = dir ? dir[pasid >> 6] : 0;
	const uint64_t *tbl = (de & VTD_PASID_DIR_P) ? hw_mem_ptr(de & VTD_PAGE_MASK, 4096) : NULL;
	const uint64_t *q = tbl ? tbl + 8 * (pasid & 63) : NULL;
	return q && (q[0] & VTD_PE0_P) ? q : NULL;
}

int intel_domain_translation_struct(struct uiommu_host *h, struct device *dev, uint32_t pasid,
				    FILE *f)
{
	struct intel_driver *drv = h->intel;
	if (!drv || !dev_is_pci(dev))
		return -ENODEV;
	struct pci_dev *pdev = to_pci_dev(dev);
	uint16_t sid = pci_dev_id(pdev);
	struct intel_iommu *iommu = dmar_find_matched_unit(drv, pdev);
	if (!iommu)
		return 0;
	if (!(dmar_readl(iommu, VTD_REG_GSTS) & VTD_GSTS_TES)) {
		fprintf(f, "DMA Remapping is not enabled on %s\n", iommu->name);
		return 0;
	}
	const uint64_t *q = pasid_entry_of(iommu, sid, pasid);
	unsigned pgtt = q ? VTD_PE0_PGTT(q[0]) : 0;
	bool fs = pgtt == VTD_PGTT_FS;
	if (!q || (!fs && pgtt != VTD_PGTT_SS && pgtt != VTD_PGTT_NESTED))
		return 0;
	uint64_t pgd = fs ? q[2] & VTD_PE2_FSPTPTR_MASK : q[0] & VTD_PE0_SSPTPTR_MASK;
	unsigned levels = fs ? (VTD_PE2_FSPM(q[2]) ? 5 : 4) : VTD_PE0_AW(q[0]) + 2;
	fprintf(f, "Device 0000:%02x:%02x.%x with pasid %x @0x%" PRIx64 "\n", sid >> 8,
		(sid >> 3) & 0x1f, sid & 7, pasid, pgd);
	fprintf(f, "%-17s\t%-18s\t%-18s\t%-18s\t%-18s\t%-s\n", "IOVA_PFN", "PML5E", "PML4E",
		"PDPE", "PDE", "PTE");
	uint64_t path[6] = { 0 };
	dts_walk(f, pgd, levels, 0, fs, path);
	return 0;
}
