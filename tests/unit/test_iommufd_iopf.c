/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O page faults end to end (SPEC U-11, H-8, D-4; seed 2 flow 4.6): the
 * DSA, bound to /dev/iommu, runs a block-on-fault descriptor on a PASID
 * whose HWPT is fault-capable; touching a page nobody mapped makes it
 * issue a PRI page request, which goes through the unit's page request
 * queue and the VT-d driver to a record on the FAULT descriptor (poll
 * wakes). A responder thread - the VMM - maps the page and answers by
 * cookie; the page-group response resumes the device, which completes
 * with the right bytes. An Invalid answer fails the descriptor; a closed
 * fault descriptor answers what is outstanding; an overflowing page
 * request queue is answered by the unit itself, as hardware does.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "iommufd_utils.h"
#include "guest/dsa_wq.h"
#include "guest/guest.h"
#include "base/device.h"
#include "hw/dev/dsa/dsa.h"
#include "hw/pci/pri.h"
#include <uiommu/hw/vtd.h>

#define PG     4096ull
#define PASID  1
#define SRC    0x10000000ull   /* mapped: source and completion records */
#define DST    0x20000000ull   /* mapped on demand */
#define CR_OFF 0x8000u

struct rig {
	struct ifd t;
	struct device *d;
	struct hw_pci_function *fn;
	struct iommufd_device *idev;
	uint32_t dev, ioas, fault_id, hwpt;
	int fault_fd;
	uint8_t *src;                /* 64 KiB at SRC */
	uint8_t *dst;                /* 64 KiB the responder maps at DST */
};

