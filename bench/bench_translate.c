/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Translation speed (issue #2): an IOTLB hit on one page, hits spread
 * over 16K pages, and a 4-level walk with the tables in cache. Baselines:
 * a QEMU-style IOTLB (a hash table under a mutex) for the hits, the bare
 * pointer chase through the same four tables for the walk.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "bench.h"
#include "base/device.h"
#include "host/host.h"
#include "hw/machine.h"
#include "hw/pci/dma.h"

/* ---- the baseline: a chained hash table keyed like QEMU's IOTLB ---- */

struct qent {
	uint64_t key;
	uint64_t out;
	struct qent *next;
};

struct qtlb {
	pthread_mutex_t lock;
	struct qent **b;
	unsigned mask;
};

static uint64_t qkey(uint16_t sid, uint32_t pasid, uint64_t pfn)
{
	return pfn ^ ((uint64_t)sid << 44) ^ ((uint64_t)pasid << 24);
}

static unsigned qhash(uint64_t k)
{
	return (unsigned)((k * 0x9e3779b97f4a7c15ull) >> 40);
}

static void qtlb_init(struct qtlb *q, unsigned n)
{
	pthread_mutex_init(&q->lock, NULL);
	q->mask = n - 1;
	q->b = calloc(n, sizeof(*q->b));
}

static void qtlb_insert(struct qtlb *q, uint64_t k, uint64_t out)
{
	struct qent *e = malloc(sizeof(*e));
	e->key = k;
	e->out = out;
	unsigned h = qhash(k) & q->mask;
	e->next = q->b[h];
	q->b[h] = e;
}

static uint64_t qtlb_lookup(struct qtlb *q, uint64_t k)
{
	uint64_t out = 0;
	pthread_mutex_lock(&q->lock);
	for (struct qent *e = q->b[qhash(k) & q->mask]; e; e = e->next)
		if (e->key == k) {
			out = e->out;
			break;
		}
	pthread_mutex_unlock(&q->lock);
	return out;
}

static void qtlb_free(struct qtlb *q)
{
	for (unsigned i = 0; i <= q->mask; i++)
		for (struct qent *e = q->b[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	free(q->b);
}

/* ---- the unit under test ---- */

#define PAGES 16384
#define IOVA0 0x100000000ull

struct rig {
	struct uiommu_host *h;
	struct device *dev;
	struct hw_pci_function *fn;  /* the emulated function issuing the requests */
	struct iommu_domain *d;
	struct vtd_unit *u;
	struct pci_dma_ctx *ctx;
	uint8_t *mem;
};

static int rig_init(struct rig *r, const char *json, unsigned pages)
{
	char err[256];
	struct uiommu_host_opts o = { .topology_json = json };
	if (uiommu_host_new(&o, &r->h, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return -1;
	}
	r->dev = uiommu_device_find(r->h, "dmatest0");
	r->d = iommu_paging_domain_alloc(r->dev);
	if (!r->d || iommu_attach_device(r->d, r->dev))
		return -1;
	r->mem = aligned_alloc(4096, (size_t)pages * 4096);
	if (!r->mem)
		return -1;
	memset(r->mem, 0, (size_t)pages * 4096);
	for (unsigned i = 0; i < pages; i++)
		if (iommu_map(r->d, IOVA0 + 4096ull * i, (uint64_t)(uintptr_t)r->mem + 4096ull * i, 4096,
			      IOMMU_READ | IOMMU_WRITE))
			return -1;
	r->fn = hw_pci_function_by_name(r->h->m, "dmatest0");
	r->u = r->fn->unit;
	pci_dma_ctx_new(r->h->m, &r->ctx);
	pci_dma_ctx_online(r->ctx);
	return 0;
}

static void rig_fini(struct rig *r)
{
	pci_dma_ctx_offline(r->ctx);
	pci_dma_ctx_free(r->ctx);
	iommu_unmap(r->d, IOVA0, (uint64_t)PAGES * 4096);
	iommu_detach_device(r->d, r->dev);
	iommu_domain_free(r->d);
	uiommu_host_free(r->h);
	free(r->mem);
}

static uint64_t translate(struct rig *r, uint64_t iova)
{
	struct vtd_req req = { .sid = r->fn->dma_sid, .pasid = VTD_PASID_NONE,
			       .perm = VTD_PERM_R, .addr = iova };
	struct vtd_xlate x;
	struct vtd_fault f;
	if (vtd_translate(r->u, &r->ctx->utlb, &req, &x, &f))
		abort();
	return x.out;
}

static double time_local(struct rig *r, long n)
{
	double best = 1e30;
	for (int k = 0; k < BEST_OF; k++) {
		uint64_t acc = 0;
		pci_dma_begin(r->ctx);
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			acc += translate(r, IOVA0 + 0x123);
		double t = now_ns() - t0;
		pci_dma_end(r->ctx);
		sink(acc);
		if (t / n < best)
			best = t / n;
	}
	return best;
}

static double time_list(struct rig *r, const uint64_t *iova, long n)
{
	double best = 1e30;
	for (int k = 0; k < BEST_OF; k++) {
		uint64_t acc = 0;
		pci_dma_begin(r->ctx);
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			acc += translate(r, iova[i]);
		double t = now_ns() - t0;
		pci_dma_end(r->ctx);
		sink(acc);
		if (t / n < best)
			best = t / n;
	}
	return best;
}

static double time_qtlb(struct qtlb *q, const uint64_t *keys, long n)
{
	double best = 1e30;
	for (int k = 0; k < BEST_OF; k++) {
		uint64_t acc = 0;
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			acc += qtlb_lookup(q, keys[i]);
		double t = now_ns() - t0;
		sink(acc);
		if (t / n < best)
			best = t / n;
	}
	return best;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(void)
{
	struct rig r;
	if (rig_init(&r, NULL, PAGES))
		return 1;
	const long N = 1 << 22;
	uint64_t *iova = malloc(sizeof(uint64_t) * N), *keys = malloc(sizeof(uint64_t) * N);
	uint64_t seed = 88172645463325252ull;
	for (long i = 0; i < N; i++) {
		uint64_t p = rnd(&seed) % PAGES;
		iova[i] = IOVA0 + p * 4096 + 64;
		keys[i] = qkey(0x10, 0, (IOVA0 >> 12) + p);
	}

	struct qtlb q;
	qtlb_init(&q, 32768);
	for (unsigned p = 0; p < PAGES; p++)
		qtlb_insert(&q, qkey(0x10, 0, (IOVA0 >> 12) + p), (uint64_t)(uintptr_t)r.mem + 4096ull * p);
	uint64_t *same = malloc(sizeof(uint64_t) * N);
	for (long i = 0; i < N; i++)
		same[i] = qkey(0x10, 0, IOVA0 >> 12);

	/* Warm: every page once through the IOTLB. */
	for (unsigned p = 0; p < PAGES; p++)
		translate(&r, IOVA0 + 4096ull * p);

	double local = time_local(&r, N);
	double qlocal = time_qtlb(&q, same, N);
	emit("translate.iotlb_hit_local", local, "ns", "hash+mutex IOTLB", qlocal, "ns", "<=5");
	double random = time_list(&r, iova, N);
	double qrandom = time_qtlb(&q, keys, N);
	emit("translate.iotlb_hit_random", random, "ns", "hash+mutex IOTLB", qrandom, "ns", "<=15");
	rig_fini(&r);

	/* A miss every time: a 64-entry IOTLB and 4096 pages, visited in an
	 * order that defeats both it and the engine's micro-TLB. */
	const char *tiny = "{\"units\":[{\"name\":\"dmar0\",\"iotlb_entries\":64}],"
			   "\"devices\":[{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\","
			   "\"name\":\"dmatest0\",\"model\":\"dmatest\"}]}";
	if (rig_init(&r, tiny, 4096))
		return 1;
	for (long i = 0; i < N; i++)
		iova[i] = IOVA0 + ((uint64_t)((i * 2654435761u) % 4096) << 12);
	double walk = time_list(&r, iova, N);

	/* Baseline: the four dependent loads through the same tables, found
	 * from the PASID entry the hardware uses. */
	double chase = 1e30;
	{
		struct vtd_unit *u = r.u;
		uint64_t rta = 0;
		vtd_mmio_read(u, VTD_REG_RTADDR, 8, &rta);
		uint64_t *rt = (uint64_t *)(uintptr_t)(rta & VTD_PAGE_MASK);
		uint64_t *ct = (uint64_t *)(uintptr_t)(rt[0] & VTD_PAGE_MASK);
		uint64_t *ce = ct + 4 * 0x10;
		uint64_t *dir = (uint64_t *)(uintptr_t)(ce[0] & VTD_PAGE_MASK);
		uint64_t *pt = (uint64_t *)(uintptr_t)(dir[0] & VTD_PAGE_MASK);
		uint64_t root = pt[0] & VTD_PE0_SSPTPTR_MASK;
		for (int k = 0; k < BEST_OF; k++) {
			uint64_t acc = 0;
			double t0 = now_ns();
			for (long i = 0; i < N; i++) {
				uint64_t a = iova[i], t = root;
				for (int l = 4; l >= 1; l--) {
					uint64_t e = ((uint64_t *)(uintptr_t)t)[(a >> (12 + 9 * (l - 1))) & 511];
					t = e & VTD_SS_ADDR_MASK;
				}
				acc += t;
			}
			double tt = (now_ns() - t0) / N;
			sink(acc);
			if (tt < chase)
				chase = tt;
		}
	}
	emit("translate.walk_4level", walk, "ns", "4 dependent loads", chase, "ns", "<=20");
	rig_fini(&r);
	qtlb_free(&q);
	free(iova);
	free(keys);
	free(same);
	return 0;
}
