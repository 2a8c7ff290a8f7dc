/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The upper half under concurrency (issue #12): threads issuing ioctls on
 * one /dev/iommu and on one VFIO device cdev at once, as Linux allows -
 * IOAS map, unmap and copy; IOMMU_DESTROY racing the IOAS's users (-EBUSY
 * or done, never a use after free); HWPT allocation and destruction,
 * attach, replace and detach racing DMA through the device and unmaps of
 * the IOAS. Run under AddressSanitizer (make test) and ThreadSanitizer
 * (make tsan). tests/unit/test_soak.c runs the whole upper half at once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "cdev_utils.h"

#define PG 4096ull
#define THREADS 3
#define ROUNDS 300

/* ---- one iommufd, several threads ---- */

/* Threads map, copy and unmap in IOASes of their own on one iommufd while
 * they map and unmap in an IOAS of another one, which this thread keeps
 * destroying until no ioctl holds it. */

struct ctx_worker {
	int fd;                     /* private IOASes: their IDs come and go */
	int sfd;                    /* the shared IOAS's: no ID reused after it goes */
	unsigned id;
	uint32_t shared;            /* an IOAS another thread destroys */
	uint8_t *mem;
	atomic_int *bad;
	atomic_bool *shared_gone;
	atomic_int *rounds;
};

/* Its own IOASes: map, copy into a second, unmap both, destroy both. */
static void private_round(struct ctx_worker *w)
{
	uint32_t a, b;
	uint64_t iova = 0x100000, dst = 0x400000, un = 0;
	if (ioas_alloc(w->fd, &a) || ioas_alloc(w->fd, &b)) {
		atomic_fetch_add(w->bad, 1);
		return;
	}
	uint64_t un2 = 0;
	if (ioas_map_fixed(w->fd, a, w->mem, 4 * PG, iova) ||
	    ioas_copy(w->fd, b, a, iova, 4 * PG, &dst, IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW) ||
	    ioas_unmap(w->fd, a, iova, 4 * PG, &un) || ioas_unmap(w->fd, b, 0, UINT64_MAX, &un2) ||
	    un != 4 * PG || un2 != 4 * PG)
		atomic_fetch_add(w->bad, 1);
	if (obj_destroy(w->fd, a) || obj_destroy(w->fd, b))
		atomic_fetch_add(w->bad, 1);
}

/* A range of its own in the shared IOAS: 0 while it exists, -ENOENT once
 * it was destroyed, nothing else. */
static void shared_round(struct ctx_worker *w)
{
	uint64_t iova = 0x10000000ull * (w->id + 1), un = 0;
	/* Once DESTROY returned, the ID names nothing. */
	bool gone = atomic_load(w->shared_gone);
	int rc = ioas_map_fixed(w->sfd, w->shared, w->mem, PG, iova);
	if (!rc)
		rc = ioas_unmap(w->sfd, w->shared, iova, PG, &un);
	atomic_fetch_add(w->rounds, 1);
	if ((rc && rc != -ENOENT) || (gone && rc != -ENOENT))
		atomic_fetch_add(w->bad, 1);
}

static void *ctx_worker_fn(void *arg)
{
	struct ctx_worker *w = arg;
	for (int r = 0; r < ROUNDS; r++) {
		private_round(w);
		for (int k = 0; k < 4; k++)
			shared_round(w);
	}
	return NULL;
}

static void test_one_iommufd_many_threads(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	int pfd = uiommu_open(t.h, "/dev/iommu", O_RDWR);
	assert_true(pfd >= 0);
	uint32_t shared;
	assert_int_equal(ioas_alloc(t.fd, &shared), 0);
	atomic_int bad = 0;
	atomic_bool gone = false;
	atomic_int rounds = 0;
	struct ctx_worker w[THREADS];
	pthread_t th[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct ctx_worker){ .fd = pfd, .sfd = t.fd, .id = i, .shared = shared,
					    .mem = buf_alloc(4 * PG), .bad = &bad,
					    .shared_gone = &gone, .rounds = &rounds };
		assert_int_equal(pthread_create(&th[i], NULL, ctx_worker_fn, &w[i]), 0);
	}
	/* DESTROY races the shared IOAS's users: -EBUSY while one is inside
	 * an ioctl on it, done once none is; never anything else. */
	int busy = 0, rc;
	while (atomic_load(&rounds) < ROUNDS / 4)
		sched_yield();
	while ((rc = obj_destroy(t.fd, shared)) == -EBUSY)
		busy++;
	assert_int_equal(rc, 0);
	atomic_store(&gone, true);
	assert_int_equal(obj_destroy(t.fd, shared), -ENOENT);
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		munmap(w[i].mem, 4 * PG);
	}
	assert_int_equal(atomic_load(&bad), 0);
	printf("destroy: %d times -EBUSY before it went\n", busy);
	/* Nothing is left: no object, no pin. */
	assert_int_equal(ictx_objects(&t), 0);
	assert_int_equal(uiommu_close(pfd), 0);
	ifd_close(&t);
}

/* ---- one device cdev: attach, replace, detach, HWPTs and DMA at once ---- */

struct dev_rig {
	struct ifd t;
	int dfd;
	uint32_t devid, ioas;
	uint8_t *mem;               /* page 0: source, page 1: destination */
	atomic_bool stop;
	atomic_int bad;
	atomic_ulong dmas, landed;
	atomic_uint spare;          /* a HWPT of the IOAS, or 0 */
};