static void rig_init_on(struct rig *r, struct uiommu_host *h)
{
	memset(r, 0, sizeof(*r));
	ifd_open_on(&r->t, h);
	r->d = th_device(r->t.h, "dsa0");
	r->fn = th_fn(r->d);
	int err;
	r->idev = iommufd_device_bind(r->t.ictx, r->d, &r->dev, &err);
	assert_non_null(r->idev);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	assert_int_equal(ioc(r->t.fd, IOMMU_FAULT_QUEUE_ALLOC, &f), 0);
	r->fault_id = f.out_fault_id;
	r->fault_fd = (int)f.out_fault_fd;
	r->src = buf_alloc(16 * PG);
	r->dst = buf_alloc(16 * PG);
	for (unsigned i = 0; i < 16 * PG; i++)
		r->src[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(ioas_map_fixed(r->t.fd, r->ioas, r->src, 16 * PG, SRC), 0);
}

static void rig_init(struct rig *r)
{
	rig_init_on(r, th_host(NULL, false));
	struct iommu_hwpt_alloc c = { .size = sizeof(c),
				      .flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
				      .dev_id = r->dev, .pt_id = r->ioas, .fault_id = r->fault_id };
	assert_int_equal(ioc(r->t.fd, IOMMU_HWPT_ALLOC, &c), 0);
	r->hwpt = c.out_hwpt_id;
	uint32_t pt = r->hwpt;
	assert_int_equal(iommufd_device_attach(r->idev, PASID, &pt), 0);
	assert_int_equal(dsa_wq_setup(r->fn, 0, 16, PASID, true), 0);
}

static void rig_fini(struct rig *r)
{
	dsa_wq_teardown(r->fn);
	if (r->hwpt)
		iommufd_device_detach(r->idev, PASID);
	iommufd_device_unbind(r->idev);
	if (r->fault_fd >= 0)
		assert_int_equal(uiommu_close(r->fault_fd), 0);
	assert_int_equal(uiommu_close(r->t.fd), 0);
	r->t.fd = -1;
	munmap(r->src, 16 * PG);
	munmap(r->dst, 16 * PG);
	ifd_close(&r->t);
}

static struct dsa_completion_record *crec(struct rig *r)
{
	return (struct dsa_completion_record *)(r->src + CR_OFF);
}

/* MEMMOVE len bytes from SRC + off to `dst`, blocking on faults. */
static void submit_copy(struct rig *r, uint64_t off, uint64_t dst, uint32_t len)
{
	memset(crec(r), 0, sizeof(*crec(r)));
	struct dsa_hw_desc d =
		dsa_desc(DSA_OPCODE_MEMMOVE, DSA_FLAG_BOF, SRC + off, dst, len, SRC + CR_OFF);
	assert_int_equal(dsa_wq_submit(r->fn, 0, &d), 0);
}

static bool wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* ---- the VMM's responder thread ---- */

struct responder {
	struct rig *r;
	unsigned code;               /* IOMMUFD_PAGE_RESP_* */
	bool map;                    /* map the faulting page first */
	int want;                    /* faults to serve */
	atomic_int served;
	struct iommu_hwpt_pgfault last;
	pthread_t thread;
};

static void *respond_fn(void *arg)
{
	struct responder *s = arg;
	struct rig *r = s->r;
	while (atomic_load(&s->served) < s->want) {
		if (!wait_readable(r->fault_fd, 10000))
			break;
		struct iommu_hwpt_pgfault rec;
		if (uiommu_read(r->fault_fd, &rec, sizeof(rec)) != sizeof(rec))
			break;
		s->last = rec;
		if (s->map) {
			uint64_t page = rec.addr & ~(PG - 1);
			if (ioas_map_fixed(r->t.fd, r->ioas, r->dst + (page - DST), PG, page))
				break;
		}
		struct iommu_hwpt_page_response resp = { .cookie = rec.cookie, .code = s->code };
		if (uiommu_write(r->fault_fd, &resp, sizeof(resp)) != sizeof(resp))
			break;
		atomic_fetch_add(&s->served, 1);
	}
	return NULL;
}

static void responder_start(struct responder *s, struct rig *r, unsigned code, bool map, int want)
{
	memset(s, 0, sizeof(*s));
	s->r = r;
	s->code = code;
	s->map = map;
	s->want = want;
	assert_int_equal(pthread_create(&s->thread, NULL, respond_fn, s), 0);
}

static void responder_join(struct responder *s)
{
	pthread_join(s->thread, NULL);
}

static void fault_served_and_device_resumes(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	assert_true(hw_pci_pri_enabled(r.fn));
	/* Four pages nobody mapped: four faults, one after the other. */
	struct responder s;
	responder_start(&s, &r, IOMMUFD_PAGE_RESP_SUCCESS, true, 4);
	submit_copy(&r, 0, DST, 4 * PG);
	assert_int_equal(dsa_wait(crec(&r), 10), DSA_COMP_SUCCESS);
	responder_join(&s);
	assert_int_equal(atomic_load(&s.served), 4);
	assert_memory_equal(r.dst, r.src, 4 * PG);
	/* The record: this device, the PASID, a write to the last page. */
	assert_int_equal(s.last.dev_id, r.dev);
	assert_int_equal(s.last.pasid, PASID);
	assert_int_equal(s.last.flags,
			 IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	assert_true(s.last.perm & IOMMU_PGFAULT_PERM_WRITE);
	assert_int_equal(s.last.addr, DST + 3 * PG);
	struct dsa_stats st;
	dsa_get_stats(r.fn, &st);
	assert_int_equal(st.wq[0].page_requests, 4);
	/* Mapped now: the same copy runs without a fault. */
	submit_copy(&r, PG, DST, PG);
	assert_int_equal(dsa_wait(crec(&r), 10), DSA_COMP_SUCCESS);
	dsa_get_stats(r.fn, &st);
	assert_int_equal(st.wq[0].page_requests, 4);
	assert_memory_equal(r.dst, r.src + PG, PG);
	rig_fini(&r);
}

static void invalid_answer_fails_the_descriptor(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	struct responder s;
	responder_start(&s, &r, IOMMUFD_PAGE_RESP_INVALID, false, 1);
	submit_copy(&r, 0, DST + 5 * PG, 64);
	assert_int_equal(dsa_wait(crec(&r), 10), DSA_COMP_PAGE_FAULT_IR | DSA_COMP_STATUS_WRITE);
	responder_join(&s);
	assert_int_equal(crec(&r)->fault_addr, DST + 5 * PG);
	assert_int_equal(crec(&r)->bytes_completed, 0);
	/* An answer to a cookie never handed out, or twice: EINVAL. */
	struct iommu_hwpt_page_response resp = { .cookie = s.last.cookie };
	assert_int_equal(uiommu_write(r.fault_fd, &resp, sizeof(resp)), -EINVAL);
	resp.cookie = 12345;
	assert_int_equal(uiommu_write(r.fault_fd, &resp, sizeof(resp)), -EINVAL);
	rig_fini(&r);
}

/* The VMM closes its fault descriptor while the device waits: the wait
 * ends with an Invalid answer, and later faults are answered at once. */
static void closing_the_queue_answers_outstanding(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	submit_copy(&r, 0, DST, 64);
	assert_true(wait_readable(r.fault_fd, 10000));
	assert_int_equal(crec(&r)->status, 0); /* blocked */
	assert_int_equal(uiommu_close(r.fault_fd), 0);
	r.fault_fd = -1;
	/* Answered, not given up on: well inside the device's own 5 s
	 * page-request timeout, which would end it the same way. */
	assert_int_equal(dsa_wait(crec(&r), 1), DSA_COMP_PAGE_FAULT_IR | DSA_COMP_STATUS_WRITE);
	submit_copy(&r, 0, DST + PG, 64);
	assert_int_equal(dsa_wait(crec(&r), 1), DSA_COMP_PAGE_FAULT_IR | DSA_COMP_STATUS_WRITE);
	/* The HWPT still holds the FAULT object. */
	assert_int_equal(obj_destroy(r.t.fd, r.fault_id), -EBUSY);
	rig_fini(&r);
}

/*
 * Flow 4.6 with a guest: the fault-capable HWPT is the guest's nested
 * first stage at the vPASID; the fault is in the guest's table. The VMM
 * passes it to the guest, which maps the page in its own table,
 * invalidates (HWPT_INVALIDATE), and the VMM answers Success.
 */
static void guest_fault_through_a_nested_hwpt(void **state)
{
	(void)state;
	struct rig r;
	rig_init_on(&r, th_host(NULL, false));
	const uint64_t gpa = 0x80000000ull, ram = 4ull << 20, gva = 0x7f0000000000ull;
	struct guest g;
	struct guest_pt pt;
	assert_int_equal(guest_init(&g, gpa, ram, 1ull << 20), 0);
	assert_int_equal(ioas_map_fixed(r.t.fd, r.ioas, g.ram, ram, gpa), 0);
	uint32_t parent, nested;
	assert_int_equal(hwpt_alloc_data(r.t.fd,
					 IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
					 r.dev, r.ioas, 0, NULL, 0, &parent),
			 0);
	assert_int_equal(guest_pt_init(&pt, &g, 4), 0);
	/* The guest's source buffer and completion record are mapped; the
	 * destination is not yet. */
	assert_int_equal(guest_pt_map(&pt, gva, gpa, 12, GUEST_PTE_USER), 0);
	uint8_t *gsrc = guest_va(&g, gpa);
	memset(gsrc, 0x5a, 256);
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = pt.root, .addr_width = 48 };
	struct iommu_hwpt_alloc c = { .size = sizeof(c),
				      .flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
				      .dev_id = r.dev, .pt_id = parent, .fault_id = r.fault_id,
				      .data_type = IOMMU_HWPT_DATA_VTD_S1, .data_len = sizeof(s1),
				      .data_uptr = (uintptr_t)&s1 };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), 0);
	nested = c.out_hwpt_id;
	uint32_t id = nested;
	assert_int_equal(iommufd_device_attach(r.idev, PASID, &id), 0);
	assert_int_equal(dsa_wq_setup(r.fn, 0, 16, PASID, true), 0);

	struct dsa_completion_record *cr = guest_va(&g, gpa + 0x800);
	struct dsa_hw_desc d = dsa_desc(DSA_OPCODE_MEMMOVE, DSA_FLAG_BOF, gva, gva + 0x10000, 256,
					gva + 0x800);
	assert_int_equal(dsa_wq_submit(r.fn, 0, &d), 0);
	assert_true(wait_readable(r.fault_fd, 10000));
	struct iommu_hwpt_pgfault rec;
	assert_int_equal(uiommu_read(r.fault_fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.addr, gva + 0x10000);
	assert_int_equal(rec.pasid, PASID);
	assert_int_equal(cr->status, 0);
	/* The guest's fault handler: a page for it, then the invalidation. */
	assert_int_equal(guest_pt_map(&pt, gva + 0x10000, gpa + 0x200000, 12, GUEST_PTE_USER), 0);
	assert_int_equal(hwpt_inv_s1(r.t.fd, nested, gva + 0x10000, 1, IOMMU_VTD_INV_FLAGS_LEAF),
			 0);
	struct iommu_hwpt_page_response resp = { .cookie = rec.cookie };
	assert_int_equal(uiommu_write(r.fault_fd, &resp, sizeof(resp)), sizeof(resp));
	assert_int_equal(dsa_wait(cr, 10), DSA_COMP_SUCCESS);
	assert_memory_equal(guest_va(&g, gpa + 0x200000), gsrc, 256);
	dsa_wq_teardown(r.fn);
	iommufd_device_detach(r.idev, PASID);
	assert_int_equal(obj_destroy(r.t.fd, nested), 0);
	/* The FAULT went with its last HWPT user; the fd holds the rest. */
	assert_int_equal(obj_destroy(r.t.fd, parent), 0);
	rig_fini(&r);
	guest_fini(&g);
}

