/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A walk racing an invalidation (SPEC H-5, H-10; issue #7): a walker reads
 * a table entry, the driver changes the entry and completes an
 * invalidation that finds nothing cached, then the walker fills. The fill
 * must not survive the invalidation - neither in the unit's caches nor in
 * the engine's micro-TLB - or the device keeps using what the driver took
 * away. A test hook (vtd_set_fill_hook) stalls the walker between its read
 * and its fill, so each interleaving is forced, not hoped for.
 *
 * The walker calls vtd_translate() without a DMA-RCU reader, so the wait
 * descriptor does not wait for it: that is the interleaving a real walk
 * that started before the invalidation and fills after its completion
 * has.
 */
#include <pthread.h>
#include <semaphore.h>
#include <string.h>

#include "harness.h"

#define SSRW (VTD_SS_R | VTD_SS_W)
#define FSRW (VTD_FS_P | VTD_FS_RW | VTD_FS_US)
#define IOVA 0x40000000ull
#define IOVA_HOLE 0x48000000ull /* never mapped */
#define DID 7
#define PASID 21

struct race {
	struct th *t;
	enum vtd_fill_kind stall_at;
	sem_t walked, go;
	struct vtd_utlb utlb;
	struct vtd_req req;
	int rc;
	struct vtd_xlate x;
};

static void hook(struct vtd_unit *u, int kind, void *opaque)
{
	struct race *r = opaque;
	(void)u;
	if (kind != (int)r->stall_at)
		return;
	sem_post(&r->walked);
	sem_wait(&r->go);
}

static void *walker(void *arg)
{
	struct race *r = arg;
	struct vtd_fault f;
	r->rc = vtd_translate(r->t->u, &r->utlb, &r->req, &r->x, &f);
	return NULL;
}

/* Translate `req` on the walker's micro-TLB (once stalled at `kind`),
 * running `change` while it is stalled. */
static void race(struct race *r, enum vtd_fill_kind kind, void (*change)(struct race *r))
{
	r->stall_at = kind;
	sem_init(&r->walked, 0, 0);
	sem_init(&r->go, 0, 0);
	vtd_set_fill_hook(r->t->u, hook, r);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, walker, r), 0);
	sem_wait(&r->walked);
	change(r);
	sem_post(&r->go);
	pthread_join(th, NULL);
	vtd_set_fill_hook(r->t->u, NULL, NULL);
	sem_destroy(&r->walked);
	sem_destroy(&r->go);
	/* The walk began before the change: its own use of the old entry is
	 * that of a request in flight, which the wait covered. */
	assert_int_equal(r->rc, 0);
}

/* After the race: the walker's micro-TLB and the unit must both fault. */
static void expect_gone(struct race *r, uint8_t reason)
{
	struct vtd_xlate x;
	struct vtd_fault f;
	memset(&f, 0, sizeof(f));
	assert_int_equal(vtd_translate(r->t->u, &r->utlb, &r->req, &x, &f), -1);
	assert_int_equal(f.reason, reason);
	memset(&f, 0, sizeof(f));
	assert_int_equal(vtd_translate(r->t->u, NULL, &r->req, &x, &f), -1);
	assert_int_equal(f.reason, reason);
}

static struct th_pt pt;
static uint64_t *page;

static void setup_ss(struct race *r, struct th *t)
{
	memset(r, 0, sizeof(*r));
	r->t = t;
	vtd_utlb_init(&r->utlb);
	th_dev_enable(t, SID_DMATEST0, false);
	th_context_setup(t, SID_DMATEST0, 0);
	th_pt_init(t, &pt, 4, false);
	th_pasid_ss(t, SID_DMATEST0, 0, DID, &pt, 0);
	page = th_buf(t);
	th_map(t, &pt, IOVA, (uint64_t)(uintptr_t)page, 12, SSRW);
	r->req = (struct vtd_req){ .sid = SID_DMATEST0, .pasid = VTD_PASID_NONE,
				   .perm = VTD_PERM_R, .addr = IOVA };
}

static void unmap_ss(struct race *r)
{
	__atomic_store_n(th_pte(&pt, IOVA, 1), 0, __ATOMIC_RELEASE);
	th_inv_iotlb(r->t, VTD_INV_IOTLB_PSI, DID, IOVA, 0);
}

/* The general path: the walker's first request, stream not yet known. */
static void test_iotlb_fill_after_psi(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct race r;
	setup_ss(&r, &t);
	race(&r, VTD_FILL_IOTLB, unmap_ss);
	expect_gone(&r, VTD_FR_SM_SS_NOT_PRESENT);
	th_fini(&t);
}

/* The engine's fast path: the stream resolved (by a request that
 * faulted, so nothing of the domain is cached), then a walk and fill. */
static void test_iotlb_fast_fill_after_psi(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct race r;
	setup_ss(&r, &t);
	struct vtd_req hole = r.req;
	hole.addr = IOVA_HOLE;
	struct vtd_xlate x;
	struct vtd_fault f;
	assert_int_equal(vtd_translate(t.u, &r.utlb, &hole, &x, &f), -1);
	race(&r, VTD_FILL_IOTLB, unmap_ss);
	expect_gone(&r, VTD_FR_SM_SS_NOT_PRESENT);
	th_fini(&t);
}

/* With other pages of the domain cached, the invalidation drops them
 * and moves the unit's generation; the fill checks that one too. */
