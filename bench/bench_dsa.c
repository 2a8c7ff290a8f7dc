/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DSA model's data path (SPEC D-1 .. D-4): one submitter thread
 * feeding a dedicated WQ with MEMMOVE descriptors, each with a completion
 * record, and one engine thread executing them.
 *
 * The baseline is the same device, the same engine and the same
 * descriptors on a PASID attached to the identity domain (pass-through),
 * measured in the same run, interleaved with the translated runs:
 *   dsa.memmove_4k_ratio     4 KiB copies, 4 KiB IOMMU pages / pass-through
 *   dsa.memmove_4k_2m_ratio  4 KiB copies, 2 MiB IOMMU pages / pass-through
 *   dsa.memmove_64b_mdesc_s  64-byte copies per second (millions), 4 KiB pages
 *   dsa.memmove_4k_gbps      4 KiB copies through 4 KiB pages, GB/s
 * The host has identity default domains, so iommu_get_domain_for_dev()
 * gives the identity domain that iommu_attach_device_pasid() puts on a
 * PASID as a pass-through PASID entry.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/host.h>
#include <uiommu/iommu.h>

#include "bench.h"
#include "base/device.h"
#include "host/host.h"
#include "hw/dev/dsa/dsa.h"
#include "hw/machine.h"

#define BUF (16u << 20)          /* each of source and destination */
#define CHUNK 4096u
#define SMALL 64u
#define SMALL_N (1u << 21)       /* 64-byte descriptors per timed pass */
#define MAX_WQ_SIZE 64           /* records kept per WQ */
#define IOVA_SRC 0x40000000ull
#define IOVA_DST 0x80000000ull
#define IOVA_CR 0xc0000000ull

enum { WQ_4K, WQ_PT, WQ_2M, NR_WQ };

struct rig {
	struct uiommu_host *h;
	struct device *dev;
	struct hw_pci_function *p;
	struct iommu_domain *d4k, *d2m, *ident;
	ioasid_t pasid[NR_WQ];
	uint8_t *src, *dst;
	struct dsa_completion_record *cr; /* MAX_WQ_SIZE records, one page */
	unsigned wq_size[NR_WQ];
};

static void die(const char *what)
{
	fprintf(stderr, "bench_dsa: %s\n", what);
	exit(1);
}

static void reg_write(struct rig *r, uint64_t off, unsigned size, uint64_t v)
{
	if (hw_pci_bar_write(r->p, 0, off, size, v))
		die("register write");
}

static unsigned command(struct rig *r, unsigned cmd, uint32_t operand)
{
	uint64_t sts;
	reg_write(r, DSA_REG_CMD, 4, DSA_CMD(cmd, operand));
	hw_pci_bar_read(r->p, 0, DSA_REG_CMDSTS, 4, &sts);
	return DSA_CMDSTS_ERR((uint32_t)sts);
}

static void map_range(struct iommu_domain *d, uint64_t iova, void *va, uint64_t len, int prot,
		      uint64_t page)
{
	for (uint64_t o = 0; o < len; o += page)
		if (iommu_map(d, iova + o, (uint64_t)(uintptr_t)va + o, page, prot))
			die("iommu_map");
}

