/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VT-d driver's invalidation queue (issue #7): submitters that wait for
 * their own wait descriptor with the queue lock dropped, a unit that may
 * process the queue on a thread of its own (the topology's `qi_thread`),
 * ring space given back only by the submitter that used it, and a bad
 * descriptor answered with -EIO to its own submitter only.
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "iommu/intel/intel.h"

static const char qi_thread_json[] =
	"{ \"units\": [ { \"name\": \"dmar0\", \"scope\": \"all\", \"qi_thread\": true } ],"
	"  \"devices\": ["
	"    { \"bdf\": \"00:00.0\", \"type\": \"host_bridge\", \"name\": \"host\" },"
	"    { \"bdf\": \"00:02.0\", \"type\": \"rc_endpoint\", \"name\": \"dmatest0\","
	"      \"model\": \"dmatest\" }"
	"  ] }";

static const char inline_json[] =
	"{ \"units\": [ { \"name\": \"dmar0\", \"scope\": \"all\" } ],"
	"  \"devices\": ["
	"    { \"bdf\": \"00:00.0\", \"type\": \"host_bridge\", \"name\": \"host\" },"
	"    { \"bdf\": \"00:02.0\", \"type\": \"rc_endpoint\", \"name\": \"dmatest0\","
	"      \"model\": \"dmatest\" }"
	"  ] }";

#define SUBMITTERS 6
#define ROUNDS 150

static struct intel_iommu *first_iommu(struct uiommu_host *h)
{
	return list_entry(h->intel->iommus.next, struct intel_iommu, node);
}

struct worker {
	struct intel_iommu *iommu;
	unsigned id;
	bool bad;        /* put one reserved descriptor in each batch */
	int errors;      /* submissions that did not return what they should */
};

/* Full batches (INTEL_MAX_BATCH descriptors): six submitters in flight
 * need more slots than the ring has, so each must wait for room. */
static void *submitter(void *arg)
{
	struct worker *w = arg;
	struct qi_batch b;
	for (int r = 0; r < ROUNDS; r++) {
		b.n = 0;
		for (unsigned i = 0; i < INTEL_MAX_BATCH; i++)
			qi_add_iotlb(&b, VTD_INV_IOTLB_DSI, (uint16_t)(100 + w->id), 0, 0, false);
		if (w->bad)
			b.desc[INTEL_MAX_BATCH / 2][0] = 0xf; /* reserved type */
		int rc = qi_batch_flush(w->iommu, &b);
		if (rc != (w->bad ? -EIO : 0))
			w->errors++;
	}
	return NULL;
}

static void run_submitters(const char *json, unsigned nr_bad)
{
	struct uiommu_host *h = th_host(json, false);
	struct intel_iommu *iommu = first_iommu(h);
	pthread_t th[SUBMITTERS];
	struct worker w[SUBMITTERS];
	for (unsigned i = 0; i < SUBMITTERS; i++) {
		w[i] = (struct worker){ .iommu = iommu, .id = i, .bad = i < nr_bad };
		assert_int_equal(pthread_create(&th[i], NULL, submitter, &w[i]), 0);
	}
	for (unsigned i = 0; i < SUBMITTERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].errors, 0);
	}
	/* Every slot came back, the unit is idle and not stopped. */
	mutex_lock(&iommu->qi.lock);
	assert_int_equal(iommu->qi.free_cnt, INTEL_QI_DESCS);
	assert_int_equal(iommu->qi.errors, nr_bad * ROUNDS);
	mutex_unlock(&iommu->qi.lock);
	assert_int_equal(dmar_readq(iommu, VTD_REG_IQH), dmar_readq(iommu, VTD_REG_IQT));
	assert_false(dmar_readl(iommu, VTD_REG_FSTS) & VTD_FSTS_IQE);
	struct qi_batch b = { .n = 0 };
	qi_add_iotlb(&b, VTD_INV_IOTLB_GLOBAL, 0, 0, 0, false);
	assert_int_equal(qi_batch_flush(iommu, &b), 0);
	uiommu_host_free(h);
}

static void test_submitters_unit_thread(void **s)
{
	(void)s;
	run_submitters(qi_thread_json, 0);
}

static void test_submitters_inline(void **s)
{
	(void)s;
	run_submitters(inline_json, 0);
}

/* A bad descriptor is its submitter's -EIO; the others go on. */
static void test_queue_error_to_its_owner_unit_thread(void **s)
{
	(void)s;
	run_submitters(qi_thread_json, 2);
}

static void test_queue_error_to_its_owner_inline(void **s)
{
	(void)s;
	run_submitters(inline_json, 2);
}

/* The whole stack on a unit with its own queue thread: map, DMA, unmap,
 * and the device loses the page once unmap returns. */
static void test_dma_api_on_unit_thread(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(qi_thread_json, false);
	struct device *d = th_device(h, "dmatest0");
	struct iommu_domain *dom = iommu_paging_domain_alloc(d);
	assert_non_null(dom);
	assert_int_equal(iommu_attach_device(dom, d), 0);
	uint8_t *page = th_alloc_page();
	for (int i = 0; i < 200; i++) {
		uint64_t iova = 0x100000ull + (uint64_t)(i % 16) * 4096;
		assert_int_equal(iommu_map(dom, iova, (uint64_t)(uintptr_t)page, 4096,
					   IOMMU_READ | IOMMU_WRITE), 0);
		th_dma_lands(d, PCI_NO_PASID, iova, page, "mapped");
		assert_int_equal(iommu_unmap(dom, iova, 4096), 4096);
		assert_int_equal(th_dma_faults(d, PCI_NO_PASID, iova), VTD_FR_SM_SS_NOT_PRESENT);
	}
	iommu_detach_device(dom, d);
	assert_int_equal(iommu_domain_free(dom), 0);
	free(page);
	uiommu_host_free(h);
}