/*
 * The page request queue overflows (7.5.1): while the driver is slow (its
 * page-request interrupt held off) 16 functions with 32 requests each
 * fill the 511 free slots. From then on the unit drops requests and
 * answers each last-in-group request itself with Success, so the DSA
 * retries - and, refused again and again, gives up with PAGE_FAULT_IR
 * instead of hanging; nothing reaches the fault queue. Once the driver
 * drains the queue and clears PRO, faults flow to the VMM again.
 */
static char *overflow_topology(void)
{
	static char json[4096];
	size_t n = (size_t)snprintf(
		json, sizeof(json),
		"{\"devices\":[{\"bdf\":\"00:01.0\",\"type\":\"root_port\",\"acs\":true,"
		"\"bus\":1,\"children\":[{\"bdf\":\"01:00.0\",\"type\":\"endpoint\","
		"\"name\":\"dsa0\",\"model\":\"dsa\",\"pasid_bits\":20,\"ats\":true,"
		"\"pri\":true,\"siov\":true}]}");
	for (unsigned i = 0; i < 16; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n,
				      ",{\"bdf\":\"00:%02x.0\",\"type\":\"rc_endpoint\","
				      "\"name\":\"p%u\",\"ats\":true,\"pri\":true}",
				      0x05 + i, i);
	snprintf(json + n, sizeof(json) - n, "]}");
	return json;
}