static void setup(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	char err[256];
	struct uiommu_host_opts o = { .no_drivers = true, .default_identity = true };
	if (uiommu_host_new(&o, &r->h, err, sizeof(err)))
		die(err);
	r->dev = uiommu_device_find(r->h, "dsa0");
	r->p = hw_pci_function_by_name(r->h->m, "dsa0");
	if (!r->dev || !dsa_is_dsa(r->p))
		die("no dsa0");
	hw_pci_cfg_write(r->p, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);

	r->src = aligned_alloc(2u << 20, BUF);
	r->dst = aligned_alloc(2u << 20, BUF);
	r->cr = aligned_alloc(4096, 4096);
	if (!r->src || !r->dst || !r->cr)
		die("out of memory");
	memset(r->src, 0x5a, BUF);
	memset(r->dst, 0, BUF);
	memset(r->cr, 0, 4096);

	r->d4k = iommu_paging_domain_alloc(r->dev);
	r->d2m = iommu_paging_domain_alloc(r->dev);
	r->ident = iommu_get_domain_for_dev(r->dev);
	if (!r->d4k || !r->d2m || !r->ident || iommu_domain_type(r->ident) != IOMMU_DOMAIN_IDENTITY)
		die("domains");
	int rw = IOMMU_READ | IOMMU_WRITE;
	map_range(r->d4k, IOVA_SRC, r->src, BUF, IOMMU_READ, 4096);
	map_range(r->d4k, IOVA_DST, r->dst, BUF, rw, 4096);
	map_range(r->d4k, IOVA_CR, r->cr, 4096, rw, 4096);
	/* One call over aligned ranges: 2 MiB leaves. */
	if (iommu_map(r->d2m, IOVA_SRC, (uint64_t)(uintptr_t)r->src, BUF, IOMMU_READ) ||
	    iommu_map(r->d2m, IOVA_DST, (uint64_t)(uintptr_t)r->dst, BUF, rw) ||
	    iommu_map(r->d2m, IOVA_CR, (uint64_t)(uintptr_t)r->cr, 4096, rw))
		die("iommu_map 2M");
	struct iommu_domain *doms[NR_WQ] = { r->d4k, r->ident, r->d2m };
	for (unsigned w = 0; w < NR_WQ; w++) {
		r->pasid[w] = iommu_alloc_global_pasid(r->dev);
		if (iommu_attach_device_pasid(doms[w], r->dev, r->pasid[w]))
			die("attach PASID");
	}

	/* Group 0: the three WQs, engine 0. */
	reg_write(r, DSA_GRPCFG_WQS(0), 8, (1u << NR_WQ) - 1);
	reg_write(r, DSA_GRPCFG_ENGINES(0), 8, 1);
	for (unsigned w = 0; w < NR_WQ; w++)
		reg_write(r, DSA_WQCFG(w, 2), 4,
			  DSA_WQCFG_MODE_DEDICATED | DSA_WQCFG_PASID_EN | DSA_WQCFG_PASID(r->pasid[w]));
	if (command(r, DSA_CMD_ENABLE_DEVICE, 0))
		die("ENABLE_DEVICE");
}

/* (Re)size the WQs within WQCAP.total_wq_size (128); 0 leaves one off. */
static void size_wqs(struct rig *r, unsigned s0, unsigned s1, unsigned s2)
{
	unsigned sz[NR_WQ] = { s0, s1, s2 };
	for (unsigned w = 0; w < NR_WQ; w++)
		if (command(r, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(w)))
			die("DISABLE_WQ");
	for (unsigned w = 0; w < NR_WQ; w++) {
		r->wq_size[w] = sz[w];
		reg_write(r, DSA_WQCFG(w, 0), 4, sz[w]);
		if (sz[w] && command(r, DSA_CMD_ENABLE_WQ, w))
			die("ENABLE_WQ");
	}
}

static void teardown(struct rig *r)
{
	command(r, DSA_CMD_DISABLE_DEVICE, 0);
	struct iommu_domain *doms[NR_WQ] = { r->d4k, r->ident, r->d2m };
	for (unsigned w = 0; w < NR_WQ; w++) {
		iommu_detach_device_pasid(doms[w], r->dev, r->pasid[w]);
		iommu_free_global_pasid(r->dev, r->pasid[w]);
	}
	iommu_domain_free(r->d4k);
	iommu_domain_free(r->d2m);
	uiommu_host_free(r->h);
	free(r->src);
	free(r->dst);
	free(r->cr);
}

/* Addresses as WQ w's PASID sees them. */
static uint64_t src_addr(struct rig *r, unsigned w, uint64_t off)
{
	return (w == WQ_PT ? (uint64_t)(uintptr_t)r->src : IOVA_SRC) + off;
}

static uint64_t dst_addr(struct rig *r, unsigned w, uint64_t off)
{
	return (w == WQ_PT ? (uint64_t)(uintptr_t)r->dst : IOVA_DST) + off;
}

static uint64_t cr_addr(struct rig *r, unsigned w, unsigned slot)
{
	return (w == WQ_PT ? (uint64_t)(uintptr_t)r->cr : IOVA_CR) + 32ull * slot;
}

static void wait_slot(struct dsa_completion_record *c)
{
	uint8_t s;
	/* Poll with a short backoff: re-reading the line the engine is about
	 * to write only takes it away from the engine. */
	while (!(s = atomic_load_explicit((_Atomic uint8_t *)&c->status, memory_order_acquire)))
		for (int i = 0; i < 32; i++)
			__builtin_ia32_pause();
	if (s != DSA_COMP_SUCCESS)
		die("descriptor failed");
}