/* ---- nothing waits for DMA under a spinlock ---- */

/* A DMA engine in the middle of a transfer: its read-side section stays
 * open until released, so every wait descriptor waits for it. */
struct holder {
	struct hw_machine *m;
	sem_t in, out;
};

static void *hold_dma(void *arg)
{
	struct holder *hd = arg;
	struct pci_dma_ctx *c;
	assert_int_equal(pci_dma_ctx_new(hd->m, &c), 0);
	pci_dma_ctx_online(c);
	pci_dma_begin(c);
	sem_post(&hd->in);
	sem_wait(&hd->out);
	pci_dma_end(c);
	pci_dma_ctx_offline(c);
	pci_dma_ctx_free(c);
	return NULL;
}

static void holder_start(struct holder *hd, pthread_t *th, struct hw_machine *m)
{
	hd->m = m;
	sem_init(&hd->in, 0, 0);
	sem_init(&hd->out, 0, 0);
	assert_int_equal(pthread_create(th, NULL, hold_dma, hd), 0);
	sem_wait(&hd->in);
}

/* Until a wait descriptor is blocked on the holder. */
static void until_waiting(struct hw_machine *m, uint64_t before)
{
	while (atomic_load(&m->dma_rcu.sync_waits) == before)
		sched_yield();
}

/* Run fn on a thread; true if it finished within a second (else the
 * caller joins *th once it has released what fn waits for). */
static bool finishes(pthread_t *th, void *(*fn)(void *), void *arg)
{
	assert_int_equal(pthread_create(th, NULL, fn, arg), 0);
	for (int i = 0; i < 1000; i++) {
		if (pthread_tryjoin_np(*th, NULL) == 0)
			return true;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

struct unit_wait {
	struct th *t;
	uint64_t fsts;
};

static void *invalidate(void *arg)
{
	struct unit_wait *w = arg;
	th_inv_iotlb(w->t, VTD_INV_IOTLB_DSI, 3, 0, 0);
	return NULL;
}

static void *read_fsts(void *arg)
{
	struct unit_wait *w = arg;
	vtd_mmio_read(w->t->u, VTD_REG_FSTS, 4, &w->fsts);
	return NULL;
}

/* The unit's register lock is not held across the drain of DMA in flight
 * that a wait descriptor performs: software reads registers meanwhile. */
static void test_registers_readable_during_wait(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct unit_wait w = { .t = &t };
	struct holder hd;
	pthread_t hth, qth;
	holder_start(&hd, &hth, t.m);
	uint64_t before = atomic_load(&t.m->dma_rcu.sync_waits);
	assert_int_equal(pthread_create(&qth, NULL, invalidate, &w), 0);
	until_waiting(t.m, before);
	pthread_t rth;
	bool ok = finishes(&rth, read_fsts, &w);
	sem_post(&hd.out);
	pthread_join(hth, NULL);
	pthread_join(qth, NULL);
	if (!ok)
		pthread_join(rth, NULL);
	assert_true(ok);
	th_fini(&t);
}

struct dom_ops {
	struct iommu_domain *dom;
	uint64_t iova;
	uint8_t *page;
	int rc;
};

static void *unmap_one(void *arg)
{
	struct dom_ops *o = arg;
	iommu_unmap(o->dom, o->iova, 4096);
	return NULL;
}

static void *map_one(void *arg)
{
	struct dom_ops *o = arg;
	o->rc = iommu_map(o->dom, o->iova, (uint64_t)(uintptr_t)o->page, 4096, IOMMU_READ);
	return NULL;
}

/* The VT-d driver's domain lock is not held across the IOTLB flush of an
 * unmap: a map of the same domain goes ahead while the flush waits. */
static void test_map_during_unmap_flush(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(inline_json, false);
	struct device *d = th_device(h, "dmatest0");
	struct iommu_domain *dom = iommu_paging_domain_alloc(d);
	assert_int_equal(iommu_attach_device(dom, d), 0);
	uint8_t *page = th_alloc_page();
	struct dom_ops un = { .dom = dom, .iova = 0x100000, .page = page };
	struct dom_ops mp = { .dom = dom, .iova = 0x200000, .page = page, .rc = -1 };
	assert_int_equal(iommu_map(dom, un.iova, (uint64_t)(uintptr_t)page, 4096, IOMMU_READ), 0);
	struct holder hd;
	pthread_t hth, uth;
	holder_start(&hd, &hth, h->m);
	uint64_t before = atomic_load(&h->m->dma_rcu.sync_waits);
	assert_int_equal(pthread_create(&uth, NULL, unmap_one, &un), 0);
	until_waiting(h->m, before);
	pthread_t mth;
	bool ok = finishes(&mth, map_one, &mp);
	sem_post(&hd.out);
	pthread_join(hth, NULL);
	pthread_join(uth, NULL);
	if (!ok)
		pthread_join(mth, NULL);
	assert_true(ok);
	assert_int_equal(mp.rc, 0);
	iommu_unmap(dom, mp.iova, 4096);
	iommu_detach_device(dom, d);
	assert_int_equal(iommu_domain_free(dom), 0);
	free(page);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_submitters_unit_thread),
		cmocka_unit_test(test_submitters_inline),
		cmocka_unit_test(test_queue_error_to_its_owner_unit_thread),
		cmocka_unit_test(test_queue_error_to_its_owner_inline),
		cmocka_unit_test(test_dma_api_on_unit_thread),
		cmocka_unit_test(test_registers_readable_during_wait),
		cmocka_unit_test(test_map_during_unmap_flush),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