static void prq_overflow_is_answered_by_the_unit(void **state)
{
	(void)state;
	struct rig r;
	rig_init_on(&r, th_host(overflow_topology(), false));
	struct iommu_hwpt_alloc c = { .size = sizeof(c),
				      .flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
				      .dev_id = r.dev, .pt_id = r.ioas, .fault_id = r.fault_id };
	assert_int_equal(ioc(r.t.fd, IOMMU_HWPT_ALLOC, &c), 0);
	r.hwpt = c.out_hwpt_id;
	uint32_t pt = r.hwpt;
	assert_int_equal(iommufd_device_attach(r.idev, PASID, &pt), 0);
	assert_int_equal(dsa_wq_setup(r.fn, 0, 16, PASID, true), 0);

	struct vtd_unit *u = uiommu_host_unit(r.t.h, 0);
	assert_int_equal(vtd_mmio_write(u, VTD_REG_PECTL, 4, VTD_XECTL_IM), 0);
	for (unsigned i = 0; i < 16; i++) {
		char name[8];
		snprintf(name, sizeof(name), "p%u", i);
		struct device *p = th_device(r.t.h, name);
		assert_int_equal(iommu_dev_enable_feature(p, IOMMU_DEV_FEAT_IOPF), 0);
		for (unsigned k = 0; k < 32; k++)
			pci_pri_page_request(th_fn(p), VTD_PASID_NONE, false, 0x1000 * k, true,
					     false, false, k, true);
	}
	uint64_t prs;
	assert_int_equal(vtd_mmio_read(u, VTD_REG_PRS, 4, &prs), 0);
	assert_true(prs & VTD_PRS_PRO);

	submit_copy(&r, 0, DST, 64);
	assert_int_equal(dsa_wait(crec(&r), 1), DSA_COMP_PAGE_FAULT_IR | DSA_COMP_STATUS_WRITE);
	struct dsa_stats st;
	dsa_get_stats(r.fn, &st);
	assert_true(st.wq[0].page_requests > 1); /* retried on each automatic Success */
	assert_false(wait_readable(r.fault_fd, 0));
	struct vtd_stats vs;
	vtd_stats_get(u, &vs);
	assert_true(vs.prq_overflow >= 1 + st.wq[0].page_requests);

	/* The driver catches up: everything queued is handled (the played
	 * functions have no handler: answered Invalid), PRO cleared. */
	assert_int_equal(vtd_mmio_write(u, VTD_REG_PECTL, 4, 0), 0);
	assert_int_equal(vtd_mmio_read(u, VTD_REG_PRS, 4, &prs), 0);
	assert_false(prs & VTD_PRS_PRO);
	struct responder s;
	responder_start(&s, &r, IOMMUFD_PAGE_RESP_SUCCESS, true, 1);
	submit_copy(&r, 0, DST, 64);
	assert_int_equal(dsa_wait(crec(&r), 10), DSA_COMP_SUCCESS);
	responder_join(&s);
	assert_memory_equal(r.dst, r.src, 64);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fault_served_and_device_resumes),
		cmocka_unit_test(invalid_answer_fails_the_descriptor),
		cmocka_unit_test(closing_the_queue_answers_outstanding),
		cmocka_unit_test(guest_fault_through_a_nested_hwpt),
		cmocka_unit_test(prq_overflow_is_answered_by_the_unit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