static void race_domain_cached(bool fast)
{
	struct th t;
	th_init(&t, NULL);
	struct race r;
	setup_ss(&r, &t);
	th_map(&t, &pt, IOVA + 0x200000, (uint64_t)(uintptr_t)th_buf(&t), 12, SSRW);
	struct vtd_req other = r.req;
	other.addr = IOVA + 0x200000;
	struct vtd_xlate x;
	struct vtd_fault f;
	/* Cached through another requester's micro-TLB, or none. */
	struct vtd_utlb warm;
	vtd_utlb_init(&warm);
	assert_int_equal(vtd_translate(t.u, fast ? &r.utlb : &warm, &other, &x, &f), 0);
	race(&r, VTD_FILL_IOTLB, unmap_ss);
	expect_gone(&r, VTD_FR_SM_SS_NOT_PRESENT);
	th_fini(&t);
}

static void test_iotlb_fill_after_psi_domain_cached(void **s)
{
	(void)s;
	race_domain_cached(false);
}

static void test_iotlb_fast_fill_after_psi_domain_cached(void **s)
{
	(void)s;
	race_domain_cached(true);
}

/* A domain-selective flush with nothing cached must stop fills too. */
static void unmap_ss_dsi(struct race *r)
{
	__atomic_store_n(th_pte(&pt, IOVA, 1), 0, __ATOMIC_RELEASE);
	th_inv_iotlb(r->t, VTD_INV_IOTLB_DSI, DID, 0, 0);
}

static void test_iotlb_fill_after_dsi(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct race r;
	setup_ss(&r, &t);
	race(&r, VTD_FILL_IOTLB, unmap_ss_dsi);
	expect_gone(&r, VTD_FR_SM_SS_NOT_PRESENT);
	th_fini(&t);
}

/* First stage: the PASID-based IOTLB invalidation. */
static void unmap_fs(struct race *r)
{
	__atomic_store_n(th_pte(&pt, IOVA, 1), 0, __ATOMIC_RELEASE);
	th_inv_piotlb(r->t, VTD_INV_PIOTLB_PSI, DID, PASID, IOVA, 0);
}

static void test_piotlb_fill_after_psi(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct race r;
	memset(&r, 0, sizeof(r));
	r.t = &t;
	vtd_utlb_init(&r.utlb);
	th_dev_enable(&t, SID_DSA, true);
	th_context_setup(&t, SID_DSA, 0);
	th_pt_init(&t, &pt, 4, true);
	th_pasid_fs(&t, SID_DSA, PASID, DID, &pt, 0);
	page = th_buf(&t);
	th_map(&t, &pt, IOVA, (uint64_t)(uintptr_t)page, 12, FSRW);
	r.req = (struct vtd_req){ .sid = SID_DSA, .pasid = PASID, .perm = VTD_PERM_R,
				  .addr = IOVA };
	race(&r, VTD_FILL_IOTLB, unmap_fs);
	expect_gone(&r, VTD_FR_SM_FS_P);
	th_fini(&t);
}

/* The context cache: the entry goes away under a fetch in flight. */
static void clear_context(struct race *r)
{
	uint64_t *ce = th_context(r->t, SID_DMATEST0);
	__atomic_store_n(&ce[0], 0, __ATOMIC_RELEASE);
	th_inv_cc_dev(r->t, SID_DMATEST0);
}

static void test_context_fill_after_inv(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct race r;
	setup_ss(&r, &t);
	race(&r, VTD_FILL_CONTEXT, clear_context);
	expect_gone(&r, VTD_FR_SM_CTX_P);
	th_fini(&t);
}

/* The PASID cache: the RID_PASID entry goes away under a fetch. */
static void clear_pasid_entry(struct race *r)
{
	uint64_t *pe = th_pasid_entry(r->t, SID_DMATEST0, 0);
	__atomic_store_n(&pe[0], 0, __ATOMIC_RELEASE);
	th_inv_pc(r->t, VTD_INV_PC_PASID, DID, 0);
}

static void test_pasid_fill_after_inv(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct race r;
	setup_ss(&r, &t);
	race(&r, VTD_FILL_PASID, clear_pasid_entry);
	expect_gone(&r, VTD_FR_SM_PTE_P);
	th_fini(&t);
}

/* The guard costs nothing when there is no race: a fill that ran alone
 * is served from the caches afterwards. */
static void test_fill_without_race_is_kept(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct race r;
	setup_ss(&r, &t);
	struct vtd_xlate x;
	struct vtd_fault f;
	assert_int_equal(vtd_translate(t.u, &r.utlb, &r.req, &x, &f), 0);
	assert_int_equal(vtd_iotlb_count(&t.u->iotlb), 1);
	/* Changed without an invalidation: the caches still say the old. */
	__atomic_store_n(th_pte(&pt, IOVA, 1), 0, __ATOMIC_RELEASE);
	assert_int_equal(vtd_translate(t.u, NULL, &r.req, &x, &f), 0);
	assert_int_equal(x.out, (uint64_t)(uintptr_t)page);
	th_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iotlb_fill_after_psi),
		cmocka_unit_test(test_iotlb_fast_fill_after_psi),
		cmocka_unit_test(test_iotlb_fill_after_dsi),
		cmocka_unit_test(test_iotlb_fill_after_psi_domain_cached),
		cmocka_unit_test(test_iotlb_fast_fill_after_psi_domain_cached),
		cmocka_unit_test(test_piotlb_fill_after_psi),
		cmocka_unit_test(test_context_fill_after_inv),
		cmocka_unit_test(test_pasid_fill_after_inv),
		cmocka_unit_test(test_fill_without_race_is_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
