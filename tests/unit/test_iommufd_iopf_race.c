/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O page faults under concurrency (issue #12; SPEC U-11): the DSA keeps
 * taking recoverable faults on a PASID while the VMM's responder thread
 * answers them, and the fault-capable HWPT is replaced and destroyed, and
 * its FAULT descriptor closed, under the traffic - in either order. Every
 * descriptor must end, with a fault status and well before the device's
 * own page-request timeout (nothing left unanswered), and nothing may be
 * used after it was freed. Run under AddressSanitizer (make test) and
 * ThreadSanitizer (make tsan).
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "iommufd_utils.h"
#include "guest/dsa_wq.h"

#define PG     4096ull
#define PASID  1
#define SRC    0x10000000ull   /* mapped: source and completion records */
#define DST    0x20000000ull   /* never mapped: every copy faults */
#define CR_OFF 0x8000u
#define ROUNDS 12

struct rig {
	struct ifd t;
	struct hw_pci_function *fn;
	struct iommufd_device *idev;
	uint32_t dev, ioas, plain;   /* plain: a HWPT without fault queue */
	uint8_t *src;
	atomic_bool stop;
	atomic_int bad, done;
	atomic_int slow;             /* descriptors that took over a second */
};

/* The device: block-on-fault copies to pages nobody maps, one at a time. */
static void *device_fn(void *arg)
{
	struct rig *r = arg;
	struct dsa_completion_record *cr = (void *)(r->src + CR_OFF);
	for (unsigned k = 0; !atomic_load(&r->stop); k++) {
		memset(cr, 0, sizeof(*cr));
		struct dsa_hw_desc d = dsa_desc(DSA_OPCODE_MEMMOVE, DSA_FLAG_BOF, SRC,
						DST + (k % 64) * PG, 64, SRC + CR_OFF);
		if (dsa_wq_submit(r->fn, 0, &d)) {
			atomic_fetch_add(&r->bad, 1);
			break;
		}
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		uint8_t st = dsa_wait(cr, 10);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* Ended, and not by landing where nothing is mapped. */
		if (!st || DSA_COMP_STATUS(st) == DSA_COMP_SUCCESS)
			atomic_fetch_add(&r->bad, 1);
		if (t1.tv_sec - t0.tv_sec > 1)
			atomic_fetch_add(&r->slow, 1);
		atomic_fetch_add(&r->done, 1);
	}
	return NULL;
}

struct responder {
	int fd;
	atomic_bool stop;
	atomic_int served;
	pthread_t thread;
};

/* The VMM: reads each fault and answers Invalid, until told to stop;
 * the descriptor may be closed under it. */
static void *respond_fn(void *arg)
{
	struct responder *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		if (poll(&p, 1, 5) != 1 || !(p.revents & POLLIN))
			continue;
		struct iommu_hwpt_pgfault rec;
		if (uiommu_read(s->fd, &rec, sizeof(rec)) != sizeof(rec))
			continue;
		struct iommu_hwpt_page_response resp = { .cookie = rec.cookie,
							 .code = IOMMUFD_PAGE_RESP_INVALID };
		if (uiommu_write(s->fd, &resp, sizeof(resp)) == sizeof(resp))
			atomic_fetch_add(&s->served, 1);
	}
	return NULL;
}

static int hwpt_pasid(struct rig *r, uint32_t fault_id, uint32_t *out)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .dev_id = r->dev, .pt_id = r->ioas,
				      .flags = IOMMU_HWPT_ALLOC_PASID, .fault_id = fault_id };
	if (fault_id)
		c.flags |= IOMMU_HWPT_FAULT_ID_VALID;
	int rc = ioc(r->t.fd, IOMMU_HWPT_ALLOC, &c);
	*out = c.out_hwpt_id;
	return rc;
}

/* One round: a fault queue and its HWPT take the PASID, faults flow,
 * then the HWPT is replaced and destroyed and the queue closed - in the
 * order `close_first` says - while the responder still works. */
static void round_trip(struct rig *r, bool close_first)
{
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	assert_int_equal(ioc(r->t.fd, IOMMU_FAULT_QUEUE_ALLOC, &f), 0);
	uint32_t fhwpt;
	assert_int_equal(hwpt_pasid(r, f.out_fault_id, &fhwpt), 0);
	uint32_t pt = fhwpt;
	assert_int_equal(iommufd_device_replace(r->idev, PASID, &pt), 0);
	struct responder s = { .fd = (int)f.out_fault_fd };
	assert_int_equal(pthread_create(&s.thread, NULL, respond_fn, &s), 0);
	for (int i = 0; i < 2000 && atomic_load(&s.served) < 3; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	if (close_first)
		assert_int_equal(uiommu_close(s.fd), 0);
	/* Faults still in the queue are answered by the replace. */
	pt = r->plain;
	assert_int_equal(iommufd_device_replace(r->idev, PASID, &pt), 0);
	assert_int_equal(obj_destroy(r->t.fd, fhwpt), 0);
	if (!close_first)
		assert_int_equal(uiommu_close(s.fd), 0);
	atomic_store(&s.stop, true);
	pthread_join(s.thread, NULL);
	assert_int_equal(obj_destroy(r->t.fd, f.out_fault_id), 0);
	assert_true(atomic_load(&s.served) >= 3);
}

static void test_fault_queue_and_hwpt_go_under_faults(void **state)
{
	(void)state;
	struct rig r;
	memset(&r, 0, sizeof(r));
	ifd_open(&r.t);
	struct device *d = th_device(r.t.h, "dsa0");
	r.fn = th_fn(d);
	int err;
	r.idev = iommufd_device_bind(r.t.ictx, d, &r.dev, &err);
	assert_non_null(r.idev);
	assert_int_equal(ioas_alloc(r.t.fd, &r.ioas), 0);
	r.src = buf_alloc(16 * PG);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, r.src, 16 * PG, SRC), 0);
	assert_int_equal(hwpt_pasid(&r, 0, &r.plain), 0);
	uint32_t pt = r.plain;
	assert_int_equal(iommufd_device_attach(r.idev, PASID, &pt), 0);
	assert_int_equal(dsa_wq_setup(r.fn, 0, 16, PASID, true), 0);
	pthread_t dev;
	assert_int_equal(pthread_create(&dev, NULL, device_fn, &r), 0);
	for (int i = 0; i < ROUNDS; i++)
		round_trip(&r, i & 1);
	atomic_store(&r.stop, true);
	pthread_join(dev, NULL);
	printf("%d descriptors, %d slow\n", atomic_load(&r.done), atomic_load(&r.slow));
	assert_int_equal(atomic_load(&r.bad), 0);
	assert_int_equal(atomic_load(&r.slow), 0);
	dsa_wq_teardown(r.fn);
	iommufd_device_detach(r.idev, PASID);
	iommufd_device_unbind(r.idev);
	assert_int_equal(uiommu_close(r.t.fd), 0);
	r.t.fd = -1;
	munmap(r.src, 16 * PG);
	ifd_close(&r.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_queue_and_hwpt_go_under_faults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