/* DMA through the device while everything changes: it lands with the
 * right bytes or faults, never anything else. */
static void *dma_fn(void *arg)
{
	struct dev_rig *r = arg;
	uint8_t n = 0;
	while (!atomic_load(&r->stop)) {
		memset(r->mem, ++n, 64);
		memset(r->mem + PG, (uint8_t)~n, 64);
		dt_w(r->dfd, DMATEST_REG_SRC, 0x100000, 8);
		dt_w(r->dfd, DMATEST_REG_DST, 0x101000, 8);
		dt_w(r->dfd, DMATEST_REG_LEN, 64, 4);
		dt_w(r->dfd, DMATEST_REG_CTRL, DMATEST_CTRL_GO, 4);
		uint32_t st = (uint32_t)dt_r(r->dfd, DMATEST_REG_STATUS);
		if (st == DMATEST_STATUS_DONE) {
			atomic_fetch_add(&r->landed, 1);
			if (memcmp(r->mem, r->mem + PG, 64))
				atomic_fetch_add(&r->bad, 1);
		} else if (st != DMATEST_STATUS_ERROR) {
			atomic_fetch_add(&r->bad, 1);
		}
		atomic_fetch_add(&r->dmas, 1);
	}
	return NULL;
}

/* HWPTs come and go: destroying the one attached is -EBUSY. */
static void *hwpt_fn(void *arg)
{
	struct dev_rig *r = arg;
	while (!atomic_load(&r->stop)) {
		uint32_t id;
		if (hwpt_alloc(r->t.fd, r->devid, r->ioas, 0, &id)) {
			atomic_fetch_add(&r->bad, 1);
			break;
		}
		atomic_store(&r->spare, id);
		sched_yield();
		atomic_store(&r->spare, 0);
		int rc;
		while ((rc = obj_destroy(r->t.fd, id)) == -EBUSY)
			sched_yield();
		if (rc)
			atomic_fetch_add(&r->bad, 1);
	}
	return NULL;
}

/* The IOAS's second page comes and goes under the DMA. */
static void *map_fn(void *arg)
{
	struct dev_rig *r = arg;
	while (!atomic_load(&r->stop)) {
		uint64_t un;
		int a = ioas_unmap(r->t.fd, r->ioas, 0x101000, PG, &un);
		int b = ioas_map_fixed(r->t.fd, r->ioas, r->mem + PG, PG, 0x101000);
		if (a || b)
			atomic_fetch_add(&r->bad, 1);
		/* Mapped most of the time, so that DMA lands too. */
		nanosleep(&(struct timespec){ 0, 50000 }, NULL);
	}
	return NULL;
}

static void test_one_cdev_many_threads(void **state)
{
	(void)state;
	struct dev_rig r = { .dfd = -1 };
	ifd_open(&r.t);
	r.mem = buf_alloc(2 * PG);
	assert_int_equal(ioas_alloc(r.t.fd, &r.ioas), 0);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, r.mem, PG, 0x100000), 0);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, r.mem + PG, PG, 0x101000), 0);
	r.dfd = cdev_open(r.t.h, "dmatest0");
	assert_int_equal(cdev_bind(r.dfd, r.t.fd, &r.devid), 0);
	uint32_t pt = r.ioas;
	assert_int_equal(cdev_attach(r.dfd, &pt), 0);
	dt_bus_master(r.dfd);
	pthread_t th[3];
	assert_int_equal(pthread_create(&th[0], NULL, dma_fn, &r), 0);
	assert_int_equal(pthread_create(&th[1], NULL, hwpt_fn, &r), 0);
	assert_int_equal(pthread_create(&th[2], NULL, map_fn, &r), 0);
	/* This thread: attach to the spare (a replace) or back to the IOAS's
	 * HWPT, detach now and then - on the same fd the DMA thread uses. */
	time_t t0 = time(NULL);
	for (int i = 0; i < ROUNDS || atomic_load(&r.dmas) < 500 || atomic_load(&r.landed) < 50;
	     i++) {
		if (time(NULL) - t0 > 60)
			break;
		uint32_t to = atomic_load(&r.spare);
		to = to && (i & 1) ? to : r.ioas;
		int rc = cdev_attach(r.dfd, &to);
		/* The spare may be destroyed under us: then it is not there. */
		if (rc && rc != -ENOENT)
			atomic_fetch_add(&r.bad, 1);
		if (i % 7 == 0 && cdev_detach(r.dfd))
			atomic_fetch_add(&r.bad, 1);
	}
	atomic_store(&r.stop, true);
	pthread_join(th[0], NULL);
	pthread_join(th[2], NULL);
	/* Off the spare, so that its thread can destroy it and stop. */
	pt = r.ioas;
	assert_int_equal(cdev_attach(r.dfd, &pt), 0);
	pthread_join(th[1], NULL);
	assert_int_equal(atomic_load(&r.bad), 0);
	assert_true(atomic_load(&r.landed) > 0);
	printf("%lu DMAs, %lu landed\n", atomic_load(&r.dmas), atomic_load(&r.landed));
	/* Everything let go: detach, destroy the IOAS, unbind by closing. */
	cdev_detach(r.dfd);
	assert_int_equal(obj_destroy(r.t.fd, r.ioas), 0);
	assert_int_equal(uiommu_close(r.dfd), 0);
	munmap(r.mem, 2 * PG);
	ifd_close(&r.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_iommufd_many_threads),
		cmocka_unit_test(test_one_cdev_many_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