/*
 * `n` MEMMOVEs of `len` bytes on WQ w, walking the buffers, each with its
 * record. A dedicated WQ must not hold more than its size, so records are
 * reaped before their slots are reused - `batch` at a time, as software
 * feeding a DSA does, so the submitter does not chase the engine record
 * by record. Returns nanoseconds from the first submission to the last
 * record.
 */
static double pass(struct rig *r, unsigned w, unsigned n, unsigned len, unsigned batch)
{
	const unsigned k = r->wq_size[w];
	struct dsa_hw_desc d;
	memset(&d, 0, sizeof(d));
	d.flags_opcode = DSA_DESC_MAKE_OP(DSA_OPCODE_MEMMOVE, DSA_FLAG_CRAV | DSA_FLAG_RCR);
	d.xfer_size = len;
	uint64_t portal = DSA_WQ_PORTAL(w, 0);
	memset(r->cr, 0, 32 * MAX_WQ_SIZE);
	uint64_t span = BUF / len * len;
	double t0 = now_ns();
	uint64_t off = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned slot = i % k;
		if (i >= k && i % batch == 0) {
			for (unsigned j = 0; j < batch; j++) {
				wait_slot(&r->cr[slot + j]);
				r->cr[slot + j].status = 0;
			}
		}
		d.src_addr = src_addr(r, w, off);
		d.dst_addr = dst_addr(r, w, off);
		d.completion_addr = cr_addr(r, w, slot);
		enum dsa_submit_result res;
		if (dsa_portal_submit(r->p, portal, &d, DSA_MOVDIR64B, 0, &res) ||
		    res != DSA_SUBMIT_ACCEPTED)
			die("submit");
		off += len;
		if (off >= span)
			off = 0;
	}
	for (unsigned i = n > k ? n - k : 0; i < n; i++)
		wait_slot(&r->cr[i % k]);
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	/* "4k" or "64b" runs one half only (for profiling). */
	bool only4k = argc > 1 && !strcmp(argv[1], "4k"), only64 = argc > 1 && !strcmp(argv[1], "64b");
	struct rig r;
	setup(&r);
	const unsigned n4k = BUF / CHUNK;
	size_wqs(&r, 40, 40, 40);
	double best[NR_WQ] = { 1e30, 1e30, 1e30 };
	for (int k = 0; k < BEST_OF + 1 && !only64; k++) {
		for (unsigned w = 0; w < NR_WQ; w++) {
			double t = pass(&r, w, n4k, CHUNK, 8);
			if (k && t < best[w])
				best[w] = t; /* pass 0 warms caches and IOTLB */
		}
	}
	if (!only64 && memcmp(r.src, r.dst, BUF))
		die("copy mismatch");
	size_wqs(&r, 64, 64, 0);
	double small_4k = 1e30, small_pt = 1e30;
	for (int k = 0; k < BEST_OF + 1 && !only4k; k++) {
		double a = pass(&r, WQ_4K, SMALL_N, SMALL, 16);
		double b = pass(&r, WQ_PT, SMALL_N, SMALL, 16);
		if (k && a < small_4k)
			small_4k = a;
		if (k && b < small_pt)
			small_pt = b;
	}
	double gbps_4k = BUF / best[WQ_4K], gbps_pt = BUF / best[WQ_PT], gbps_2m = BUF / best[WQ_2M];
	if (!only64) {
		emit("dsa.memmove_4k_ratio", gbps_4k / gbps_pt, "ratio", "pass-through PASID", 1.0,
		     "ratio", ">=0.90");
		emit("dsa.memmove_4k_2m_ratio", gbps_2m / gbps_pt, "ratio", "pass-through PASID", 1.0,
		     "ratio", ">=0.99");
	}
	if (!only4k)
		emit("dsa.memmove_64b_mdesc_s", SMALL_N / small_4k * 1e3, "Mdesc/s",
		     "pass-through PASID", SMALL_N / small_pt * 1e3, "Mdesc/s", ">=20");
	if (!only64)
		emit("dsa.memmove_4k_gbps", gbps_4k, "GB/s", "pass-through PASID", gbps_pt, "GB/s",
		     "-");
	teardown(&r);
	return 0;
}
